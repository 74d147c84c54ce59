// Package demo loads the demo: Yiyang's divisions, schools of 南县 and 安化县,
// a user for every role and, on the first start, the last finished term
// played through the service's own operations, so every page has data.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
)

// Load adds the demo's divisions, schools and users (kept when they exist)
// and, when the city has no students in its school year yet, plays the
// last finished term. schedules are the configured job schedules: the demo ends by
// catching the jobs up, as the first start would, so that starting again
// changes nothing. Without withTerm only the divisions, schools and users
// are loaded: the fault and multi-instance scripts count every row they make.
func Load(ctx context.Context, svc *service.Service, log *slog.Logger, schedules map[string]string, withTerm bool) ([]service.DemoUser, error) {
	users, err := svc.LoadDemo(ctx)
	if err != nil || !withTerm {
		return users, err
	}
	who := map[string]model.Actor{}
	for _, u := range users {
		who[u.Username] = u.Actor
	}
	term := model.TermOf(svc.Now()).Previous()
	clock := newClock(term.Start())
	past := svc.WithClock(clock.now)
	defer past.Close()
	// Asked of the past's service: lists cache their totals, and svc must
	// not keep the zero it would read here.
	loaded, err := past.Students.ListStudents(ctx, who["auditor_yiyang"], service.StudentFilter{SchoolYear: term.SchoolYear(),
		Page: service.Page{PageSize: 1}})
	if err != nil || loaded.Total > 0 {
		return users, err
	}
	pastJobs, err := jobs.New(past.Jobs, log, jobs.Definitions(past.Batches, past.Anomalies, past.Audit, past.Loans, schedules), jobs.Options{Now: clock.now})
	if err != nil {
		return nil, err
	}
	d := &player{svc: past, jobs: pastJobs, who: who, term: term, clock: clock}
	if err := d.playTerm(ctx); err != nil {
		return nil, fmt.Errorf("demo term %s: %w", term, err)
	}
	// Today: the scheduler's catch-up runs now rather than at the first
	// start, then what the county approves today waits for the next batch run.
	sched, err := jobs.New(svc.Jobs, log, jobs.Definitions(svc.Batches, svc.Anomalies, svc.Audit, svc.Loans, schedules), jobs.Options{Now: svc.Now})
	if err != nil {
		return nil, err
	}
	sched.CatchUp(ctx)
	if err := d.today(ctx, svc); err != nil {
		return nil, fmt.Errorf("demo today: %w", err)
	}
	return users, nil
}

// clock is the demo's time: set to a day of the term, it ticks a second at
// every reading so the audit log keeps the order things happened in.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// day sets the clock to 09:00 Shanghai time of the term's day (0: its first).
func (c *clock) day(start time.Time, day int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = start.AddDate(0, 0, day).Add(9 * time.Hour)
}
