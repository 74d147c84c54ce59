package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// LoanReminder is one borrower with an instalment due in the year (还款提醒).
type LoanReminder struct {
	LoanBorrower
	Instalment model.Instalment
}

// ReminderFilter narrows the reminder list as a loan officer calling
// borrowers works through it: the year of the instalment, the borrower's
// university (of the latest application) and a name or ID number.
type ReminderFilter struct {
	Year       int    // 0: this year
	University string // the university's code
	Q          string // a name, a full ID number, or its last digits
	Page       Page
}

// ReminderList is a page of the list and the universities of the year's
// whole list (before the university filter), for the filter's choices.
type ReminderList struct {
	List[LoanReminder]
	Year         int
	Universities []OverdueUniversity
}

// repayingStatuses are the loans whose borrowers owe instalments.
var repayingStatuses = []string{model.LoanDisbursed, model.LoanGraduated, model.LoanRepaying, model.LoanOverdue}

// LoanReminders is a page of the borrowers in the caller's scope with an
// instalment due in the year, from each loan's repayment plan; the overdue
// among them are marked by their status. County officers and auditors only.
func (s *Loans) LoanReminders(ctx context.Context, a model.Actor, f ReminderFilter) (ReminderList, error) {
	out := ReminderList{List: List[LoanReminder]{Page: f.Page.Normalize()}}
	all, err := s.filteredReminders(ctx, a, &f)
	out.Year = f.Year
	if err != nil {
		return out, err
	}
	byCode := map[string]int{}
	for _, r := range all {
		if _, seen := byCode[r.UniversityCode]; !seen {
			byCode[r.UniversityCode] = len(out.Universities)
			out.Universities = append(out.Universities, OverdueUniversity{Code: r.UniversityCode, Name: r.University})
		}
		out.Universities[byCode[r.UniversityCode]].Borrowers++
	}
	// As the overdue list orders them: most borrowers first.
	slices.SortFunc(out.Universities, func(x, y OverdueUniversity) int {
		return cmp.Or(cmp.Compare(y.Borrowers, x.Borrowers), strings.Compare(x.Code, y.Code))
	})
	list := universityOnly(all, f.University)
	out.Total = int64(len(list))
	from := min((out.Page.Page-1)*out.Page.PageSize, len(list))
	out.Items = list[from:min(from+out.Page.PageSize, len(list))]
	return out, nil
}

// ExportLoanReminders writes the whole filtered list as .xlsx; the download
// is audited, as it names people and their co-borrowers' phones.
func (s *Loans) ExportLoanReminders(ctx context.Context, a model.Actor, f ReminderFilter) ([]byte, error) {
	all, err := s.filteredReminders(ctx, a, &f)
	if err != nil {
		return nil, err
	}
	list := universityOnly(all, f.University)
	if len(list) > maxExportRows {
		return nil, ruleErr("too_many_rows", "共 %d 人，超过单次导出上限 %d 人：请按高校或姓名筛选后导出", len(list), maxExportRows)
	}
	rows := make([]ledger.ReminderRow, len(list))
	for i, r := range list {
		rows[i] = ledger.ReminderRow{Name: r.Name, IDMasked: r.IDMasked, CoName: r.CoName, CoRelation: r.CoRelation,
			CoPhoneMasked: r.CoPhoneMasked, University: r.University, Status: model.LoanStatusLabel(r.Status),
			DueOn: r.Instalment.DueOn.Format("2006-01-02"), PrincipalFen: r.Instalment.Principal, InterestFen: r.Instalment.Interest,
			InterestOnly: r.Instalment.InterestOnly}
	}
	b, err := ledger.WriteLoanReminders(f.Year, s.now(), rows)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "loan_reminders", "", nil, map[string]any{"rows": len(rows), "year": f.Year,
		"university_code": f.University, "searched": f.Q != ""})
	return b, nil
}

// filteredReminders checks the filter, sets its year when absent, and
// lists the year's reminders of the borrowers the search selects.
func (s *Loans) filteredReminders(ctx context.Context, a model.Actor, f *ReminderFilter) ([]LoanReminder, error) {
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		return nil, errRoleForbidden
	}
	if f.Year == 0 {
		f.Year = s.now().In(model.Shanghai()).Year()
	}
	if f.Year < 2000 || f.Year > 2100 {
		return nil, invalid("年份须为四位年份（如 2026）")
	}
	search, err := checkLoanSearch(f.University, f.Q)
	if err != nil {
		return nil, err
	}
	return s.reminders(ctx, a, f.Year, func(q *gorm.DB) *gorm.DB {
		if search == "" {
			return q
		}
		return s.searchStudents(q, "st", search)
	})
}

// checkLoanSearch checks a list's university code and search text, and
// returns the search trimmed.
func checkLoanSearch(university, q string) (string, error) {
	if university != "" && (len(university) != 5 || !digitsOnly(university)) {
		return "", invalid("高校代码应为 5 位数字（教育部院校代码）")
	}
	search := strings.TrimSpace(q)
	if utf8.RuneCountInString(search) > maxQueryRunes {
		return "", invalid("查询内容不能超过 %d 个字（姓名或完整的身份证件号）", maxQueryRunes)
	}
	return search, nil
}

// universityOnly keeps the reminders of borrowers at the university code.
func universityOnly(list []LoanReminder, code string) []LoanReminder {
	if code == "" {
		return list
	}
	out := []LoanReminder{}
	for _, r := range list {
		if r.UniversityCode == code {
			out = append(out, r)
		}
	}
	return out
}

// reminders lists, in region and borrower order, the instalments due in
// the year of the borrowers in scope that narrow selects.
func (s *Loans) reminders(ctx context.Context, a model.Actor, year int, narrow func(*gorm.DB) *gorm.DB) ([]LoanReminder, error) {
	db := s.reader(ctx)
	calc, err := s.loanCalculator(db, inScopeRegions(db.Table("loan_applications l").Select("l.id"), a, "l.region_code"))
	if err != nil {
		return nil, err
	}
	var rows []LoanRow
	q := db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id").
		Select("l.*, st.id_masked").Where("l.disbursed_on IS NOT NULL AND l.student_id IN (?)",
		db.Table("loan_applications").Select("student_id").Where("status IN ?", repayingStatuses))
	if err := narrow(inScopeRegions(q, a, "l.region_code")).Order("l.region_code, l.student_id, l.school_year").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := []LoanReminder{}
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].StudentID == rows[start].StudentID {
			end++
		}
		apps := make([]model.LoanApplication, 0, end-start)
		for _, r := range rows[start:end] {
			apps = append(apps, r.LoanApplication)
		}
		last := rows[end-1]
		for _, it := range calc.plan(apps).instalments {
			if it.DueOn.Year() == year {
				out = append(out, LoanReminder{LoanBorrower: borrowerOf(last), Instalment: it})
			}
		}
		start = end
	}
	return out, nil
}

// RemindRepayments is the job of the configured day (还款提醒): how many
// borrowers of each county have an instalment due this year, for the county
// officers' list.
func (s *Loans) RemindRepayments(ctx context.Context, a model.Actor) (map[string]any, error) {
	year := s.now().In(model.Shanghai()).Year()
	list, err := s.reminders(ctx, a, year, func(q *gorm.DB) *gorm.DB { return q })
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, r := range list {
		counts[r.RegionCode]++
	}
	return map[string]any{"year": year, "borrowers": counts}, nil
}

// ReminderSchedule is the cron spec of the 还款提醒 job: 08:00 on the
// configured day (configs/loans.yaml reminder).
func (s *Loans) ReminderSchedule() string {
	return fmt.Sprintf("0 8 %d %d *", s.reminder.day, s.reminder.month)
}
