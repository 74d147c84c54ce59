package service

import (
	"context"
	"io"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// LoanRow is an application as lists show it. NameAndStatus marks the
// reduced row a senior school's officer sees of its graduates.
type LoanRow struct {
	model.LoanApplication
	IDMasked      string
	NameAndStatus bool
}

// LoanFilter narrows GET /loans/applications.
type LoanFilter struct {
	SchoolYear, Status string
	Page               Page
}

// seniorSchool types have graduates who go on to university.
var seniorSchool = []model.SchoolType{model.SchoolSenior, model.SchoolCompleteSecondary, model.SchoolVocational}

// ListLoanApplications lists a page of applications in the caller's scope
// (loanQuery).
func (s *Loans) ListLoanApplications(ctx context.Context, a model.Actor, f LoanFilter) (List[LoanRow], error) {
	out := List[LoanRow]{Page: f.Page.Normalize()}
	q, school, err := s.loanQuery(s.reader(ctx), a, f)
	if err != nil {
		return out, err
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	var rows []LoanRow
	if err := out.Page.apply(q.Select("l.*, st.id_masked").Order("l.school_year DESC, l.id")).Scan(&rows).Error; err != nil {
		return out, err
	}
	for i := range rows {
		if school {
			rows[i] = nameAndStatus(rows[i])
		}
	}
	out.Items = rows
	return out, nil
}

// ExportLoanApplications writes the whole list of the filter as a workbook
// (every list of the desk is exportable); the scope is the list's.
func (s *Loans) ExportLoanApplications(ctx context.Context, a model.Actor, f LoanFilter, w io.Writer) error {
	q, school, err := s.loanQuery(s.reader(ctx), a, f)
	if err != nil {
		return err
	}
	if school {
		return forbidden("学校只能在列表中查看本校毕业生的姓名和贷款状态")
	}
	if err := checkExportSize(q.Session(&gorm.Session{}), "共 %d 条，超过单次导出上限 %d 条：请按学年或状态筛选后导出"); err != nil {
		return err
	}
	var rows []LoanRow
	if err := q.Select("l.*, st.id_masked").Order("l.school_year DESC, l.id").Scan(&rows).Error; err != nil {
		return err
	}
	out := make([]ledger.LoanListRow, len(rows))
	for i, r := range rows {
		l := r.LoanApplication
		out[i] = ledger.LoanListRow{SchoolYear: l.SchoolYear, Name: l.Name, IDMasked: r.IDMasked, CoName: l.CoName,
			CoRelation: l.CoRelation, CoIDMasked: l.CoIDMasked, CoPhoneMasked: l.CoPhoneMasked, University: l.University,
			Level: model.LoanLevelLabel(l.Level), AskedFen: l.TuitionFen + l.AccommodationFen + l.LivingFen, GrantedFen: l.GrantedFen,
			Status: model.LoanStatusLabel(l.Status), DisbursedFen: l.DisbursedFen}
		if l.ContractNo != nil {
			out[i].ContractNo = *l.ContractNo
		}
		if l.DisbursedOn != nil {
			out[i].DisbursedOn = l.DisbursedOn.Format("2006-01-02")
		}
	}
	if err := ledger.WriteLoanList(w, "生源地信用助学贷款申请名单", s.now(), out); err != nil {
		return err
	}
	// The list carries names and masked numbers of borrowers and co-borrowers.
	s.auditAlone(ctx, a, "download", "loan_applications", "", nil, map[string]any{"rows": len(out),
		"school_year": f.SchoolYear, "status": f.Status})
	return nil
}

// loanQuery is the list's rows in the caller's scope: county officers and
// auditors their area's; a senior school's officer (school=true) the names
// and statuses of its former students, never the overdue list.
func (s *Loans) loanQuery(db *gorm.DB, a model.Actor, f LoanFilter) (*gorm.DB, bool, error) {
	q := db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id")
	school := false
	switch {
	case a.Is(model.RoleCountyOfficer, model.RoleAuditor):
		q = inScopeRegions(q, a, "l.region_code")
	case a.Is(model.RoleSchoolOfficer):
		var sc model.School
		if err := db.First(&sc, a.SchoolID).Error; err != nil {
			return nil, false, translate(err, "学校")
		}
		if !contains(schoolTypeNames(seniorSchool), string(sc.Type)) {
			return nil, false, forbidden("只有高中阶段学校可以查看本校毕业生的贷款申请")
		}
		if f.Status == model.LoanOverdue || f.Status == model.LoanDefaulted {
			return nil, false, forbidden("逾期和违约名单仅限县级资助中心和审计查看")
		}
		school = true
		q = q.Where("l.student_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("enrolments").
			Select("student_id").Where("school_id = ?", a.SchoolID))
	default:
		return nil, false, errRoleForbidden
	}
	if f.SchoolYear != "" {
		q = q.Where("l.school_year = ?", f.SchoolYear)
	}
	if f.Status != "" {
		q = q.Where("l.status = ?", f.Status)
	}
	return q, school, nil
}

func schoolTypeNames(ts []model.SchoolType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// nameAndStatus keeps what a school may know of a graduate's loan; how the
// repayment goes is the county's business (overdue shows as disbursed).
func nameAndStatus(r LoanRow) LoanRow {
	status := r.Status
	switch status {
	case model.LoanGraduated, model.LoanRepaying, model.LoanSettled, model.LoanOverdue, model.LoanDefaulted:
		status = model.LoanDisbursed
	}
	return LoanRow{LoanApplication: model.LoanApplication{ID: r.ID, SchoolYear: r.SchoolYear, Name: r.Name, Status: status},
		NameAndStatus: true}
}

// LoanView is one person's loan: every school year's application and
// contract, the status history, the repayment plan, the subsidy the state
// pays by year and the bank's repayment statuses.
type LoanView struct {
	Applications []LoanRow
	Events       []model.LoanEvent
	Principal    model.Fen // disbursed less prepaid
	StudyEnd     time.Time
	TermYears    int
	Plan         []model.Instalment
	Subsidy      []YearAmount
	Repayments   []model.LoanRepayment
}

// YearAmount is an amount of a calendar year.
type YearAmount struct {
	Year int
	Fen  model.Fen
}

// GetLoan answers GET /loans/{id} for the application's person.
func (s *Loans) GetLoan(ctx context.Context, a model.Actor, id int64) (LoanView, error) {
	var v LoanView
	if !a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		return v, errRoleForbidden
	}
	db := s.reader(ctx)
	var app model.LoanApplication
	if err := db.First(&app, id).Error; err != nil {
		return v, translate(err, "贷款")
	}
	if !seesRegion(a, app.RegionCode) {
		return v, notFound("贷款")
	}
	if err := db.Table("loan_applications l").Joins("JOIN students st ON st.id = l.student_id").
		Select("l.*, st.id_masked").Where("l.student_id = ?", app.StudentID).Order("l.school_year").Scan(&v.Applications).Error; err != nil {
		return v, err
	}
	ids := make([]int64, len(v.Applications))
	apps := make([]model.LoanApplication, len(v.Applications))
	for i, r := range v.Applications {
		ids[i], apps[i] = r.ID, r.LoanApplication
	}
	if err := db.Where("application_id IN ?", ids).Order("id").Find(&v.Events).Error; err != nil {
		return v, err
	}
	if err := db.Where("student_id = ?", app.StudentID).Order("due_year").Find(&v.Repayments).Error; err != nil {
		return v, err
	}
	calc, err := s.loanCalculator(db, db.Table("loan_applications").Select("id").Where("student_id = ?", app.StudentID))
	if err != nil {
		return v, err
	}
	p := calc.plan(apps)
	v.Principal, v.StudyEnd, v.TermYears, v.Plan = p.net, p.in.StudyEnd, p.in.TermYears, p.instalments
	for y := firstDisbursedYear(apps); y > 0 && y <= v.StudyEnd.Year(); y++ {
		if fen := calc.subsidy(apps, y); fen > 0 {
			v.Subsidy = append(v.Subsidy, YearAmount{Year: y, Fen: fen})
		}
	}
	return v, nil
}

func firstDisbursedYear(apps []model.LoanApplication) int {
	y := 0
	for _, l := range apps {
		if l.DisbursedOn != nil && (y == 0 || l.DisbursedOn.Year() < y) {
			y = l.DisbursedOn.Year()
		}
	}
	return y
}

// loanCalc holds the dated figures and rates a batch of calculations needs,
// read once.
type loanCalc struct {
	figures []model.LoanFigures // by effective_from
	rates   model.RateTable
	prepaid map[int64][]model.Prepayment // by application
}

// loanCalculator reads the dated figures and rates, and the prepayments of
// the applications apps selects (their ids; only those with prepaid_fen > 0
// have any), so a loan's page does not read every county's prepayments.
func (s *Loans) loanCalculator(db, apps *gorm.DB) (loanCalc, error) {
	var c loanCalc
	if err := db.Order("effective_from").Find(&c.figures).Error; err != nil {
		return c, err
	}
	var err error
	if c.rates, err = s.rates(db); err != nil {
		return c, err
	}
	var pre []model.LoanPrepayment
	if err := db.Where("application_id IN (?)", apps.Where("prepaid_fen > 0")).Order("paid_on, id").Find(&pre).Error; err != nil {
		return c, err
	}
	c.prepaid = map[int64][]model.Prepayment{}
	for _, p := range pre {
		c.prepaid[p.ApplicationID] = append(c.prepaid[p.ApplicationID], model.Prepayment{On: p.PaidOn, Fen: p.AmountFen})
	}
	return c, nil
}

func (c loanCalc) figuresOn(day time.Time) model.LoanFigures {
	var f model.LoanFigures
	for _, x := range c.figures {
		if !x.EffectiveFrom.After(day) {
			f = x
		}
	}
	return f
}

type loanPlan struct {
	in          model.PlanInput
	net         model.Fen // disbursed less everything prepaid, as the lists show it
	instalments []model.Instalment
}

// plan is the repayment plan of one person's disbursed applications: the
// principal is what was disbursed, less each prepayment from its day; the
// term, grace period and due day are those of the first contract's school
// year, plus any 展期.
func (c loanCalc) plan(apps []model.LoanApplication) loanPlan {
	var p loanPlan
	first, extended := "", 0
	for _, l := range apps {
		if l.DisbursedOn == nil {
			continue
		}
		p.in.Principal += l.DisbursedFen
		p.in.Prepayments = append(p.in.Prepayments, c.prepaid[l.ID]...)
		p.net += l.DisbursedFen - l.PrepaidFen
		if first == "" || l.SchoolYear < first {
			first, p.in.TermYears = l.SchoolYear, l.TermYears
			p.in.EqualInstalments = l.RepaymentPlan == model.LoanEqualInstalments
		}
		extended += l.ExtendedYears
		if end := model.StudyEndOf(l.EntryYear, l.Years, l.GraduatedOn); p.in.StudyEnd.IsZero() || l.GraduatedOn != nil || end.After(p.in.StudyEnd) {
			p.in.StudyEnd = end
		}
	}
	if first == "" {
		return p
	}
	p.in.TermYears += extended
	figs := c.figuresOn(schoolYearStart(first))
	p.in.FirstYear = schoolYearStart(first).Year()
	p.in.GraceYears, p.in.DueMonth, p.in.DueDay = figs.GraceYears, time.Month(figs.RepaymentMonth), figs.RepaymentDay
	p.in.Rates = c.rates
	p.instalments = model.RepaymentPlan(p.in)
	return p
}

// subsidy is the interest the state pays for a person's disbursements in a
// calendar year (财政贴息, POLICY.md).
func (c loanCalc) subsidy(apps []model.LoanApplication, year int) model.Fen {
	var total model.Fen
	for _, l := range apps {
		if l.DisbursedOn != nil {
			total += model.YearSubsidy(l.DisbursedFen, *l.DisbursedOn, model.StudyEndOf(l.EntryYear, l.Years, l.GraduatedOn), year, c.rates, c.prepaid[l.ID])
		}
	}
	return total
}
