package roster

import (
	"time"

	"studentaid/model"
)

// What a parse is given and gives back: the upload's options, a valid row,
// a row's errors, and the result.

// School is a school a roster row can belong to.
type School struct {
	ID   int64
	Code string
	Name string
	Type string // primary, junior, nine_year, senior, complete_secondary, vocational
}

// Options are the limits and the context of one upload.
type Options struct {
	SchoolYear string    // e.g. "2025-2026": the year the roster describes
	Now        time.Time // today, for birth dates; the zero time means time.Now()

	MaxRows  int   // data rows; default 200000
	MaxBytes int64 // size of the upload; default 50 MiB
	// Zip bomb limits: the unpacked size may not exceed MaxUnzipRatio times
	// the file's size (default 100) nor MaxUnzipSize (default 1 GiB).
	MaxUnzipRatio int
	MaxUnzipSize  int64
	// Bounds on the text read, in bytes of UTF-8, which bound the memory
	// a file can take however it is compressed: one cell, one row (its
	// text plus 16 bytes a cell; its XML may be 8 times that), all rows
	// together (the shared strings of an .xlsx have as much again). A file
	// past one is refused as too large while it is read.
	MaxCellBytes int64
	MaxRowBytes  int64
	MaxTextBytes int64
	// Document is what the file is called in the messages of those
	// bounds: 花名册 unless set (OpenWorkbook's callers name theirs).
	Document string

	// DefaultSchool is the uploader's school for a school officer's upload;
	// when nil every row names its school in 学校标识码.
	DefaultSchool *School
	// LookupSchool finds a school in the uploader's scope by its code.
	LookupSchool func(code string) (School, bool)

	// OnRows, when set, receives the rows that passed so far, in file order,
	// every StreamRows of them, while the file is still being read, so the
	// caller can start writing them. They are not final: a later row with
	// the same ID number fails both (Result.Rows is the final word).
	OnRows     func([]Row)
	StreamRows int

	// Refuse, when set, is asked about the rows that passed, a chunk at a
	// time, once the whole file is read; the rows it names (by line) fail
	// with its error on the ID column. Checks that need the database (who
	// may change a student) come in here.
	Refuse func([]Row) (map[int]string, error)
}

// Defaults.
const (
	DefaultMaxRows       = 200000
	rosterDocument       = "花名册" // what the messages call the file unless Options.Document says otherwise
	DefaultMaxBytes      = 50 << 20
	DefaultMaxUnzipRatio = 100
	DefaultMaxUnzipSize  = 1 << 30
)

func (o Options) withDefaults() Options {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxUnzipRatio <= 0 {
		o.MaxUnzipRatio = DefaultMaxUnzipRatio
	}
	if o.MaxUnzipSize <= 0 {
		o.MaxUnzipSize = DefaultMaxUnzipSize
	}
	if o.MaxCellBytes <= 0 {
		o.MaxCellBytes = DefaultMaxCellBytes
	}
	if o.MaxRowBytes <= 0 {
		o.MaxRowBytes = DefaultMaxRowBytes
	}
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = DefaultMaxTextBytes
	}
	if o.Document == "" {
		o.Document = rosterDocument
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// Row is one valid roster row with every field normalised.
type Row struct {
	Line        int // Excel row number
	School      School
	Name        string
	IDNumber    model.IDNumber
	StudentNo   string
	Sex         string // 男 or 女; from the ID number when the cell was empty
	Grade       int    // 1–9, 10–12 for senior high school, 1–3 for vocational
	Stage       string // primary, junior, senior, vocational
	Class       string
	Major       string
	AgriMajor   bool
	Boarding    *bool // nil when not given
	Household   string
	HomeRegion  string
	Status      string
	Level       string   // special, hard, general, or "" when not identified
	Categories  []string // in the order of POLICY.md's list
	Guardian    string
	BankName    string
	BankAccount string
	Holder      string // 本人 or 监护人
	Phone       string
	Remark      string
	Warnings    []RowError // corrections made to the row as uploaded
}

// RowError is one problem in one cell. Value is what was uploaded, masked
// for ID, account and phone numbers.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// FailedRow is a rejected row as it was uploaded, for the error workbook.
type FailedRow struct {
	Row    int
	Cells  []string
	Errors []RowError
}

// Result is a parsed roster: the valid rows and every problem of the others.
type Result struct {
	Sheet   string
	Headers []string // row 1 as uploaded
	Rows    []Row
	Failed  []FailedRow
	Errors  []RowError // all errors of Failed, by row then column
	Total   int        // non-empty data rows
}
