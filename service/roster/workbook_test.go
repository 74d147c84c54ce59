package roster_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/roster"
)

func TestWriteTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := roster.WriteTemplate(&buf, "2025-2026"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{roster.SheetRoster, roster.SheetInstructions}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := f.GetRows(roster.SheetRoster)
	if err != nil {
		t.Fatal(err)
	}
	cols := roster.Columns()
	if len(rows) != 2 || len(rows[0]) != len(cols) {
		t.Fatalf("template rows %q", rows)
	}
	for i, c := range cols {
		if rows[0][i] != c.Header {
			t.Errorf("header %d = %q, want %q", i, rows[0][i], c.Header)
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if c.Text {
			// The column style is what Excel uses for every cell typed later.
			styleID, err := f.GetColStyle(roster.SheetRoster, col)
			if err != nil {
				t.Fatal(err)
			}
			style, err := f.GetStyle(styleID)
			if err != nil || style.NumFmt != 49 {
				t.Errorf("column %s (%s) number format %d, want 49 (text)", col, c.Header, style.NumFmt)
			}
		}
	}
	// One drop-down per enumerated column, down to row 10001.
	dvs, err := f.GetDataValidations(roster.SheetRoster)
	if err != nil {
		t.Fatal(err)
	}
	wantDV := map[string]bool{}
	for i, c := range cols {
		if len(c.Options) > 0 {
			col, _ := excelize.ColumnNumberToName(i + 1)
			wantDV[col+"2:"+col+"10001"] = true
		}
	}
	for _, h := range []string{"身份证件类型", "性别", "是否寄宿", "是否涉农专业", "户口性质", "学籍状态", "家庭经济困难等级", "持卡人", "年级"} {
		found := false
		for _, c := range cols {
			found = found || (c.Header == h && len(c.Options) > 0)
		}
		if !found {
			t.Errorf("column %s has no drop-down", h)
		}
	}
	for _, dv := range dvs {
		if !wantDV[dv.Sqref] || dv.Type != "list" {
			t.Errorf("unexpected validation %s %s", dv.Sqref, dv.Type)
		}
		delete(wantDV, dv.Sqref)
	}
	if len(wantDV) > 0 {
		t.Errorf("missing drop-downs %v", wantDV)
	}
	panes, err := f.GetPanes(roster.SheetRoster)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
	notes, err := f.GetRows(roster.SheetInstructions)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		if len(notes) <= i+1 || notes[i+1][0] != c.Header || notes[i+1][2] == "" {
			t.Errorf("instructions line %d does not explain %s", i+2, c.Header)
		}
	}

	// The example row is valid in every respect but its name, which Parse
	// refuses so that it is never imported as a student.
	opt := countyOpts()
	opt.LookupSchool = func(code string) (roster.School, bool) {
		return roster.School{ID: 7, Code: code, Name: "示例小学", Type: roster.SchoolPrimary}, code == "2143090301"
	}
	res := mustParse(t, buf.Bytes(), opt)
	if len(res.Errors) != 1 || res.Errors[0].Column != roster.ColName || !strings.Contains(res.Errors[0].Message, "示例行") {
		t.Fatalf("template example row:%s", dumpErrors(res.Errors))
	}
	if err := roster.WriteTemplate(&buf, "2025"); err == nil {
		t.Errorf("a bad school year was accepted")
	}
}

func TestTemplateFilledInParses(t *testing.T) {
	var buf bytes.Buffer
	if err := roster.WriteTemplate(&buf, "2025-2026"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// An officer replaces the example with a real student and types the ID
	// number into the text-formatted column.
	for cell, v := range map[string]string{"A2": "", "B2": "刘洋", "D2": makeID("430923", "20150101", "234"), "E2": "", "F2": "女"} {
		if err := f.SetCellStr(roster.SheetRoster, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	buf.Reset()
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := mustParse(t, buf.Bytes(), schoolOpts("1430903001"))
	if len(res.Rows) != 1 || len(res.Errors) != 0 {
		t.Fatalf("errors:%s", dumpErrors(res.Errors))
	}
	if r := res.Rows[0]; r.Name != "刘洋" || r.Sex != "女" || r.Grade != 4 || r.Holder != model.HolderGuardian || !slices.Equal(r.Categories, []string{"农村低保", "残疾"}) {
		t.Errorf("row %+v", r)
	}
}

func TestWriteErrorWorkbook(t *testing.T) {
	headers := append([]string{"其他列"}, primaryHeaders...)
	rows := [][]any{
		append([]any{"保留"}, rowValues(with(validRow(), roster.ColName, "=HYPERLINK(\"http://x\",\"点我\")", roster.ColPhone, "123"))...),
		append([]any{"+1"}, rowValues(with(validRow(), roster.ColIDNumber, makeID("430903", "20150316", "133")))...),
		append([]any{"@SUM(A1)"}, rowValues(with(validRow(), roster.ColIDNumber, "430903201503151231", roster.ColGrade, "十年级"))...),
	}
	data := book{headers: headers, rawRows: rows}.build(t)
	res := mustParse(t, data, schoolOpts("1430903001"))
	if len(res.Failed) != 2 || len(res.Rows) != 1 {
		t.Fatalf("failed %d:%s", len(res.Failed), dumpErrors(res.Errors))
	}

	var buf bytes.Buffer
	if err := roster.WriteErrorWorkbook(&buf, res.Headers, res.Failed, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows(roster.SheetRoster)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0], append(slices.Clone(headers), roster.ColErrors)) {
		t.Fatalf("header %q", got[0])
	}
	if len(got) != 3 {
		t.Fatalf("rows %q", got)
	}
	errCol := len(headers)
	if msg := got[1][errCol]; !strings.HasPrefix(msg, "第2行：") || !strings.Contains(msg, "姓名：") || !strings.Contains(msg, "；联系电话：") {
		t.Errorf("row 2 message %q", msg)
	}
	if msg := got[2][errCol]; !strings.HasPrefix(msg, "第4行：身份证件号：校验位错误") || !strings.Contains(msg, "；年级：") {
		t.Errorf("row 4 message %q", msg)
	}
	// Cells come back exactly as uploaded, as text, never as formulas.
	if got[1][1] != "=HYPERLINK(\"http://x\",\"点我\")" || got[2][0] != "@SUM(A1)" || got[2][3] != "430903201503151231" {
		t.Errorf("cells changed: %q / %q", got[1], got[2])
	}
	for _, cell := range []string{"B2", "A3", "D3"} {
		formula, _ := f.GetCellFormula(roster.SheetRoster, cell)
		typ, _ := f.GetCellType(roster.SheetRoster, cell)
		if formula != "" || typ != excelize.CellTypeInlineString {
			t.Errorf("%s: formula %q type %v, want an inline string", cell, formula, typ)
		}
	}
	// Bad cells are filled light red, the others are not.
	fill := func(cell string) string {
		id, err := f.GetCellStyle(roster.SheetRoster, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.NumFmt != 49 {
			t.Errorf("%s is not a text cell (format %d)", cell, st.NumFmt)
		}
		if len(st.Fill.Color) == 0 {
			return ""
		}
		return st.Fill.Color[0]
	}
	for cell, want := range map[string]string{"B2": "FFC7CE", "R2": "FFC7CE", "C2": "", "A2": "", "D3": "FFC7CE", "F3": "FFC7CE", "B3": ""} {
		if got := fill(cell); got != want {
			t.Errorf("%s fill %q, want %q", cell, got, want)
		}
	}

	// Fixed and uploaded again, the error workbook is a roster like any other.
	res2 := mustParse(t, buf.Bytes(), schoolOpts("1430903001"))
	if len(res2.Failed) != 2 || len(res2.Errors) != len(res.Errors) {
		t.Fatalf("re-upload: %d failed:%s", len(res2.Failed), dumpErrors(res2.Errors))
	}
	// ...and its own error workbook does not grow a second 错误说明.
	buf.Reset()
	if err := roster.WriteErrorWorkbook(&buf, res2.Headers, res2.Failed, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	f2, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	again, _ := f2.GetRows(roster.SheetRoster)
	if !slices.Equal(again[0], got[0]) || !slices.Equal(again[1], got[1]) {
		t.Errorf("second error workbook:\n%q\nwant\n%q", again[:2], got[:2])
	}
}

func rowValues(r map[string]any) []any {
	out := make([]any, len(primaryHeaders))
	for i, h := range primaryHeaders {
		out[i] = r[h]
	}
	return out
}
