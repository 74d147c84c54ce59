package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/scripts/genroster/gen"
	"studentaid/service"
)

func numCPU() int { return runtime.NumCPU() }

func tasks() []task {
	return []task{
		{"gen", taskGen},
		{"ref-read", taskRefRead},
		{"ref-insert", taskRefInsert},
		{"roster-import", taskRosterImport},
		{"roster-reimport", taskRosterReimport},
		{"calc-load", taskCalcLoad},
		{"calc", taskCalc},
		{"ref-stream", taskRefStream},
		{"batch", taskBatch},
		{"ledger", taskLedger},
		{"anomaly", taskAnomaly},
		{"api-load", taskAPILoad},
		{"api", taskAPI},
		{"loan-gen", taskLoanGen},
		{"loan-ref-read", taskLoanRefRead},
		{"loan-ref", taskLoanRef},
		{"loan-import", taskLoanImport},
		{"loan-statement-load", taskLoanStatementLoad},
		{"loan-statement-ref", taskLoanStatementRef},
		{"loan-statement", taskLoanStatement},
	}
}

// --- roster import -------------------------------------------------------

func taskGen(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	f, err := os.Create(cfg.RosterFile)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	t.Start()
	err = gen.Write(w, gen.Options{Rows: cfg.RosterRows, SchoolCode: rosterSchool, SchoolType: string(model.SchoolNineYear),
		SchoolYear: schoolYear(), Seed: 2026})
	if err == nil {
		err = w.Flush()
	}
	t.Stop()
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r.Rows = cfg.RosterRows
	r.Note = fmt.Sprintf("%.1f MB .xlsx", float64(st.Size())/1e6)
	r.Extra["bytes"] = float64(st.Size())
	return nil
}

// readRoster walks the roster with excelize's Rows iterator; keep, when not
// nil, receives every data row.
func readRoster(path string, keep func([]string)) (int, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		cells, err := rows.Columns()
		if err != nil {
			rows.Close()
			return n, err
		}
		if n > 0 && keep != nil {
			keep(cells)
		}
		n++
	}
	if err := rows.Error(); err != nil {
		rows.Close()
		return n, err
	}
	return n - 1, rows.Close()
}

func taskRefRead(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	t.Start()
	n, err := readRoster(cfg.RosterFile, nil)
	t.Stop()
	r.Rows = n
	return err
}

// refColumns is the width of the reference table: an id and 24 text columns
// (the 22 roster columns and two 64-character values, as a keyed hash and a
// sealed number would be).
const refColumns = 24

func taskRefInsert(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	return refInsert(ctx, cfg, t, r, cfg.RosterFile, refColumns, 1000)
}

// refInsert is an insert reference: the file's rows as columns text
// columns (the last two a keyed hash and a sealed value would be), written
// with multi-row INSERTs of per rows in one transaction.
func refInsert(ctx context.Context, cfg *Config, t *timer, r *Result, file string, refColumns, per int) error {
	var rows [][]any
	_, err := readRoster(file, func(cells []string) {
		v := make([]any, refColumns)
		for i := range v {
			v[i] = ""
		}
		for i := 0; i < len(cells) && i < refColumns-2; i++ {
			v[i] = cells[i]
		}
		h := sha256.Sum256([]byte(strings.Join(cells, "\t")))
		v[refColumns-2] = hex.EncodeToString(h[:])
		v[refColumns-1] = hex.EncodeToString(h[:])
		rows = append(rows, v)
	})
	if err != nil {
		return err
	}
	var db *sql.DB
	cols := make([]string, refColumns)
	var ddl strings.Builder
	for i := range cols {
		cols[i] = fmt.Sprintf("c%02d", i+1)
		fmt.Fprintf(&ddl, ", %s VARCHAR(255) NOT NULL DEFAULT ''", cols[i])
	}
	tg := cfg.target()
	if err := tg.create(cfg); err != nil {
		return err
	}
	if tg.Driver == "mysql" {
		dsn, err := mysqlDSN(cfg.ServerDSN, tg.Name)
		if err != nil {
			return err
		}
		if db, err = sql.Open("mysql", dsn); err != nil {
			return err
		}
		if _, err := db.Exec("CREATE TABLE ref_rows (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" + ddl.String() +
			") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"); err != nil {
			return err
		}
	} else {
		dbc, path, _ := tg.dbConfig(cfg)
		g, err := service.OpenDB(dbc, path, quietLogger())
		if err != nil {
			return err
		}
		if db, err = g.DB(); err != nil {
			return err
		}
		if _, err := db.Exec("CREATE TABLE ref_rows (id INTEGER PRIMARY KEY AUTOINCREMENT" + ddl.String() + ")"); err != nil {
			return err
		}
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := &txHolder{ctx: ctx, conn: conn}
	b := newBulk(h, "ref_rows", cols, per)
	t.Start()
	for _, v := range rows {
		if err := b.Add(v...); err != nil {
			return err
		}
	}
	if err = b.Flush(); err == nil {
		err = h.commit()
	}
	t.Stop()
	r.Rows = b.Rows
	return err
}

// importReport is the answer of POST /rosters.
type importReport struct {
	ID        int64
	Status    string
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Rejected  int
	Message   string
}

// upload streams the roster as a multipart form, as a browser would.
func upload(cl *Client, path string, fields map[string]string) (importReport, error) {
	var rep importReport
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			fw, err := mw.CreateFormFile("file", filepath.Base(path))
			if err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(fw, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	err := cl.do("POST", "/api/v1/rosters", pr, mw.FormDataContentType(), http.StatusOK, &rep)
	return rep, err
}

func rosterFields() map[string]string {
	return map[string]string{"school_year": schoolYear(), "mode": "all_or_nothing"}
}

// freshEnv makes the task's database and a county of n schools in it.
func freshEnv(ctx context.Context, cfg *Config, n int) (*Env, []School, error) {
	tg := cfg.target()
	if err := tg.create(cfg); err != nil {
		return nil, nil, err
	}
	e, err := openEnv(ctx, cfg, tg)
	if err != nil {
		return nil, nil, err
	}
	schools, err := setupCounty(ctx, e, n)
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, schools, nil
}

// timedUpload posts the bench roster as the school officer, timing the request.
func timedUpload(e *Env, cfg *Config, t *timer) (importReport, error) {
	srv, cl := serveLoopback(e.Engine)
	defer srv.Close()
	if err := cl.login(schoolUser, benchPassword); err != nil {
		return importReport{}, err
	}
	t.Start()
	defer t.Stop()
	return upload(cl, cfg.RosterFile, rosterFields())
}

func taskRosterImport(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, _, err := freshEnv(ctx, cfg, 1)
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := timedUpload(e, cfg, t)
	if err != nil {
		return err
	}
	r.Rows = rep.Rows
	r.Note = fmt.Sprintf("created %d", rep.Created)
	if rep.Status != service.ImportDone || rep.Created != cfg.RosterRows {
		return fmt.Errorf("import %s: %d rows, %d created, %d rejected: %s", rep.Status, rep.Rows, rep.Created, rep.Rejected, rep.Message)
	}
	return nil
}

func taskRosterReimport(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := timedUpload(e, cfg, t)
	if err != nil {
		return err
	}
	r.Rows = rep.Rows
	r.Note = fmt.Sprintf("unchanged %d", rep.Unchanged)
	if rep.Status != service.ImportDone || rep.Unchanged != cfg.RosterRows {
		return fmt.Errorf("re-import %s: %d rows, %d unchanged, %d updated, %d created: %s", rep.Status, rep.Rows, rep.Unchanged,
			rep.Updated, rep.Created, rep.Message)
	}
	return nil
}

// --- calculation ---------------------------------------------------------

// calcCohort is the calculation's students: CalcLines eligible boarders
// plus one suspended student in 51, over CalcSchools schools.
func calcCohort(cfg *Config, schools []School) cohort {
	n := cfg.CalcLines + cfg.CalcLines/50
	return cohort{Students: n, Schools: schools, Year: schoolYear(), Suspension: true}
}

func taskCalcLoad(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, schools, err := freshEnv(ctx, cfg, cfg.CalcSchools)
	if err != nil {
		return err
	}
	defer e.Close()
	c := calcCohort(cfg, schools)
	t.Start()
	err = loadCohort(ctx, e, c)
	if err == nil {
		err = analyze(ctx, e, "students", "enrolments", "difficulty_records")
	}
	t.Stop()
	r.Rows = c.Students
	r.Note = fmt.Sprintf("%d schools, students+enrolments+difficulty", len(schools))
	return err
}

type calcAnswer struct {
	Created, Updated, Unchanged, Removed, Count int
	Ineligible                                  []struct{ Reason string }
	TotalFen                                    int64 `json:"total_fen"`
}

func taskCalc(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	srv, cl := serveLoopback(e.Engine)
	defer srv.Close()
	if err := cl.login(countyUser, benchPassword); err != nil {
		return err
	}
	var ans calcAnswer
	t.Start()
	err = cl.postJSON("/api/v1/entitlements/calculate", map[string]any{"program": programCode, "term": string(term())}, http.StatusOK, &ans)
	t.Stop()
	if err != nil {
		return err
	}
	schools, err := loadSchools(ctx, e)
	if err != nil {
		return err
	}
	c := calcCohort(cfg, schools)
	r.Rows = c.Students
	r.Note = fmt.Sprintf("%d schools, %d entitled, %d ineligible", len(schools), ans.Created, len(ans.Ineligible))
	if ans.Created != cfg.CalcLines {
		return fmt.Errorf("calculation created %d entitlements, want %d (%d ineligible)", ans.Created, cfg.CalcLines, len(ans.Ineligible))
	}
	return nil
}

// --- batches and ledgers -------------------------------------------------

func taskRefStream(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	out, err := os.Create(workPath(cfg, "ref-ledger.xlsx"))
	if err != nil {
		return err
	}
	defer out.Close()
	header := []any{"序号", "学校名称", "年级", "班级", "姓名", "身份证件号", "学籍号", "困难等级", "资助项目", "学期",
		"年标准(元)", "本次金额(元)", "开户银行", "银行卡号", "持卡人", "备注"}
	t.Start()
	f := excelize.NewFile(excelize.Options{TmpDir: cfg.Work})
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := make([]any, len(header))
	program, termLabel := model.Programs[0].Name, term().Label()
	for i := 0; i < cfg.CalcLines; i++ {
		p := i + 1
		row[0] = p
		row[1] = fmt.Sprintf("南县第%d九年制学校", 1+i%cfg.CalcSchools)
		row[2] = "四年级"
		row[3] = strconv.Itoa(1+i%6) + "班"
		row[4] = benchSurnames[i%len(benchSurnames)] + string(benchGiven[i%len(benchGiven)])
		id := fmt.Sprintf("43092120%010d", i)
		row[5] = id
		row[6] = "G" + id
		row[7] = "困难"
		row[8] = program
		row[9] = termLabel
		row[10] = 1250.0
		row[11] = 625.0
		row[12] = "中国建设银行益阳分行"
		row[13] = fmt.Sprintf("6217%015d", i)
		row[14] = "本人"
		row[15] = ""
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(out)
	t.Stop()
	r.Rows = cfg.CalcLines
	if st, e2 := out.Stat(); e2 == nil {
		r.Note = fmt.Sprintf("%.1f MB .xlsx", float64(st.Size())/1e6)
	}
	return err
}

type runAnswer struct {
	ID     int64
	Status string
	Error  string
	Made   struct {
		Batches []struct {
			ID     int64
			Number string
			Lines  int
		}
		Held []struct{ Reason string }
	}
}

// approveAll moves the calculated drafts to approved in one statement, as
// submission, notice and county approval would (not timed), and inserts
// approved entitlements directly for the eligible students the calculation
// did not reach (when it was stopped), so the batch has CalcLines lines.
func approveAll(ctx context.Context, e *Env, cfg *Config) (int64, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	res := e.DB.WithContext(ctx).Exec(`UPDATE entitlements SET status = ?, submitted_at = ?, approved_at = ?, approved_by = ?
		WHERE program = ? AND term = ? AND status = ?`, model.EntApproved, now, now, countyUser, programCode, string(term()), model.EntDraft)
	if res.Error != nil {
		return 0, res.Error
	}
	count := func() (int64, error) {
		var n int64
		err := e.DB.WithContext(ctx).Table("entitlements").Where("program = ? AND term = ? AND status = ?", programCode,
			string(term()), model.EntApproved).Count(&n).Error
		return n, err
	}
	n, err := count()
	if err != nil || n >= int64(cfg.CalcLines) {
		return n, err
	}
	schools, err := loadSchools(ctx, e)
	if err != nil {
		return 0, err
	}
	if _, err := insertApproved(ctx, e, calcCohort(cfg, schools), 1); err != nil {
		return 0, err
	}
	if err := analyze(ctx, e, "entitlements"); err != nil {
		return 0, err
	}
	return count()
}

func taskBatch(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	n, err := approveAll(ctx, e, cfg)
	if err != nil {
		return fmt.Errorf("approving: %w", err)
	}
	srv, cl := serveLoopback(e.Engine)
	defer srv.Close()
	if err := cl.login(financeUser, benchPassword); err != nil {
		return err
	}
	var run runAnswer
	retried := ""
	for attempt := 1; ; attempt++ {
		run = runAnswer{}
		t.Start()
		err = cl.do("POST", "/api/v1/jobs/batch_boarding/run", nil, "", http.StatusOK, &run)
		t.Stop()
		if err != nil {
			return err
		}
		// A MariaDB that another mariadbd (a private test or fault-script
		// server started with the default tmpdir /tmp) cleaned up after has
		// lost this server's on-disk temporary table: the run rolled back and
		// is tried once more; the table says so.
		if run.Status != "succeeded" && attempt == 1 && strings.Contains(run.Error, "sql-temptable") {
			retried = fmt.Sprintf("; retried once after: %s", truncate(run.Error, 120))
			continue
		}
		break
	}
	if run.Status != "succeeded" {
		return fmt.Errorf("job run %d %s: %s", run.ID, run.Status, run.Error)
	}
	if len(run.Made.Batches) != 1 {
		return fmt.Errorf("job made %d batches (%d held), want 1", len(run.Made.Batches), len(run.Made.Held))
	}
	b := run.Made.Batches[0]
	r.Rows = b.Lines
	var size int64
	e.DB.WithContext(ctx).Raw("SELECT ledger_size FROM batches WHERE id = ?", b.ID).Scan(&size)
	r.Note = fmt.Sprintf("ledger %.1f MB%s", float64(size)/1e6, retried)
	r.Extra["batch_id"] = float64(b.ID)
	r.Extra["ledger_bytes"] = float64(size)
	if int64(b.Lines) != n {
		return fmt.Errorf("batch has %d lines, %d entitlements were approved", b.Lines, n)
	}
	return nil
}

func taskLedger(ctx context.Context, cfg *Config, t *timer, r *Result) error {
	e, err := openEnv(ctx, cfg, cfg.target())
	if err != nil {
		return err
	}
	defer e.Close()
	var b struct {
		ID        int64
		LineCount int
		Size      int64
	}
	if err := e.DB.WithContext(ctx).Raw("SELECT id, line_count, ledger_size AS size FROM batches ORDER BY id DESC LIMIT 1").Scan(&b).Error; err != nil {
		return err
	}
	if b.ID == 0 {
		return fmt.Errorf("no batch")
	}
	srv, cl := serveLoopback(e.Engine)
	defer srv.Close()
	if err := cl.login(financeUser, benchPassword); err != nil {
		return err
	}
	h := sha256.New()
	cw := &countWriter{w: h}
	t.Start()
	err = cl.do("GET", fmt.Sprintf("/api/v1/batches/%d/ledger.xlsx", b.ID), nil, "", http.StatusOK, cw)
	t.Stop()
	if err != nil {
		return err
	}
	var stored string
	e.DB.WithContext(ctx).Raw("SELECT ledger_sha256 FROM batches WHERE id = ?", b.ID).Scan(&stored)
	if got := hex.EncodeToString(h.Sum(nil)); got != stored {
		return fmt.Errorf("downloaded ledger sha256 %s, stored %s", got, stored)
	}
	r.Rows = b.LineCount
	r.Note = fmt.Sprintf("%.1f MB, same SHA-256 as stored; RSS is client+server in one process", float64(cw.n)/1e6)
	r.Extra["bytes"] = float64(cw.n)
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
