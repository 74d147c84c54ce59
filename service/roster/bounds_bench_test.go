package roster_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/service/roster"
)

// BenchmarkParseDensest measures the memory of the densest files the bounds
// still accept (issue 15), parsed and then written back as the error
// workbook where rows fail, as an import does. peak-heap-MiB is the largest
// heap in use seen (sampled every millisecond) above the heap before, so it
// includes garbage not yet collected: run it under the service's memory
// limit. result-MiB is what the result holds once collected.
//
//	GOMEMLIMIT=256MiB go test ./service/roster -run '^$' -bench ParseDensest -benchtime 1x
func BenchmarkParseDensest(b *testing.B) {
	remark := strings.Repeat("备", 500) // 备注 at its 500-character limit
	wide := 8000 / 3                   // characters: just under the 8 KiB a cell
	rng := rand.New(rand.NewPCG(15, 16))
	cases := []struct {
		name string
		rows int
		row  func(i int) []string
	}{
		// The most rows a file may have, each a typical valid row.
		{"200k-valid-rows", roster.DefaultMaxRows, func(i int) []string { return benchRow(i, "") }},
		// Valid rows with the longest remark, up to the total text bound.
		{"50k-valid-rows-500-char-remark", 50000, func(i int) []string { return benchRow(i, remark) }},
		// Failing rows (no name) near the row bound, every cell distinct
		// inline text (compressing only 6 times, under the ratio check),
		// up to the total text bound: all kept for the error workbook.
		{"2.9k-failed-rows-of-32KB", 2900, func(i int) []string {
			r := benchRow(i, "")
			r[0] = ""
			return append(r, noise(rng, wide), noise(rng, wide), noise(rng, wide), noise(rng, wide))
		}},
	}
	for _, c := range cases {
		file := denseBook(b, c.rows, c.row)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak, live uint64
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				stop := sampleHeap(&peak)
				res, err := roster.Parse(bytes.NewReader(file), int64(len(file)), benchOpts())
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Failed) > 0 {
					if err := roster.WriteErrorWorkbook(io.Discard, res.Headers, res.Failed, ""); err != nil {
						b.Fatal(err)
					}
				}
				stop()
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				live = after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
				runtime.KeepAlive(res)
				peak -= min(peak, before.HeapInuse)
				b.ReportMetric(float64(res.Total), "rows")
			}
			b.ReportMetric(float64(len(file))/(1<<20), "file-MiB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(live)/(1<<20), "result-MiB")
		})
	}
}

// noise is n characters drawn from 64 Chinese ones.
func noise(rng *rand.Rand, n int) string {
	r := make([]rune, n)
	for i := range r {
		r[i] = '一' + rune(rng.IntN(64))
	}
	return string(r)
}

func benchOpts() roster.Options {
	s := roster.School{ID: 1, Code: "1430903001", Name: "赫山区第一小学", Type: roster.SchoolPrimary}
	return roster.Options{SchoolYear: "2025-2026", Now: testNow, DefaultSchool: &s}
}

var benchHeaders = []string{"姓名", "身份证件号", "性别", "年级", "班级", "是否寄宿", "学籍状态", "家庭经济困难等级", "困难类型", "开户银行", "银行卡号", "持卡人", "监护人姓名", "联系电话", "备注", "附1", "附2", "附3", "附4"}

func benchRow(i int, remark string) []string {
	return []string{"学生" + string(rune('甲'+i%1000)) + string(rune('甲'+i/1000)), makeID("430921", fmt.Sprintf("2015%02d%02d", 1+i/28000, 1+i/1000%28), fmt.Sprintf("%03d", i%1000)),
		"", "四年级", fmt.Sprintf("%d班", i%9+1), "是", "在读", "困难", "农村低保", "南县农商银行", fmt.Sprintf("6217001234%09d", i), "监护人",
		"家长" + string(rune('甲'+i%1000)), fmt.Sprintf("138%08d", i), remark}
}

// denseBook writes rows as inline strings straight into a zip: building a
// 200,000-row workbook with excelize takes longer than reading it.
func denseBook(b *testing.B, n int, row func(int) []string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, s string) {
		w, _ := zw.Create(name)
		io.WriteString(w, s)
	}
	const rels, od = "http://schemas.openxmlformats.org/package/2006/relationships", "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	put("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	put("_rels/.rels", `<Relationships xmlns="`+rels+`"><Relationship Id="rId1" Type="`+od+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="`+od+`"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<Relationships xmlns="`+rels+`"><Relationship Id="rId1" Type="`+od+`/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	writeRow := func(line int, vals []string) {
		fmt.Fprintf(w, `<row r="%d">`, line)
		for i, v := range vals {
			if v == "" {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(i+1, line)
			fmt.Fprintf(w, `<c r="%s" t="inlineStr"><is><t>`, ref)
			xml.EscapeText(w, []byte(v))
			io.WriteString(w, "</t></is></c>")
		}
		io.WriteString(w, "</row>")
	}
	writeRow(1, benchHeaders)
	for i := range n {
		writeRow(i+2, row(i))
	}
	io.WriteString(w, "</sheetData></worksheet>")
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// sampleHeap records the largest HeapInuse until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for !done.Load() {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			time.Sleep(time.Millisecond)
		}
	}()
	return func() { done.Store(true); <-finished }
}
