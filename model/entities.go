package model

import "time"

type Region struct {
	Code                   string `gorm:"primaryKey"`
	Name                   string
	ParentCode             *string
	ContiguousHardshipArea bool
	CreatedAt              time.Time
}

// SchoolType is the kind of school by 学段, which decides the stage of a grade.
type SchoolType string

const (
	SchoolPrimary           SchoolType = "primary"
	SchoolJunior            SchoolType = "junior"
	SchoolNineYear          SchoolType = "nine_year"
	SchoolSenior            SchoolType = "senior"
	SchoolCompleteSecondary SchoolType = "complete_secondary"
	SchoolVocational        SchoolType = "vocational"
)

var SchoolTypes = []SchoolType{SchoolPrimary, SchoolJunior, SchoolNineYear, SchoolSenior, SchoolCompleteSecondary, SchoolVocational}

func (t SchoolType) Valid() bool {
	for _, x := range SchoolTypes {
		if t == x {
			return true
		}
	}
	return false
}

type School struct {
	ID         int64
	Code       string
	Name       string
	RegionCode string
	Type       SchoolType
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         Role
	RegionCode   *string
	SchoolID     *int64
	Disabled     bool
	// MustChangePassword is set when someone else chose the password (a
	// one-time or admin-reset one): every route but changing it answers 403.
	MustChangePassword bool
	PasswordChangedAt  time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Session is a login token; only its SHA-256 is stored, so a database dump
// gives no usable tokens, and any instance can verify it.
type Session struct {
	ID        int64
	TokenHash string
	UserID    int64
	ClientIP  string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// AuditEntry is one link of the append-only, hash-chained audit log.
type AuditEntry struct {
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	At         time.Time
	ActorID    *int64
	ActorName  string
	Role       string
	Action     string
	Entity     string
	EntityID   string
	BeforeJSON string `gorm:"column:before_json"`
	AfterJSON  string `gorm:"column:after_json"`
	RequestID  string
	ClientIP   string
	// RegionCode is the region the entry belongs to, for scoped reading;
	// empty for work that belongs to no region (visible to admins only).
	RegionCode string
	PrevHash   string
	Hash       string
}
