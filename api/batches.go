package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
)

type batchBody struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"`
	RegionCode   string     `json:"region_code"`
	Program      string     `json:"program"`
	Term         string     `json:"term"`
	Lines        int        `json:"lines"`
	TotalFen     model.Fen  `json:"total_fen"`
	Status       string     `json:"status"`
	LedgerSHA256 string     `json:"ledger_sha256"`
	LinesSHA256  string     `json:"lines_sha256"`
	CreatedAt    time.Time  `json:"created_at"`
	ApprovedAt   *time.Time `json:"approved_at"`
	ApprovedBy   string     `json:"approved_by"`
	PaidAt       *time.Time `json:"paid_at"`
	// TotalCapital is the total in 大写 as on the ledger (人民币…元整), for
	// the page's confirmation and the batch's facts.
	TotalCapital string `json:"total_capital"`
}

func batchOf(b model.Batch) batchBody {
	return batchBody{ID: b.ID, Number: b.Number, RegionCode: b.RegionCode, Program: b.Program, Term: b.Term, Lines: b.LineCount, TotalFen: b.TotalFen, Status: b.Status, LedgerSHA256: b.LedgerSHA256,
		LinesSHA256: b.LinesSHA256, CreatedAt: b.CreatedAt, ApprovedAt: b.ApprovedAt, ApprovedBy: b.ApprovedBy, PaidAt: b.PaidAt, TotalCapital: b.TotalFen.Capital()}
}

func (s *Server) listBatches(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	f := batchFilter(c)
	f.Page = p
	l, err := s.batches.ListBatches(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, listOf(l, batchOf), err)
}

func batchFilter(c *gin.Context) service.BatchFilter {
	return service.BatchFilter{RegionCode: c.Query("region_code"), Program: c.Query("program"), Term: c.Query("term"), Status: c.Query("status"), Sort: c.Query("sort")}
}

type batchSchoolBody struct {
	SchoolID   int64     `json:"school_id"`
	SchoolCode string    `json:"school_code"`
	SchoolName string    `json:"school_name"`
	Lines      int       `json:"lines"`
	TotalFen   model.Fen `json:"total_fen"`
}

func (s *Server) getBatch(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	d, err := s.batches.GetBatch(c.Request.Context(), actor(c), id)
	schools := make([]batchSchoolBody, 0, len(d.Schools))
	for _, x := range d.Schools {
		schools = append(schools, batchSchoolBody{SchoolID: x.SchoolID, SchoolCode: x.SchoolCode, SchoolName: x.SchoolName, Lines: x.LineCount, TotalFen: x.TotalFen})
	}
	respond(c, http.StatusOK, gin.H{"batch": batchOf(d.Batch), "schools": schools, "lines_by_status": d.Status}, err)
}

type lineBody struct {
	Seq         int        `json:"seq"`
	StudentID   int64      `json:"student_id"`
	SchoolName  string     `json:"school_name"`
	Grade       string     `json:"grade"`
	Class       string     `json:"class"`
	Name        string     `json:"name"`
	IDNumber    string     `json:"id_number"`
	StudentNo   string     `json:"student_no"`
	Level       string     `json:"level"`
	AnnualFen   model.Fen  `json:"annual_fen"`
	AmountFen   model.Fen  `json:"amount_fen"`
	BankName    string     `json:"bank_name"`
	BankAccount string     `json:"bank_account"`
	Holder      string     `json:"holder"`
	HolderName  string     `json:"holder_name"`
	Status      string     `json:"status"`
	FailReason  string     `json:"fail_reason"`
	ResultAt    *time.Time `json:"result_at"`
}

func lineOf(l service.LineView) lineBody {
	return lineBody{Seq: l.Seq, StudentID: l.StudentID, SchoolName: l.SchoolName, Grade: model.GradeText(l.Stage, l.Grade), Class: l.Class, Name: l.Name, IDNumber: l.IDNumber, StudentNo: l.StudentNo,
		Level: model.LevelLabel(l.Level), AnnualFen: l.AnnualFen, AmountFen: l.AmountFen, BankName: l.BankName, BankAccount: l.BankAccount, Holder: l.Holder, HolderName: l.HolderName,
		Status: l.Status, FailReason: l.FailReason, ResultAt: l.ResultAt}
}

func (s *Server) listBatchLines(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	p, ok := page(c)
	if !ok {
		return
	}
	f := lineFilter(c)
	f.Page = p
	l, err := s.batches.ListLines(c.Request.Context(), actor(c), id, f)
	// The 合计 row covers all the lines the filter keeps, not only this page.
	respond(c, http.StatusOK, struct {
		listBody[lineBody]
		TotalFen model.Fen `json:"total_fen"`
	}{listBody: listOf(l.List, lineOf), TotalFen: l.TotalFen}, err)
}

func lineFilter(c *gin.Context) service.LineFilter {
	return service.LineFilter{Status: c.Query("status"), Q: c.Query("q"), Sort: c.Query("sort")}
}

// exportBatchLines is GET /batches/{id}/lines.xlsx: the lines as the page
// lists them, every page, with a 合计 row.
func (s *Server) exportBatchLines(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	data, b, err := s.batches.LinesWorkbook(c.Request.Context(), actor(c), id, lineFilter(c))
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, b.Number+"-发放明细.xlsx", xlsxType, data)
}

// ledger serves the stored bytes with their SHA-256 as ETag, so a client
// can tell it holds the very file that was generated.
func (s *Server) ledger(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	f, err := s.batches.LedgerInfo(c.Request.Context(), actor(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	etag := `"` + f.SHA256 + `"`
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	name := f.Batch.Number + "-发放台账.xlsx"
	if f.Masked {
		name = f.Batch.Number + "-发放台账（脱敏）.xlsx"
	}
	setDownloadName(c, name)
	c.Header("Content-Type", xlsxType)
	c.Header("Content-Length", strconv.FormatInt(f.Size, 10))
	c.Status(http.StatusOK)
	if err := s.batches.CopyLedger(c.Request.Context(), f, c.Writer); err != nil {
		// Headers are gone; a cut connection is all the client can be told.
		s.log.ErrorContext(c.Request.Context(), "streaming ledger", "batch", id, "err", err)
	}
}

func (s *Server) bankFile(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	f, err := s.batches.BankFileOf(c.Request.Context(), actor(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("X-Bank-File-Parts", strconv.Itoa(f.Parts))
	sendFile(c, f.Filename, f.ContentType, f.Bytes)
}

func (s *Server) approveBatch(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	b, err := s.batches.ApproveBatch(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, batchOf(b), err)
}

func (s *Server) batchResults(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	f, fh, ok := formFile(c, "file")
	if !ok {
		return
	}
	defer f.Close()
	out, err := s.batches.ApplyBankResults(c.Request.Context(), actor(c), id, fh.Filename, f, fh.Size)
	respond(c, http.StatusOK, gin.H{"batch_status": out.BatchStatus, "paid": out.Paid, "failed": out.Failed,
		"unchanged": out.Unchanged, "pending": out.Pending}, err)
}

type runBody struct {
	ID           int64      `json:"id"`
	Job          string     `json:"job"`
	Instance     string     `json:"instance"`
	Trigger      string     `json:"trigger"`
	ScheduledFor *time.Time `json:"scheduled_for"`
	DryRun       bool       `json:"dry_run"`
	Status       string     `json:"status"`
	Made         any        `json:"made"`
	Error        string     `json:"error"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

func runOf(r model.JobRun) runBody {
	return runBody{ID: r.ID, Job: r.Job, Instance: r.Instance, Trigger: r.TriggerKind, ScheduledFor: r.ScheduledFor, DryRun: r.DryRun, Status: r.Status, Made: rawJSON(r.Made), Error: r.Error, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

type jobBody struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	Schedule string `json:"schedule"`
	// ScheduleText is the schedule in words, for people.
	ScheduleText string     `json:"schedule_text"`
	NextRun      *time.Time `json:"next_run"`
	LastRun      *runBody   `json:"last_run"`
	Holder       string     `json:"lease_holder"`
}

var errNoScheduler = &service.Error{Code: service.CodeUnavailable, Reason: "no_scheduler", Message: "本实例未启用任务调度"}

func (s *Server) listJobs(c *gin.Context) {
	if s.opt.Jobs == nil {
		writeError(c, errNoScheduler)
		return
	}
	infos, err := s.opt.Jobs.Jobs(c.Request.Context(), actor(c))
	out := make([]jobBody, 0, len(infos))
	for _, i := range infos {
		jb := jobBody{Name: i.Name, Title: i.Title, Schedule: i.Schedule, ScheduleText: jobs.ScheduleWords(i.Schedule), NextRun: i.NextRun, Holder: i.Holder}
		if i.LastRun != nil {
			r := runOf(*i.LastRun)
			jb.LastRun = &r
		}
		out = append(out, jb)
	}
	respond(c, http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)}, err)
}

func (s *Server) runJob(c *gin.Context) {
	if s.opt.Jobs == nil {
		writeError(c, errNoScheduler)
		return
	}
	// A run that failed is still answered 200: the failure is its recorded outcome.
	r, err := s.opt.Jobs.RunNow(c.Request.Context(), actor(c), c.Param("name"), c.Query("dry_run") == "true")
	respond(c, http.StatusOK, runOf(r), err)
}

func (s *Server) listRuns(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.jobs.ListRuns(c.Request.Context(), actor(c), c.Query("name"), p)
	respond(c, http.StatusOK, listOf(l, runOf), err)
}

func (s *Server) summaryReport(c *gin.Context) {
	term, region := c.Query("term"), c.Query("region_code")
	b, err := s.reports.SummaryReport(c.Request.Context(), actor(c), term, region)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "学生资助汇总表-"+term+".xlsx", xlsxType, b)
}
