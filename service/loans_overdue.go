package service

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// The overdue list (逾期名单): the borrowers whose loan the bank's
// repayment file marked 逾期 or 违约, one row per borrower, for the county's
// officers to chase and its auditors to read (issue 17: nobody else).

// OverdueFilter narrows the overdue list the way a county's loan officer
// works through it: by status, by university, by the year of the unpaid
// instalment, by a name or ID number.
type OverdueFilter struct {
	Status     string // overdue or defaulted; empty: both
	University string // the university's code
	DueYear    int    // borrowers with that year's instalment unpaid
	Q          string // a name, a full ID number, or its last digits
	Page       Page
}

// LoanBorrower is who a list of the loan desk names: the borrower by the
// latest application (whose id the detail page opens), and the co-borrower
// to call.
type LoanBorrower struct {
	StudentID      int64
	ApplicationID  int64
	RegionCode     string
	Name           string
	IDMasked       string
	CoName         string
	CoRelation     string
	CoPhoneMasked  string
	University     string
	UniversityCode string
	Status         string
}

func borrowerOf(l LoanRow) LoanBorrower {
	return LoanBorrower{StudentID: l.StudentID, ApplicationID: l.ID, RegionCode: l.RegionCode, Name: l.Name, IDMasked: l.IDMasked,
		CoName: l.CoName, CoRelation: l.CoRelation, CoPhoneMasked: l.CoPhoneMasked, University: l.University,
		UniversityCode: l.UniversityCode, Status: l.Status}
}

// OverdueBorrower is one borrower of the overdue list.
type OverdueBorrower struct {
	LoanBorrower
	FirstYear    string    // the school year of the first loan
	PrincipalFen model.Fen // disbursed less prepaid
	OverdueFen   model.Fen // the unpaid part of the overdue years' instalments
	OverdueYears []int
}

// OverdueUniversity is how many borrowers of the list studied at a
// university (the per-university figures the issue asks for).
type OverdueUniversity struct {
	Code      string
	Name      string
	Borrowers int64
}

// OverdueList is a page of the list and the universities of the whole
// list (before the university filter), for the filter's choices.
type OverdueList struct {
	List[OverdueBorrower]
	Universities []OverdueUniversity
}

// unpaidStatuses are the bank's statuses of an instalment not paid.
var unpaidStatuses = []string{"overdue", "defaulted", "compensated"}

// ListOverdueLoans is a page of the overdue list in the caller's scope.
func (s *Loans) ListOverdueLoans(ctx context.Context, a model.Actor, f OverdueFilter) (OverdueList, error) {
	out := OverdueList{List: List[OverdueBorrower]{Page: f.Page.Normalize()}}
	db := s.reader(ctx)
	count, err := s.overdueQuery(db, a, f)
	if err != nil {
		return out, err
	}
	if err := count.Distinct("l.student_id").Count(&out.Total).Error; err != nil {
		return out, err
	}
	// The universities of the list before its university and year filters,
	// for the filter's choices and the per-university figures.
	all, err := s.overdueQuery(db, a, OverdueFilter{Status: f.Status, Q: f.Q})
	if err != nil {
		return out, err
	}
	if err := all.Select("l.university_code AS code, MAX(l.university) AS name, COUNT(DISTINCT l.student_id) AS borrowers").
		Group("l.university_code").Order("borrowers DESC, code").Scan(&out.Universities).Error; err != nil {
		return out, err
	}
	q, err := s.overdueQuery(db, a, f)
	if err != nil {
		return out, err
	}
	var ids []int64
	if err := out.Page.apply(q.Group("l.student_id").Order("l.student_id")).Pluck("l.student_id", &ids).Error; err != nil {
		return out, err
	}
	out.Items, err = s.overdueBorrowers(db, ids)
	return out, err
}

// ExportOverdueLoans writes the whole filtered list as .xlsx (every list of
// the desk is exportable); the download is audited, as it names people.
func (s *Loans) ExportOverdueLoans(ctx context.Context, a model.Actor, f OverdueFilter) ([]byte, error) {
	db := s.reader(ctx)
	q, err := s.overdueQuery(db, a, f)
	if err != nil {
		return nil, err
	}
	if err := checkExportSize(q.Distinct("l.student_id"), "共 %d 人，超过单次导出上限 %d 人：请按状态、高校或逾期年度筛选后导出"); err != nil {
		return nil, err
	}
	var ids []int64
	if q, err = s.overdueQuery(db, a, f); err != nil {
		return nil, err
	}
	if err := q.Group("l.student_id").Order("l.student_id").Pluck("l.student_id", &ids).Error; err != nil {
		return nil, err
	}
	out := ledger.List{Title: "生源地信用助学贷款逾期名单", Sheet: "逾期名单", At: s.now(), Columns: []ledger.ListColumn{
		{Header: "序号", Width: 7, Count: true}, {Header: "借款学生", Width: 10}, {Header: "身份证号", Width: 21},
		{Header: "共同借款人", Width: 10}, {Header: "关系", Width: 8}, {Header: "联系电话", Width: 14}, {Header: "高校", Width: 22},
		{Header: "首贷学年", Width: 11}, {Header: "状态", Width: 8}, {Header: "逾期年度", Width: 14},
		{Header: "贷款本金(元)", Width: 13, Amount: true}, {Header: "逾期应还(元)", Width: 13, Amount: true}}}
	var total, owed model.Fen
	for start := 0; start < len(ids); start += loanChunk {
		rows, err := s.overdueBorrowers(db, ids[start:min(start+loanChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out.Rows = append(out.Rows, []any{len(out.Rows) + 1, r.Name, r.IDMasked, r.CoName, r.CoRelation, r.CoPhoneMasked,
				r.University, r.FirstYear, model.LoanStatusLabel(r.Status), yearsText(r.OverdueYears), r.PrincipalFen, r.OverdueFen})
			total += r.PrincipalFen
			owed += r.OverdueFen
		}
	}
	out.Total = []any{"合计", "", "", "", "", "", "", "", "", "", total, owed}
	b, err := ledger.WriteList(out)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "loan_overdue", "", nil, map[string]any{"rows": len(ids), "status": f.Status,
		"university_code": f.University, "due_year": f.DueYear, "searched": f.Q != ""})
	return b, nil
}

// overdueQuery is the applications of the overdue and defaulted borrowers
// the filter selects in the caller's scope; a fresh query each call, as
// gorm's chained queries are not reusable.
func (s *Loans) overdueQuery(db *gorm.DB, a model.Actor, f OverdueFilter) (*gorm.DB, error) {
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		return nil, forbidden("逾期和违约名单仅限县级资助中心和审计查看")
	}
	statuses := []string{model.LoanOverdue, model.LoanDefaulted}
	switch f.Status {
	case "":
	case model.LoanOverdue, model.LoanDefaulted:
		statuses = []string{f.Status}
	default:
		return nil, invalid("状态须为 overdue（逾期）或 defaulted（违约）")
	}
	search, err := checkLoanSearch(f.University, f.Q)
	if err != nil {
		return nil, err
	}
	if f.DueYear != 0 && (f.DueYear < 2000 || f.DueYear > 2100) {
		return nil, invalid("逾期年度须为四位年份（如 2025）")
	}
	q := inScopeRegions(db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id"), a, "l.region_code").
		Where("l.status IN ?", statuses)
	if search != "" {
		q = s.searchStudents(q, "st", search)
	}
	if f.University != "" {
		q = q.Where("l.university_code = ?", f.University)
	}
	if f.DueYear != 0 {
		q = q.Where("l.student_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("loan_repayments").
			Select("student_id").Where("due_year = ? AND status IN ?", f.DueYear, unpaidStatuses))
	}
	return q, nil
}

// overdueBorrowers builds the rows of the borrowers ids, in that order:
// their applications give the person and the plan, the bank's statuses the
// overdue years and what of their instalments is unpaid.
func (s *Loans) overdueBorrowers(db *gorm.DB, ids []int64) ([]OverdueBorrower, error) {
	if len(ids) == 0 {
		return []OverdueBorrower{}, nil
	}
	var rows []LoanRow
	if err := db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id").Select("l.*, st.id_masked").
		Where("l.student_id IN ? AND l.status <> ?", ids, model.LoanReturned).Order("l.student_id, l.school_year").Scan(&rows).Error; err != nil {
		return nil, err
	}
	var reps []model.LoanRepayment
	if err := db.Where("student_id IN ? AND status IN ?", ids, unpaidStatuses).Order("due_year").Find(&reps).Error; err != nil {
		return nil, err
	}
	calc, err := s.loanCalculator(db, db.Table("loan_applications").Select("id").Where("student_id IN ?", ids))
	if err != nil {
		return nil, err
	}
	apps := map[int64][]model.LoanApplication{}
	latest := map[int64]LoanRow{}
	for _, r := range rows {
		apps[r.StudentID] = append(apps[r.StudentID], r.LoanApplication)
		latest[r.StudentID] = r
	}
	unpaid := map[int64][]model.LoanRepayment{}
	for _, rp := range reps {
		unpaid[rp.StudentID] = append(unpaid[rp.StudentID], rp)
	}
	out := make([]OverdueBorrower, 0, len(ids))
	for _, id := range ids {
		l, mine := latest[id], apps[id]
		if len(mine) == 0 {
			continue
		}
		b := OverdueBorrower{LoanBorrower: borrowerOf(l), FirstYear: mine[0].SchoolYear}
		p := calc.plan(mine)
		b.PrincipalFen = p.net
		for _, rp := range unpaid[id] {
			b.OverdueYears = append(b.OverdueYears, rp.DueYear)
			for _, it := range p.instalments {
				if it.DueOn.Year() == rp.DueYear {
					b.OverdueFen += max(it.Principal+it.Interest-rp.PaidFen, 0)
				}
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// yearsText writes the overdue years as officers list them: 2024、2025.
func yearsText(ys []int) string {
	parts := make([]string, len(ys))
	for i, y := range ys {
		parts[i] = strconv.Itoa(y)
	}
	return strings.Join(parts, "、")
}
