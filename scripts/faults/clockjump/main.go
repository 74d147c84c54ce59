// Command clockjump runs the studentaid API and scheduler exactly as
// `studentaid serve` does, but with a wall clock shifted by -offset: a machine
// started with a wrong date. It exists because the usual tool, faketime
// (libfaketime), cannot shift a Go program's clock: Go reads the time through
// the kernel's vDSO, not through libc, so LD_PRELOAD never sees the call.
//
//	clockjump serve -offset 8760h          the API on STUDENTAID_LISTEN, clock a year ahead
//	clockjump serve -offset-file F -config C   the offset read from F at every reading of the
//	                                       clock (write F to make the clock jump), config file C
//	clockjump due -spec "0 3 10 4,10 *" -offset 8760h   the latest due time of a schedule
//	clockjump now                          print time.Now (to show faketime has no effect)
//
// Configuration comes from the same STUDENTAID_* variables as the service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"studentaid/api"
	"studentaid/configs"
	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clockjump serve|due|now [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	offset := fs.Duration("offset", 0, "how far the clock is shifted (e.g. 8760h, -8760h)")
	offsetFile := fs.String("offset-file", "", "a file holding the offset, read at every reading of the clock (serve)")
	configPath := fs.String("config", "", "configuration file (serve)")
	spec := fs.String("spec", "", "cron spec (due)")
	_ = fs.Parse(os.Args[2:])
	now := func() time.Time {
		off := *offset
		if b, err := os.ReadFile(*offsetFile); *offsetFile != "" && err == nil {
			if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
				off = d
			}
		}
		return time.Now().Add(off)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(now, *configPath)
	case "due":
		err = due(*spec, now())
	case "now":
		fmt.Println(time.Now().UTC().Format(time.RFC3339))
	default:
		err = errors.New("unknown command " + os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clockjump:", err)
		os.Exit(1)
	}
}

// due prints the latest activation of spec at or before now, in UTC, as the
// scheduler's catch-up computes it (Asia/Shanghai, a year and a day back).
func due(spec string, now time.Time) error {
	sched, err := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow).Parse(spec)
	if err != nil {
		return err
	}
	now = now.In(model.Shanghai())
	var last time.Time
	for t := sched.Next(now.AddDate(-1, 0, -1)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	fmt.Println(last.UTC().Format("2006-01-02 15:04:05"))
	return nil
}

// serve is main.go's serve with the shifted clock given to the service and
// the scheduler (everything that reads the time for rules and catch-up).
func serve(now func() time.Time, configPath string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg, err := configs.Load(configPath, os.LookupEnv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	// Like serve, on whichever database the configuration names; the
	// script's database is new, so it is migrated here.
	st := service.StoreFrom(cfg, log)
	st.Migrate = true
	opt := service.OptionsFrom(cfg)
	opt.Now = now
	svc, err := service.Open(ctx, st, opt)
	if err != nil {
		return err
	}
	defer svc.Close()
	sched, err := jobs.New(svc.Jobs, log, jobs.Definitions(svc.Batches, svc.Anomalies, svc.Audit, svc.Loans, cfg.Jobs.Schedules), jobs.Options{Now: now})
	if err != nil {
		return err
	}
	sched.Start()
	defer sched.Stop()
	gin.SetMode(gin.ReleaseMode)
	handler := api.New(svc, log, prometheus.NewRegistry(), api.Options{MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		MaxUploadBytes: cfg.Roster.MaxBytes + 1<<20, Jobs: sched})
	srv := &http.Server{Addr: cfg.Listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening with a shifted clock", "addr", cfg.Listen, "now", now().UTC())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
