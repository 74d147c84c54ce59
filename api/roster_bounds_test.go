package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"studentaid/api"
	"studentaid/service/roster"
	"studentaid/service/servicetest"
)

// Issue 15: what an upload may expand to is bounded — per cell, per row and
// in total — and a file past a bound is refused with 413 and a Chinese
// message while it is read, writing no student.

// rawBook writes a minimal .xlsx by hand, as a hostile or unusual producer
// might: sheet1's rows from rows (inline strings unless a cell says
// otherwise), the shared strings sst, and extra parts stored uncompressed.
func rawBook(t testing.TB, sst []string, rows func(w io.Writer), extra map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, s string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, s)
	}
	put("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	put("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	var s strings.Builder
	s.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, v := range sst {
		s.WriteString("<si><t>" + xmlText(v) + "</t></si>")
	}
	put("xl/sharedStrings.xml", s.String()+"</sst>")
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	rows(w)
	io.WriteString(w, `</sheetData></worksheet>`)
	for name, b := range extra {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// rowXML is one row of inline strings; a value "#n" is shared string n.
func rowXML(line int, vals []any) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, line)
	for i, v := range vals {
		s := fmt.Sprint(v)
		if v == nil || s == "" {
			continue
		}
		ref, _ := excelize.CoordinatesToCellName(i+1, line)
		if n, ok := strings.CutPrefix(s, "#"); ok {
			fmt.Fprintf(&b, `<c r="%s" t="s"><v>%s</v></c>`, ref, n)
			continue
		}
		fmt.Fprintf(&b, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, xmlText(s))
	}
	b.WriteString("</row>")
	return b.String()
}

// validRows writes n valid primary-school rows from line 2, each followed
// by the extra cells.
func validRows(w io.Writer, n int, extra ...any) {
	for i := range n {
		id := validID("430921", fmt.Sprintf("201503%02d", 1+i/1000), i%1000)
		r := primaryRow("学生"+string(rune('甲'+i%200))+string(rune('乙'+i/200)), id, "四年级", "是", "")
		io.WriteString(w, rowXML(i+2, append(r, extra...)))
	}
}

func headerRow(extra ...string) func(io.Writer) {
	return func(w io.Writer) {
		h := make([]any, 0, len(rosterHeaders)+len(extra))
		for _, s := range append(append([]string{}, rosterHeaders...), extra...) {
			h = append(h, s)
		}
		io.WriteString(w, rowXML(1, h))
	}
}

func TestRosterUploadBoundsRefuse(t *testing.T) {
	big := strings.Repeat("字", 7000/3) // just under the 8 KiB a cell
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		cases := []struct {
			name, code, message string
			file                []byte
		}{
			// 100 MB of zeros from about 100 KB: refused from the zip's
			// directory, before anything is inflated.
			{"zip bomb", "zip_bomb", "解压后过大", zipOfZeros(t, 100<<20)},
			// A few kilobytes whose 30 cells a row each name one 8 KB shared
			// string: a row would be 240 KB of text.
			{"shared-string bomb", "row_too_large", "第2行", rawBook(t, []string{strings.Repeat("a", 8000)}, func(w io.Writer) {
				headerRow()(w)
				for i := range 1000 {
					vals := make([]any, 30)
					for j := range vals {
						vals[j] = "#0"
					}
					io.WriteString(w, rowXML(i+2, vals))
				}
			}, nil)},
			{"one huge cell", "cell_too_large", "第3行 N 列", rawBook(t, nil, func(w io.Writer) {
				headerRow("备注")(w)
				validRows(w, 1)
				io.WriteString(w, rowXML(3, append(primaryRow("张三", validID("430921", "20150301", 7), "四年级", "是", ""), strings.Repeat("长", 4000))))
			}, nil)},
			{"a cell at XFD", "row_too_large", "列数过多", rawBook(t, nil, func(w io.Writer) {
				headerRow()(w)
				io.WriteString(w, `<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>`)
			}, nil)},
			// Rows inside the row bound, 4 × 7 KB shared strings each, that
			// add up past the 96 MiB a file may hold.
			{"dense past the total", "content_too_large", "拆分", rawBook(t, []string{big + "1", big + "2", big + "3", big + "4"}, func(w io.Writer) {
				headerRow("附1", "附2", "附3", "附4")(w)
				validRows(w, 5000, "#0", "#1", "#2", "#3")
			}, nil)},
		}
		for _, c := range cases {
			_, code, body := h.uploadRoster("school_nanzhou", c.file, map[string]string{"school_year": "2025-2026"})
			if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"`+c.code+`"`) || !strings.Contains(body, c.message) {
				t.Errorf("%s (%d bytes): %d %.400s", c.name, len(c.file), code, body)
			}
		}
		if n := countRows(t, env, "students"); n != 0 {
			t.Fatalf("refused files wrote %d students", n)
		}
		var rejected int64
		env.DB.Table("roster_imports").Where("status = ?", "rejected").Count(&rejected)
		if rejected != int64(len(cases)) {
			t.Fatalf("%d imports recorded as rejected, want %d", rejected, len(cases))
		}
	})
}

func TestRosterUploadDenseButLegal(t *testing.T) {
	// 2,000 valid rows, each with a 3 KB remark-like column the roster does
	// not read: 7 MB of sheet XML from a file hundreds of times smaller
	// (under the ratio check's 64 MiB floor), inside every bound.
	note := strings.Repeat("家庭情况说明", 170)
	file := rawBook(t, nil, func(w io.Writer) {
		headerRow("情况说明")(w)
		validRows(w, 2000, note)
	}, nil)
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		rep, code, body := h.uploadRoster("school_nanzhou", file, map[string]string{"school_year": "2025-2026"})
		if code != http.StatusOK || rep.Created != 2000 {
			t.Fatalf("%d bytes: %d %.400s", len(file), code, body)
		}
	})
}

func TestRoster50MBUpload(t *testing.T) {
	// A 50 MB workbook is mostly a picture (stored, not compressible): its
	// roster is read and the picture never is. One byte over the limit is
	// refused as too large.
	rng := rand.NewChaCha8([32]byte{15})
	noise := make([]byte, 50<<20-8<<10)
	rng.Read(noise)
	rows := func(w io.Writer) {
		headerRow()(w)
		validRows(w, 20)
	}
	file := rawBook(t, nil, rows, map[string][]byte{"xl/media/image1.png": noise})
	pad := 50<<20 - len(file)
	file = rawBook(t, nil, rows, map[string][]byte{"xl/media/image1.png": append(noise, make([]byte, pad)...)})
	if len(file) != 50<<20 {
		t.Fatalf("built %d bytes", len(file))
	}
	over := rawBook(t, nil, rows, map[string][]byte{"xl/media/image1.png": append(noise, make([]byte, pad+1)...)})
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		// The upload limit main.go sets: roster.max_bytes and 1 MiB of form.
		h.engine = api.New(env.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(),
			api.Options{MaxBodyBytes: 64 << 10, MaxUploadBytes: roster.DefaultMaxBytes + 1<<20, Jobs: h.sched})
		_, code, body := h.uploadRoster("school_nanzhou", over, map[string]string{"school_year": "2025-2026"})
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "超过上限") {
			t.Fatalf("50 MiB + 1: %d %.300s", code, body)
		}
		// Large files import in the background (202), as in production.
		rep, code, body := h.uploadRoster("school_nanzhou", file, map[string]string{"school_year": "2025-2026"})
		if code != http.StatusAccepted {
			t.Fatalf("50 MiB: %d %.300s", code, body)
		}
		env.Svc.Wait()
		var done rosterReport
		mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), h.as("school_nanzhou"), nil), &done)
		if done.Status != "done" || done.Created != 20 {
			t.Fatalf("50 MiB, imported: %+v", done)
		}
	})
}

func TestRosterCSVRenamedXLSX(t *testing.T) {
	csv := []byte("姓名,身份证件号,年级\r\n张三," + validID("430921", "20150301", 1) + ",四年级\r\n")
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		_, code, body := h.uploadRoster("school_nanzhou", csv, map[string]string{"school_year": "2025-2026"})
		if code != http.StatusBadRequest || !strings.Contains(body, "CSV/文本文件") || !strings.Contains(body, "另存为") {
			t.Fatalf("%d %s", code, body)
		}
		if countRows(t, env, "students") != 0 {
			t.Fatal("a CSV wrote students")
		}
	})
}

// zipOfZeros is a workbook-shaped zip whose sheet inflates to n zero bytes.
func zipOfZeros(t testing.TB, n int64) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(name)
		io.WriteString(w, "<x/>")
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		w.Write(zero)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpenAPIDescribesRosterUploads: the 413 of the bounds and the .xls
// format are in the document.
func TestOpenAPIDescribesRosterUploads(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	rr := h.do("GET", "/api/v1/openapi.json", "", nil)
	want(t, rr, http.StatusOK)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string
				Schema struct{ Enum []string }
			}
			Responses   map[string]struct{ Description string }
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct{ Description string }
					}
				}
			}
		}
	}
	mustJSON(t, rr, &doc)
	post := doc.Paths["/api/v1/rosters"]["post"]
	if !strings.Contains(post.Responses["413"].Description, "content_too_large") || post.Responses["202"].Description == "" ||
		!strings.Contains(post.RequestBody.Content["multipart/form-data"].Schema.Properties["file"].Description, ".xls") {
		t.Fatalf("POST /rosters: %+v", post)
	}
	get := doc.Paths["/api/v1/rosters/template"]["get"]
	if len(get.Parameters) != 2 || strings.Join(get.Parameters[1].Schema.Enum, ",") != "xlsx,xls" {
		t.Fatalf("GET /rosters/template: %+v", get.Parameters)
	}
	if _, ok := doc.Paths["/api/v1/batches/{id}/results"]["post"].Responses["413"]; !ok {
		t.Fatal("uploads have no 413")
	}
}

// TestMatchingListBounded: a department list is read with the roster's
// readers and bounds: a dense list is refused with 413, an .xls is read.
func TestMatchingListBounded(t *testing.T) {
	dense := rawBook(t, []string{strings.Repeat("民", 3000)}, func(w io.Writer) {
		io.WriteString(w, rowXML(1, []any{"姓名", "身份证件号"}))
		for i := range 200 {
			io.WriteString(w, rowXML(i+2, []any{"#0", validID("430921", "20150301", i)}))
		}
	}, nil)
	xls, err := os.ReadFile("../service/roster/testdata/xls/roster.xls")
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		fields := map[string]string{"kind": "dibao", "school_year": "2025-2026"}
		rr := h.upload("/api/v1/matching", h.as("county_nanxian"), "file", "低保名单.xlsx", dense, fields)
		if rr.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rr.Body.String(), `"code":"cell_too_large"`) {
			t.Fatalf("dense list: %d %s", rr.Code, rr.Body)
		}
		rr = h.upload("/api/v1/matching", h.as("county_nanxian"), "file", "低保名单.xls", xls, fields)
		if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), `"rows":400`) {
			t.Fatalf(".xls list: %d %.300s", rr.Code, rr.Body)
		}
	})
}
