// Command studentaid runs the student financial aid service (学生资助管理):
// serve, migrate, user create, job run, rekey.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"studentaid/api"
	"studentaid/configs"
	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
	"studentaid/service/demo"
)

const usage = `usage:
  studentaid serve [--config FILE] [--demo]     run the API (SQLite under ./data by default)
  studentaid serve --check-config [--config FILE]  validate the configuration and exit
  studentaid migrate [--config FILE]            bring the database schema up to date
  studentaid user create [--config FILE] --username NAME --role ROLE [--region CODE] [--school ID] [--password P]
  studentaid job run NAME [--config FILE] [--dry-run]   run a job now (batch_boarding, …), holding its lease
  studentaid rekey [--config FILE]              rotate the data key (every instance stopped); run again to resume
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "studentaid:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch {
	case args[0] == "serve":
		return serve(args[1:], out)
	case args[0] == "migrate":
		return migrate(args[1:], out)
	case len(args) > 1 && args[0] == "user" && args[1] == "create":
		return userCreate(args[2:], out)
	case len(args) > 2 && args[0] == "job" && args[1] == "run":
		return jobRun(args[2], args[3:], out)
	case args[0] == "rekey":
		return rekey(args[1:], out)
	}
	return errors.New(usage)
}

// app is what every command builds from the configuration.
type app struct {
	cfg *configs.Config
	log *slog.Logger
	svc *service.Service
}

// open loads the configuration, makes its logger the default one, and opens
// the service: the database (migrated when migrate is set or the
// configuration allows it on start, else checked to be current) and the data
// key. A missing key is created only for a database that has no data yet.
// The caller closes a.svc.
func open(ctx context.Context, configPath string, migrate bool) (*app, error) {
	cfg, err := configs.Load(configPath, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg.Log)
	// Whatever logs through slog's default (gin's recovery, libraries) uses
	// the configured format and level too.
	slog.SetDefault(log)
	if cfg.ShortNotice() {
		log.Warn("notice trial: the public notice period is shorter than POLICY's minimum; not for a real term",
			"working_days", cfg.Notice.WorkingDays, "minimum", configs.MinNoticeWorkingDays)
	}
	if limit, _ := cfg.MemoryLimitBytes(); limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
	// The data directory holds temporary files on every engine, not only SQLite's file.
	if err := service.PrivateDir(cfg.DataDir); err != nil {
		return nil, err
	}
	fault, err := faultHook(log)
	if err != nil {
		return nil, err
	}
	st := service.StoreFrom(cfg, log)
	st.Migrate = st.Migrate || migrate
	st.Fault = fault
	opt := service.OptionsFrom(cfg)
	opt.Fault = fault
	svc, err := service.Open(ctx, st, opt)
	if err != nil {
		return nil, err
	}
	if err := svc.Standards.SeedStandards(ctx); err != nil {
		svc.Close()
		return nil, fmt.Errorf("seed standards: %w", err)
	}
	if err := svc.Loans.SeedLoanFigures(ctx); err != nil {
		svc.Close()
		return nil, fmt.Errorf("seed loan figures: %w", err)
	}
	return &app{cfg: cfg, log: log, svc: svc}, nil
}

func newLogger(c configs.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func serve(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file (default: built-in defaults)")
	withDemo := fs.Bool("demo", false, "load the demo county, schools, users and, on the first start, a term")
	demoTerm := fs.Bool("demo-term", true, "with --demo: also play the demo term (false: divisions, schools and users only, as the fault scripts need)")
	check := fs.Bool("check-config", false, "validate the configuration (and the data key) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check {
		return checkConfig(*configPath, out)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := open(ctx, *configPath, false)
	if err != nil {
		return err
	}
	defer a.svc.Close()
	if pw, err := a.svc.Users.EnsureAdmin(ctx, a.cfg.Auth.AdminPassword); err != nil {
		return err
	} else if pw != "" {
		fmt.Fprintf(out, "\n首次启动：已创建管理员账号 admin，一次性密码：%s\n（请登录后立即修改；此密码不会再次显示）\n\n", pw)
	}
	if *withDemo {
		users, err := demo.Load(ctx, a.svc, a.log, a.cfg.Jobs.Schedules, *demoTerm)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		fmt.Fprintf(out, "演示数据已加载。演示账号（密码均为 %s）：\n", service.DemoPassword)
		for _, u := range users {
			fmt.Fprintf(out, "  %-18s %-16s %s\n", u.Username, u.Role.Label(), u.Scope)
		}
	}
	if n, err := a.svc.Jobs.FailStaleImports(ctx); err != nil {
		return err
	} else if n > 0 {
		a.log.Warn("roster imports cut short by a restart marked failed", "count", n)
	}
	sched, err := jobs.New(a.svc.Jobs, a.log, jobs.Definitions(a.svc.Batches, a.svc.Anomalies, a.svc.Audit, a.svc.Loans, a.cfg.Jobs.Schedules), jobs.Options{LeaseTTL: a.cfg.Jobs.LeaseTTL})
	if err != nil {
		return err
	}
	sched.Start()
	defer sched.Stop()
	gin.SetMode(gin.ReleaseMode)
	reg := prometheus.NewRegistry()
	sqlDB, err := a.svc.DB().DB()
	if err != nil {
		return err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(sqlDB, "studentaid"))
	handler := api.New(a.svc, a.log, reg, api.Options{MaxBodyBytes: a.cfg.HTTP.MaxBodyBytes,
		MaxUploadBytes: a.cfg.Roster.MaxBytes + 1<<20, Jobs: sched, TrustedProxies: a.cfg.Server.TrustedProxies})
	srv := &http.Server{Addr: a.cfg.Listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.log.Info("listening", "addr", a.cfg.Listen, "database", a.cfg.Database.Driver)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

func migrate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := open(context.Background(), *configPath, true)
	if err != nil {
		return err
	}
	defer a.svc.Close()
	v, err := service.SchemaVersion(context.Background(), a.svc.DB())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database schema is at version %d\n", v)
	return reportDuplicateIdentities(a, out)
}

// reportDuplicateIdentities lists, after a migration, the people held in
// more than one record (a resident ID filed under another document type
// before rosters corrected it), and has the anomaly scan record them for the
// counties. Nothing is merged: either record may have been paid.
func reportDuplicateIdentities(a *app, out io.Writer) error {
	ctx := context.Background()
	dups, err := a.svc.Anomalies.DuplicateIdentities(ctx)
	if err != nil || len(dups) == 0 {
		return err
	}
	for _, d := range dups {
		a.log.Warn("duplicate identity", "finding", d)
		fmt.Fprintf(out, "duplicate identity: %s\n", d)
	}
	if _, err := a.svc.Anomalies.ScanAnomalies(ctx, model.SystemActor("migrate"), service.ScanOptions{}); err != nil {
		return fmt.Errorf("recording the duplicate identities as anomalies: %w", err)
	}
	fmt.Fprintf(out, "%d people are held in more than one record: recorded as anomalies (duplicate_identity) for the counties to review; nothing was merged\n", len(dups))
	return nil
}

func userCreate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file")
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "admin|county_officer|school_officer|finance|auditor")
	region := fs.String("region", "", "region code (county or city) for county_officer, finance, auditor")
	school := fs.Int64("school", 0, "school id for school_officer")
	password := fs.String("password", os.Getenv("STUDENTAID_NEW_PASSWORD"), "password (≥ 10 characters; default: generated and printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := open(context.Background(), *configPath, false)
	if err != nil {
		return err
	}
	defer a.svc.Close()
	pw := *password
	if pw == "" {
		pw, err = service.RandomPassword()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "generated password: %s\n", pw)
	}
	r := model.Role(*role)
	// The operator chose this password for someone else: it is one-time.
	in := service.UserInput{Username: *username, Password: &pw, Role: &r, OneTime: true}
	if *region != "" {
		in.RegionCode = region
	}
	if *school != 0 {
		in.SchoolID = school
	}
	u, err := a.svc.Users.CreateUser(context.Background(), model.SystemActor("cli"), in)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created user %d %s (%s)\n", u.ID, u.Username, u.Role)
	return nil
}

func jobRun(name string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("job run", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file")
	dryRun := fs.Bool("dry-run", false, "report what the run would make, change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := open(ctx, *configPath, false)
	if err != nil {
		return err
	}
	defer a.svc.Close()
	sched, err := jobs.New(a.svc.Jobs, a.log, jobs.Definitions(a.svc.Batches, a.svc.Anomalies, a.svc.Audit, a.svc.Loans, a.cfg.Jobs.Schedules), jobs.Options{LeaseTTL: a.cfg.Jobs.LeaseTTL})
	if err != nil {
		return err
	}
	r, err := sched.RunNow(ctx, model.SystemActor("cli"), name, *dryRun)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run %d %s: %s %s\n%s\n", r.ID, r.Job, r.Status, r.Error, r.Made)
	if r.Status != "succeeded" {
		return fmt.Errorf("job %s %s", name, r.Status)
	}
	return nil
}

// rekey rotates the data key (docs/security.md), then opens the service
// with the new key and anchors the audit chain's new head: the chain was
// linked again under the new key, so earlier anchors name old hashes.
func rekey(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rekey", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := configs.Load(*configPath, os.LookupEnv)
	if err != nil {
		return err
	}
	res, err := service.RekeyStore(ctx, service.StoreFrom(cfg, newLogger(cfg.Log)))
	if err != nil {
		return fmt.Errorf("rekey (run it again to resume): %w", err)
	}
	a, err := open(ctx, *configPath, false)
	if err != nil {
		return err
	}
	defer a.svc.Close()
	if res.NewHead != "" {
		a.log.Info("audit chain relinked under the new data key", "seq", res.AuditSeq, "old_hash", res.OldHead, "new_hash", res.NewHead)
	}
	if err := a.svc.Audit.RecordRekey(ctx, model.SystemActor("cli:rekey"), res); err != nil {
		return err
	}
	an, err := a.svc.Audit.AnchorAudit(ctx, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "data key rotated from %s to %s; the old key is retired\naudit anchor seq=%d hash=%s\n", res.From, res.To, an.Seq, an.Hash)
	return nil
}

// checkConfig validates the configuration without opening the database, and
// says where the key and database are, with no secret printed.
func checkConfig(path string, out io.Writer) error {
	cfg, err := configs.Load(path, os.LookupEnv)
	if err != nil {
		return err
	}
	key := "file " + cfg.KeyFile()
	if cfg.Security.DataKey != "" {
		key = "STUDENTAID_DATA_KEY / security.data_key"
	} else if _, err := os.Stat(cfg.KeyFile()); err != nil {
		key += " (not there yet: created on the first start of an empty database)"
	}
	where := cfg.SQLitePath()
	if cfg.Database.Driver == "mysql" {
		where = "mysql (DSN given, " + fmt.Sprint(len(cfg.Database.Replicas)) + " replica(s))"
	}
	fmt.Fprintf(out, "configuration OK\n  listen    %s\n  database  %s\n  data key  %s\n", cfg.Listen, where, key)
	return nil
}
