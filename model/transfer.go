package model

import "time"

// Transfer request statuses.
const (
	TransferPending  = "pending"
	TransferAccepted = "accepted"
	TransferRejected = "rejected"
)

// Transfer is a school's request (转学申请) to enrol a student whom another
// school has enrolled for the school year. Until the current school or its
// county accepts it nothing in the student's file changes; accepting marks
// the current enrolment 转出, after which the new school's roster may enrol
// the student.
type Transfer struct {
	ID           int64
	StudentID    int64
	SchoolYear   string
	FromSchoolID int64
	ToSchoolID   int64
	Status       string
	Note         string
	RequestedBy  string
	RequestedAt  time.Time
	DecidedBy    string
	DecidedAt    *time.Time
	Reason       string
}
