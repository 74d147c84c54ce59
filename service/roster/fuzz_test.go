package roster_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"studentaid/service/roster"
)

// FuzzParse feeds Parse arbitrary bytes: whatever is uploaded, it answers
// with a result or a *FileError, and never panics.
func FuzzParse(f *testing.F) {
	f.Add(book{headers: primaryHeaders, rows: []map[string]any{validRow()}}.build(f))
	f.Add([]byte("姓名,身份证件号\n张三,430903201503151230\n"))
	for _, name := range []string{"merged.xls", "roster.xls"} {
		b, err := os.ReadFile("testdata/xls/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := countyOpts()
		opt.MaxRows = 500
		opt.MaxUnzipSize = 64 << 20
		watchdog := time.AfterFunc(20*time.Second, func() { panic("Parse took more than 20 s on one input") })
		res, err := roster.Parse(bytes.NewReader(data), int64(len(data)), opt)
		watchdog.Stop()
		if err != nil {
			var fe *roster.FileError
			if !errors.As(err, &fe) || fe.Message == "" || fe.Code == "" {
				t.Fatalf("error %v (%T) is not a *FileError with a message", err, err)
			}
			return
		}
		if len(res.Rows)+len(res.Failed) != res.Total {
			t.Fatalf("%d valid + %d failed rows != total %d", len(res.Rows), len(res.Failed), res.Total)
		}
		n := 0
		for _, fr := range res.Failed {
			if len(fr.Errors) == 0 {
				t.Fatalf("failed row %d has no error", fr.Row)
			}
			n += len(fr.Errors)
		}
		if n != len(res.Errors) {
			t.Fatalf("%d errors in failed rows, %d in Errors", n, len(res.Errors))
		}
		if err := roster.WriteErrorWorkbook(io.Discard, res.Headers, res.Failed, ""); err != nil {
			t.Fatalf("WriteErrorWorkbook: %v", err)
		}
	})
}

// FuzzParseCells puts arbitrary text in the cells of a well-formed roster,
// to reach the row rules that FuzzParse's mangled zips rarely get to.
func FuzzParseCells(f *testing.F) {
	f.Add("1430903001\t张小明\t\t430903201503151230\t\t男\t四年级\t2班\t\t\t是\t农村\t430903\t在读\t困难\t农村低保、残疾\t张大山\t农行\t6228 4800 1234 5678 901\t监护人\t13807371234\t")
	f.Add("1430903004\t阿依古丽·买买提\t护照\te1234567\tG43090320090315123X\t女\t中职一年级\t\t畜牧兽医\t是\t\t\t\t\t特别困难\t脱贫家庭（建档立卡）;孤儿\t\t\t6.2E+18\t本人\t0737-1234567\t=1+1")
	f.Add("1430903006\t\u3000李　四\u00a0\t居民身份证\t４３０９０３８５０６１２１２３\t\t\t初三\t\t\t\t否\t\t\t\t\t\t\t\t\t\t\t")
	headers := allHeaders()
	f.Fuzz(func(t *testing.T, line string) {
		cells := strings.Split(line, "\t")
		if len(cells) > 2*len(headers) {
			return
		}
		row := make([]any, len(cells))
		for i, c := range cells {
			// Text Excel cannot hold is not what this target is about.
			if !utf8.ValidString(c) || strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' }) {
				return
			}
			row[i] = c
		}
		data := book{headers: headers, rawRows: [][]any{row, row}}.build(t)
		res, err := roster.Parse(bytes.NewReader(data), int64(len(data)), countyOpts())
		var fe *roster.FileError
		if errors.As(err, &fe) && fe.Code == "empty_sheet" {
			return // every cell blank
		}
		if err != nil {
			t.Fatalf("Parse of a well-formed roster: %v", err)
		}
		if len(res.Rows)+len(res.Failed) != res.Total {
			t.Fatalf("%d valid + %d failed != %d", len(res.Rows), len(res.Failed), res.Total)
		}
		for _, r := range res.Rows {
			// Two identical rows: only possible when neither has an ID.
			if r.IDNumber.Value != "" {
				t.Fatalf("a duplicated ID number passed: %+v", r)
			}
		}
		for _, e := range res.Errors {
			if (e.Column == roster.ColIDNumber || e.Column == roster.ColBankAccount) && len(e.Value) >= 12 && !strings.Contains(e.Value, "*") && !strings.ContainsAny(e.Value, "Ee") {
				t.Fatalf("unmasked %s in error: %q", e.Column, e.Value)
			}
		}
	})
}
