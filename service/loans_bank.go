package service

import (
	"context"
	"io"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// ApplyLoanBankFile records the lending bank's disbursement or repayment
// status sheet. A row that does not fit (unknown contract, no receipt yet,
// another amount) is a row error and the file changes nothing; a replayed
// file finds every row already recorded and changes nothing either.
func (s *Loans) ApplyLoanBankFile(ctx context.Context, a model.Actor, file io.ReaderAt, size int64) (LoanFileReport, error) {
	var rep LoanFileReport
	if !a.Is(model.RoleCountyOfficer) {
		return rep, errRoleForbidden
	}
	kind, rows, bad, err := ledger.ReadLoanBankFile(file, size, s.opt.RosterMaxBytes)
	if err != nil {
		return rep, loanFileErr(err)
	}
	rep.Kind, rep.Rows, rep.Errors = kind, len(rows)+countRows(bad), bad
	err = s.tx(ctx, func(tx *gorm.DB) error {
		rep.Errors, rep.Created, rep.Unchanged = append([]ledger.RowError(nil), bad...), 0, 0 // a retry starts again
		for _, r := range rows {
			var changed bool
			var err error
			if kind == ledger.LoanDisbursementFile {
				changed, err = s.disburse(tx, a, r)
			} else {
				changed, err = s.repaymentStatus(tx, a, r)
			}
			if re, ok := rowErr(r.Row, err); ok {
				re.Column = "合同编号"
				rep.Errors = append(rep.Errors, re)
				continue
			}
			if err != nil {
				return err
			}
			if changed {
				rep.Created++
			} else {
				rep.Unchanged++
			}
		}
		return rejectAnyRow(&rep)
	})
	return rep, err
}

// disburse: receipt_confirmed → disbursed with the bank's date and amount;
// the same disbursement again is unchanged.
func (s *Loans) disburse(tx *gorm.DB, a model.Actor, r ledger.LoanBankRow) (bool, error) {
	app, err := s.contractApp(tx, a, r.ContractNo, r.SchoolYear, model.LoanReceiptConfirmed, model.LoanDisbursed)
	if err != nil {
		return false, err
	}
	if app.Status == model.LoanDisbursed {
		if app.DisbursedOn != nil && app.DisbursedOn.Equal(r.On) && app.DisbursedFen == r.AmountFen {
			return false, nil
		}
		return false, ruleErr("already_disbursed", "合同 %s（%s学年）已于 %s 放款 %s 元，与本行不一致", r.ContractNo, app.SchoolYear,
			app.DisbursedOn.Format("2006-01-02"), app.DisbursedFen.Yuan())
	}
	if r.AmountFen != app.ContractFen {
		return false, ruleErr("amount_mismatch", "放款金额 %s 元与合同金额 %s 元不一致", r.AmountFen.Yuan(), app.ContractFen.Yuan())
	}
	on := r.On
	return true, s.moveLoan(tx, a, &app, model.LoanDisbursed, "银行放款文件", func(l *model.LoanApplication) {
		l.DisbursedOn, l.DisbursedFen = &on, r.AmountFen
	})
}

// afterDisbursement are the statuses a repayment file may move between.
var afterDisbursement = []string{model.LoanDisbursed, model.LoanGraduated, model.LoanRepaying, model.LoanOverdue,
	model.LoanDefaulted, model.LoanSettled}

// repaymentStatus records the bank's status of one year's instalment and
// sets the person's loan to what all the years together say: 违约 or 代偿
// anywhere is defaulted, else an overdue year is overdue, else 结清 is
// settled, else repaying.
func (s *Loans) repaymentStatus(tx *gorm.DB, a model.Actor, r ledger.LoanBankRow) (bool, error) {
	app, err := s.contractApp(tx, a, r.ContractNo, "", afterDisbursement...)
	if err != nil {
		return false, err
	}
	figs, err := figuresOn(tx, schoolYearStart(app.SchoolYear))
	if err != nil {
		return false, err
	}
	due := model.Civil(r.DueYear, time.Month(figs.RepaymentMonth), figs.RepaymentDay)
	today := model.Civil(s.now().In(model.Shanghai()).Date())
	if r.Status == "overdue" && !today.After(due) {
		return false, ruleErr("not_due", "%d 年的还款日（%s）未到，不能记为逾期", r.DueYear, due.Format("2006-01-02"))
	}
	var rp model.LoanRepayment
	found := tx.Where("student_id = ? AND due_year = ?", app.StudentID, r.DueYear).Limit(1).Find(&rp)
	if found.Error != nil {
		return false, found.Error
	}
	if found.RowsAffected > 0 && rp.Status == r.Status && rp.PaidFen == r.AmountFen {
		return false, nil
	}
	rp = model.LoanRepayment{ID: rp.ID, StudentID: app.StudentID, RegionCode: app.RegionCode, DueYear: r.DueYear,
		Status: r.Status, PaidFen: r.AmountFen, UpdatedAt: s.now()}
	if err := tx.Save(&rp).Error; err != nil {
		return false, err
	}
	var statuses []string
	if err := tx.Model(&model.LoanRepayment{}).Where("student_id = ?", app.StudentID).Pluck("status", &statuses).Error; err != nil {
		return false, err
	}
	to := loanStatusFrom(statuses)
	var apps []model.LoanApplication
	if err := tx.Where("student_id = ? AND status IN ?", app.StudentID, afterDisbursement).Find(&apps).Error; err != nil {
		return false, err
	}
	for i := range apps {
		if apps[i].Status != to {
			if err := s.moveLoan(tx, a, &apps[i], to, "银行还款状态文件", nil); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func loanStatusFrom(statuses []string) string {
	has := map[string]bool{}
	for _, st := range statuses {
		has[st] = true
	}
	switch {
	case has["defaulted"] || has["compensated"]:
		return model.LoanDefaulted
	case has["overdue"]:
		return model.LoanOverdue
	case has["settled"]:
		return model.LoanSettled
	}
	return model.LoanRepaying
}
