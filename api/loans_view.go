package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

// The loan desk's reading side: one loan, the years' figures for the
// charts, the reminders, the overdue list and the yearly statement.

type instalmentBody struct {
	DueOn        string    `json:"due_on"`
	PrincipalFen model.Fen `json:"principal_fen"`
	InterestFen  model.Fen `json:"interest_fen"`
	RateBP       int       `json:"rate_bp"`
	InterestOnly bool      `json:"interest_only"`
}

func instalmentOf(it model.Instalment) instalmentBody {
	return instalmentBody{DueOn: it.DueOn.Format("2006-01-02"), PrincipalFen: it.Principal, InterestFen: it.Interest, RateBP: it.RateBP, InterestOnly: it.InterestOnly}
}

type yearAmountBody struct {
	Year      int       `json:"year"`
	AmountFen model.Fen `json:"amount_fen"`
}

type loanEventBody struct {
	ApplicationID int64     `json:"application_id"`
	At            time.Time `json:"at"`
	Actor         string    `json:"actor"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Note          string    `json:"note"`
}

type repaymentBody struct {
	DueYear int       `json:"due_year"`
	Status  string    `json:"status"`
	PaidFen model.Fen `json:"paid_fen"`
}

type loanViewBody struct {
	ID              int64            `json:"id"`
	Applications    []any            `json:"applications"`
	PrincipalFen    model.Fen        `json:"principal_fen"`
	TermYears       int              `json:"term_years"`
	StudyEnd        string           `json:"study_end"`
	RepaymentPlan   []instalmentBody `json:"repayment_plan"`
	Subsidy         []yearAmountBody `json:"subsidy"`
	SubsidyTotalFen model.Fen        `json:"subsidy_total_fen"`
	StatusHistory   []loanEventBody  `json:"status_history"`
	Repayments      []repaymentBody  `json:"repayments"`
}

// mapOf is the body of each item of a list.
func mapOf[T, B any](items []T, f func(T) B) []B {
	out := make([]B, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}

func loanViewOf(id int64, v service.LoanView) loanViewBody {
	b := loanViewBody{ID: id, Applications: mapOf(v.Applications, loanOf), PrincipalFen: v.Principal, TermYears: v.TermYears,
		StudyEnd: v.StudyEnd.Format("2006-01-02"), RepaymentPlan: mapOf(v.Plan, instalmentOf),
		Subsidy: mapOf(v.Subsidy, func(y service.YearAmount) yearAmountBody { return yearAmountBody{Year: y.Year, AmountFen: y.Fen} }),
		StatusHistory: mapOf(v.Events, func(e model.LoanEvent) loanEventBody {
			return loanEventBody{ApplicationID: e.ApplicationID, At: e.At, Actor: e.Actor, From: e.FromStatus, To: e.ToStatus, Note: e.Note}
		}),
		Repayments: mapOf(v.Repayments, func(r model.LoanRepayment) repaymentBody {
			return repaymentBody{DueYear: r.DueYear, Status: r.Status, PaidFen: r.PaidFen}
		})}
	for _, y := range v.Subsidy {
		b.SubsidyTotalFen += y.Fen
	}
	return b
}

func (s *Server) getLoan(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	v, err := s.loans.GetLoan(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, loanViewOf(id, v), err)
}

type loanYearBody struct {
	SchoolYear    string           `json:"school_year"`
	Applications  int64            `json:"applications"`
	Disbursed     int64            `json:"disbursed"`
	DisbursedFen  model.Fen        `json:"disbursed_fen"`
	Overdue       int64            `json:"overdue"`
	OverdueRateBP int64            `json:"overdue_rate_bp"`
	ByStatus      map[string]int64 `json:"by_status"`
}

func (s *Server) loanYears(c *gin.Context) {
	years, err := s.loans.LoanYears(c.Request.Context(), actor(c), c.Query("region_code"))
	items := mapOf(years, func(y service.LoanYear) loanYearBody {
		return loanYearBody{SchoolYear: y.SchoolYear, Applications: y.Applications, Disbursed: y.Disbursed, DisbursedFen: y.DisbursedFen,
			Overdue: y.Overdue, OverdueRateBP: y.OverdueBP, ByStatus: y.ByStatus}
	})
	respond(c, http.StatusOK, gin.H{"items": items}, err)
}

// yearQuery reads the query's year, def when it is absent; a year that is
// not a number is answered 400 invalid_year.
func yearQuery(c *gin.Context, def string) (int, bool) {
	year, err := strconv.Atoi(c.DefaultQuery("year", def))
	if err != nil {
		fail(c, http.StatusBadRequest, "invalid_year", "年份须为四位数字（如 2026）")
		return 0, false
	}
	return year, true
}

// borrowerBody names a borrower in the desk's lists (ID and phone masked).
type borrowerBody struct {
	ApplicationID  int64  `json:"application_id"`
	RegionCode     string `json:"region_code"`
	Name           string `json:"name"`
	IDNumber       string `json:"id_number"`
	CoBorrower     string `json:"co_borrower"`
	CoRelation     string `json:"co_relation"`
	CoPhone        string `json:"co_phone"`
	University     string `json:"university"`
	UniversityCode string `json:"university_code"`
	Status         string `json:"status"`
	StatusLabel    string `json:"status_label"`
}

func borrowerBodyOf(b service.LoanBorrower) borrowerBody {
	return borrowerBody{ApplicationID: b.ApplicationID, RegionCode: b.RegionCode, Name: b.Name, IDNumber: b.IDMasked,
		CoBorrower: b.CoName, CoRelation: b.CoRelation, CoPhone: b.CoPhoneMasked, University: b.University,
		UniversityCode: b.UniversityCode, Status: b.Status, StatusLabel: model.LoanStatusLabel(b.Status)}
}

type reminderBody struct {
	borrowerBody
	Instalment instalmentBody `json:"instalment"`
}

// reminderListBody is a page of the year's list and the universities of
// the whole list, for the filter's choices.
type reminderListBody struct {
	listBody[reminderBody]
	Year         int                     `json:"year"`
	Universities []overdueUniversityBody `json:"universities"`
}

func universitiesOf(us []service.OverdueUniversity) []overdueUniversityBody {
	return mapOf(us, func(u service.OverdueUniversity) overdueUniversityBody {
		return overdueUniversityBody{Code: u.Code, Name: u.Name, Borrowers: u.Borrowers}
	})
}

// reminderFilter reads the reminder list's query (the year: this year
// when absent); a year that is not a number is answered 400 invalid_year.
func reminderFilter(c *gin.Context) (service.ReminderFilter, bool) {
	year, ok := yearQuery(c, "0")
	return service.ReminderFilter{Year: year, University: c.Query("university_code"), Q: c.Query("q")}, ok
}

func (s *Server) loanReminders(c *gin.Context) {
	f, ok := reminderFilter(c)
	if !ok {
		return
	}
	if f.Page, ok = page(c); !ok {
		return
	}
	l, err := s.loans.LoanReminders(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, reminderListBody{listBody: listOf(l.List, func(r service.LoanReminder) reminderBody {
		return reminderBody{borrowerBody: borrowerBodyOf(r.LoanBorrower), Instalment: instalmentOf(r.Instalment)}
	}), Year: l.Year, Universities: universitiesOf(l.Universities)}, err)
}

func (s *Server) exportLoanReminders(c *gin.Context) {
	f, ok := reminderFilter(c)
	if !ok {
		return
	}
	b, err := s.loans.ExportLoanReminders(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "生源地信用助学贷款还款提醒名单.xlsx", xlsxType, b)
}

type overdueBody struct {
	borrowerBody
	FirstYear    string    `json:"first_school_year"`
	PrincipalFen model.Fen `json:"principal_fen"`
	OverdueFen   model.Fen `json:"overdue_fen"`
	OverdueYears []int     `json:"overdue_years"`
}

type overdueUniversityBody struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Borrowers int64  `json:"borrowers"`
}

// overdueListBody is a page of the list and the universities of the whole
// list, for the filter's choices and the per-university figures.
type overdueListBody struct {
	listBody[overdueBody]
	Universities []overdueUniversityBody `json:"universities"`
}

func overdueOf(b service.OverdueBorrower) overdueBody {
	return overdueBody{borrowerBody: borrowerBodyOf(b.LoanBorrower), FirstYear: b.FirstYear, PrincipalFen: b.PrincipalFen,
		OverdueFen: b.OverdueFen, OverdueYears: append([]int{}, b.OverdueYears...)}
}

// overdueFilter reads the overdue list's query; a due year that is not a
// number is answered 400 invalid_year.
func overdueFilter(c *gin.Context) (service.OverdueFilter, bool) {
	f := service.OverdueFilter{Status: c.Query("status"), University: c.Query("university_code"), Q: c.Query("q")}
	if c.Query("due_year") == "" {
		return f, true
	}
	year, err := strconv.Atoi(c.Query("due_year"))
	if err != nil {
		fail(c, http.StatusBadRequest, "invalid_year", "逾期年度须为四位数字（如 2025）")
		return f, false
	}
	f.DueYear = year
	return f, true
}

func (s *Server) listOverdueLoans(c *gin.Context) {
	f, ok := overdueFilter(c)
	if !ok {
		return
	}
	if f.Page, ok = page(c); !ok {
		return
	}
	l, err := s.loans.ListOverdueLoans(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, overdueListBody{listBody: listOf(l.List, overdueOf),
		Universities: universitiesOf(l.Universities)}, err)
}

func (s *Server) exportOverdueLoans(c *gin.Context) {
	f, ok := overdueFilter(c)
	if !ok {
		return
	}
	b, err := s.loans.ExportOverdueLoans(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "生源地信用助学贷款逾期名单.xlsx", xlsxType, b)
}

// loanStatement serves the frozen statement with its SHA-256 as ETag.
func (s *Server) loanStatement(c *gin.Context) {
	year, ok := yearQuery(c, "")
	if !ok {
		return
	}
	st, err := s.loans.LoanStatement(c.Request.Context(), actor(c), year, c.Query("region_code"))
	if err != nil {
		writeError(c, err)
		return
	}
	if notModified(c, st.SHA256) {
		return
	}
	sendFile(c, st.RegionCode+"-"+strconv.Itoa(st.Year)+"-生源地信用助学贷款统计表.xlsx", xlsxType, st.Data)
}
