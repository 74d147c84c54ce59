package service

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"studentaid/configs"
	"studentaid/model"
)

type monthDay struct {
	month time.Month
	day   int
}

func parseMonthDay(s string) (monthDay, error) {
	t, err := time.Parse("01-02", s)
	if err != nil {
		return monthDay{}, fmt.Errorf("configs/loans.yaml: %q is not MM-DD", s)
	}
	return monthDay{t.Month(), t.Day()}, nil
}

// newLoans builds the loan desk over the core with the settings of
// configs/loans.yaml. The file is embedded in the binary, so an error is a
// defect of the build, which every test that starts a service catches.
func newLoans(c *core) *Loans {
	seed, err := configs.Loans()
	if err != nil {
		panic(err)
	}
	l := &Loans{core: c}
	if l.defaultDeadline, err = parseMonthDay(seed.DefaultDeadline); err != nil {
		panic(err)
	}
	if l.reminder, err = parseMonthDay(seed.Reminder); err != nil {
		panic(err)
	}
	return l
}

// SeedLoanFigures loads configs/loans.yaml; rows already present (same
// date) stay as they are, so an admin's change is never overwritten.
func (s *Loans) SeedLoanFigures(ctx context.Context) error {
	seed, err := configs.Loans()
	if err != nil {
		return err
	}
	sys := model.SystemActor("seed")
	for _, sf := range seed.Figures {
		f, err := figuresFromSeed(sf)
		if err != nil {
			return err
		}
		if _, err := s.addFigures(ctx, sys, f); err != nil && !isConflict(err) {
			return err
		}
	}
	for _, sr := range seed.Rates {
		from, err := time.Parse("2006-01-02", sr.From)
		if err != nil {
			return fmt.Errorf("configs/loans.yaml rate %q: %w", sr.From, err)
		}
		r := model.LoanRate{EffectiveFrom: from, LprBP: sr.LprBP, SpreadBP: sr.SpreadBP, Source: sr.Source}
		if _, err := s.addRate(ctx, sys, r); err != nil && !isConflict(err) {
			return err
		}
	}
	return nil
}

func figuresFromSeed(sf configs.SeedLoanFigures) (model.LoanFigures, error) {
	from, err := time.Parse("2006-01-02", sf.From)
	if err != nil {
		return model.LoanFigures{}, fmt.Errorf("configs/loans.yaml figures %q: %w", sf.From, err)
	}
	md, err := parseMonthDay(sf.Repayment)
	if err != nil {
		return model.LoanFigures{}, err
	}
	return model.LoanFigures{EffectiveFrom: from, LimitJuniorCollegeFen: model.Fen(sf.JuniorCollegeYuan * 100),
		LimitUndergraduateFen: model.Fen(sf.UndergraduateYuan * 100), LimitGraduateFen: model.Fen(sf.GraduateYuan * 100),
		TermExtraYears: sf.TermExtraYears, MaxTermYears: sf.MaxTermYears, GraceYears: sf.GraceYears, RiskFundBP: sf.RiskFundBP,
		RepaymentMonth: int(md.month), RepaymentDay: md.day, Source: sf.Source}, nil
}

func validFigures(f model.LoanFigures) error {
	switch {
	case f.EffectiveFrom.IsZero():
		return invalid("须指定生效日期 effective_from")
	case f.LimitJuniorCollegeFen <= 0 || f.LimitUndergraduateFen <= 0 || f.LimitGraduateFen <= 0 ||
		f.LimitGraduateFen > 100_000_00 || f.LimitUndergraduateFen > 100_000_00 || f.LimitJuniorCollegeFen > 100_000_00:
		return invalid("年度贷款额度须为正数（单位：分）且不超过 10 万元")
	case f.TermExtraYears < 0 || f.MaxTermYears < 1 || f.MaxTermYears > 30:
		return invalid("贷款期限须为 学制+若干年，最长不超过 30 年")
	case f.GraceYears < 0 || f.GraceYears > 10:
		return invalid("宽限期须为 0–10 年")
	case f.RiskFundBP < 0 || f.RiskFundBP > 10000:
		return invalid("风险补偿金比例须为 0–10000 个基点（0–100%%）")
	case f.RepaymentMonth < 1 || f.RepaymentMonth > 12 || f.RepaymentDay < 1 || f.RepaymentDay > 28:
		return invalid("还款日须为 1–12 月的 1–28 日")
	}
	return nil
}

// AddLoanFigures records figures in force from a date (admin): a new row
// supersedes from its date, and loans of earlier school years keep theirs.
func (s *Loans) AddLoanFigures(ctx context.Context, a model.Actor, f model.LoanFigures) (model.LoanFigures, error) {
	if !a.Is(model.RoleAdmin) {
		return f, errRoleForbidden
	}
	return s.addFigures(ctx, a, f)
}

func (s *Loans) addFigures(ctx context.Context, a model.Actor, f model.LoanFigures) (model.LoanFigures, error) {
	if err := validFigures(f); err != nil {
		return f, err
	}
	f.ID, f.CreatedBy, f.CreatedAt = 0, actorName(a), s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&f).Error; err != nil {
			return translate(err, "同一生效日期的贷款参数")
		}
		return s.audit(tx, a, "create", "loan_figures", strconv.FormatInt(f.ID, 10), nil, f)
	})
	return f, err
}

// AddLoanRate records the rate in force from a date (admin).
func (s *Loans) AddLoanRate(ctx context.Context, a model.Actor, r model.LoanRate) (model.LoanRate, error) {
	if !a.Is(model.RoleAdmin) {
		return r, errRoleForbidden
	}
	return s.addRate(ctx, a, r)
}

func (s *Loans) addRate(ctx context.Context, a model.Actor, r model.LoanRate) (model.LoanRate, error) {
	r.RateBP = r.LprBP + r.SpreadBP
	switch {
	case r.EffectiveFrom.IsZero():
		return r, invalid("须指定生效日期 effective_from")
	case r.LprBP <= 0 || r.LprBP > 2000 || r.RateBP <= 0:
		return r, invalid("利率须为正数（基点，如 LPR 3.50%% 为 350），加点后仍须为正")
	}
	r.ID, r.CreatedBy, r.CreatedAt = 0, actorName(a), s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return translate(err, "同一生效日期的利率")
		}
		return s.audit(tx, a, "create", "loan_rate", strconv.FormatInt(r.ID, 10), nil, r)
	})
	return r, err
}

// SetLoanDeadline sets the last day applications are taken for a school
// year (admin).
func (s *Loans) SetLoanDeadline(ctx context.Context, a model.Actor, year string, day time.Time) (model.LoanDeadline, error) {
	d := model.LoanDeadline{SchoolYear: year, Deadline: day, UpdatedBy: actorName(a), UpdatedAt: s.now()}
	if !a.Is(model.RoleAdmin) {
		return d, errRoleForbidden
	}
	if model.ParseSchoolYear(year) != nil || day.IsZero() {
		return d, invalid("须指定学年（如 2025-2026）和截止日期 deadline")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var before model.LoanDeadline
		found := tx.Where("school_year = ?", year).Limit(1).Find(&before).RowsAffected > 0
		if err := tx.Save(&d).Error; err != nil {
			return err
		}
		if found {
			return s.audit(tx, a, "update", "loan_deadline", year, before, d)
		}
		return s.audit(tx, a, "create", "loan_deadline", year, nil, d)
	})
	return d, err
}

// LoanLimits are the figures and the rate in force on a day.
type LoanLimits struct {
	On       time.Time
	Figures  model.LoanFigures
	Rate     model.LoanRate
	Deadline time.Time // for the school year the day lies in
}

// LimitsOn answers GET /loans/limits (zero on: today): any signed-in user may read the figures.
func (s *Loans) LimitsOn(ctx context.Context, on time.Time) (LoanLimits, error) {
	if on.IsZero() {
		on = s.now() // today by the service clock, which tests and the demo set
	}
	day := model.Civil(on.In(model.Shanghai()).Date())
	out := LoanLimits{On: day}
	db := s.db.WithContext(ctx)
	var err error
	if out.Figures, err = figuresOn(db, day); err != nil {
		return out, err
	}
	if err := db.Where("effective_from <= ?", day).Order("effective_from DESC").Limit(1).Find(&out.Rate).Error; err != nil {
		return out, err
	}
	out.Deadline, err = s.deadline(db, model.TermOf(on).SchoolYear())
	return out, err
}

// figuresOn is the row in force on a day: the latest effective_from ≤ day.
func figuresOn(db *gorm.DB, day time.Time) (model.LoanFigures, error) {
	var f model.LoanFigures
	res := db.Where("effective_from <= ?", day).Order("effective_from DESC").Limit(1).Find(&f)
	if res.Error != nil {
		return f, res.Error
	}
	if res.RowsAffected == 0 {
		return f, ruleErr("no_loan_figures", "%s 没有生效的贷款参数，请管理员先设定", day.Format("2006-01-02"))
	}
	return f, nil
}

func (s *Loans) rates(db *gorm.DB) (model.RateTable, error) {
	var rs []model.LoanRate
	err := db.Order("effective_from").Find(&rs).Error
	return rs, err
}

// deadline is the last day of applications for a school year: its own row,
// else the configured day of the year's first calendar year.
func (s *Loans) deadline(db *gorm.DB, year string) (time.Time, error) {
	var d model.LoanDeadline
	res := db.Where("school_year = ?", year).Limit(1).Find(&d)
	if res.Error != nil || res.RowsAffected > 0 {
		return d.Deadline, res.Error
	}
	first, err := strconv.Atoi(year[:4])
	if err != nil {
		return time.Time{}, invalid("学年格式应为 2025-2026")
	}
	return model.Civil(first, s.defaultDeadline.month, s.defaultDeadline.day), nil
}

// schoolYearStart is 1 September of the school year's first year, the day
// whose figures apply to the year's application (POLICY.md terms).
func schoolYearStart(year string) time.Time {
	first, _ := strconv.Atoi(year[:4])
	return model.Civil(first, time.September, 1)
}
