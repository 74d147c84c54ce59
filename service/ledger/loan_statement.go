package ledger

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
)

// LoanStatement is a county's yearly 生源地信用助学贷款 statement: what the
// state pays in interest subsidy (财政贴息) and what the county owes to the
// risk-compensation fund (风险补偿金), with the overdue and default figures.
type LoanStatement struct {
	RegionCode, RegionName string
	Year                   int
	GeneratedAt            time.Time
	NewLoans               int
	NewFen                 model.Fen
	SubsidyLoans           int
	SubsidyFen             model.Fen
	RiskFundBP             int
	RiskFundFen            model.Fen
	Overdue, Defaulted     int
	OverdueFen             model.Fen // principal outstanding of overdue borrowers
	DefaultedFen           model.Fen
	Universities           []LoanUniversityTotal
}

// LoanUniversityTotal is one university's line of the statement.
type LoanUniversityTotal struct {
	Code, Name         string
	NewLoans           int
	NewFen, SubsidyFen model.Fen
	Overdue, Defaulted int
}

// Title is the statement's heading.
func (s LoanStatement) Title() string {
	return fmt.Sprintf("%s%d年生源地信用助学贷款财政贴息及风险补偿金统计表", s.RegionName, s.Year)
}

// WriteLoanStatement writes the statement; the same statement gives the same
// bytes, and the service stores them with their SHA-256 (frozen).
func WriteLoanStatement(w io.Writer, s LoanStatement) error {
	const sh = "汇总"
	f, st, err := newSheetFile(sh)
	if err != nil {
		return err
	}
	defer f.Close()
	cw := cellWriter{f: f, sheet: sh}
	cw.set("A1", st.title, s.Title())
	cw.merge("A1", "D1")
	cw.rowHeight(1, 48)
	cw.set("A2", st.label, "县区")
	cw.set("B2", st.plain, s.RegionName+"（"+s.RegionCode+"）")
	cw.set("A3", st.label, "生成时间")
	cw.set("B3", st.plain, s.GeneratedAt.In(model.Shanghai()).Format("2006-01-02 15:04"))
	for i, h := range [...]string{"项目", "人数", "金额(元)", "说明"} {
		cw.set(cellName(i+1, 5), st.header, h)
	}
	ratio := fmt.Sprintf("当年新增贷款 × %d.%02d%%", s.RiskFundBP/100, s.RiskFundBP%100)
	lines := []struct {
		label string
		count int
		fen   model.Fen
		note  string
	}{
		{"当年新增贷款", s.NewLoans, s.NewFen, "放款日期在当年"},
		{"财政贴息", s.SubsidyLoans, s.SubsidyFen, "在校期间利息：本金×年利率×天数/360"},
		{"风险补偿金", s.NewLoans, s.RiskFundFen, ratio},
		{"逾期", s.Overdue, s.OverdueFen, "未还本金"},
		{"违约（含代偿）", s.Defaulted, s.DefaultedFen, "未还本金"},
	}
	for i, l := range lines {
		r := strconv.Itoa(6 + i)
		cw.set("A"+r, st.text, l.label)
		cw.set("B"+r, st.integer, l.count)
		cw.amount("C"+r, st.amount, l.fen)
		cw.set("D"+r, st.text, l.note)
	}
	row := 6 + len(lines) + 1
	for _, text := range []string{
		"财政贴息（大写）：" + s.SubsidyFen.Capital(),
		"风险补偿金（大写）：" + s.RiskFundFen.Capital(),
		"应付合计（大写）：" + (s.SubsidyFen + s.RiskFundFen).Capital(),
	} {
		r := strconv.Itoa(row)
		cw.set("A"+r, st.plain, text)
		cw.merge("A"+r, "D"+r)
		cw.rowHeight(row, 24)
		row++
	}
	const blank = "________________"
	row++
	for _, pair := range [...][2]string{{"制表人：", "审核人："}, {"财政部门负责人：", "日期："}} {
		r := strconv.Itoa(row)
		cw.set("A"+r, st.plain, pair[0]+blank)
		cw.merge("A"+r, "B"+r)
		cw.set("C"+r, st.plain, pair[1]+blank)
		cw.merge("C"+r, "D"+r)
		row++
	}
	cw.colWidth("A", 18)
	cw.colWidth("B", 10)
	cw.colWidth("C", widthFor(max(amountWidth(s.NewFen), amountWidth(s.SubsidyFen+s.RiskFundFen)))+2)
	cw.colWidth("D", 40)
	if cw.err != nil {
		return cw.err
	}
	if err := writeUniversitySheet(f, st, s); err != nil {
		return err
	}
	return writeDeterministic(f, w, s.GeneratedAt, s.Title(), "生源地信用助学贷款统计")
}

func writeUniversitySheet(f *excelize.File, st styles, s LoanStatement) error {
	const sh = "按高校"
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	cw := cellWriter{f: f, sheet: sh}
	for i, h := range [...]string{"序号", "高校代码", "高校名称", "新增人数", "新增金额(元)", "财政贴息(元)", "逾期人数", "违约人数"} {
		cw.set(cellName(i+1, 1), st.header, h)
	}
	nameW := displayWidth("高校名称")
	for i, u := range s.Universities {
		r := strconv.Itoa(i + 2)
		cw.set("A"+r, st.integer, i+1)
		cw.set("B"+r, st.text, u.Code)
		cw.set("C"+r, st.text, u.Name)
		cw.set("D"+r, st.integer, u.NewLoans)
		cw.amount("E"+r, st.amount, u.NewFen)
		cw.amount("F"+r, st.amount, u.SubsidyFen)
		cw.set("G"+r, st.integer, u.Overdue)
		cw.set("H"+r, st.integer, u.Defaulted)
		nameW = max(nameW, displayWidth(u.Name))
	}
	cw.colWidths(8, 10, widthFor(nameW), 10, 16, 16, 10, 10)
	if cw.err != nil {
		return cw.err
	}
	return f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}
