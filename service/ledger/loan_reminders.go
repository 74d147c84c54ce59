package ledger

import (
	"strconv"
	"time"

	"studentaid/model"
)

// ReminderRow is one borrower of the 还款提醒 list with the instalment due,
// personal numbers already masked.
type ReminderRow struct {
	Name, IDMasked, CoName, CoRelation, CoPhoneMasked string
	University, Status, DueOn                         string
	PrincipalFen, InterestFen                         model.Fen
	InterestOnly                                      bool
}

// WriteLoanReminders writes the year's reminder list as the officers call
// through it: who, whom else to call, when and how much, with a 合计 row.
func WriteLoanReminders(year int, at time.Time, rows []ReminderRow) ([]byte, error) {
	l := List{Title: strconv.Itoa(year) + " 年生源地信用助学贷款还款提醒名单", Sheet: "还款提醒", At: at, Columns: []ListColumn{
		{Header: "序号", Width: 7, Count: true}, {Header: "借款学生", Width: 10}, {Header: "身份证号", Width: 21},
		{Header: "共同借款人", Width: 10}, {Header: "关系", Width: 8}, {Header: "联系电话", Width: 14}, {Header: "高校", Width: 22},
		{Header: "状态", Width: 8}, {Header: "应还日期", Width: 12}, {Header: "应还本金(元)", Width: 13, Amount: true},
		{Header: "应还利息(元)", Width: 13, Amount: true}, {Header: "应还合计(元)", Width: 13, Amount: true}, {Header: "说明", Width: 18}}}
	var principal, interest model.Fen
	for i, r := range rows {
		note := ""
		if r.InterestOnly {
			note = "宽限期，只还利息"
		}
		l.Rows = append(l.Rows, []any{i + 1, r.Name, r.IDMasked, r.CoName, r.CoRelation, r.CoPhoneMasked, r.University, r.Status,
			r.DueOn, r.PrincipalFen, r.InterestFen, r.PrincipalFen + r.InterestFen, note})
		principal += r.PrincipalFen
		interest += r.InterestFen
	}
	l.Total = []any{"合计", "", "", "", "", "", "", "", "", principal, interest, principal + interest, ""}
	return WriteList(l)
}
