package model

import "time"

// Account change statuses.
const (
	AccountChangePending   = "pending"
	AccountChangeConfirmed = "confirmed"
	AccountChangeRejected  = "rejected"
)

// AccountChangeStatusLabel is a status as officers read it.
func AccountChangeStatusLabel(status string) string {
	switch status {
	case AccountChangePending:
		return "待确认"
	case AccountChangeConfirmed:
		return "已确认"
	case AccountChangeRejected:
		return "已驳回"
	}
	return status
}

// AccountChange is a change of bank account or holder on a student with
// approved, unpaid aid, held until another officer of the county confirms
// it. The old account stays sealed so a rejection can restore it.
type AccountChange struct {
	ID               int64
	StudentID        int64
	RegionCode       string
	OldBankName      string
	OldAccountEnc    string
	OldAccountHash   string
	OldAccountMasked string
	OldHolder        string
	NewBankName      string
	NewAccountMasked string
	NewHolder        string
	HeldFen          Fen
	Status           string
	MadeByID         int64
	MadeBy           string
	MadeAt           time.Time
	DecidedBy        string
	DecidedAt        *time.Time
	Reason           string
}
