package service

import (
	"context"
	"fmt"

	"studentaid/model"
)

// LoanReminder is one borrower with an instalment due in the year (还款提醒).
type LoanReminder struct {
	StudentID     int64
	ApplicationID int64
	RegionCode    string
	Name          string
	IDMasked      string
	CoName        string
	CoPhoneMasked string
	Status        string
	Instalment    model.Instalment
}

// repayingStatuses are the loans whose borrowers owe instalments.
var repayingStatuses = []string{model.LoanDisbursed, model.LoanGraduated, model.LoanRepaying, model.LoanOverdue}

// LoanReminders lists everyone in the caller's scope with an instalment due
// in the year, from each loan's repayment plan; the overdue among them are
// marked by their status. County officers and auditors only.
func (s *Loans) LoanReminders(ctx context.Context, a model.Actor, year int) ([]LoanReminder, error) {
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		return nil, errRoleForbidden
	}
	if year == 0 {
		year = s.now().In(model.Shanghai()).Year()
	}
	return s.reminders(ctx, a, year)
}

func (s *Loans) reminders(ctx context.Context, a model.Actor, year int) ([]LoanReminder, error) {
	db := s.reader(ctx)
	calc, err := s.loanCalculator(db)
	if err != nil {
		return nil, err
	}
	var rows []LoanRow
	q := db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id").
		Select("l.*, st.id_masked").Where("l.disbursed_on IS NOT NULL AND l.student_id IN (?)",
		db.Table("loan_applications").Select("student_id").Where("status IN ?", repayingStatuses))
	if err := inScopeRegions(q, a, "l.region_code").Order("l.region_code, l.student_id, l.school_year").Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []LoanReminder
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
				out = append(out, LoanReminder{StudentID: last.StudentID, ApplicationID: last.ID, RegionCode: last.RegionCode,
					Name: last.Name, IDMasked: last.IDMasked, CoName: last.CoName, CoPhoneMasked: last.CoPhoneMasked,
					Status: last.Status, Instalment: it})
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
	list, err := s.reminders(ctx, a, year)
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
