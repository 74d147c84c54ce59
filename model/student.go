package model

import "time"

// Student is one person, found by ID number across schools and years.
type Student struct {
	ID            int64
	IDType        string
	IDHash        string
	IDEnc         string
	IDMasked      string
	Name          string
	Sex           string
	BirthDate     *time.Time
	Household     string
	HomeRegion    string
	Guardian      string
	BankName      string
	AccountEnc    string
	AccountHash   string
	AccountMasked string
	Holder        string
	PhoneEnc      string
	PhoneHash     string
	PhoneMasked   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Stages of schooling (学段).
const (
	StagePrimary    = "primary"
	StageJunior     = "junior"
	StageSenior     = "senior"
	StageVocational = "vocational"
)

// Enrolment is a student's record at one school for one school year.
type Enrolment struct {
	ID         int64
	StudentID  int64
	SchoolYear string
	SchoolID   int64
	Stage      string
	Grade      int
	Class      string
	StudentNo  string
	Major      string
	AgriMajor  bool
	Boarding   *bool
	Status     string
	Remark     string
	RosterID   *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Enrolment statuses (学籍状态). StatusEnrolled (在读) is the only status
// that can receive aid.
const (
	StatusEnrolled    = "在读"
	StatusSuspended   = "休学"
	StatusTransferred = "转出"
	StatusGraduated   = "毕业"
	StatusDroppedOut  = "辍学"
	StatusDeceased    = "死亡"
)

// EnrolmentStatuses are every enrolment status, in the order forms list them.
var EnrolmentStatuses = []string{StatusEnrolled, StatusSuspended, StatusTransferred, StatusGraduated, StatusDroppedOut, StatusDeceased}

// Account holders (持卡人): aid is paid to the student's own account or to
// the guardian's.
const (
	HolderSelf     = "本人"
	HolderGuardian = "监护人"
)

// FieldBankAccount is the field a change of bank account is recorded under
// in a student file's history (student_changes.field).
const FieldBankAccount = "银行卡号"

// FieldStudentNo is the field a change of 学籍号 is recorded under, masked:
// a national 学籍号 holds the ID number.
const FieldStudentNo = "学籍号"

// DifficultyRecord is the 家庭经济困难认定 of one student for one school year.
type DifficultyRecord struct {
	ID           int64
	StudentID    int64
	SchoolYear   string
	Level        string // special, hard, general
	Categories   string // 、-separated, in POLICY.md's order
	SchoolID     int64
	IdentifiedBy *int64
	IdentifiedAt time.Time
	UpdatedAt    time.Time
}

// StudentChange is one changed field of a file, keeping the old value
// readable (sensitive values masked).
type StudentChange struct {
	ID         int64
	StudentID  int64
	At         time.Time
	ActorName  string
	Source     string
	SchoolYear string
	Field      string
	OldValue   string
	NewValue   string
}

// RosterImport is one upload and its report.
type RosterImport struct {
	ID             int64
	SchoolYear     string
	SchoolID       *int64
	RegionCode     string
	UploaderID     int64
	UploaderName   string
	Filename       string
	FileSHA256     string `gorm:"column:file_sha256"`
	Mode           string
	DryRun         bool
	Status         string
	Progress       int
	TotalRows      int
	CreatedCount   int
	UpdatedCount   int
	UnchangedCount int
	RejectedCount  int
	Message        string
	ErrorsJSON     string `gorm:"column:errors_json"`
	ErrorsXLSX     []byte `gorm:"column:errors_xlsx"`
	CreatedAt      time.Time
	HeartbeatAt    *time.Time
	FinishedAt     *time.Time
}
