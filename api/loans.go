package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/ledger"
)

// The 生源地信用助学贷款 desk (API.md loans section).

type coBorrowerBody struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

type loanApplicationRequest struct {
	SchoolYear       string         `json:"school_year"`
	IDNumber         string         `json:"id_number"`
	Name             string         `json:"name"`
	HomeRegion       string         `json:"home_region"`
	CoBorrower       coBorrowerBody `json:"co_borrower"`
	University       string         `json:"university"`
	UniversityCode   string         `json:"university_code"`
	Level            string         `json:"level"`
	Years            int            `json:"years"`
	EntryYear        int            `json:"entry_year"`
	TuitionFen       model.Fen      `json:"tuition_fen"`
	AccommodationFen model.Fen      `json:"accommodation_fen"`
	LivingFen        model.Fen      `json:"living_fen"`
	Difficulty       string         `json:"difficulty"`
}

type contractBody struct {
	ContractNo         string    `json:"contract_no"`
	SignedOn           string    `json:"signed_on"`
	TotalFen           model.Fen `json:"total_fen"`
	TermYears          int       `json:"term_years"`
	RepaymentPlan      string    `json:"repayment_plan"`
	RepaymentPlanLabel string    `json:"repayment_plan_label"`
}

type loanBody struct {
	ID               int64          `json:"id"`
	SchoolYear       string         `json:"school_year"`
	Kind             string         `json:"kind"`
	Status           string         `json:"status"`
	StatusLabel      string         `json:"status_label"`
	RegionCode       string         `json:"region_code"`
	StudentID        int64          `json:"student_id"`
	Name             string         `json:"name"`
	IDNumber         string         `json:"id_number"`
	CoBorrower       coBorrowerBody `json:"co_borrower"`
	University       string         `json:"university"`
	UniversityCode   string         `json:"university_code"`
	Level            string         `json:"level"`
	Years            int            `json:"years"`
	EntryYear        int            `json:"entry_year"`
	TuitionFen       model.Fen      `json:"tuition_fen"`
	AccommodationFen model.Fen      `json:"accommodation_fen"`
	LivingFen        model.Fen      `json:"living_fen"`
	LimitFen         model.Fen      `json:"limit_fen"`
	GrantedFen       model.Fen      `json:"granted_fen"`
	GrantedSchoolFen model.Fen      `json:"granted_school_fen"`
	GrantedLivingFen model.Fen      `json:"granted_living_fen"`
	Difficulty       string         `json:"difficulty"`
	Reason           string         `json:"reason"`
	Contract         *contractBody  `json:"contract"`
	ReceiptOn        string         `json:"receipt_on,omitempty"`
	DisbursedOn      string         `json:"disbursed_on,omitempty"`
	DisbursedFen     model.Fen      `json:"disbursed_fen"`
	ExtendedYears    int            `json:"extended_years"`
	PrepaidFen       model.Fen      `json:"prepaid_fen"`
	GraduatedOn      string         `json:"graduated_on,omitempty"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// loanNameBody is what a senior school's officer sees of a graduate's loan.
type loanNameBody struct {
	ID         int64  `json:"id"`
	SchoolYear string `json:"school_year"`
	Name       string `json:"name"`
	Status     string `json:"status"`
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func loanOf(r service.LoanRow) any {
	l := r.LoanApplication
	if r.NameAndStatus {
		return loanNameBody{ID: l.ID, SchoolYear: l.SchoolYear, Name: l.Name, Status: l.Status}
	}
	b := loanBody{ID: l.ID, SchoolYear: l.SchoolYear, Kind: l.Kind, Status: l.Status, StatusLabel: model.LoanStatusLabel(l.Status),
		RegionCode: l.RegionCode, StudentID: l.StudentID, Name: l.Name, IDNumber: r.IDMasked,
		CoBorrower: coBorrowerBody{Name: l.CoName, IDNumber: l.CoIDMasked, Relation: l.CoRelation, Phone: l.CoPhoneMasked}, University: l.University,
		UniversityCode: l.UniversityCode, Level: l.Level, Years: l.Years, EntryYear: l.EntryYear, TuitionFen: l.TuitionFen,
		AccommodationFen: l.AccommodationFen, LivingFen: l.LivingFen, LimitFen: l.LimitFen, GrantedFen: l.GrantedFen,
		GrantedSchoolFen: l.GrantedSchoolFen, GrantedLivingFen: l.GrantedLivingFen, Difficulty: l.Difficulty, Reason: l.Reason,
		ReceiptOn: day(l.ReceiptOn), DisbursedOn: day(l.DisbursedOn), DisbursedFen: l.DisbursedFen, ExtendedYears: l.ExtendedYears, GraduatedOn: day(l.GraduatedOn),
		PrepaidFen: l.PrepaidFen, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
	if l.ContractNo != nil {
		b.Contract = &contractBody{ContractNo: *l.ContractNo, SignedOn: day(l.SignedOn), TotalFen: l.ContractFen, TermYears: l.TermYears,
			RepaymentPlan: l.RepaymentPlan, RepaymentPlanLabel: model.LoanPlanLabel(l.RepaymentPlan)}
	}
	return b
}

func loanAppOf(l model.LoanApplication) any { return loanOf(service.LoanRow{LoanApplication: l}) }

type figuresBody struct {
	EffectiveFrom         string    `json:"effective_from"`
	LimitJuniorCollegeFen model.Fen `json:"limit_junior_college_fen"`
	LimitUndergraduateFen model.Fen `json:"limit_undergraduate_fen"`
	LimitGraduateFen      model.Fen `json:"limit_graduate_fen"`
	TermExtraYears        int       `json:"term_extra_years"`
	MaxTermYears          int       `json:"max_term_years"`
	GraceYears            int       `json:"grace_years"`
	RiskFundBP            int       `json:"risk_fund_bp"`
	RepaymentMonth        int       `json:"repayment_month"`
	RepaymentDay          int       `json:"repayment_day"`
	Source                string    `json:"source"`
}

func figuresOf(f model.LoanFigures) figuresBody {
	return figuresBody{EffectiveFrom: f.EffectiveFrom.Format("2006-01-02"), LimitJuniorCollegeFen: f.LimitJuniorCollegeFen, LimitUndergraduateFen: f.LimitUndergraduateFen, LimitGraduateFen: f.LimitGraduateFen,
		TermExtraYears: f.TermExtraYears, MaxTermYears: f.MaxTermYears, GraceYears: f.GraceYears, RiskFundBP: f.RiskFundBP, RepaymentMonth: f.RepaymentMonth, RepaymentDay: f.RepaymentDay, Source: f.Source}
}

type rateBody struct {
	EffectiveFrom string `json:"effective_from"`
	LprBP         int    `json:"lpr_bp"`
	SpreadBP      int    `json:"spread_bp"`
	RateBP        int    `json:"rate_bp"`
	Source        string `json:"source"`
}

func rateOf(r model.LoanRate) rateBody {
	return rateBody{EffectiveFrom: r.EffectiveFrom.Format("2006-01-02"), LprBP: r.LprBP, SpreadBP: r.SpreadBP, RateBP: r.RateBP, Source: r.Source}
}

func (s *Server) loanLimits(c *gin.Context) {
	on, ok := dateParam(c, "on")
	if !ok {
		return
	}
	l, err := s.loans.LimitsOn(c.Request.Context(), on)
	respond(c, http.StatusOK, gin.H{"on": l.On.Format("2006-01-02"), "figures": figuresOf(l.Figures), "rate": rateOf(l.Rate),
		"application_deadline": l.Deadline.Format("2006-01-02")}, err)
}

// civilDate reads a YYYY-MM-DD field of a body; empty is the zero time. A
// bad date is a 400 invalid_date error, answered as any service error.
func civilDate(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, &service.Error{Code: service.CodeInvalid, Reason: "invalid_date", Message: name + " 须为 YYYY-MM-DD 格式的日期"}
	}
	return t, nil
}

// withDate runs call with the body's date when it reads, else answers its error.
func withDate[T any](name, v string, call func(time.Time) (T, error)) (T, error) {
	day, err := civilDate(name, v)
	if err != nil {
		var zero T
		return zero, err
	}
	return call(day)
}

func (s *Server) addLoanFigures(c *gin.Context) {
	var b figuresBody
	if !bindJSON(c, &b) {
		return
	}
	f, err := withDate("effective_from", b.EffectiveFrom, func(from time.Time) (model.LoanFigures, error) {
		return s.loans.AddLoanFigures(c.Request.Context(), actor(c), model.LoanFigures{EffectiveFrom: from,
			LimitJuniorCollegeFen: b.LimitJuniorCollegeFen, LimitUndergraduateFen: b.LimitUndergraduateFen, LimitGraduateFen: b.LimitGraduateFen,
			TermExtraYears: b.TermExtraYears, MaxTermYears: b.MaxTermYears, GraceYears: b.GraceYears, RiskFundBP: b.RiskFundBP,
			RepaymentMonth: b.RepaymentMonth, RepaymentDay: b.RepaymentDay, Source: b.Source})
	})
	respond(c, http.StatusCreated, figuresOf(f), err)
}

func (s *Server) addLoanRate(c *gin.Context) {
	var b rateBody
	if !bindJSON(c, &b) {
		return
	}
	r, err := withDate("effective_from", b.EffectiveFrom, func(from time.Time) (model.LoanRate, error) {
		return s.loans.AddLoanRate(c.Request.Context(), actor(c), model.LoanRate{EffectiveFrom: from, LprBP: b.LprBP, SpreadBP: b.SpreadBP, Source: b.Source})
	})
	respond(c, http.StatusCreated, rateOf(r), err)
}

func (s *Server) setLoanDeadline(c *gin.Context) {
	var b struct {
		Deadline string `json:"deadline"`
	}
	if !bindJSON(c, &b) {
		return
	}
	d, err := withDate("deadline", b.Deadline, func(day time.Time) (model.LoanDeadline, error) {
		return s.loans.SetLoanDeadline(c.Request.Context(), actor(c), c.Param("school_year"), day)
	})
	respond(c, http.StatusOK, gin.H{"school_year": d.SchoolYear, "deadline": d.Deadline.Format("2006-01-02")}, err)
}

func (r loanApplicationRequest) input() service.LoanApplicationInput {
	return service.LoanApplicationInput{SchoolYear: r.SchoolYear, IDNumber: r.IDNumber, Name: r.Name, HomeRegion: r.HomeRegion,
		CoBorrower: service.CoBorrower{Name: r.CoBorrower.Name, IDNumber: r.CoBorrower.IDNumber, Relation: r.CoBorrower.Relation, Phone: r.CoBorrower.Phone},
		University: r.University, UniversityCode: r.UniversityCode, Level: r.Level, Years: r.Years, EntryYear: r.EntryYear,
		TuitionFen: r.TuitionFen, AccommodationFen: r.AccommodationFen, LivingFen: r.LivingFen, Difficulty: r.Difficulty}
}

func (s *Server) createLoanApplication(c *gin.Context) {
	var b loanApplicationRequest
	if !bindJSON(c, &b) {
		return
	}
	app, err := s.loans.CreateLoanApplication(c.Request.Context(), actor(c), b.input())
	respond(c, http.StatusCreated, loanAppOf(app), err)
}

type loanFileBody struct {
	Kind      string             `json:"kind"`
	Rows      int                `json:"rows"`
	Created   int                `json:"created"`
	Unchanged int                `json:"unchanged"`
	Rejected  int                `json:"rejected"`
	DryRun    bool               `json:"dry_run"`
	Errors    []loanRowErrorBody `json:"errors"`
}

type loanRowErrorBody struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func loanFileOf(r service.LoanFileReport) loanFileBody {
	return loanFileBody{Kind: r.Kind, Rows: r.Rows, Created: r.Created, Unchanged: r.Unchanged, Rejected: r.Rejected, DryRun: r.DryRun,
		Errors: mapOf(r.Errors, func(e ledger.RowError) loanRowErrorBody {
			return loanRowErrorBody{Row: e.Row, Column: e.Column, Message: e.Message}
		})}
}

// respondLoanFile answers an upload, with the report in a refusal's details.
func respondLoanFile(c *gin.Context, rep service.LoanFileReport, err error) {
	var se *service.Error
	if errors.As(err, &se) {
		if r, ok := se.Details.(service.LoanFileReport); ok {
			withBody := *se
			withBody.Details = loanFileOf(r)
			err = &withBody
		}
	}
	respond(c, http.StatusOK, loanFileOf(rep), err)
}

func (s *Server) importLoanApplications(c *gin.Context) {
	s.loanFile(c, func(ctx context.Context, a model.Actor, f io.ReaderAt, size int64) (service.LoanFileReport, error) {
		return s.loans.ImportLoanApplications(ctx, a, service.LoanImport{File: f, Size: size,
			SchoolYear: c.PostForm("school_year"), Mode: c.PostForm("mode"), DryRun: c.PostForm("dry_run") == "true"})
	})
}

func (s *Server) loanTemplate(c *gin.Context) {
	year, ok := schoolYearQuery(c)
	if !ok {
		return
	}
	sendXLSX(c, "生源地信用助学贷款申请表（"+year+"学年）.xlsx", func(b *bytes.Buffer) error { return ledger.WriteLoanTemplate(b, year) })
}

// loanFilter is the application list's query, the same for its export.
func loanFilter(c *gin.Context) service.LoanFilter {
	return service.LoanFilter{SchoolYear: c.Query("school_year"), Status: c.Query("status")}
}

func (s *Server) listLoanApplications(c *gin.Context) {
	f := loanFilter(c)
	var ok bool
	if f.Page, ok = page(c); !ok {
		return
	}
	l, err := s.loans.ListLoanApplications(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, listOf(l, loanOf), err)
}

func (s *Server) exportLoanApplications(c *gin.Context) {
	f := loanFilter(c)
	sendXLSX(c, "生源地信用助学贷款名单.xlsx", func(b *bytes.Buffer) error {
		return s.loans.ExportLoanApplications(c.Request.Context(), actor(c), f, b)
	})
}

// A workflow step on the application of the path answers with it. noBody
// marks a step without a body; any other body is bound first (400 when it
// is not JSON), and a step reads its dates with withDate.
type noBody struct{}

type stepFunc[B any] func(ctx context.Context, a model.Actor, id int64, b B) (model.LoanApplication, error)

func loanStep[B any](step stepFunc[B]) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c, "id")
		if !ok {
			return
		}
		var b B
		_, none := any(b).(noBody)
		_, optional := any(b).(interface{ optionalBody() })
		if !none && !(optional && c.Request.ContentLength == 0) && !bindJSON(c, &b) {
			return
		}
		app, err := step(c.Request.Context(), actor(c), id, b)
		respond(c, http.StatusOK, loanAppOf(app), err)
	}
}

// bare adapts a step that takes no body.
func bare(step func(context.Context, model.Actor, int64) (model.LoanApplication, error)) stepFunc[noBody] {
	return func(ctx context.Context, a model.Actor, id int64, _ noBody) (model.LoanApplication, error) {
		return step(ctx, a, id)
	}
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) returnLoan(ctx context.Context, a model.Actor, id int64, b reasonBody) (model.LoanApplication, error) {
	return s.loans.ReturnLoan(ctx, a, id, b.Reason)
}

type contractRequest struct {
	ContractNo    string     `json:"contract_no"`
	SignedOn      string     `json:"signed_on"`
	TotalFen      *model.Fen `json:"total_fen"`
	RepaymentPlan string     `json:"repayment_plan"` // equal_principal (default) or equal_instalments
}

func (s *Server) contractLoan(ctx context.Context, a model.Actor, id int64, b contractRequest) (model.LoanApplication, error) {
	return withDate("signed_on", b.SignedOn, func(on time.Time) (model.LoanApplication, error) {
		return s.loans.RecordContract(ctx, a, id, service.ContractInput{ContractNo: b.ContractNo, SignedOn: on, TotalFen: b.TotalFen,
			RepaymentPlan: b.RepaymentPlan})
	})
}

type receiptRequest struct {
	ConfirmedOn string `json:"confirmed_on"`
}

func (s *Server) receiptLoan(ctx context.Context, a model.Actor, id int64, b receiptRequest) (model.LoanApplication, error) {
	return withDate("confirmed_on", b.ConfirmedOn, func(on time.Time) (model.LoanApplication, error) {
		return s.loans.ConfirmReceipt(ctx, a, id, on)
	})
}

type extensionRequest struct {
	Years  int    `json:"years"`
	Reason string `json:"reason"`
}

func (s *Server) extendLoan(ctx context.Context, a model.Actor, id int64, b extensionRequest) (model.LoanApplication, error) {
	return s.loans.RecordExtension(ctx, a, id, b.Years, b.Reason)
}

// graduationRequest may be left out: the course ended as planned.
type graduationRequest struct {
	GraduatedOn string `json:"graduated_on"`
}

func (graduationRequest) optionalBody() {}

func (s *Server) graduateLoan(ctx context.Context, a model.Actor, id int64, b graduationRequest) (model.LoanApplication, error) {
	if b.GraduatedOn == "" {
		return s.loans.ConfirmGraduation(ctx, a, id, time.Time{})
	}
	return withDate("graduated_on", b.GraduatedOn, func(on time.Time) (model.LoanApplication, error) {
		return s.loans.ConfirmGraduation(ctx, a, id, on)
	})
}

type prepaymentRequest struct {
	AmountFen model.Fen `json:"amount_fen"`
	PaidOn    string    `json:"paid_on"`
}

func (s *Server) prepayLoan(ctx context.Context, a model.Actor, id int64, b prepaymentRequest) (model.LoanApplication, error) {
	return withDate("paid_on", b.PaidOn, func(on time.Time) (model.LoanApplication, error) {
		return s.loans.RecordPrepayment(ctx, a, id, b.AmountFen, on)
	})
}

func (s *Server) loanReceipts(c *gin.Context) { s.loanFile(c, s.loans.ImportLoanReceipts) }

func (s *Server) loanBankFile(c *gin.Context) { s.loanFile(c, s.loans.ApplyLoanBankFile) }

// loanFile reads the upload's file and answers with what apply reports of it.
func (s *Server) loanFile(c *gin.Context, apply func(context.Context, model.Actor, io.ReaderAt, int64) (service.LoanFileReport, error)) {
	f, fh, ok := formFile(c, "file")
	if !ok {
		return
	}
	defer f.Close()
	rep, err := apply(c.Request.Context(), actor(c), f, fh.Size)
	respondLoanFile(c, rep, err)
}
