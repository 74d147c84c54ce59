package ledger

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// SummaryRow is one county, school, program and status with its totals.
type SummaryRow struct {
	RegionCode, RegionName, SchoolCode, SchoolName, Program, Status string
	Count                                                           int
	Amount                                                          model.Fen
}

var summaryHeaders = []string{"区县代码", "区县", "学校标识码", "学校名称", "资助项目", "状态", "人数", "金额(元)"}

// WriteSummary writes the totals of a term as one sheet with a 合计 row.
func WriteSummary(w io.Writer, title string, at time.Time, rows []SummaryRow) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "汇总"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	_ = f.MergeCell(sheet, "A1", "H1")
	_ = f.SetCellStr(sheet, "A1", title)
	_ = f.SetCellStyle(sheet, "A1", "H1", st.title)
	_ = f.SetCellStr(sheet, "A2", "生成时间："+at.In(model.Shanghai()).Format("2006-01-02 15:04"))
	for i, h := range summaryHeaders {
		c, _ := excelize.CoordinatesToCellName(i+1, 3)
		_ = f.SetCellStr(sheet, c, h)
	}
	_ = f.SetCellStyle(sheet, "A3", "H3", st.header)
	var count int
	var total model.Fen
	for i, r := range rows {
		n := i + 4
		for col, v := range []string{r.RegionCode, r.RegionName, r.SchoolCode, r.SchoolName, r.Program, r.Status} {
			c, _ := excelize.CoordinatesToCellName(col+1, n)
			_ = f.SetCellStr(sheet, c, v)
		}
		_ = f.SetCellInt(sheet, fmt.Sprintf("G%d", n), int64(r.Count))
		_ = f.SetCellFloat(sheet, fmt.Sprintf("H%d", n), float64(r.Amount)/100, 2, 64)
		_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", n), fmt.Sprintf("F%d", n), st.text)
		_ = f.SetCellStyle(sheet, fmt.Sprintf("G%d", n), fmt.Sprintf("G%d", n), st.integer)
		_ = f.SetCellStyle(sheet, fmt.Sprintf("H%d", n), fmt.Sprintf("H%d", n), st.amount)
		count += r.Count
		total += r.Amount
	}
	end := len(rows) + 4
	_ = f.SetCellStr(sheet, fmt.Sprintf("A%d", end), "合计")
	_ = f.SetCellInt(sheet, fmt.Sprintf("G%d", end), int64(count))
	_ = f.SetCellFloat(sheet, fmt.Sprintf("H%d", end), float64(total)/100, 2, 64)
	_ = f.SetCellStyle(sheet, fmt.Sprintf("A%d", end), fmt.Sprintf("F%d", end), st.totalText)
	_ = f.SetCellStyle(sheet, fmt.Sprintf("G%d", end), fmt.Sprintf("G%d", end), st.totalInteger)
	_ = f.SetCellStyle(sheet, fmt.Sprintf("H%d", end), fmt.Sprintf("H%d", end), st.totalAmount)
	for col, width := range map[string]float64{"A": 10, "B": 10, "C": 13, "D": 28, "E": 36, "F": 14, "G": 8, "H": 16} {
		_ = f.SetColWidth(sheet, col, col, width)
	}
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	return f.Write(w)
}
