package service

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/roster"
)

// Import modes of POST /rosters.
const (
	ModeAllOrNothing = "all_or_nothing"
	ModeValidRows    = "valid_rows"
)

// Import statuses.
const (
	ImportProcessing = "processing" // running in the background
	ImportDone       = "done"       // rows were imported
	ImportChecked    = "checked"    // a dry run: validated, nothing written
	ImportRejected   = "rejected"   // bad rows in all_or_nothing: nothing imported
	ImportFailed     = "failed"     // an internal error: nothing imported
)

// errEarlyUnusable: the rows written while reading cannot stand (a later
// duplicate ID number failed some of them); the import writes afresh.
var errEarlyUnusable = errors.New("roster rows written early do not match the final rows")

// maxReportedErrors caps the errors carried in JSON; the error workbook has all.
const maxReportedErrors = 1000

// RosterUpload is one POST /rosters.
type RosterUpload struct {
	Filename   string
	File       io.ReaderAt
	Size       int64
	SchoolYear string
	SchoolID   int64 // 0: a county upload naming each row's school
	Mode       string
	DryRun     bool
}

// RosterReport is what an import did, row by row.
type RosterReport struct {
	ID         int64
	Status     string
	Progress   int
	SchoolYear string
	SchoolID   *int64
	Filename   string
	Mode       string
	DryRun     bool
	Rows       int
	Created    int
	Updated    int
	Unchanged  int
	Rejected   int
	ErrorCount int
	Errors     []roster.RowError
	Warnings   []roster.RowError // corrections made to accepted rows
	Message    string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

func reportOf(ri model.RosterImport) RosterReport {
	r := RosterReport{ID: ri.ID, Status: ri.Status, Progress: ri.Progress, SchoolYear: ri.SchoolYear, SchoolID: ri.SchoolID,
		Filename: ri.Filename, Mode: ri.Mode, DryRun: ri.DryRun, Rows: ri.TotalRows, Created: ri.CreatedCount,
		Updated: ri.UpdatedCount, Unchanged: ri.UnchangedCount, Rejected: ri.RejectedCount, Message: ri.Message,
		CreatedAt: ri.CreatedAt, FinishedAt: ri.FinishedAt}
	var stored struct {
		Count    int               `json:"count"`
		Errors   []roster.RowError `json:"errors"`
		Warnings []roster.RowError `json:"warnings"`
	}
	_ = json.Unmarshal([]byte(ri.ErrorsJSON), &stored)
	r.ErrorCount, r.Errors, r.Warnings = stored.Count, stored.Errors, stored.Warnings
	if r.Errors == nil {
		r.Errors = []roster.RowError{}
	}
	if r.Warnings == nil {
		r.Warnings = []roster.RowError{}
	}
	return r
}

// uploadTarget resolves which schools an upload may write to.
func (s *Students) uploadTarget(ctx context.Context, a model.Actor, schoolID int64) (*roster.School, map[string]roster.School, error) {
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return nil, nil, errRoleForbidden
	}
	if a.ScopeKind() == "school" {
		if schoolID != 0 && schoolID != a.SchoolID {
			return nil, nil, forbidden("只能上传本校的花名册")
		}
		schoolID = a.SchoolID
	}
	if schoolID != 0 {
		var sc model.School
		if err := s.db.WithContext(ctx).First(&sc, schoolID).Error; err != nil {
			return nil, nil, translate(err, "学校")
		}
		if !seesSchool(a, sc) {
			return nil, nil, forbidden("只能为本县（区）的学校上传花名册")
		}
		rs := rosterSchool(sc)
		return &rs, nil, nil
	}
	var schools []model.School
	if err := inScopeSchools(s.db.WithContext(ctx), a, "id").Find(&schools).Error; err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]roster.School, len(schools))
	for _, sc := range schools {
		byCode[sc.Code] = rosterSchool(sc)
	}
	return nil, byCode, nil
}

func rosterSchool(sc model.School) roster.School {
	return roster.School{ID: sc.ID, Code: sc.Code, Name: sc.Name, Type: string(sc.Type)}
}

// ImportRoster validates an uploaded roster and, unless it is a dry run or has
// bad rows in all_or_nothing mode, writes it in one transaction: a failure at
// any point leaves the files as they were (hard rule 5).
func (s *Students) ImportRoster(ctx context.Context, a model.Actor, up RosterUpload) (RosterReport, error) {
	if up.Mode == "" {
		up.Mode = ModeAllOrNothing
	}
	if up.Mode != ModeAllOrNothing && up.Mode != ModeValidRows {
		return RosterReport{}, invalid("mode 须为 all_or_nothing 或 valid_rows")
	}
	if err := model.ParseSchoolYear(up.SchoolYear); err != nil {
		return RosterReport{}, invalid("学年格式应为 2025-2026")
	}
	def, byCode, err := s.uploadTarget(ctx, a, up.SchoolID)
	if err != nil {
		return RosterReport{}, err
	}
	sum, err := fileSHA256(up.File, up.Size)
	if err != nil {
		return RosterReport{}, err
	}
	ri := model.RosterImport{SchoolYear: up.SchoolYear, RegionCode: a.RegionCode, UploaderID: a.UserID, UploaderName: a.Username,
		Filename: truncateRunes(up.Filename, 200), FileSHA256: sum, Mode: up.Mode, DryRun: up.DryRun, Status: ImportProcessing,
		ErrorsJSON: "{}", CreatedAt: s.now()}
	if def != nil {
		ri.SchoolID = &def.ID
	}
	if err := s.db.WithContext(ctx).Create(&ri).Error; err != nil {
		return RosterReport{}, err
	}
	opt := roster.Options{SchoolYear: up.SchoolYear, Now: s.opt.Now(), MaxRows: s.opt.RosterMaxRows, MaxBytes: s.opt.RosterMaxBytes,
		DefaultSchool: def}
	if def == nil {
		opt.LookupSchool = func(code string) (roster.School, bool) { sc, ok := byCode[code]; return sc, ok }
	}
	// A file over the size limit is refused at once (413), not after a 202.
	if s.opt.RosterAsyncBytes > 0 && up.Size > s.opt.RosterAsyncBytes && up.Size <= cmp.Or(s.opt.RosterMaxBytes, roster.DefaultMaxBytes) {
		return s.importInBackground(ctx, a, ri, up, opt)
	}
	return s.runImport(ctx, a, ri, up.File, up.Size, opt)
}

// importInBackground copies the upload to a temporary file (the request's
// copy goes away with the request) and imports it on the service's own
// context, answering at once with the processing report (202).
func (s *Students) importInBackground(ctx context.Context, a model.Actor, ri model.RosterImport, up RosterUpload, opt roster.Options) (RosterReport, error) {
	tmp, err := s.keepUpload(up)
	if err != nil {
		s.finishImport(ctx, &ri, ImportFailed, "上传文件未能保存，未导入任何数据："+userMessage(err))
		return reportOf(ri), err
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if err := safely(func() error { _, err := s.runImport(s.bgCtx, a, ri, tmp, up.Size, opt); return err }); err != nil {
			s.log.Warn("background roster import ended with an error", "import", ri.ID, "err", err)
		}
	}()
	return reportOf(ri), nil
}

// keepUpload copies the upload to the data directory. A full disk is said
// in words (the administrator must free space); no partial copy stays.
func (s *Students) keepUpload(up RosterUpload) (*os.File, error) {
	tmp, err := os.CreateTemp(s.opt.TempDir, "roster-*.xlsx")
	if err != nil {
		return nil, storageErr(err)
	}
	if err = s.fault(FaultRosterUploadCopy); err == nil {
		_, err = io.Copy(tmp, io.NewSectionReader(up.File, 0, up.Size))
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, storageErr(err)
	}
	return tmp, nil
}

func (s *Students) runImport(ctx context.Context, a model.Actor, ri model.RosterImport, file io.ReaderAt, size int64, opt roster.Options) (RosterReport, error) {
	stop := s.heartbeat(ctx, ri.ID)
	defer stop()
	var early *earlyApply
	db := func(fn func(*gorm.DB) error) error { return fn(s.db.WithContext(ctx)) }
	if !ri.DryRun {
		if early = s.startEarlyApply(ctx, a, ri, &opt); early != nil {
			defer early.rollback()
			db = early.query
		}
	}
	opt.Refuse = s.refuseEnrolledElsewhere(a, ri.SchoolYear, db)
	res, err := s.parseImport(ctx, &ri, file, size, opt, early)
	if err != nil {
		return reportOf(ri), err
	}
	var counts importCounts
	if ri.DryRun {
		err = s.tx(ctx, func(tx *gorm.DB) error {
			counts, err = s.applyRoster(ctx, tx, a, ri, res.Rows, false)
			return err
		})
	} else {
		defer s.counts.forget() // the lists' totals, once committed
		err = s.commitImport(ctx, a, &ri, res.Rows, early)
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another upload created the same students a moment before this one.
		err = conflict("其他用户正在导入相同的学生，本次未导入任何数据，请稍后重新上传")
	}
	if err != nil {
		s.finishImport(context.WithoutCancel(ctx), &ri, ImportFailed, "导入失败，未导入任何数据："+userMessage(err))
		return reportOf(ri), translate(err, "学生")
	}
	if ri.DryRun {
		ri.CreatedCount, ri.UpdatedCount, ri.UnchangedCount = counts.created, counts.updated, counts.unchanged
		s.finishImport(ctx, &ri, ImportChecked, "")
	}
	return reportOf(ri), nil
}

// parseImport reads the file and records its errors (the error workbook
// sealed: its rows hold ID and account numbers). A file refused as a whole,
// or failing rows under all-or-nothing, finish the import here with the
// error to return.
func (s *Students) parseImport(ctx context.Context, ri *model.RosterImport, file io.ReaderAt, size int64, opt roster.Options, early *earlyApply) (*roster.Result, error) {
	res, err := roster.Parse(file, size, opt)
	if early != nil {
		early.parsed()
		if err != nil || (len(res.Failed) > 0 && ri.Mode == ModeAllOrNothing) {
			early.rollback() // nothing of the file is imported
		}
	}
	var fe *roster.FileError
	if errors.As(err, &fe) {
		s.finishImport(ctx, ri, ImportRejected, fe.Message)
		return res, fileError(fe, reportOf(*ri))
	}
	if err != nil {
		s.finishImport(ctx, ri, ImportFailed, "导入失败，未导入任何数据，请稍后重试")
		return res, err
	}
	ri.TotalRows, ri.RejectedCount = res.Total, len(res.Failed)
	ri.ErrorsJSON = errorsJSON(res.Errors, res.Rows)
	if len(res.Failed) > 0 {
		var buf bytes.Buffer
		if err := roster.WriteErrorWorkbook(&buf, res.Headers, res.Failed, s.opt.TempDir); err != nil {
			return res, err
		}
		ri.ErrorsXLSX = s.keys.SealBytes(buf.Bytes())
	}
	s.setProgress(ctx, ri.ID, 50)
	if len(res.Failed) > 0 && ri.Mode == ModeAllOrNothing {
		ri.RejectedCount = res.Total // nothing of the file is imported
		s.finishImport(ctx, ri, ImportRejected, fmt.Sprintf("有 %d 行存在错误，未导入任何数据。请按错误说明修改后重新上传，或选择“只导入正确的行”", len(res.Failed)))
		rep := reportOf(*ri)
		e := ruleErr("roster_has_errors", "%s", ri.Message)
		e.Details = rep
		return res, e
	}
	return res, nil
}

// commitImport writes the rows not yet written while reading, the record
// saying done and its audit entry in one transaction: on the early
// transaction when its rows can stand, else from the final rows with the
// retries of a bulk write.
func (s *Students) commitImport(ctx context.Context, a model.Actor, ri *model.RosterImport, rows []roster.Row, early *earlyApply) error {
	write := func(tx *gorm.DB, done importCounts, rest []roster.Row) error {
		counts, err := s.applyRoster(ctx, tx, a, *ri, rest, true)
		if err != nil {
			return err
		}
		counts.add(done)
		ri.CreatedCount, ri.UpdatedCount, ri.UnchangedCount = counts.created, counts.updated, counts.unchanged
		ri.Status, ri.Progress = ImportDone, 100
		now := s.now()
		ri.FinishedAt = &now
		ri.Message = importMessage(*ri)
		if err := tx.Save(ri).Error; err != nil {
			return err
		}
		if err := s.audit(tx, a, "import", "roster", strconv.FormatInt(ri.ID, 10), nil, map[string]any{
			"school_year": ri.SchoolYear, "school_id": ri.SchoolID, "file": ri.Filename, "sha256": ri.FileSHA256,
			"rows": ri.TotalRows, "created": ri.CreatedCount, "updated": ri.UpdatedCount,
			"unchanged": ri.UnchangedCount, "rejected": ri.RejectedCount}); err != nil {
			return err
		}
		return s.fault(FaultRosterBeforeCommit)
	}
	err := errEarlyUnusable
	if early != nil && early.usable(rows) {
		err = early.finish(func(tx *gorm.DB) error { return write(tx, early.counts, rows[len(early.lines):]) })
	}
	if errors.Is(err, errEarlyUnusable) || retryable(err) {
		if early != nil {
			early.rollback()
		}
		err = s.bulkTx(ctx, func(tx *gorm.DB) error { return write(tx, importCounts{}, rows) })
	}
	return err
}

func importMessage(ri model.RosterImport) string {
	verb := "导入完成"
	if ri.DryRun {
		verb = "检查完成（未写入）"
	}
	return fmt.Sprintf("%s：共 %d 行，新增 %d，更新 %d，未变 %d，错误 %d", verb, ri.TotalRows, ri.CreatedCount,
		ri.UpdatedCount, ri.UnchangedCount, ri.RejectedCount)
}

// finishImport records how an import ended that wrote no students.
func (s *Students) finishImport(ctx context.Context, ri *model.RosterImport, status, message string) {
	now := s.now()
	ri.Status, ri.FinishedAt, ri.Progress = status, &now, 100
	if message == "" {
		message = importMessage(*ri)
	}
	ri.Message = truncateRunes(message, 240)
	if err := s.db.WithContext(ctx).Save(ri).Error; err != nil {
		s.log.ErrorContext(ctx, "recording roster import", "import", ri.ID, "err", err)
	}
}

// importHeartbeat is how often a running import says it is alive; an
// import silent for importStale was cut short (its process died).
const (
	importHeartbeat = 15 * time.Second
	importStale     = time.Minute
)

// heartbeat keeps the import's heartbeat_at fresh while it runs, so that a
// restarted instance can tell a dead import from one running elsewhere.
// SQLite has one instance and its connection is busy inside the import's
// transaction, so there the heartbeat is not needed and not written.
func (s *Students) heartbeat(ctx context.Context, id int64) (stop func()) {
	beat := func() {
		s.db.WithContext(ctx).Model(&model.RosterImport{}).Where("id = ?", id).Update("heartbeat_at", s.now())
	}
	if s.engine.oneConnection() {
		return func() {}
	}
	beat()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(importHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				beat()
			}
		}
	}()
	return func() { close(done) }
}

// FailStaleImports records imports cut short by a crash as failed: their
// transaction rolled back, so nothing of them was imported. Run at start.
func (s *Jobs) FailStaleImports(ctx context.Context) (int64, error) {
	q := s.db.WithContext(ctx).Model(&model.RosterImport{}).Where("status = ?", ImportProcessing)
	if !s.engine.oneConnection() {
		q = q.Where("heartbeat_at IS NULL OR heartbeat_at < ?", s.now().Add(-importStale))
	} else {
		// One process writes a SQLite file: what it started is not stale.
		q = q.Where("created_at < ?", s.started)
	}
	return failImports(q, s.now(), "导入被中断（服务重启），未导入任何数据，请重新上传")
}

func failImports(q *gorm.DB, now time.Time, message string) (int64, error) {
	res := q.Updates(map[string]any{"status": ImportFailed, "progress": 100, "finished_at": now, "message": message})
	return res.RowsAffected, res.Error
}

// failIfDead records as failed an import whose heartbeat has stopped: its
// process died, or its transaction failed while the database was away and
// the failure could not be written then. Not on SQLite, which keeps no
// heartbeat (there a processing import is running).
func (s *Students) failIfDead(ctx context.Context, ri *model.RosterImport) error {
	if ri.Status != ImportProcessing || ri.HeartbeatAt == nil || s.engine == EngineSQLite ||
		!ri.HeartbeatAt.Before(s.now().Add(-importStale)) {
		return nil
	}
	q := s.db.WithContext(ctx).Model(&model.RosterImport{}).
		Where("id = ? AND status = ? AND heartbeat_at < ?", ri.ID, ImportProcessing, s.now().Add(-importStale))
	if _, err := failImports(q, s.now(), "导入已中断（处理该导入的服务停止响应或数据库中断），未导入任何数据，请重新上传"); err != nil {
		return err
	}
	return s.db.WithContext(ctx).First(ri, ri.ID).Error
}

// setProgress records how far an import got, for every instance to see.
// Not on SQLite: its one connection is inside the import's transaction
// (opened while the file is still being read) until the end.
func (s *Students) setProgress(ctx context.Context, id int64, pct int) {
	if s.engine.oneConnection() {
		return
	}
	s.db.WithContext(ctx).Model(&model.RosterImport{}).Where("id = ?", id).Update("progress", pct)
}

func fileError(fe *roster.FileError, rep RosterReport) *Error {
	return &Error{Code: fileErrorCode(fe.Kind), Reason: fe.Code, Message: fe.Message, Details: rep}
}

// fileErrorCode is the error code of a problem with an uploaded workbook.
func fileErrorCode(k roster.Kind) Code {
	switch k {
	case roster.TooLarge:
		return CodeTooLarge
	case roster.NotARoster:
		return CodeRule
	}
	return CodeInvalid
}

// errorsJSON keeps the first errors of a file and the first warnings of its
// accepted rows for the report.
func errorsJSON(errs []roster.RowError, rows []roster.Row) string {
	shown := errs
	if len(shown) > maxReportedErrors {
		shown = shown[:maxReportedErrors]
	}
	var warns []roster.RowError
	for _, r := range rows {
		if len(warns) >= maxReportedErrors {
			break
		}
		warns = append(warns, r.Warnings...)
	}
	b, _ := json.Marshal(map[string]any{"count": len(errs), "errors": shown, "warnings": warns})
	return string(b)
}

func fileSHA256(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// userMessage is the part of an error a user may read.
func userMessage(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.Message
	}
	return "内部错误"
}

// GetRosterImport returns an import's report to whoever may see its school.
func (s *Students) GetRosterImport(ctx context.Context, a model.Actor, id int64) (RosterReport, error) {
	ri, err := s.rosterImport(ctx, a, id)
	if err == nil {
		err = s.failIfDead(ctx, &ri)
	}
	return reportOf(ri), err
}

// RosterErrorWorkbook returns the failed rows of an import as .xlsx; the
// download is audited since the rows hold personal data.
func (s *Students) RosterErrorWorkbook(ctx context.Context, a model.Actor, id int64) ([]byte, error) {
	ri, err := s.rosterImport(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if len(ri.ErrorsXLSX) == 0 {
		return nil, newErr(CodeNotFound, "no_errors", "这次导入没有错误行")
	}
	b, err := s.keys.OpenBytes(ri.ErrorsXLSX)
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "roster_errors", strconv.FormatInt(id, 10), nil, map[string]any{"rows": ri.RejectedCount})
	return b, nil
}

func (s *Students) rosterImport(ctx context.Context, a model.Actor, id int64) (model.RosterImport, error) {
	var ri model.RosterImport
	if a.Is(model.RoleAdmin) {
		return ri, errStudentData
	}
	if err := s.db.WithContext(ctx).First(&ri, id).Error; err != nil {
		return ri, translate(err, "导入记录")
	}
	visible := ri.UploaderID == a.UserID
	if !visible && ri.SchoolID != nil && a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer, model.RoleAuditor) {
		var sc model.School
		visible = s.db.WithContext(ctx).First(&sc, *ri.SchoolID).Error == nil && seesSchool(a, sc)
	}
	if !visible && ri.SchoolID == nil && a.Is(model.RoleCountyOfficer, model.RoleAuditor) {
		visible = seesRegion(a, ri.RegionCode)
	}
	if !visible {
		return model.RosterImport{}, notFound("导入记录")
	}
	return ri, nil
}
