package ledger

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// Notice is a school's public list of recipients (公示). By the Ministry of
// Education's 2017 notice it carries no ID number, bank account, phone,
// address or birth date, not even masked: the type has no field for them.
type Notice struct {
	SchoolName  string
	ProgramName string
	Term        model.Term
	Start, End  time.Time // the notice period
	WorkingDays int
	Rows        []NoticeRow
}

// NoticeRow is one recipient as the public may see them.
type NoticeRow struct {
	Name, Grade, Class, Tier string
	Amount                   model.Fen
}

var noticeHeaders = []string{"序号", "姓名", "学校", "年级", "班级", "资助项目", "档次", "金额(元)"}

// WriteNotice writes the 公示 sheet ready to print and post.
func WriteNotice(w io.Writer, n Notice) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "公示名单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	note, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}

	_ = f.MergeCell(sheet, "A1", "H1")
	_ = f.SetCellStr(sheet, "A1", fmt.Sprintf("%s%s%s受助学生名单公示", n.SchoolName, n.Term.Label(), n.ProgramName))
	_ = f.SetCellStyle(sheet, "A1", "H1", st.title)
	_ = f.SetRowHeight(sheet, 1, 28)
	for i, h := range noticeHeaders {
		c, _ := excelize.CoordinatesToCellName(i+1, 2)
		_ = f.SetCellStr(sheet, c, h)
	}
	_ = f.SetCellStyle(sheet, "A2", "H2", st.header)
	var total model.Fen
	for i, r := range n.Rows {
		row := i + 3
		// String cells: a name or class typed as "=…" stays text, never a formula.
		vals := []string{"", r.Name, n.SchoolName, r.Grade, r.Class, n.ProgramName, r.Tier}
		_ = f.SetCellInt(sheet, fmt.Sprintf("A%d", row), int64(i+1))
		for col := 2; col <= 7; col++ {
			c, _ := excelize.CoordinatesToCellName(col, row)
			_ = f.SetCellStr(sheet, c, vals[col-1])
		}
		_ = f.SetCellFloat(sheet, fmt.Sprintf("H%d", row), float64(r.Amount)/100, 2, 64)
		_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("G%d", row), st.text)
		_ = f.SetCellStyle(sheet, fmt.Sprintf("H%d", row), fmt.Sprintf("H%d", row), st.amount)
		total += r.Amount
	}
	end := len(n.Rows) + 3
	_ = f.SetCellStr(sheet, fmt.Sprintf("A%d", end), fmt.Sprintf("合计：%d 人，%s 元", len(n.Rows), total.Yuan()))
	_ = f.MergeCell(sheet, fmt.Sprintf("A%d", end), fmt.Sprintf("H%d", end))
	loc := model.Shanghai()
	text := fmt.Sprintf("公示期：%s 至 %s（%d 个工作日，节假日不计）。如对名单有异议，请在公示期内向学校学生资助工作领导小组或县（区）学生资助管理中心实名反映。",
		n.Start.In(loc).Format("2006年1月2日"), n.End.Add(-time.Second).In(loc).Format("2006年1月2日"), n.WorkingDays)
	_ = f.SetCellStr(sheet, fmt.Sprintf("A%d", end+1), text)
	_ = f.MergeCell(sheet, fmt.Sprintf("A%d", end+1), fmt.Sprintf("H%d", end+1))
	_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", end+1), fmt.Sprintf("H%d", end+1), note)
	_ = f.SetRowHeight(sheet, end+1, 48)
	for col, width := range map[string]float64{"A": 7, "B": 12, "C": 28, "D": 12, "E": 10, "F": 36, "G": 10, "H": 12} {
		_ = f.SetColWidth(sheet, col, col, width)
	}
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"})
	landscape := "landscape"
	_ = f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape})
	return writeDeterministic(f, w, n.Start, "受助学生名单公示", n.ProgramName)
}
