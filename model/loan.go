package model

import "time"

// Loan levels (学历层次) of 生源地信用助学贷款; the annual limit depends on them.
const (
	LoanJuniorCollege = "junior_college" // 专科/高职
	LoanUndergraduate = "undergraduate"  // 本科
	LoanGraduate      = "graduate"       // 研究生
)

// LoanLevelLabel is the level as officers read it; empty for an unknown level.
func LoanLevelLabel(level string) string {
	switch level {
	case LoanJuniorCollege:
		return "专科/高职"
	case LoanUndergraduate:
		return "本科"
	case LoanGraduate:
		return "研究生"
	}
	return ""
}

// The workflow of a loan (API.md): received → approved / returned →
// contracted → receipt_confirmed → disbursed → graduated → repaying →
// settled, with overdue and defaulted from the bank's repayment file.
const (
	LoanReceived         = "received"
	LoanApproved         = "approved"
	LoanReturned         = "returned"
	LoanContracted       = "contracted"
	LoanReceiptConfirmed = "receipt_confirmed"
	LoanDisbursed        = "disbursed"
	LoanGraduated        = "graduated"
	LoanRepaying         = "repaying"
	LoanSettled          = "settled"
	LoanOverdue          = "overdue"
	LoanDefaulted        = "defaulted"
)

// LoanStatusLabel is the status as officers read it.
func LoanStatusLabel(s string) string {
	return map[string]string{
		LoanReceived: "受理", LoanApproved: "审核通过", LoanReturned: "退回", LoanContracted: "合同签订",
		LoanReceiptConfirmed: "回执确认", LoanDisbursed: "已放款", LoanGraduated: "毕业确认", LoanRepaying: "还款中",
		LoanSettled: "结清", LoanOverdue: "逾期", LoanDefaulted: "违约",
	}[s]
}

// LoanFigures are the dated figures of POLICY.md in force from a date.
type LoanFigures struct {
	ID                    int64
	EffectiveFrom         time.Time
	LimitJuniorCollegeFen Fen
	LimitUndergraduateFen Fen
	LimitGraduateFen      Fen
	TermExtraYears        int
	MaxTermYears          int
	GraceYears            int
	RiskFundBP            int `gorm:"column:risk_fund_bp"`
	RepaymentMonth        int
	RepaymentDay          int
	Source                string
	CreatedBy             string
	CreatedAt             time.Time
}

// Limit is the annual limit for a level.
func (f LoanFigures) Limit(level string) Fen {
	switch level {
	case LoanGraduate:
		return f.LimitGraduateFen
	case LoanJuniorCollege:
		return f.LimitJuniorCollegeFen
	}
	return f.LimitUndergraduateFen
}

// LoanRate is the annual rate in force from a date, in basis points.
type LoanRate struct {
	ID            int64
	EffectiveFrom time.Time
	LprBP         int `gorm:"column:lpr_bp"`
	SpreadBP      int `gorm:"column:spread_bp"`
	RateBP        int `gorm:"column:rate_bp"`
	Source        string
	CreatedBy     string
	CreatedAt     time.Time
}

type LoanDeadline struct {
	SchoolYear string `gorm:"primaryKey"`
	Deadline   time.Time
	UpdatedBy  string
	UpdatedAt  time.Time
}

// LoanApplication is one school year's application of one person (首贷 or
// 续贷) and, once signed, that year's part of the person's contract.
type LoanApplication struct {
	ID               int64
	StudentID        int64
	SchoolYear       string
	RegionCode       string
	Kind             string // first 首贷, renewal 续贷
	Name             string
	CoName           string
	CoIDEnc          string `gorm:"column:co_id_enc"`
	CoIDHash         string `gorm:"column:co_id_hash"`
	CoIDMasked       string `gorm:"column:co_id_masked"`
	CoRelation       string
	CoPhoneEnc       string
	CoPhoneMasked    string
	University       string
	UniversityCode   string
	Level            string
	Years            int
	EntryYear        int
	TuitionFen       Fen
	AccommodationFen Fen
	LivingFen        Fen
	LimitFen         Fen
	GrantedFen       Fen
	GrantedSchoolFen Fen // tuition and accommodation, paid to the university
	GrantedLivingFen Fen
	Difficulty       string
	Status           string
	Reason           string
	ContractNo       *string
	SignedOn         *time.Time
	ContractFen      Fen
	TermYears        int
	ReceiptOn        *time.Time
	DisbursedOn      *time.Time
	DisbursedFen     Fen
	ExtendedYears    int
	PrepaidFen       Fen
	GraduatedOn      *time.Time // 毕业确认's day when earlier than the course's end
	RepaymentPlan    string     // LoanEqualPrincipal unless the contract records LoanEqualInstalments
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// How a contract repays the principal after the grace period.
const (
	LoanEqualPrincipal   = "equal_principal"   // 等额本金: equal shares of the principal plus the interest
	LoanEqualInstalments = "equal_instalments" // 等额本息: equal yearly payments of principal and interest
)

// LoanPlanLabel is the repayment plan as officers read it.
func LoanPlanLabel(plan string) string {
	return map[string]string{LoanEqualPrincipal: "等额本金", LoanEqualInstalments: "等额本息"}[plan]
}

// Loan kinds.
const (
	LoanFirst   = "first"   // 首贷
	LoanRenewal = "renewal" // 续贷
)

// LoanPrepayment is one 提前还款 of an application's principal, on its day.
type LoanPrepayment struct {
	ID            int64
	ApplicationID int64
	PaidOn        time.Time
	AmountFen     Fen
	CreatedBy     string
	CreatedAt     time.Time
}

// LoanEvent is one step of an application's status history.
type LoanEvent struct {
	ID            int64
	ApplicationID int64
	At            time.Time
	Actor         string
	FromStatus    string
	ToStatus      string
	Note          string
}

// LoanRepayment is the bank's status of one person's instalment of a year.
type LoanRepayment struct {
	ID         int64
	StudentID  int64
	RegionCode string
	DueYear    int
	Status     string // paid, overdue, defaulted, compensated, settled
	PaidFen    Fen
	UpdatedAt  time.Time
}

// LoanStatement is a county's frozen statement of a calendar year.
type LoanStatement struct {
	ID          int64
	RegionCode  string
	Year        int
	NewLoans    int
	NewFen      Fen
	SubsidyFen  Fen
	RiskFundFen Fen
	SHA256      string `gorm:"column:sha256"`
	Data        []byte
	CreatedBy   string
	CreatedAt   time.Time
}
