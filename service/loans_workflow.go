package service

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"studentaid/model"
)

// ContractInput is what an officer records when the contract is signed.
type ContractInput struct {
	ContractNo    string
	SignedOn      time.Time
	TotalFen      *model.Fen // default: the amount granted
	RepaymentPlan string     // default: the first contract's, else 等额本金
}

// transition moves one application of the officer's county from one of the
// statuses in from to to, with change applied, its event and audit entry.
func (s *Loans) transition(ctx context.Context, a model.Actor, id int64, from []string, to, note string,
	change func(tx *gorm.DB, app *model.LoanApplication) error) (model.LoanApplication, error) {
	var app model.LoanApplication
	if !a.Is(model.RoleCountyOfficer) {
		return app, errRoleForbidden
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Locked: two steps on one loan at once (two prepayments adding to
		// prepaid_fen, a graduation and an extension) take turns.
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&app, id).Error; err != nil {
			return translate(err, "贷款申请")
		}
		if app.RegionCode != a.RegionCode {
			return forbidden("只能办理本县（区）的贷款")
		}
		if !slices.Contains(from, app.Status) {
			return newErr(CodeConflict, "wrong_status", "该申请当前状态为“%s”，不能%s", model.LoanStatusLabel(app.Status), model.LoanStatusLabel(to))
		}
		if change != nil {
			if err := change(tx, &app); err != nil {
				return err
			}
		}
		return s.moveLoan(tx, a, &app, to, note, nil)
	})
	return app, err
}

// ApproveLoan: received → approved, after the county has checked the family's difficulty.
func (s *Loans) ApproveLoan(ctx context.Context, a model.Actor, id int64) (model.LoanApplication, error) {
	return s.transition(ctx, a, id, []string{model.LoanReceived}, model.LoanApproved, "", nil)
}

// ReturnLoan: received or approved → returned, with the reason; the officer
// may take a corrected application for the same year again.
func (s *Loans) ReturnLoan(ctx context.Context, a model.Actor, id int64, reason string) (model.LoanApplication, error) {
	reason = strings.TrimSpace(reason)
	return s.transition(ctx, a, id, []string{model.LoanReceived, model.LoanApproved}, model.LoanReturned, reason,
		func(_ *gorm.DB, app *model.LoanApplication) error {
			if reason == "" || utf8.RuneCountInString(reason) > 200 {
				return invalid("退回须填写原因（不超过 200 字）")
			}
			app.Reason = reason
			return nil
		})
}

// RecordContract: approved → contracted. The term is 学制 (the years left)
// plus the configured years, at most the configured maximum, from the
// figures of the first contract's school year; a 续贷 keeps that term.
func (s *Loans) RecordContract(ctx context.Context, a model.Actor, id int64, in ContractInput) (model.LoanApplication, error) {
	in.ContractNo = strings.TrimSpace(in.ContractNo)
	return s.transition(ctx, a, id, []string{model.LoanApproved}, model.LoanContracted, in.ContractNo,
		func(tx *gorm.DB, app *model.LoanApplication) error {
			if in.ContractNo == "" || len(in.ContractNo) > 40 || in.SignedOn.IsZero() {
				return invalid("须填写合同编号（不超过 40 个字符）和签订日期 signed_on")
			}
			total := app.GrantedFen
			if in.TotalFen != nil {
				total = *in.TotalFen
			}
			if total <= 0 || total > app.GrantedFen {
				return ruleErr("contract_total", "合同金额须为正数且不超过核定金额 %s 元", app.GrantedFen.Yuan())
			}
			term, plan, err := s.contractTerm(tx, app)
			if err != nil {
				return err
			}
			switch {
			case in.RepaymentPlan == "" || in.RepaymentPlan == plan:
			case model.LoanPlanLabel(in.RepaymentPlan) == "":
				return invalid("还款方式（repayment_plan）须为 equal_principal（等额本金）或 equal_instalments（等额本息）")
			case plan != "":
				return ruleErr("repayment_plan_differs", "还款方式须与该学生首份合同一致（%s）", model.LoanPlanLabel(plan))
			default:
				plan = in.RepaymentPlan
			}
			signed := model.Civil(in.SignedOn.In(model.Shanghai()).Date())
			app.ContractNo, app.SignedOn, app.ContractFen, app.TermYears = &in.ContractNo, &signed, total, term
			app.RepaymentPlan = firstNonEmpty(plan, model.LoanEqualPrincipal)
			return nil
		})
}

// contractTerm is the term and repayment plan of the person's first
// contract, which later contracts follow; for a first contract, the term
// the figures give and no plan yet.
func (s *Loans) contractTerm(tx *gorm.DB, app *model.LoanApplication) (int, string, error) {
	var first model.LoanApplication
	res := tx.Where("student_id = ? AND term_years > 0 AND id <> ?", app.StudentID, app.ID).Order("school_year").Limit(1).Find(&first)
	if res.Error != nil || res.RowsAffected > 0 {
		return first.TermYears, first.RepaymentPlan, res.Error
	}
	figs, err := figuresOn(tx, schoolYearStart(app.SchoolYear))
	if err != nil {
		return 0, "", err
	}
	start, _ := strconv.Atoi(app.SchoolYear[:4])
	return model.LoanTerm(app.EntryYear+app.Years-start, figs.TermExtraYears, figs.MaxTermYears), "", nil
}

// ConfirmReceipt: contracted → receipt_confirmed, the university's 回执.
func (s *Loans) ConfirmReceipt(ctx context.Context, a model.Actor, id int64, on time.Time) (model.LoanApplication, error) {
	day := model.Civil(on.In(model.Shanghai()).Date())
	return s.transition(ctx, a, id, []string{model.LoanContracted}, model.LoanReceiptConfirmed, "",
		func(_ *gorm.DB, app *model.LoanApplication) error {
			if on.IsZero() {
				return invalid("须填写回执确认日期 confirmed_on")
			}
			app.ReceiptOn = &day
			return nil
		})
}

// ConfirmGraduation: disbursed → graduated; repayment follows the plan. A
// day (zero: the course ended as planned) before the course's end records
// an early graduation or a leaving: the subsidy stops and the plan starts
// from the 1 September after it. A later day changes nothing: the state
// pays to the course's end only.
func (s *Loans) ConfirmGraduation(ctx context.Context, a model.Actor, id int64, on time.Time) (model.LoanApplication, error) {
	note := ""
	if !on.IsZero() {
		note = "毕业（离校）日期 " + on.Format("2006-01-02")
	}
	return s.transition(ctx, a, id, []string{model.LoanDisbursed}, model.LoanGraduated, note,
		func(_ *gorm.DB, app *model.LoanApplication) error {
			if on.IsZero() {
				return nil
			}
			if app.DisbursedOn != nil && on.Before(*app.DisbursedOn) ||
				on.After(model.Civil(s.now().In(model.Shanghai()).Date())) {
				return invalid("毕业（离校）日期（graduated_on）须不早于放款日期，且不晚于今天")
			}
			if model.StudyEndOf(app.EntryYear, app.Years, &on).Before(model.StudyEnd(app.EntryYear, app.Years)) {
				app.GraduatedOn = &on
			}
			return nil
		})
}

// RecordExtension records a 展期 the bank agreed: the term grows, the plan
// spreads the principal over the new years. The status stays.
func (s *Loans) RecordExtension(ctx context.Context, a model.Actor, id int64, years int, reason string) (model.LoanApplication, error) {
	return s.postDisbursement(ctx, a, id, "展期"+strconv.Itoa(years)+"年："+strings.TrimSpace(reason),
		func(_ *gorm.DB, app *model.LoanApplication) error {
			if years < 1 || years > 10 || strings.TrimSpace(reason) == "" {
				return invalid("展期须为 1–10 年，并填写原因")
			}
			app.ExtendedYears += years
			return nil
		})
}

// RecordPrepayment records a 提前还款 of part or all of the principal.
func (s *Loans) RecordPrepayment(ctx context.Context, a model.Actor, id int64, amount model.Fen, on time.Time) (model.LoanApplication, error) {
	note := "提前还款 " + amount.Yuan() + " 元（" + on.In(model.Shanghai()).Format("2006-01-02") + "）"
	return s.postDisbursement(ctx, a, id, note, func(tx *gorm.DB, app *model.LoanApplication) error {
		if amount <= 0 || on.IsZero() {
			return invalid("提前还款须填写正数金额 amount_fen 和日期 paid_on")
		}
		if app.DisbursedOn != nil && on.Before(*app.DisbursedOn) ||
			on.After(model.Civil(s.now().In(model.Shanghai()).Date())) {
			return invalid("提前还款日期（paid_on）须不早于放款日期，且不晚于今天")
		}
		if app.PrepaidFen+amount > app.DisbursedFen {
			return ruleErr("prepayment_too_large", "提前还款累计不能超过该笔放款金额 %s 元", app.DisbursedFen.Yuan())
		}
		app.PrepaidFen += amount
		return tx.Create(&model.LoanPrepayment{ApplicationID: app.ID, PaidOn: on, AmountFen: amount,
			CreatedBy: actorName(a), CreatedAt: s.now()}).Error
	})
}

// postDisbursement changes a disbursed loan without moving its status.
func (s *Loans) postDisbursement(ctx context.Context, a model.Actor, id int64, note string, change func(*gorm.DB, *model.LoanApplication) error) (model.LoanApplication, error) {
	active := []string{model.LoanDisbursed, model.LoanGraduated, model.LoanRepaying, model.LoanOverdue}
	var status string
	err := s.db.WithContext(ctx).Model(&model.LoanApplication{}).Select("status").Where("id = ?", id).Scan(&status).Error
	if err != nil {
		return model.LoanApplication{}, err
	}
	if !slices.Contains(active, status) {
		active = nil // transition reports not-found or the wrong status
	}
	return s.transition(ctx, a, id, active, status, note, change)
}
