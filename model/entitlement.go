package model

import "time"

// Program is a kind of aid (资助项目).
type Program struct {
	Code   string
	Name   string
	Stages []string
	Tiered bool // the amount follows the difficulty level
}

// Programs are the four programs of POLICY.md; their amounts are data
// (standards), their eligibility rules are code in service/eligibility.go.
var Programs = []Program{
	{"boarding", "义务教育家庭经济困难寄宿生生活补助", []string{StagePrimary, StageJunior}, false},
	{"nonboarding", "义务教育家庭经济困难非寄宿生生活补助", []string{StagePrimary, StageJunior}, false},
	{"vocational_grant", "中等职业学校国家助学金", []string{StageVocational}, true},
	{"senior_grant", "普通高中国家助学金", []string{StageSenior}, true},
}

// ProgramByCode finds a program.
func ProgramByCode(code string) (Program, bool) {
	for _, p := range Programs {
		if p.Code == code {
			return p, true
		}
	}
	return Program{}, false
}

// Standard is an annual amount for a program, stage and (for tiered
// programs) level, in force from a date, nationally or for one region.
type Standard struct {
	ID            int64
	Program       string
	Stage         string
	Level         string
	RegionCode    string
	AnnualFen     Fen
	EffectiveFrom time.Time
	Source        string
	CreatedBy     string
	CreatedAt     time.Time
}

// AidList is one school's list for a program and term.
type AidList struct {
	ID              int64
	SchoolID        int64
	Program         string
	Term            string
	CalcSeq         int64
	MaxCount        *int
	BudgetFen       *Fen
	SubmittedAt     *time.Time
	NoticeStartedAt *time.Time
	NoticeEndsAt    *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Entitlement statuses.
const (
	EntDraft     = "draft"
	EntSubmitted = "submitted"
	EntReturned  = "returned"
	EntApproved  = "approved"
	EntBatched   = "batched"
	EntPaid      = "paid"
	EntRevoked   = "revoked"
)

// Entitlement is what one student is owed for one program and term.
type Entitlement struct {
	ID          int64
	StudentID   int64
	Program     string
	Term        string
	SchoolID    int64
	ListID      int64
	Stage       string
	Grade       int
	Level       string
	Rule        string
	StandardID  int64
	AnnualFen   Fen
	AmountFen   Fen
	Status      string
	Reason      string
	Warning     string
	SubmittedAt *time.Time
	ApprovedAt  *time.Time
	ApprovedBy  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Objection is raised against a student during the public notice.
type Objection struct {
	ID         int64
	ListID     int64
	StudentID  int64
	Content    string
	RecordedBy string
	CreatedAt  time.Time
}

// Adjustment statuses: a top-up goes draft → approved → batched → paid; a
// recovery is recorded as to_recover (never paid out as negative cash).
const (
	AdjDraft     = "draft"
	AdjApproved  = "approved"
	AdjBatched   = "batched"
	AdjPaid      = "paid"
	AdjToRecover = "to_recover"
	// AdjCancelled: a top-up not paid because its entitlement is under
	// recovery (POLICY.md "Recoveries").
	AdjCancelled = "cancelled"
)

// Adjustment corrects a paid entitlement (补发 > 0, 扣回 < 0).
type Adjustment struct {
	ID            int64
	EntitlementID int64
	StandardID    int64
	// Seq numbers an entitlement's adjustments (1, 2, …) and is its unique
	// key with EntitlementID: a standard may come back into force after
	// another was paid, so one standard can carry several adjustments.
	Seq        int
	AmountFen  Fen
	AnnualFen  Fen
	Reason     string
	Status     string
	CreatedBy  string
	ApprovedBy string
	ApprovedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Correction (认定更正) records that the difficulty level or stage on record
// when a paid term was approved was an error; the latest one is the term's
// record from then on. Corrections are only ever added.
type Correction struct {
	ID            int64
	EntitlementID int64
	Level         string
	Stage         string
	Reason        string
	CreatedBy     string
	CreatedAt     time.Time
}
