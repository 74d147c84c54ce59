package api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/roster"
)

type rosterReportBody struct {
	ID         int64             `json:"id"`
	Status     string            `json:"status"`
	Progress   int               `json:"progress"`
	SchoolYear string            `json:"school_year"`
	SchoolID   *int64            `json:"school_id"`
	Filename   string            `json:"filename"`
	Mode       string            `json:"mode"`
	DryRun     bool              `json:"dry_run"`
	Rows       int               `json:"rows"`
	Created    int               `json:"created"`
	Updated    int               `json:"updated"`
	Unchanged  int               `json:"unchanged"`
	Rejected   int               `json:"rejected"`
	ErrorCount int               `json:"error_count"`
	Errors     []roster.RowError `json:"errors"`
	Warnings   []roster.RowError `json:"warnings"`
	Message    string            `json:"message"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt *time.Time        `json:"finished_at"`
}

func rosterReportOf(r service.RosterReport) rosterReportBody {
	return rosterReportBody{ID: r.ID, Status: r.Status, Progress: r.Progress, SchoolYear: r.SchoolYear, SchoolID: r.SchoolID, Filename: r.Filename, Mode: r.Mode, DryRun: r.DryRun, Rows: r.Rows,
		Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Rejected: r.Rejected, ErrorCount: r.ErrorCount, Errors: r.Errors, Warnings: r.Warnings, Message: r.Message, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
}

func (s *Server) rosterTemplate(c *gin.Context) {
	year, ok := schoolYearQuery(c)
	if !ok {
		return
	}
	switch c.Query("format") {
	case "", "xlsx":
		sendXLSX(c, "学生资助花名册模板（"+year+"学年）.xlsx", func(b *bytes.Buffer) error { return roster.WriteTemplate(b, year) })
	case "xls":
		// For WPS and Excel 2003, which save .xls; one file for every year.
		var b bytes.Buffer
		if err := roster.WriteTemplateXLS(&b); err != nil {
			writeError(c, err)
			return
		}
		sendFile(c, "学生资助花名册模板（WPS、Excel 97-2003）.xls", xlsType, b.Bytes())
	default:
		fail(c, http.StatusBadRequest, "invalid_format", "format 须为 xlsx 或 xls")
	}
}

func (s *Server) uploadRoster(c *gin.Context) {
	f, fh, ok := formFile(c, "file")
	if !ok {
		return
	}
	defer f.Close()
	up := service.RosterUpload{Filename: fh.Filename, File: f, Size: fh.Size, SchoolYear: c.PostForm("school_year"),
		Mode: c.PostForm("mode"), DryRun: c.PostForm("dry_run") == "true"}
	if v := c.PostForm("school_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail(c, http.StatusBadRequest, "invalid_school_id", "school_id 须为学校编号")
			return
		}
		up.SchoolID = id
	}
	rep, err := s.students.ImportRoster(c.Request.Context(), actor(c), up)
	var se *service.Error
	if errors.As(err, &se) {
		if r, ok := se.Details.(service.RosterReport); ok {
			withBody := *se
			withBody.Details = rosterReportOf(r)
			err = &withBody
		}
	}
	status := http.StatusOK
	if rep.Status == service.ImportProcessing {
		status = http.StatusAccepted
	}
	respond(c, status, rosterReportOf(rep), err)
}

func (s *Server) getRoster(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	rep, err := s.students.GetRosterImport(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, rosterReportOf(rep), err)
}

func (s *Server) rosterErrors(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	b, err := s.students.RosterErrorWorkbook(c.Request.Context(), actor(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "花名册错误行-"+strconv.FormatInt(id, 10)+".xlsx", xlsxType, b)
}

type studentRowBody struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	IDNumber   string `json:"id_number"`
	Sex        string `json:"sex"`
	SchoolID   int64  `json:"school_id"`
	SchoolName string `json:"school_name"`
	SchoolYear string `json:"school_year"`
	Stage      string `json:"stage"`
	Grade      int    `json:"grade"`
	GradeText  string `json:"grade_text"`
	Class      string `json:"class"`
	Boarding   *bool  `json:"boarding"`
	Status     string `json:"status"`
	Level      string `json:"level"`
}

func studentRowOf(r service.StudentRow) studentRowBody {
	return studentRowBody{ID: r.StudentID, Name: r.Name, IDNumber: r.IDMasked, Sex: r.Sex, SchoolID: r.SchoolID, SchoolName: r.SchoolName, SchoolYear: r.SchoolYear, Stage: r.Stage,
		Grade: r.Grade, GradeText: model.GradeText(r.Stage, r.Grade), Class: r.Class, Boarding: r.Boarding, Status: r.Status, Level: r.Level}
}

// studentFilter reads the student list's filters and search.
func studentFilter(c *gin.Context) (service.StudentFilter, bool) {
	f := service.StudentFilter{SchoolYear: c.Query("school_year"), Q: c.Query("q"), Program: c.Query("program"), Sort: c.Query("sort")}
	if v := c.Query("school_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail(c, http.StatusBadRequest, "invalid_school_id", "school_id 须为学校编号")
			return f, false
		}
		f.SchoolID = id
	}
	return f, true
}

func (s *Server) listStudents(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	f, ok := studentFilter(c)
	if !ok {
		return
	}
	f.Page = p
	l, err := s.students.ListStudents(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, listOf(l, studentRowOf), err)
}

type enrolmentBody struct {
	SchoolYear string `json:"school_year"`
	SchoolID   int64  `json:"school_id"`
	SchoolCode string `json:"school_code"`
	SchoolName string `json:"school_name"`
	Stage      string `json:"stage"`
	Grade      int    `json:"grade"`
	Class      string `json:"class"`
	StudentNo  string `json:"student_no"`
	Major      string `json:"major"`
	AgriMajor  bool   `json:"agri_major"`
	Boarding   *bool  `json:"boarding"`
	Status     string `json:"status"`
	Remark     string `json:"remark"`
}

type difficultyBody struct {
	SchoolYear   string    `json:"school_year"`
	Level        string    `json:"level"`
	LevelLabel   string    `json:"level_label"`
	Categories   string    `json:"categories"`
	SchoolID     int64     `json:"school_id"`
	IdentifiedAt time.Time `json:"identified_at"`
}

type changeBody struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Source     string    `json:"source"`
	SchoolYear string    `json:"school_year,omitempty"`
	Field      string    `json:"field"`
	Old        string    `json:"old"`
	New        string    `json:"new"`
}

type studentFileBody struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	IDType      string          `json:"id_type"`
	IDNumber    string          `json:"id_number"`
	Sex         string          `json:"sex"`
	BirthDate   string          `json:"birth_date,omitempty"`
	Household   string          `json:"household"`
	HomeRegion  string          `json:"home_region"`
	Guardian    string          `json:"guardian"`
	BankName    string          `json:"bank_name"`
	BankAccount string          `json:"bank_account"`
	Holder      string          `json:"holder"`
	Phone       string          `json:"phone"`
	Enrolments  []enrolmentBody `json:"enrolments"`
	// AccountChange: a PATCH that changed the account of a student with
	// approved, unpaid aid answers with the change waiting for a second officer.
	AccountChange *accountChangeBody `json:"account_change,omitempty"`
	Difficulty    []difficultyBody   `json:"difficulty"`
	History       []changeBody       `json:"history"`
	Entitlements  []entitlementBody  `json:"entitlements"`
	Payments      []paymentBody      `json:"payments"`
}

type paymentBody struct {
	EntitlementID int64      `json:"entitlement_id"`
	BatchID       int64      `json:"batch_id"`
	BatchNumber   string     `json:"batch_number"`
	Program       string     `json:"program"`
	Term          string     `json:"term"`
	AmountFen     model.Fen  `json:"amount_fen"`
	BankAccount   string     `json:"bank_account"`
	Status        string     `json:"status"`
	FailReason    string     `json:"fail_reason"`
	ResultAt      *time.Time `json:"result_at"`
}

func studentFileOf(f service.StudentFile) studentFileBody {
	st := f.Student
	b := studentFileBody{ID: st.ID, Name: st.Name, IDType: st.IDType, IDNumber: st.IDMasked, Sex: st.Sex,
		Household: st.Household, HomeRegion: st.HomeRegion, Guardian: st.Guardian, BankName: st.BankName,
		BankAccount: f.Account, Holder: st.Holder, Phone: st.PhoneMasked,
		Enrolments: []enrolmentBody{}, Difficulty: []difficultyBody{}, History: []changeBody{},
		Entitlements: []entitlementBody{}, Payments: []paymentBody{}}
	if f.AccountChange != nil {
		ac := accountChangeOf(*f.AccountChange)
		b.AccountChange = &ac
	}
	for _, e := range f.Entitlements {
		e.Name, e.IDMasked = st.Name, st.IDMasked
		b.Entitlements = append(b.Entitlements, entitlementOf(e))
	}
	for _, p := range f.Payments {
		b.Payments = append(b.Payments, paymentBody{EntitlementID: p.EntitlementID, BatchID: p.BatchID, BatchNumber: p.BatchNumber, Program: p.Program, Term: p.Term, AmountFen: p.AmountFen,
			BankAccount: p.AccountMasked, Status: p.Status, FailReason: p.FailReason, ResultAt: p.ResultAt})
	}
	// The file shows the ID masked, so the birth date only by year: the
	// date and the masked ID's first six and last four rebuild the number.
	if st.BirthDate != nil {
		b.BirthDate = st.BirthDate.Format("2006")
	}
	for _, e := range f.Enrolments {
		b.Enrolments = append(b.Enrolments, enrolmentBody{SchoolYear: e.SchoolYear, SchoolID: e.SchoolID, SchoolCode: e.SchoolCode, SchoolName: e.SchoolName, Stage: e.Stage,
			Grade: e.Grade, Class: e.Class, StudentNo: model.MaskStudentNo(e.StudentNo), Major: e.Major, AgriMajor: e.AgriMajor, Boarding: e.Boarding, Status: e.Status, Remark: e.Remark})
	}
	for _, d := range f.Difficulty {
		b.Difficulty = append(b.Difficulty, difficultyBody{SchoolYear: d.SchoolYear, Level: d.Level, LevelLabel: model.LevelLabel(d.Level), Categories: d.Categories, SchoolID: d.SchoolID, IdentifiedAt: d.IdentifiedAt})
	}
	for _, h := range f.Changes {
		b.History = append(b.History, changeBody{At: h.At, Actor: h.ActorName, Source: h.Source, SchoolYear: h.SchoolYear, Field: h.Field, Old: h.OldValue, New: h.NewValue})
	}
	return b
}

func (s *Server) getStudent(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	f, err := s.students.GetStudentFile(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, studentFileOf(f), err)
}

type studentPatchBody struct {
	Guardian    *string `json:"guardian"`
	BankName    *string `json:"bank_name"`
	BankAccount *string `json:"bank_account"`
	Holder      *string `json:"holder"`
	Phone       *string `json:"phone"`
	SchoolYear  string  `json:"school_year"`
	Boarding    *bool   `json:"boarding"`
	Status      *string `json:"status"`
	Class       *string `json:"class"`
	Remark      *string `json:"remark"`
}

func (s *Server) patchStudent(c *gin.Context) {
	id, ok := pathID(c, "id")
	var b studentPatchBody
	if !ok || !bindJSON(c, &b) {
		return
	}
	f, err := s.students.PatchStudent(c.Request.Context(), actor(c), id, service.StudentPatch{
		Guardian: b.Guardian, BankName: b.BankName, BankAccount: b.BankAccount, Holder: b.Holder, Phone: b.Phone,
		SchoolYear: b.SchoolYear, Boarding: b.Boarding, Status: b.Status, Class: b.Class, Remark: b.Remark})
	respond(c, http.StatusOK, studentFileOf(f), err)
}
