package model

import "time"

// Batch statuses.
const (
	BatchGenerated     = "generated"
	BatchApproved      = "approved"
	BatchPaid          = "paid"
	BatchPartiallyPaid = "partially_paid"
	// BatchFailed: the bank paid none of the lines.
	BatchFailed = "failed"
)

// Batch is a county's approved aid for one program and term, frozen for
// payment with its ledger (发放台账).
type Batch struct {
	ID           int64
	Number       string
	RegionCode   string
	Program      string
	Term         string
	Seq          int
	Status       string
	LineCount    int
	TotalFen     Fen
	LinesSHA256  string `gorm:"column:lines_sha256"`
	LedgerSHA256 string `gorm:"column:ledger_sha256"`
	LedgerSize   int64
	// The masked rendering for county officers; nil until first stored.
	MaskedLedgerSHA256 *string `gorm:"column:masked_ledger_sha256"`
	MaskedLedgerSize   *int64
	JobRunID           *int64
	CreatedBy          string
	CreatedAt          time.Time
	ApprovedAt         *time.Time
	ApprovedBy         string
	PaidAt             *time.Time
}

// LedgerChunk is one piece of a stored ledger, in order.
type LedgerChunk struct {
	BatchID int64 `gorm:"primaryKey"`
	Seq     int   `gorm:"primaryKey"`
	Data    []byte
}

// Batch line statuses.
const (
	LinePending = "pending"
	LinePaid    = "paid"
	LineFailed  = "failed"
)

// BatchLine is what was paid to whom, frozen when the batch was made.
type BatchLine struct {
	ID                int64
	BatchID           int64
	Seq               int
	EntitlementID     int64
	OpenEntitlementID *int64
	AdjustmentID      *int64
	OpenAdjustmentID  *int64
	StudentID         int64
	SchoolID          int64
	SchoolCode        string
	SchoolName        string
	Stage             string
	Grade             int
	Class             string
	Name              string
	IDType            string
	IDEnc             string
	IDMasked          string
	StudentNo         string
	Level             string
	AnnualFen         Fen
	AmountFen         Fen
	BankName          string
	AccountEnc        string
	AccountHash       string
	AccountMasked     string
	Holder            string
	HolderName        string
	Remark            string
	Status            string
	FailReason        string
	ResultAt          *time.Time
}

// BankResultUpload records one upload of a bank's result sheet.
type BankResultUpload struct {
	ID         int64
	BatchID    int64
	FileSHA256 string `gorm:"column:file_sha256"`
	Filename   string
	UploadedBy string
	Paid       int
	Failed     int
	Unchanged  int
	CreatedAt  time.Time
}

// JobRun is one run of a scheduled job, on whichever instance ran it.
type JobRun struct {
	ID           int64
	Job          string
	Instance     string
	TriggerKind  string // schedule, catch_up, manual
	ScheduledFor *time.Time
	DryRun       bool
	Status       string // running, succeeded, failed, skipped
	Made         string // JSON of what the run made
	Error        string
	StartedAt    time.Time
	FinishedAt   *time.Time
}

// JobLease is the database lease a run holds.
type JobLease struct {
	Job       string `gorm:"primaryKey"`
	Holder    string
	RunID     *int64
	ExpiresAt time.Time
}
