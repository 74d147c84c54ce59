package roster

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// Sheet names of the template.
const (
	SheetRoster       = "花名册"
	SheetInstructions = "填写说明"
)

// templateRows is how far down the drop-downs and text formats reach: more
// than any single school's roster.
const templateRows = 10001

// WriteTemplate writes the empty roster workbook schools download: every
// column, drop-downs for the enumerated ones, code columns already formatted
// as text (so Excel cannot turn an ID number into 4.30903E+17), one example
// row and a sheet of instructions.
func WriteTemplate(w io.Writer, schoolYear string) error {
	first, err := firstYear(schoolYear)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetRoster); err != nil {
		return err
	}
	st, err := newTemplateStyles(f)
	if err != nil {
		return err
	}
	example := exampleRow(first)
	for i, c := range columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(SheetRoster, col, col, c.Width); err != nil {
			return err
		}
		headerStyle, exampleStyle := st.header, st.example
		if c.Required {
			headerStyle = st.headerRequired
		}
		if c.Text {
			exampleStyle = st.exampleText
			if err := f.SetColStyle(SheetRoster, col, st.text); err != nil {
				return err
			}
		}
		if err := setCell(f, SheetRoster, col+"1", c.Header, headerStyle); err != nil {
			return err
		}
		if err := setCell(f, SheetRoster, col+"2", example[c.Header], exampleStyle); err != nil {
			return err
		}
		if len(c.Options) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows)
			if err := dv.SetDropList(c.Options); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, c.Header+"填写有误", "请从下拉列表中选择："+strings.Join(c.Options, "、"))
			if err := f.AddDataValidation(SheetRoster, dv); err != nil {
				return err
			}
		}
	}
	if err := f.SetRowHeight(SheetRoster, 1, 24); err != nil {
		return err
	}
	if err := f.SetPanes(SheetRoster, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	if err := writeInstructions(f, schoolYear, st); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: schoolYear + "学年学生花名册", Creator: "studentaid"}); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

func writeInstructions(f *excelize.File, schoolYear string, st templateStyles) error {
	if _, err := f.NewSheet(SheetInstructions); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 18, "B": 20, "C": 100} {
		if err := f.SetColWidth(SheetInstructions, col, col, width); err != nil {
			return err
		}
	}
	for i, h := range []string{"列名", "是否必填", "填写规则"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := setCell(f, SheetInstructions, cell, h, st.header); err != nil {
			return err
		}
	}
	line := 2
	for _, c := range columns {
		for i, v := range []string{c.Header, c.Requirement, c.Rule} {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			if err := setCell(f, SheetInstructions, cell, v, st.wrap); err != nil {
				return err
			}
		}
		line++
	}
	notes := []string{
		schoolYear + "学年学生花名册：注意事项",
		"1. 第1行是表头，请勿修改列名、合并单元格，也不要在表头上方插入标题行；列的顺序可以调整，不需要的选填列可以删除。",
		"2. 从第2行起每行填写一名学生。第2行“" + exampleName + "”是示例，上传前请删除。",
		"3. 身份证件号、银行卡号、学籍号、联系电话等列已设为“文本”格式。从其他表格复制时请用“选择性粘贴—数值”，不要把这些列改成“常规”或“数值”，否则 Excel 会把后几位变成0。",
		"4. 同一学生在一个文件中只能出现一次；重复上传同一份花名册不会产生重复记录。",
		"5. 上传后系统会逐行检查，所有错误会一次列出，并可下载标出错误单元格的工作簿，改正后重新上传。",
	}
	line++
	for i, n := range notes {
		style := st.wrap
		if i == 0 {
			style = st.bold
		}
		if err := setCell(f, SheetInstructions, fmt.Sprintf("A%d", line), n, style); err != nil {
			return err
		}
		if err := f.MergeCell(SheetInstructions, fmt.Sprintf("A%d", line), fmt.Sprintf("C%d", line)); err != nil {
			return err
		}
		// Neither Excel nor WPS grows a merged row to fit wrapped text.
		if err := f.SetRowHeight(SheetInstructions, line, 33); err != nil {
			return err
		}
		line++
	}
	return nil
}

func setCell(f *excelize.File, sheet, cell, value string, style int) error {
	if err := f.SetCellStr(sheet, cell, value); err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

type templateStyles struct {
	header, headerRequired, text, example, exampleText, wrap, bold int
}

func newTemplateStyles(f *excelize.File) (templateStyles, error) {
	var st templateStyles
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	headerFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	gray := &excelize.Font{Italic: true, Color: "808080"}
	text := 49 // "@"
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: headerFill, Border: border, Alignment: center, NumFmt: text}},
		{&st.headerRequired, excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, Fill: headerFill, Border: border, Alignment: center, NumFmt: text}},
		{&st.text, excelize.Style{NumFmt: text}},
		{&st.example, excelize.Style{Font: gray}},
		{&st.exampleText, excelize.Style{Font: gray, NumFmt: text}},
		{&st.wrap, excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&st.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return st, err
		}
		*s.id = id
	}
	return st, nil
}

// exampleRow is a fourth-grader of 赫山区 whose ID number is valid for the
// school year, so the example passes every check but its name.
func exampleRow(firstYear int) map[string]string {
	first17 := fmt.Sprintf("430903%04d0315123", firstYear-10)
	id := first17 + string(model.IDCheckDigit(first17))
	return map[string]string{
		ColSchoolCode:  "2143090301",
		ColName:        exampleName,
		ColIDType:      string(model.IDTypeResident),
		ColIDNumber:    id,
		ColStudentNo:   "G" + id,
		ColSex:         "男",
		ColGrade:       "四年级",
		ColClass:       "2班",
		ColBoarding:    "是",
		ColHousehold:   "农村",
		ColHomeRegion:  "430903",
		ColStatus:      model.StatusEnrolled,
		ColLevel:       "困难",
		ColCategories:  "农村低保、残疾",
		ColGuardian:    "示例家长",
		ColBankName:    "中国农业银行益阳分行",
		ColBankAccount: "6228480012345678901",
		ColHolder:      model.HolderGuardian,
		ColPhone:       "13807370000",
		ColRemark:      "示例行，上传前请删除",
	}
}

// firstYear reads "2025-2026" as 2025.
func firstYear(schoolYear string) (int, error) {
	a, b, ok := strings.Cut(schoolYear, "-")
	y1, err1 := strconv.Atoi(a)
	y2, err2 := strconv.Atoi(b)
	if !ok || len(a) != 4 || len(b) != 4 || err1 != nil || err2 != nil || y2 != y1+1 || y1 < 2000 {
		return 0, fmt.Errorf("学年格式应为 2025-2026，收到 %q", schoolYear)
	}
	return y1, nil
}
