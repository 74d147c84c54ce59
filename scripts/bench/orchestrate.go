package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type orchestrator struct {
	ctx     context.Context
	cfg     Config
	groups  map[string]bool
	results map[string]*Result
	notes   []string
	dbs     []string // MySQL databases to drop at the end
	keep    bool
	started time.Time
	errors  int
	missed  int
	order   []string      // tasks in the order they ran
	limit   time.Duration // -limit: time allowed to the calculation and the scan
	rev     string        // the source measured, taken at the start
}

// revision names the checked-out source, as it is when the run starts.
func revision() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown revision"
	}
	return "git " + strings.TrimSpace(string(out))
}

// loadAvg is the machine's 1-minute load average: other work on the same
// cores (or the database server's) shows up here, not in the task's own time.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

func (o *orchestrator) want(group string) bool { return len(o.groups) == 0 || o.groups[group] }

func (o *orchestrator) logf(format string, args ...any) {
	el := time.Since(o.started).Round(time.Second)
	fmt.Fprintf(os.Stderr, "== [%s] %s\n", el, fmt.Sprintf(format, args...))
}

// db names a database of the run: a bench_ database on MySQL (dropped at the
// end) or a SQLite file in the work directory.
func (o *orchestrator) db(driver, kind string) string {
	if driver == "sqlite" {
		return filepath.Join(o.cfg.Work, kind+".db")
	}
	name := fmt.Sprintf("bench_%s_%d", kind, os.Getpid())
	for _, d := range o.dbs {
		if d == name {
			return name
		}
	}
	o.dbs = append(o.dbs, name)
	return name
}

func (o *orchestrator) dropDatabases() {
	if o.keep || o.cfg.ServerDSN == "" {
		if o.keep && len(o.dbs) > 0 {
			// The data key too: `serve` refuses a kept database without it.
			fmt.Fprintf(os.Stderr, "bench: kept databases %s and %s (STUDENTAID_DATA_KEY=%s)\n", strings.Join(o.dbs, ", "), o.cfg.Work, o.cfg.Key)
		}
		return
	}
	for _, d := range o.dbs {
		if err := dropDatabase(o.cfg.ServerDSN, d); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop %s: %v\n", d, err)
		}
	}
}

func key(name, driver string) string { return name + "@" + driver }

// timeout bounds a task: the timed tasks with a time target get ten times
// it (then they are stopped and reported as failed), loads and the rest a
// generous hour (five minutes in quick mode).
func (o *orchestrator) timeout(name string) time.Duration {
	switch {
	case o.limit > 0 && (name == "calc" || name == "anomaly"):
		return o.limit
	case o.cfg.Quick:
		return 5 * time.Minute
	case name == "calc" || name == "anomaly":
		return 10 * time.Minute
	}
	return time.Hour
}

// progress says how far a stopped task got, from its database.
func (o *orchestrator) progress(name, driver, db string) string {
	if name != "calc" || driver != "mysql" {
		return ""
	}
	dsn, err := mysqlDSN(o.cfg.ServerDSN, db)
	if err != nil {
		return ""
	}
	sqlDB, err := sql.Open("mysql", dsn)
	if err != nil {
		return ""
	}
	defer sqlDB.Close()
	var lists, ents int64
	_ = sqlDB.QueryRow("SELECT COUNT(*) FROM aid_lists").Scan(&lists)
	_ = sqlDB.QueryRow("SELECT COUNT(*) FROM entitlements").Scan(&ents)
	return fmt.Sprintf("%d of %d schools calculated (%d entitlements) when stopped", lists, o.cfg.CalcSchools, ents)
}

// run starts the task in a child process and records its result; the peak
// RSS is the larger of what the child read from /proc and its rusage.
func (o *orchestrator) run(name, driver, db string) *Result {
	k := key(name, driver)
	if err := o.ctx.Err(); err != nil {
		r := &Result{Task: name, Skip: "not run (interrupted)"}
		o.results[k] = r
		return r
	}
	cfg := o.cfg
	cfg.Driver, cfg.DB = driver, db
	cfgPath := filepath.Join(o.cfg.Work, strings.ReplaceAll(k, "@", "-")+".config.json")
	outPath := filepath.Join(o.cfg.Work, strings.ReplaceAll(k, "@", "-")+".result.json")
	b, _ := json.Marshal(cfg)
	r := &Result{Task: name}
	o.results[k] = r
	// The work directory is made again if something removed it meanwhile (a
	// cleanup of temporary directories by another session has happened).
	_ = os.MkdirAll(o.cfg.Work, 0o755)
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		r.Err = err.Error()
		o.errors++
		return r
	}
	_ = os.Remove(outPath)
	// /proc/self/exe runs this very binary even if its file was removed.
	self := "/proc/self/exe"
	if _, err := os.Stat(self); err != nil {
		if self, err = os.Executable(); err != nil {
			r.Err = err.Error()
			o.errors++
			return r
		}
	}
	o.logf("%s (%s) ...", name, driver)
	loadBefore := loadAvg()
	limit := o.timeout(name)
	ctx, cancel := context.WithTimeout(o.ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "task", name, cfgPath, outPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	started := time.Now()
	runErr := cmd.Run()
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) && o.ctx.Err() == nil
	if out, err := os.ReadFile(outPath); err == nil && !timedOut {
		_ = json.Unmarshal(out, r)
	} else if timedOut {
		// A task far beyond its target is stopped so the run ends: it is
		// reported as a failure with the time it had.
		r.TimedOut, r.Seconds = true, time.Since(started).Seconds()
		r.Note = o.progress(name, driver, db)
	} else if runErr != nil {
		r.Err = fmt.Sprintf("task process: %v", runErr)
	} else {
		r.Err = "task wrote no result"
	}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.RSSMB = max(r.RSSMB, float64(ru.Maxrss)/1024)
		}
	}
	if r.Extra == nil {
		r.Extra = map[string]float64{}
	}
	r.Extra["load_before"], r.Extra["load_after"] = loadBefore, loadAvg()
	o.order = append(o.order, k)
	switch {
	case r.TimedOut:
		o.logf("%s (%s) TIMED OUT after %.0f s %s", name, driver, r.Seconds, r.Note)
	case r.Err != "":
		o.errors++
		o.logf("%s (%s) FAILED: %s", name, driver, firstLine(r.Err))
	case r.Skip != "":
		o.logf("%s (%s) skipped: %s", name, driver, r.Skip)
	default:
		o.logf("%s (%s) %d rows in %.2f s, peak RSS %.0f MB %s", name, driver, r.Rows, r.Seconds, r.RSSMB, r.Note)
	}
	return r
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// skip records a task that did not run, and why.
func (o *orchestrator) skip(name, driver, why string) {
	o.results[key(name, driver)] = &Result{Task: name, Skip: why}
}

func (o *orchestrator) ok(name, driver string) bool {
	r := o.results[key(name, driver)]
	return r != nil && r.Err == "" && r.Skip == ""
}

// drivers are the engines of the roster rows: MariaDB first when there is
// one; SQLite too in full mode, or alone without MariaDB.
func (o *orchestrator) drivers() []string {
	switch {
	case o.cfg.ServerDSN == "":
		return []string{"sqlite"}
	case o.cfg.Quick:
		return []string{"mysql"}
	}
	return []string{"mysql", "sqlite"}
}

// main is the engine of the heavy tasks: MariaDB, or SQLite without one.
func (o *orchestrator) main() string { return o.drivers()[0] }

func (o *orchestrator) runAll() {
	if o.want("roster") {
		o.cfg.RosterFile = filepath.Join(o.cfg.Work, rosterFileName)
		o.run("gen", "-", "")
		if o.ok("gen", "-") {
			o.run("ref-read", "-", "")
			for _, d := range o.drivers() {
				o.run("ref-insert", d, o.db(d, "ref"))
				db := o.db(d, "roster")
				o.run("roster-import", d, db)
				if o.ok("roster-import", d) {
					o.run("roster-reimport", d, db)
				} else {
					o.skip("roster-reimport", d, "the first import failed")
				}
			}
		}
	}
	d := o.main()
	calcDB := ""
	if o.want("calc") || o.want("batch") || o.want("anomaly") {
		calcDB = o.db(d, "calc")
		o.run("calc-load", d, calcDB)
	}
	loaded := o.ok("calc-load", d)
	if o.want("calc") || o.want("batch") || o.want("anomaly") {
		if loaded {
			o.run("calc", d, calcDB)
		} else {
			o.skip("calc", d, "loading the students failed")
		}
	}
	if o.want("batch") {
		o.run("ref-stream", "-", "")
		if loaded {
			o.run("batch", d, calcDB)
		} else {
			o.skip("batch", d, "loading the students failed")
		}
		if o.ok("batch", d) {
			o.run("ledger", d, calcDB)
		} else {
			o.skip("ledger", d, "no batch was generated")
		}
	}
	if o.want("anomaly") {
		if loaded {
			o.run("anomaly", d, calcDB)
		} else {
			o.skip("anomaly", d, "loading the students failed")
		}
	}
	if o.want("loans") {
		o.cfg.LoanFile = filepath.Join(o.cfg.Work, loanFileName)
		o.run("loan-gen", "-", "")
		if o.ok("loan-gen", "-") {
			o.run("loan-ref-read", "-", "")
			o.run("loan-ref", d, o.db(d, "loanref"))
			o.run("loan-import", d, o.db(d, "loans"))
		}
		db := o.db(d, "loanstatement")
		o.run("loan-statement-load", d, db)
		if o.ok("loan-statement-load", d) {
			o.run("loan-statement-ref", d, db)
			o.run("loan-statement", d, db)
		} else {
			o.skip("loan-statement", d, "loading the loans failed")
		}
	}
	if o.want("api") {
		switch {
		case o.cfg.Quick:
			o.skip("api", "mysql", "full mode only")
		case o.cfg.ServerDSN == "":
			o.skip("api", "mysql", "needs MariaDB")
		case o.cfg.Binary == "" && !o.cfg.APIInProcess:
			o.skip("api", "mysql", "no studentaid binary (-bin)")
		default:
			db := o.db("mysql", "api")
			o.run("api-load", "mysql", db)
			if o.ok("api-load", "mysql") {
				o.run("api", "mysql", db)
			} else {
				o.skip("api", "mysql", "loading the students failed")
			}
		}
	}
}

// line is one row of the printed table.
type line struct {
	task, rows, wall, rate, rss, ref, ratio, target, verdict string
}

func (o *orchestrator) print(w io.Writer) {
	var lines []line
	engine := map[string]string{"mysql": "MariaDB", "sqlite": "SQLite", "-": ""}
	add := func(l line) { lines = append(lines, l) }
	res := func(name, driver string) *Result { return o.results[key(name, driver)] }
	// basic fills the measured columns of a result, or explains its absence.
	basic := func(label string, r *Result) (line, bool) {
		l := line{task: label}
		switch {
		case r == nil:
			return l, false
		case r.TimedOut:
			l.wall = fmt.Sprintf(">%.0f", r.Seconds)
			l.verdict = fmt.Sprintf("FAIL (stopped after %.0f s)", r.Seconds)
			if r.Note != "" {
				l.verdict += "; " + r.Note
			}
			o.missed++
			return l, false
		case r.Err != "":
			l.verdict = "ERROR: " + truncate(firstLine(r.Err), 90)
			return l, false
		case r.Skip != "":
			l.verdict = "skipped: " + r.Skip
			return l, false
		}
		l.rows = fmt.Sprintf("%d", r.Rows)
		l.wall = fmt.Sprintf("%.2f", r.Seconds)
		if r.Seconds > 0 && r.Rows > 0 {
			l.rate = fmt.Sprintf("%.0f", float64(r.Rows)/r.Seconds)
		}
		l.rss = fmt.Sprintf("%.0f", r.RSSMB)
		return l, true
	}
	info := func(label string, r *Result) {
		if r == nil {
			return
		}
		l, _ := basic(label, r)
		if l.verdict == "" {
			l.target = "—"
			l.verdict = "info"
			if r.Note != "" {
				l.verdict = "info: " + r.Note
			}
		}
		add(l)
	}
	// judged adds a row compared with a reference time and checked against targets.
	judged := func(label string, r *Result, refSecs float64, refLabel string, maxRatio, maxRSS float64, target string) {
		if r == nil {
			return
		}
		l, ok := basic(label, r)
		l.target = target
		if ok {
			pass := true
			var why []string
			if refSecs > 0 {
				ratio := r.Seconds / refSecs
				l.ref = fmt.Sprintf("%.2f s %s", refSecs, refLabel)
				l.ratio = fmt.Sprintf("%.2f×", ratio)
				if maxRatio > 0 && ratio > maxRatio {
					pass = false
					why = append(why, fmt.Sprintf("time %.2f× > %.1f×", ratio, maxRatio))
				}
			} else if maxRatio > 0 {
				l.ref = "n/a"
				pass = false
				why = append(why, "no reference")
			}
			if maxRSS > 0 && r.RSSMB > maxRSS {
				pass = false
				why = append(why, fmt.Sprintf("RSS %.0f MB > %.0f MB", r.RSSMB, maxRSS))
			}
			l.verdict = "PASS"
			if !pass {
				l.verdict = "FAIL (" + strings.Join(why, ", ") + ")"
				o.missed++
			}
			if r.Note != "" {
				l.verdict += "; " + r.Note
			}
		}
		add(l)
	}
	secs := func(name, driver string) float64 {
		if r := res(name, driver); r != nil && r.Err == "" && r.Skip == "" {
			return r.Seconds
		}
		return 0
	}

	info("roster: generate file (gen.Write)", res("gen", "-"))
	if r := res("ref-read", "-"); r != nil {
		info("ref: excelize Rows() read, nothing else", r)
	}
	for _, d := range o.drivers() {
		if res("ref-insert", d) == nil {
			continue
		}
		e := engine[d]
		drv := "go-sql-driver/mysql"
		if d == "sqlite" {
			drv = "glebarez/sqlite"
		}
		info(fmt.Sprintf("ref: INSERT ×1000 rows, 25 cols, 1 tx (%s, %s)", drv, e), res("ref-insert", d))
		ref := 0.0
		if a, b := secs("ref-read", "-"), secs("ref-insert", d); a > 0 && b > 0 {
			ref = a + b
		}
		// The memory target is the for MariaDB; on SQLite the
		// driver's own allocations come on top (its reference insert alone
		// peaks near 300 MB), and the row reports the figure without judging it.
		rssLimit, target := 300.0, "≤1.5× ref, ≤300 MB"
		if d == "sqlite" {
			rssLimit, target = 0, "≤1.5× ref"
		}
		judged(fmt.Sprintf("roster import, POST /rosters (%s)", e), res("roster-import", d), ref, "read+insert", 1.5, rssLimit, target)
		judged(fmt.Sprintf("roster re-import, unchanged (%s)", e), res("roster-reimport", d), ref, "read+insert", 1.0, 0, "≤1.0× ref")
	}
	d := o.main()
	e := engine[d]
	info(fmt.Sprintf("calc: load students, enrolments, difficulty (direct INSERT, %s)", e), res("calc-load", d))
	if r := res("calc", d); r != nil {
		judged(fmt.Sprintf("entitlement calculation, POST /entitlements/calculate (%s)", e), r, 0, "", 0, 0, "≤60 s")
		if r.Err == "" && r.Skip == "" && !r.TimedOut && r.Seconds > 60 {
			lines[len(lines)-1].verdict = strings.Replace(lines[len(lines)-1].verdict, "PASS", fmt.Sprintf("FAIL (%.0f s > 60 s)", r.Seconds), 1)
			o.missed++
		}
	}
	info("ref: excelize StreamWriter, 16 cols, one sheet", res("ref-stream", "-"))
	judged(fmt.Sprintf("batch generation + ledger, POST /jobs/batch_boarding/run (%s)", e), res("batch", d),
		secs("ref-stream", "-"), "StreamWriter", 1.3, 300, "≤1.3× ref, ≤300 MB")
	info(fmt.Sprintf("ledger download, GET /batches/{id}/ledger.xlsx (%s)", e), res("ledger", d))
	if r := res("anomaly", d); r != nil {
		if r.Skip != "" {
			v := r.Skip
			if !strings.HasPrefix(v, "not yet available") {
				v = "skipped: " + v
			}
			add(line{task: "anomaly scan", target: "≤60 s", verdict: v})
		} else {
			judged(fmt.Sprintf("anomaly scan (%s)", e), r, 0, "", 0, 0, "≤60 s")
			if r.Err == "" && !r.TimedOut && r.Seconds > 60 {
				lines[len(lines)-1].verdict = fmt.Sprintf("FAIL (%.0f s > 60 s)", r.Seconds)
				o.missed++
			}
		}
	}
	info("loans: generate applications (genloans)", res("loan-gen", "-"))
	info(fmt.Sprintf("ref: read + INSERT ×20 rows, %d cols, 1 tx (%s)", loanColumns, e), res("loan-ref", d))
	info("ref: excelize Rows() read of the applications", res("loan-ref-read", "-"))
	loanRef := 0.0
	if a, b := secs("loan-ref-read", "-"), secs("loan-ref", d); a > 0 && b > 0 {
		loanRef = a + b
	}
	judged(fmt.Sprintf("loan applications import (%s)", e), res("loan-import", d), loanRef, "read+insert", 2.0, 0, "≤2× ref")
	info(fmt.Sprintf("loans: load disbursed loans (direct INSERT, %s)", e), res("loan-statement-load", d))
	info(fmt.Sprintf("ref: SELECT the statement's columns (%s)", e), res("loan-statement-ref", d))
	judged(fmt.Sprintf("loan statement of a year, GET /loans/statements (%s)", e), res("loan-statement", d),
		secs("loan-statement-ref", d), "SELECT", 3.0, 0, "≤3× ref")
	if r := res("api-load", "mysql"); r != nil {
		info("api: load students (direct INSERT, MariaDB)", r)
	}
	if r := res("api", "mysql"); r != nil {
		if r.Err != "" || r.Skip != "" {
			l, _ := basic("API: GET /students, GET /students/{id}", r)
			l.target = "≥2000 req/s, p99 ≤50 ms"
			add(l)
		} else {
			for _, ep := range []struct{ key, label string }{{"list", "API: GET /students?page&school_id"}, {"detail", "API: GET /students/{id}"}} {
				x := r.Extra
				reqs, dur, p99 := x[ep.key+"_requests"], x[ep.key+"_seconds"], x[ep.key+"_p99_ms"]
				rps := 0.0
				if dur > 0 {
					rps = reqs / dur
				}
				l := line{task: ep.label, rows: fmt.Sprintf("%.0f", reqs), wall: fmt.Sprintf("%.1f", dur),
					rate: fmt.Sprintf("%.0f", rps), rss: fmt.Sprintf("%.0f", x[ep.key+"_server_rss_mb"]),
					target: "≥2000 req/s, p99 ≤50 ms"}
				var why []string
				if rps < 2000 {
					why = append(why, fmt.Sprintf("%.0f req/s", rps))
				}
				if p99 > 50 {
					why = append(why, fmt.Sprintf("p99 %.1f ms", p99))
				}
				if errs := x[ep.key+"_errors"]; errs > 0 {
					why = append(why, fmt.Sprintf("%.0f non-2xx/errors", errs))
				}
				if len(why) == 0 {
					l.verdict = fmt.Sprintf("PASS (p99 %.1f ms)", p99)
				} else {
					l.verdict = "FAIL (" + strings.Join(why, ", ") + ")"
					o.missed++
				}
				if r.Note != "" {
					l.verdict += "; " + r.Note
				}
				add(l)
			}
		}
	}

	mode := "full"
	if o.cfg.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "\nstudentaid benchmarks (%s mode, %s, %s, %d CPUs) — wall %s\n", mode, time.Now().Format("2006-01-02 15:04"),
		o.rev, numCPU(), time.Since(o.started).Round(time.Second))
	for _, n := range o.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
	header := line{"task", "rows", "wall s", "rows/s", "peak RSS MB", "reference", "ratio", "target", "result"}
	all := append([]line{header}, lines...)
	fmt.Fprintln(w, "| "+strings.Join(cells(header), " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(cells(header))))
	for _, l := range all[1:] {
		fmt.Fprintln(w, "| "+strings.Join(cells(l), " | ")+" |")
	}
	fmt.Fprintf(w, "\n%d task error(s), %d target(s) missed\n", o.errors, o.missed)
	var loads []string
	for _, k := range o.order {
		if r := o.results[k]; r != nil && r.Extra != nil {
			loads = append(loads, fmt.Sprintf("%s %.1f→%.1f", strings.TrimSuffix(k, "@-"), r.Extra["load_before"], r.Extra["load_after"]))
		}
	}
	if len(loads) > 0 {
		fmt.Fprintf(w, "load average (1 min) before→after each task, %d CPUs: %s\n", numCPU(), strings.Join(loads, ", "))
	}
}

func cells(l line) []string {
	out := []string{l.task, l.rows, l.wall, l.rate, l.rss, l.ref, l.ratio, l.target, l.verdict}
	for i, c := range out {
		if c == "" {
			out[i] = "—"
		}
		out[i] = strings.ReplaceAll(out[i], "|", "/")
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
