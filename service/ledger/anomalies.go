package ledger

import (
	"bytes"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// Anomaly is a finding as the anomaly export lists it.
type Anomaly struct {
	model.Anomaly
	SchoolName string
}

var anomalyHeaders = []string{"编号", "规则", "政策条目", "严重程度", "区域代码", "学年", "学期", "学校", "摘要",
	"状态", "首次发现", "最近发现", "消除时间", "说明", "说明人"}

// AnomalyWorkbook writes findings as .xlsx; every cell is a text cell (a
// name typed as "=…" stays text).
func AnomalyWorkbook(rows []Anomaly, at time.Time) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "异常情况"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	// NumFmt 49 is "@": a cell stays text even when someone edits it later.
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	for col, w := range []float64{8, 30, 8, 8, 10, 11, 12, 24, 60, 8, 17, 17, 17, 40, 14} {
		if err := sw.SetColWidth(col+1, col+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(anomalyHeaders))
	for i, h := range anomalyHeaders {
		head[i] = excelize.Cell{StyleID: header, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(model.Shanghai()).Format("2006-01-02 15:04")
	}
	for i, r := range rows {
		rule, _ := model.AnomalyRuleByCode(r.Rule)
		policy := ""
		if rule.PolicyNo > 0 {
			policy = strconv.Itoa(rule.PolicyNo)
		}
		first, last := r.FirstSeen, r.LastSeen
		vals := []string{strconv.FormatInt(r.ID, 10), rule.Title, policy, model.SeverityLabel(r.Severity), r.RegionCode,
			r.SchoolYear, r.Term, r.SchoolName, r.Summary, model.AnomalyStatusLabel(r.Status), day(&first), day(&last),
			day(r.ResolvedAt), r.Note, r.UpdatedBy}
		cells := make([]any, len(vals))
		for j, v := range vals {
			// A string value is written as a string cell, never as a formula.
			cells[j] = excelize.Cell{StyleID: text, Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	_ = f.SetDocProps(&excelize.DocProperties{Creator: "studentaid", Title: "异常情况清单",
		Created: at.UTC().Format(time.RFC3339)})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// AnomalyDetails decodes a finding's stored details for the API.
