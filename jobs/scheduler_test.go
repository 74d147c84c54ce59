package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// counting is a job that counts its runs and what it was due for.
func counting(n *atomic.Int32, schedule string) jobs.Job {
	return jobs.Job{Name: "count", Title: "计数", Schedule: schedule,
		Run: func(context.Context, model.Actor, bool, int64) (any, error) {
			n.Add(1)
			return map[string]int{"n": 1}, nil
		}}
}

func newScheduler(t *testing.T, env *servicetest.Env, instance string, defs ...jobs.Job) *jobs.Scheduler {
	t.Helper()
	s, err := jobs.New(env.Svc.Jobs, slog.New(slog.NewTextHandler(io.Discard, nil)), defs, jobs.Options{Now: env.Clock.Now, Instance: instance, LeaseTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCatchUpRunsTheMissedRunOnce(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		var n atomic.Int32
		// Due at 03:00 on 10 April and 10 October; the servers were down on 10 October.
		env.Clock.Set(time.Date(2025, 10, 15, 1, 0, 0, 0, time.UTC))
		s := newScheduler(t, env, "a", counting(&n, "0 3 10 4,10 *"))
		s.CatchUp(context.Background())
		s.CatchUp(context.Background())
		if n.Load() != 1 {
			t.Fatalf("missed run ran %d times, want 1", n.Load())
		}
		last, err := env.Svc.Jobs.LastSucceededSchedule(context.Background(), "count")
		if err != nil || last == nil || !last.Equal(time.Date(2025, 10, 9, 19, 0, 0, 0, time.UTC)) {
			t.Fatalf("recorded schedule %v %v", last, err)
		}
		// A machine started with a clock a year ahead runs the latest due
		// time once, not every one it skipped over.
		env.Clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		s.CatchUp(context.Background())
		if n.Load() != 2 {
			t.Fatalf("after a clock jump: %d runs, want 2", n.Load())
		}
		// A clock set back finds nothing due.
		env.Clock.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		s.CatchUp(context.Background())
		if n.Load() != 2 {
			t.Fatalf("clock set back ran again: %d", n.Load())
		}
	})
}

func TestLeaseKeepsASecondInstanceOutUntilItExpires(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		var n atomic.Int32
		ctx := context.Background()
		// An instance took the lease and died in the middle of its run.
		ok, err := env.Svc.Jobs.AcquireLease(ctx, "count", "dead/1", time.Minute)
		if err != nil || !ok {
			t.Fatal("first lease", err)
		}
		if _, err := env.Svc.Jobs.StartRun(ctx, model.JobRun{Job: "count", Instance: "dead/1", TriggerKind: "manual"}); err != nil {
			t.Fatal(err)
		}
		s := newScheduler(t, env, "b", counting(&n, ""))
		r, err := s.RunNow(ctx, model.SystemActor("t"), "count", false)
		if err != nil || r.Status != service.RunSkipped || n.Load() != 0 {
			t.Fatalf("ran while the lease was held: %+v %v", r, err)
		}
		env.Clock.Advance(2 * time.Minute)
		r, err = s.RunNow(ctx, model.SystemActor("t"), "count", false)
		if err != nil || r.Status != service.RunSucceeded || n.Load() != 1 {
			t.Fatalf("after expiry: %+v %v", r, err)
		}
		runs, _ := env.Svc.Jobs.ListRuns(ctx, model.SystemActor("t"), "count", service.Page{})
		var abandoned int
		for _, r := range runs.Items {
			if r.Instance == "dead/1" && r.Status == service.RunFailed {
				abandoned++
			}
		}
		if abandoned != 1 {
			t.Fatalf("the dead instance's run is not marked failed: %+v", runs.Items)
		}
		// The lease was released at the end: the next run need not wait.
		if r, _ := s.RunNow(ctx, model.SystemActor("t"), "count", false); r.Status != service.RunSucceeded {
			t.Fatalf("lease not released: %+v", r)
		}
	})
}

func TestRunNowIsForAdminAndFinance(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	var n atomic.Int32
	s := newScheduler(t, env, "a", counting(&n, ""))
	for _, role := range []model.Role{model.RoleSchoolOfficer, model.RoleCountyOfficer, model.RoleAuditor} {
		if _, err := s.RunNow(context.Background(), model.Actor{Role: role, RegionCode: "430921"}, "count", false); err == nil {
			t.Errorf("%s ran a job", role)
		}
	}
	if _, err := s.RunNow(context.Background(), model.SystemActor("t"), "nope", false); err == nil {
		t.Error("an unknown job ran")
	}
	if _, err := jobs.New(env.Svc.Jobs, slog.Default(), []jobs.Job{{Name: "x", Schedule: "not a spec"}}, jobs.Options{}); err == nil {
		t.Error("a bad schedule was accepted")
	}
}
