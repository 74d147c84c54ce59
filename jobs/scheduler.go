// Package jobs runs the scheduled work (batch generation, anomaly scans) with
// robfig/cron, safely with several instances on one database: a run holds a
// lease row, a missed run happens once at the next start, and every run is
// recorded. Jobs call services; they never touch the database themselves.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"studentaid/model"
	"studentaid/service"
)

// Job is a named piece of scheduled work.
type Job struct {
	Name     string
	Title    string
	Schedule string // cron spec (minute hour day month weekday) in Asia/Shanghai; empty: by hand only
	// Run does the work as actor; scheduled runs act as the system.
	Run func(ctx context.Context, a model.Actor, dryRun bool, runID int64) (any, error)
}

// Scheduler owns the cron and the runs it starts.
type Scheduler struct {
	store    *service.Jobs // leases and runs
	log      *slog.Logger
	instance string
	now      func() time.Time
	leaseTTL time.Duration
	jobs     map[string]Job
	parser   cron.Parser

	mu   sync.Mutex
	cron *cron.Cron
	wg   sync.WaitGroup
	ctx  context.Context
	stop context.CancelFunc
}

// Options tune a scheduler; zero values take defaults.
type Options struct {
	Instance string           // defaults to hostname-pid
	Now      func() time.Time // the clock catch-up reads
	LeaseTTL time.Duration    // defaults to 2 minutes, renewed every third of it
}

// New builds a scheduler for the jobs; it does nothing until Start.
func New(store *service.Jobs, log *slog.Logger, defs []Job, opt Options) (*Scheduler, error) {
	if opt.Instance == "" {
		host, _ := os.Hostname()
		opt.Instance = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.LeaseTTL == 0 {
		opt.LeaseTTL = 2 * time.Minute
	}
	s := &Scheduler{store: store, log: log, instance: opt.Instance, now: opt.Now, leaseTTL: opt.LeaseTTL, jobs: map[string]Job{},
		parser: cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)}
	s.ctx, s.stop = context.WithCancel(context.Background())
	for _, j := range defs {
		if j.Schedule != "" {
			if _, err := s.parser.Parse(j.Schedule); err != nil {
				return nil, fmt.Errorf("job %s: schedule %q: %w", j.Name, j.Schedule, err)
			}
		}
		s.jobs[j.Name] = j
	}
	return s, nil
}

// Start runs, once, each job whose latest due time passed while no instance
// was up, then starts the cron. A clock that jumped runs the latest due time
// only: never a year of missed runs, never none.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cron = cron.New(cron.WithLocation(model.Shanghai()), cron.WithParser(s.parser),
		cron.WithChain(cron.Recover(cronLogger{s.log}), cron.SkipIfStillRunning(cronLogger{s.log})))
	for _, j := range s.sorted() {
		if j.Schedule == "" {
			continue
		}
		name := j.Name
		_, _ = s.cron.AddFunc(j.Schedule, func() { s.RunScheduled(s.ctx, name) })
	}
	// Imports cut short by a crash or a database outage elsewhere are found
	// by their silent heartbeat, by whichever instance looks first.
	_, _ = s.cron.AddFunc("* * * * *", func() {
		if _, err := s.store.FailStaleImports(s.ctx); err != nil {
			s.log.Warn("marking stale roster imports", "err", err)
		}
	})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.CatchUp(s.ctx)
	}()
	s.cron.Start()
}

// CatchUp runs each job whose latest due time has no successful run.
func (s *Scheduler) CatchUp(ctx context.Context) {
	for _, j := range s.sorted() {
		due, ok := s.lastDue(j)
		if !ok {
			continue
		}
		if s.ranFor(ctx, j, due) {
			continue
		}
		s.run(ctx, j, model.SystemActor("job:"+j.Name), "catch_up", &due, false)
	}
}

// RunScheduled is what the cron does at a job's due time: run it for that
// time, unless a run for it (or a later one) has already succeeded, as when
// the clock was set back across a due time that had run. Reports whether it
// ran.
func (s *Scheduler) RunScheduled(ctx context.Context, name string) (model.JobRun, bool) {
	j := s.jobs[name]
	at := s.now().Truncate(time.Minute)
	if s.ranFor(ctx, j, at) {
		s.log.Warn("due time already run (the clock went back?): not run again", "job", name, "due", at)
		return model.JobRun{}, false
	}
	return s.run(ctx, j, model.SystemActor("job:"+name), "schedule", &at, false), true
}

// ranFor reports whether a run for due, or a later due time up to now, has
// succeeded; an error reading the runs counts as not run (the run's own
// lease and the batches' unique keys still keep it from doing work twice).
func (s *Scheduler) ranFor(ctx context.Context, j Job, due time.Time) bool {
	last, err := s.store.LastSucceededSchedule(ctx, j.Name)
	if err != nil {
		s.log.Error("reading the job's runs", "job", j.Name, "err", err)
		return false
	}
	return last != nil && !last.Before(due)
}

// lastDue is the latest activation of the job's schedule at or before now,
// looking back at most a year and a day.
func (s *Scheduler) lastDue(j Job) (time.Time, bool) {
	if j.Schedule == "" {
		return time.Time{}, false
	}
	sched, err := s.parser.Parse(j.Schedule)
	if err != nil {
		return time.Time{}, false
	}
	now := s.now().In(model.Shanghai())
	var due time.Time
	for t := sched.Next(now.AddDate(-1, 0, -1)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		due = t
	}
	return due, !due.IsZero()
}

// Stop stops the cron, cancels the context of running jobs and waits for
// them: a long batch stops at its next check rather than holding up
// shutdown (its transaction rolls back).
func (s *Scheduler) Stop() {
	s.mu.Lock()
	c := s.cron
	s.mu.Unlock()
	var running context.Context
	if c != nil {
		running = c.Stop() // no new runs start
	}
	s.stop()
	if running != nil {
		<-running.Done()
	}
	s.wg.Wait()
}

// RunNow runs a job by hand for an admin or finance user; dry runs report
// what they would make and take no lease.
func (s *Scheduler) RunNow(ctx context.Context, a model.Actor, name string, dryRun bool) (model.JobRun, error) {
	if !a.Is(model.RoleAdmin, model.RoleFinance) {
		return model.JobRun{}, service.ErrRoleForbidden
	}
	j, ok := s.jobs[name]
	if !ok {
		return model.JobRun{}, service.NotFound("没有名为 %s 的任务", name)
	}
	return s.run(ctx, j, a, "manual", nil, dryRun), nil
}

// run takes the lease, records the run and does the work. Another instance
// holding the lease makes this a recorded skip.
func (s *Scheduler) run(ctx context.Context, j Job, a model.Actor, trigger string, scheduledFor *time.Time, dryRun bool) model.JobRun {
	if _, err := s.store.MarkAbandonedRuns(ctx, j.Name); err != nil {
		s.log.Error("marking abandoned runs", "job", j.Name, "err", err)
	}
	holder := s.instance + "/" + randomToken()
	rec := model.JobRun{Job: j.Name, Instance: holder, TriggerKind: trigger, ScheduledFor: scheduledFor, DryRun: dryRun}
	if !dryRun {
		got, err := s.store.AcquireLease(ctx, j.Name, holder, s.leaseTTL)
		if err != nil || !got {
			rec.Status = service.RunSkipped
			r, _ := s.store.StartRun(ctx, rec)
			msg := "另一实例正在运行该任务"
			if err != nil {
				msg = "无法获取任务租约"
			}
			r, _ = s.store.FinishRun(ctx, r.ID, service.RunSkipped, map[string]any{},
				service.Conflict("lease_held", "%s", msg))
			return r
		}
		defer func() {
			if err := s.store.ReleaseLease(context.WithoutCancel(ctx), j.Name, holder); err != nil {
				s.log.Error("releasing lease", "job", j.Name, "err", err)
			}
		}()
	}
	r, err := s.store.StartRun(ctx, rec)
	if err != nil {
		s.log.Error("recording job run", "job", j.Name, "err", err)
		return rec
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !dryRun {
		go s.renew(runCtx, cancel, j.Name, holder)
	}
	start := time.Now()
	made, runErr := j.Run(runCtx, a, dryRun, r.ID)
	status := service.RunSucceeded
	if runErr != nil {
		status = service.RunFailed
		s.log.Error("job failed", "job", j.Name, "run", r.ID, "err", runErr)
	}
	fin, err := s.store.FinishRun(ctx, r.ID, status, made, runErr)
	if err != nil {
		s.log.Error("recording job end", "job", j.Name, "err", err)
	}
	s.log.Info("job run", "job", j.Name, "run", r.ID, "trigger", trigger, "status", status, "ms", time.Since(start).Milliseconds())
	return fin
}

// renew keeps the lease while the run lasts; a lost lease cancels the run,
// whose transaction then rolls back.
func (s *Scheduler) renew(ctx context.Context, cancel context.CancelFunc, job, holder string) {
	t := time.NewTicker(s.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ok, err := s.store.RenewLease(ctx, job, holder, s.leaseTTL)
			if err == nil && !ok {
				s.log.Error("lease lost, stopping the run", "job", job)
				cancel()
				return
			}
		}
	}
}

// Schedule is a job's cron spec ("" when it runs by hand only).
func (s *Scheduler) Schedule(name string) string { return s.jobs[name].Schedule }

// Info is a job as GET /jobs shows it.
type Info struct {
	Name     string
	Title    string
	Schedule string
	NextRun  *time.Time
	LastRun  *model.JobRun
	Holder   string
}

// Jobs lists the jobs with their next and last runs.
func (s *Scheduler) Jobs(ctx context.Context, a model.Actor) ([]Info, error) {
	if !a.Is(model.RoleAdmin, model.RoleFinance) {
		return nil, service.ErrRoleForbidden
	}
	var out []Info
	for _, j := range s.sorted() {
		info := Info{Name: j.Name, Title: j.Title, Schedule: j.Schedule}
		if j.Schedule != "" {
			if sched, err := s.parser.Parse(j.Schedule); err == nil {
				next := sched.Next(s.now().In(model.Shanghai()))
				info.NextRun = &next
			}
		}
		last, err := s.store.LastRun(ctx, j.Name)
		if err != nil {
			return nil, err
		}
		info.LastRun = last
		lease, err := s.store.LeaseOf(ctx, j.Name)
		if err != nil {
			return nil, err
		}
		if lease.Holder != "" && lease.ExpiresAt.After(s.now()) {
			info.Holder = lease.Holder
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Scheduler) sorted() []Job {
	out := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func randomToken() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
