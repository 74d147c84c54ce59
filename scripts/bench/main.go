// Command bench measures studentaid's heavy work against references measured
// in the same run, each task in its own process so that peak RSS is the
// task's own. scripts/bench.sh builds and runs it; see the usage there.
//
//	bench [-quick] [-work DIR] [-mysql DSN] [-bin studentaid] [-wrk PATH] [-profile DIR]
//	      [-only roster,calc,batch,anomaly,api] [-keep] [-strict] [-limit 10m]
//	      [-roster-rows N] [-students N] [-api-students N] [-api-seconds N]
//	      [-api-inprocess] [-dsn-params interpolateParams=true]
//	bench task NAME CONFIG.json RESULT.json    (run by bench itself)
//
// With -profile every task writes NAME.cpu.pprof (the timed part),
// NAME.allocs.pprof and NAME.sql.txt (the service's statements by total
// time, from a gorm callback) to the directory.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "task" {
		if len(os.Args) != 5 {
			fatalf("usage: bench task NAME CONFIG.json RESULT.json")
		}
		os.Exit(runTask(os.Args[2], os.Args[3], os.Args[4]))
	}
	os.Exit(orchestrate(os.Args[1:]))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

// Result is what a task process reports.
type Result struct {
	Task    string  `json:"task"`
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
	RSSMB   float64 `json:"rss_mb"`
	Note    string  `json:"note,omitempty"`
	Err     string  `json:"error,omitempty"`
	Skip    string  `json:"skip,omitempty"`
	// TimedOut: the orchestrator stopped the task at its time limit.
	TimedOut bool               `json:"timed_out,omitempty"`
	Extra    map[string]float64 `json:"extra,omitempty"`
}

// task is one measured step; run does the work and calls timer.Start and
// timer.Stop around the part that is timed.
type task struct {
	name string
	run  func(ctx context.Context, cfg *Config, t *timer, r *Result) error
}

// timer times one section and, when profiling, records a CPU profile of it.
type timer struct {
	name    string
	profile string
	start   time.Time
	elapsed time.Duration
	cpuFile *os.File
}

func (t *timer) Start() {
	if t.profile != "" {
		f, err := os.Create(fmt.Sprintf("%s/%s.cpu.pprof", t.profile, t.name))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			t.cpuFile = f
		}
	}
	timing.Store(true)
	t.start = time.Now()
}

func (t *timer) Stop() {
	t.elapsed = time.Since(t.start)
	timing.Store(false)
	if t.cpuFile != nil {
		pprof.StopCPUProfile()
		t.cpuFile.Close()
		t.cpuFile = nil
	}
}

// runTask is the child side: read the config, run the task, write the result
// with this process's peak RSS.
func runTask(name, cfgPath, outPath string) int {
	var cfg Config
	b, err := os.ReadFile(cfgPath)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		fatalf("config: %v", err)
	}
	var tk *task
	for _, x := range tasks() {
		if x.name == name {
			tk = &x
			break
		}
	}
	if tk == nil {
		fatalf("unknown task %q", name)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	r := Result{Task: name, Extra: map[string]float64{}}
	pname := name
	if cfg.Driver != "" && cfg.Driver != "-" {
		pname += "-" + cfg.Driver
	}
	t := &timer{name: pname, profile: cfg.Profile}
	dsnParams = cfg.DSNParams
	// Profiles are written when the task ends, or at once when the
	// orchestrator stops it at its time limit (a stopped task is the one
	// whose profile matters most).
	var once sync.Once
	writeProfiles := func() {
		once.Do(func() {
			if cfg.Profile == "" {
				return
			}
			pprof.StopCPUProfile()
			if f, err := os.Create(fmt.Sprintf("%s/%s.allocs.pprof", cfg.Profile, pname)); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if sqlProf != nil {
				_ = sqlProf.write(fmt.Sprintf("%s/%s.sql.txt", cfg.Profile, pname))
			}
		})
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			writeProfiles()
		case <-done:
		}
	}()
	if err := tk.run(ctx, &cfg, t, &r); err != nil {
		r.Err = err.Error()
	}
	if t.cpuFile != nil {
		t.Stop()
	}
	r.Seconds = t.elapsed.Seconds()
	writeProfiles()
	r.RSSMB = vmHWM("self")
	out, _ := json.MarshalIndent(r, "", "  ")
	_ = os.MkdirAll(filepath.Dir(outPath), 0o755)
	if err := os.WriteFile(outPath, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// vmHWM is a process's peak resident set size in MB, from /proc.
func vmHWM(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

func orchestrate(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "small sizes for CI: 10k roster rows, 20k students; no HTTP load test")
	work := fs.String("work", "", "scratch directory (default: a new one under $TMPDIR, removed at the end)")
	server := fs.String("mysql", os.Getenv("MYSQL_TEST_DSN"), "MySQL/MariaDB server DSN, e.g. root@tcp(127.0.0.1:3306)/ (empty: SQLite only)")
	bin := fs.String("bin", "", "the built studentaid binary (needed for the API load test)")
	wrk := fs.String("wrk", "", "path of wrk (empty: built-in Go load generator)")
	profile := fs.String("profile", "", "write CPU (timed part) and allocation profiles of every task to DIR")
	only := fs.String("only", "", "comma-separated task groups: roster,calc,batch,anomaly,api,loans (default: all)")
	keep := fs.Bool("keep", false, "keep the bench databases and work directory")
	strict := fs.Bool("strict", false, "exit with status 3 when a target is missed (errors always exit 1)")
	rosterRows := fs.Int("roster-rows", 0, "override the roster size")
	calcLines := fs.Int("students", 0, "override the number of eligible students / batch lines")
	apiStudents := fs.Int("api-students", 0, "override the API test's number of students")
	apiSeconds := fs.Int("api-seconds", 0, "override the API test's duration per endpoint")
	limit := fs.Duration("limit", 0, "stop the calculation and the anomaly scan after this long (default 10m; 5m for every task in -quick)")
	dsnExtra := fs.String("dsn-params", "", "extra MySQL DSN parameters for every connection, service and server binary included (what-if runs), e.g. interpolateParams=true")
	apiInProcess := fs.Bool("api-inprocess", false, "serve the API test from the task process instead of the binary (for -profile)")
	tune := fs.Bool("tune-server", false, "raise the server's InnoDB buffer pool to 2 GB and redo log to 1 GB for the run (docs/deploy.md), restored at the end")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := Config{Quick: *quick, ServerDSN: *server, Binary: *bin, Wrk: *wrk, Profile: *profile,
		RosterRows: 100_000, CalcSchools: 200, CalcLines: 1_000_000, APIStudents: 100_000, APISchools: 20, APISeconds: 10, APIConns: 50,
		LoanRows: 100_000, LoanStatementRows: 500_000}
	if *quick {
		cfg.RosterRows, cfg.CalcSchools, cfg.CalcLines = 10_000, 20, 20_000
		cfg.LoanRows, cfg.LoanStatementRows = 5_000, 20_000
	}
	if *rosterRows > 0 {
		cfg.RosterRows = *rosterRows
	}
	if *calcLines > 0 {
		cfg.CalcLines = *calcLines
	}
	if *apiStudents > 0 {
		cfg.APIStudents = *apiStudents
	}
	cfg.APIInProcess = *apiInProcess
	cfg.DSNParams = *dsnExtra
	dsnParams = cfg.DSNParams
	if *apiSeconds > 0 {
		cfg.APISeconds = *apiSeconds
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg.Key = base64.StdEncoding.EncodeToString(key)
	if *work == "" {
		d, err := os.MkdirTemp("", "studentaid-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cfg.Work = d
		if !*keep {
			defer os.RemoveAll(d)
		}
	} else {
		if err := os.MkdirAll(*work, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cfg.Work = *work
	}
	if cfg.Profile != "" {
		_ = os.MkdirAll(cfg.Profile, 0o755)
	}
	groups := map[string]bool{}
	for _, g := range strings.Split(*only, ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups[g] = true
		}
	}
	o := &orchestrator{cfg: cfg, groups: groups, results: map[string]*Result{}, started: time.Now(), keep: *keep, limit: *limit,
		rev: revision()}
	if cfg.ServerDSN != "" {
		if err := pingServer(cfg.ServerDSN); err != nil {
			if !*quick {
				fmt.Fprintf(os.Stderr, "bench: MySQL server %q does not answer: %v\n", cfg.ServerDSN, err)
				return 1
			}
			o.notes = append(o.notes, fmt.Sprintf("MySQL %s does not answer (%v): SQLite only", cfg.ServerDSN, err))
			o.cfg.ServerDSN = ""
		} else {
			if *tune {
				restore, err := tuneServer(cfg.ServerDSN)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: -tune-server: %v\n", err)
					return 1
				}
				defer restore()
			}
			if s, err := serverSettings(cfg.ServerDSN); err == nil {
				o.notes = append(o.notes, s)
			}
		}
	} else {
		if !*quick {
			fmt.Fprintln(os.Stderr, "bench: full mode needs MySQL/MariaDB: set MYSQL_TEST_DSN or -mysql")
			return 1
		}
		o.notes = append(o.notes, "no MySQL/MariaDB server given: SQLite only")
	}
	defer o.dropDatabases()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o.ctx = ctx
	o.runAll()
	o.print(os.Stdout)
	switch {
	case o.errors > 0:
		return 1
	case *strict && o.missed > 0:
		return 3
	}
	return 0
}

func pingServer(dsn string) error {
	db, err := adminSQL(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}
