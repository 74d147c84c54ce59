package roster_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/roster"
)

func TestParseRefusesBadFiles(t *testing.T) {
	good := book{headers: primaryHeaders, rows: []map[string]any{validRow()}}.build(t)
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	tests := []struct {
		name    string
		data    []byte
		opt     func(*roster.Options)
		kind    roster.Kind
		code    string
		message string
	}{
		{"empty file", nil, nil, roster.Unreadable, "not_xlsx", "文件是空的"},
		{"damaged .xls", ole, nil, roster.Unreadable, "not_xlsx", ".xls 文件，文件可能已损坏"},
		{"encrypted xlsx", encrypted(t, good), nil, roster.Unreadable, "not_xlsx", "不要设置密码"},
		{"CSV renamed", []byte("姓名,身份证件号,年级\n张三,430903201503151230,四年级\n"), nil, roster.Unreadable, "not_xlsx", "CSV/文本文件"},
		{"GBK CSV renamed", []byte("\xd0\xd5\xc3\xfb,\xc4\xea\xbc\xb6\r\n\xd5\xc5\xc8\xfd,1\r\n"), nil, roster.Unreadable, "not_xlsx", "CSV/文本文件"},
		{"HTML table saved as .xls", []byte("<html><body><table><tr><td>姓名</td></tr></table></body></html>"), nil, roster.Unreadable, "not_xlsx", "网页"},
		{"PNG renamed", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...), nil, roster.Unreadable, "not_xlsx", "图片"},
		{"JPEG renamed", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 64)...), nil, roster.Unreadable, "not_xlsx", "图片"},
		{"PDF renamed", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), nil, roster.Unreadable, "not_xlsx", "PDF"},
		{"random bytes", []byte{0x00, 0x01, 0x02, 0x03, 0xFE, 0x00}, nil, roster.Unreadable, "not_xlsx", "不是 Excel 工作簿"},
		{"Word document", zipOf(t, map[string]string{"word/document.xml": "<w/>", "[Content_Types].xml": "<Types/>"}), nil, roster.Unreadable, "not_xlsx", "Word 文档"},
		{"plain zip", zipOf(t, map[string]string{"花名册.xlsx": "PK"}), nil, roster.Unreadable, "not_xlsx", "压缩包"},
		{"truncated xlsx", good[:len(good)/2], nil, roster.Unreadable, "not_xlsx", "损坏"},
		{"broken workbook", zipOf(t, map[string]string{"xl/workbook.xml": "<workbook><sheets><sheet", "[Content_Types].xml": "<"}), nil, roster.Unreadable, "not_xlsx", ""},
		{"too large", good, func(o *roster.Options) { o.MaxBytes = 1000 }, roster.TooLarge, "file_too_large", "超过上限"},
		{"zip bomb", zipBomb(t), nil, roster.TooLarge, "zip_bomb", "解压后过大"},
		{"zip bomb by absolute size", good, func(o *roster.Options) { o.MaxUnzipSize = 2000 }, roster.TooLarge, "zip_bomb", "解压后过大"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := schoolOpts("1430903001")
			if tt.opt != nil {
				tt.opt(&opt)
			}
			_, err := parse(t, tt.data, opt)
			fe := fileError(t, err)
			if fe.Kind != tt.kind || fe.Code != tt.code || !strings.Contains(fe.Message, tt.message) {
				t.Fatalf("got %d %s %q; want %d %s containing %q", fe.Kind, fe.Code, fe.Message, tt.kind, tt.code, tt.message)
			}
		})
	}
}

func TestParseRefusesBadSheets(t *testing.T) {
	many := make([]map[string]any, 6)
	for i := range many {
		many[i] = with(validRow(), roster.ColIDNumber, makeID("430903", "20150315", fmt.Sprintf("%03d", 100+i)), roster.ColSex, nil)
	}
	tests := []struct {
		name    string
		book    book
		opt     func(*roster.Options)
		kind    roster.Kind
		code    string
		message string
	}{
		{"empty sheet", book{}, nil, roster.NotARoster, "empty_sheet", "是空的"},
		{"header only", book{headers: primaryHeaders}, nil, roster.NotARoster, "empty_sheet", "只有表头"},
		{"no header", book{rawRows: [][]any{{"张三", "430903201503151230", "四年级"}}}, nil, roster.NotARoster, "no_header", "第1行没有找到表头"},
		{"title row above the header", book{prefix: [][]string{{"赫山区第一小学2025年秋季学生花名册"}}, headers: primaryHeaders, rows: []map[string]any{validRow()}},
			nil, roster.NotARoster, "no_header", "表头在第2行"},
		{"blank first row", book{prefix: [][]string{{}}, headers: primaryHeaders, rows: []map[string]any{validRow()}},
			nil, roster.NotARoster, "no_header", "表头在第2行"},
		{"merged header cells", book{headers: primaryHeaders, rows: []map[string]any{validRow()}, merges: [][2]string{{"Q1", "R1"}}},
			nil, roster.NotARoster, "merged_header", "Q1:R1"},
		{"two-row header", book{headers: primaryHeaders, rows: []map[string]any{validRow()}, merges: [][2]string{{"A1", "A2"}, {"C1", "C2"}, {"A5", "B5"}}},
			nil, roster.NotARoster, "merged_header", "A1:A2、C1:C2"},
		{"missing columns", book{headers: []string{roster.ColName, roster.ColClass}, rawRows: [][]any{{"张三", "1班"}}},
			nil, roster.NotARoster, "missing_column", "身份证件号、年级、是否寄宿"},
		{"duplicate column", book{headers: append(primaryHeaders[:len(primaryHeaders):len(primaryHeaders)], "姓名（必填）"), rows: []map[string]any{validRow()}},
			nil, roster.NotARoster, "duplicate_column", "姓名"},
		{"too many rows", book{headers: primaryHeaders, rows: many}, func(o *roster.Options) { o.MaxRows = 5 }, roster.TooLarge, "too_many_rows", "超过 5 行"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := schoolOpts("1430903001")
			if tt.opt != nil {
				tt.opt(&opt)
			}
			_, err := parse(t, tt.book.build(t), opt)
			fe := fileError(t, err)
			if fe.Kind != tt.kind || fe.Code != tt.code || !strings.Contains(fe.Message, tt.message) {
				t.Fatalf("got %d %s %q; want %d %s containing %q", fe.Kind, fe.Code, fe.Message, tt.kind, tt.code, tt.message)
			}
		})
	}
	// Exactly MaxRows rows pass.
	res, err := parse(t, book{headers: primaryHeaders, rows: many}.build(t), func() roster.Options {
		o := schoolOpts("1430903001")
		o.MaxRows = 6
		return o
	}())
	if err != nil || len(res.Rows) != 6 {
		t.Fatalf("6 rows with MaxRows 6: %v %+v", err, res)
	}
}

func TestParseMergedCellsBelowTheHeaderAreNotAHeaderProblem(t *testing.T) {
	data := book{headers: primaryHeaders, rows: []map[string]any{validRow()}, merges: [][2]string{{"R2", "R3"}}}.build(t)
	if _, err := parse(t, data, schoolOpts("1430903001")); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}

func TestParseLargeSheet(t *testing.T) {
	// Over 16 MiB of sheet XML, streamed: the merged header, listed after
	// the rows, is still found, and so is a number cell on the last row.
	if testing.Short() {
		t.Skip("builds a large workbook")
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]any, len(primaryHeaders))
	for i, h := range primaryHeaders {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		t.Fatal(err)
	}
	const n = 40000
	for i := range n {
		r := with(validRow(), roster.ColIDNumber, makeID("430903", "20150315", fmt.Sprintf("%03d", i%1000)),
			roster.ColRemark, strings.Repeat("备注", 20), roster.ColSex, nil)
		if i >= 1000 {
			r[roster.ColIDNumber] = makeID("430903", fmt.Sprintf("2015%02d%02d", 1+i/1000%12, 1+i/12000), fmt.Sprintf("%03d", i%1000))
		}
		vals := make([]any, len(primaryHeaders))
		for j, h := range primaryHeaders {
			vals[j] = r[h]
		}
		if i == n-1 {
			vals[2] = 430903201503151230.0 // a number cell at the very end
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.MergeCell("A1", "B1"); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	_, err = parse(t, buf.Bytes(), schoolOpts("1430903001"))
	if fe := fileError(t, err); fe.Code != "merged_header" {
		t.Fatalf("got %+v", fe)
	}

	// The same without the merge: the number cell on the last row is found.
	f2 := excelize.NewFile()
	defer f2.Close()
	sw2, _ := f2.NewStreamWriter("Sheet1")
	_ = sw2.SetRow("A1", head)
	for i := range n {
		vals := []any{"张小明", nil, makeID("430903", fmt.Sprintf("2015%02d%02d", 1+i/1000%12, 1+i/12000), fmt.Sprintf("%03d", i%1000)), nil, "四年级", nil, "是"}
		if i == n-1 {
			vals[2] = 430903201503151230.0
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = sw2.SetRow(cell, vals)
	}
	_ = sw2.Flush()
	buf.Reset()
	_, _ = f2.WriteTo(&buf)
	res := mustParse(t, buf.Bytes(), schoolOpts("1430903001"))
	if res.Total != n || len(res.Errors) != 1 || res.Errors[0].Row != n+1 || !strings.Contains(res.Errors[0].Message, "文本") {
		t.Fatalf("Total %d errors:%s", res.Total, dumpErrors(res.Errors[:min(len(res.Errors), 5)]))
	}
}

// encrypted is a workbook saved with a password, which Excel wraps in an
// OLE2 compound file.
func encrypted(t testing.TB, workbook []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(workbook))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf, excelize.Options{Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf builds a zip archive with the given files.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBomb is a workbook-shaped zip whose sheet inflates to 200 MB of zeros
// from about 200 KB; it is streamed through the compressor, never held.
func zipBomb(t testing.TB) []byte {
	t.Helper()
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
	if _, err := io.CopyN(w, zeros{}, 200<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
