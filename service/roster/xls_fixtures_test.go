package roster_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/roster"
)

// The .xls fixtures in testdata/xls are these workbooks saved by
// LibreOffice as Excel 97–2003 (scripts/xls-fixtures.sh): this test writes
// the .xlsx sources when STUDENTAID_XLS_SOURCES names a directory.

// xlsHeaders are a primary school's columns, as the API tests upload them.
var xlsHeaders = []string{"姓名", "身份证件号", "性别", "年级", "班级", "是否寄宿", "学籍状态", "家庭经济困难等级", "困难类型", "开户银行", "银行卡号", "持卡人", "监护人姓名"}

// xlsFixtureRows is how many students roster.xls has: enough unique text
// that its shared strings run into CONTINUE records.
const xlsFixtureRows = 400

// xlsFixtureID is the ID number of row line of roster.xls (南县, born 2015).
func xlsFixtureID(line int) string {
	return makeID("430921", fmt.Sprintf("201503%02d", 1+line/100), fmt.Sprintf("%03d", line%100))
}

// xlsFixtureNumericLine is the row whose ID number is a number cell.
const xlsFixtureNumericLine = 5

func TestWriteXLSFixtureSources(t *testing.T) {
	dir := os.Getenv("STUDENTAID_XLS_SOURCES")
	if dir == "" {
		t.Skip("STUDENTAID_XLS_SOURCES not set")
	}
	f := excelize.NewFile()
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49})
	_ = f.SetSheetName("Sheet1", "花名册")
	_ = f.SetColStyle("花名册", "B", text)
	_ = f.SetColStyle("花名册", "K", text)
	_ = f.SetSheetRow("花名册", "A1", &xlsHeaders)
	for i := range xlsFixtureRows {
		line := i + 2
		name := "学生" + string(rune('甲'+i%100)) + string(rune('子'+i/100))
		row := []any{name, xlsFixtureID(line), nil, "四年级", i%3 + 1, "是", "在读", "困难", "农村低保", "南县农商银行",
			fmt.Sprintf("62170012345%08d", line), "监护人", "家长" + string(rune('甲'+i%100))}
		cell, _ := excelize.CoordinatesToCellName(1, line)
		if err := f.SetSheetRow("花名册", cell, &row); err != nil {
			t.Fatal(err)
		}
		// 性别 from the ID number, as many offices' sheets compute it.
		_ = f.SetCellFormula("花名册", fmt.Sprintf("C%d", line), fmt.Sprintf(`IF(MOD(MID(B%d,17,1),2)=1,"男","女")`, line))
		if line == xlsFixtureNumericLine {
			var id float64
			fmt.Sscan(xlsFixtureID(line)[:17]+"0", &id)
			_ = f.SetCellFloat("花名册", fmt.Sprintf("B%d", line), id, -1, 64)
		}
	}
	if err := f.SaveAs(filepath.Join(dir, "roster.xlsx")); err != nil {
		t.Fatal(err)
	}

	m := excelize.NewFile()
	merged := append(append([]string{}, xlsHeaders...), "备注")
	_ = m.SetSheetRow("Sheet1", "A1", &merged)
	_ = m.MergeCell("Sheet1", "N1", "O1")
	_ = m.SetSheetRow("Sheet1", "A2", &[]any{"张三", xlsFixtureID(2)})
	if err := m.SaveAs(filepath.Join(dir, "merged.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// TestWriteXLSTemplateSource writes the source of assets/template.xls, the
// template for WPS and Excel 2003 users: the .xlsx template without its
// year (no example row, whose ID number fits one year; no year in the
// notes), so one file serves every year.
func TestWriteXLSTemplateSource(t *testing.T) {
	dir := os.Getenv("STUDENTAID_XLS_SOURCES")
	if dir == "" {
		t.Skip("STUDENTAID_XLS_SOURCES not set")
	}
	var buf bytes.Buffer
	if err := roster.WriteTemplate(&buf, "2025-2026"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Row 2 as every row below it: empty, in its column's format.
	for i := range roster.Columns() {
		col, _ := excelize.ColumnNumberToName(i + 1)
		style, _ := f.GetCellStyle(roster.SheetRoster, col+"3")
		_ = f.SetCellValue(roster.SheetRoster, col+"2", nil)
		_ = f.SetCellStyle(roster.SheetRoster, col+"2", col+"2", style)
	}
	rows, _ := f.GetRows(roster.SheetInstructions)
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		cell := fmt.Sprintf("A%d", i+1)
		switch {
		case strings.HasPrefix(r[0], "2025-2026学年"):
			_ = f.SetCellStr(roster.SheetInstructions, cell, strings.TrimPrefix(r[0], "2025-2026学年"))
		case strings.HasPrefix(r[0], "2. "):
			_ = f.SetCellStr(roster.SheetInstructions, cell, "2. 从第2行起每行填写一名学生。")
		}
	}
	_ = f.SetDocProps(&excelize.DocProperties{Title: "学生花名册", Creator: "studentaid"})
	if err := f.SaveAs(filepath.Join(dir, "template.xlsx")); err != nil {
		t.Fatal(err)
	}
}
