package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"studentaid/service/servicetest"
)

// TestClockBackDoesNotRunADueTimeTwice: the clock set back across a due time
// that has run (an NTP correction, a host resumed from a snapshot) reaches
// that due time again; the cron's firing then runs nothing, and the next due
// time runs as usual.
func TestClockBackDoesNotRunADueTimeTwice(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		var n atomic.Int32
		s := newScheduler(t, env, "a", counting(&n, "0 3 10 4,10 *"))
		ctx := context.Background()
		due := time.Date(2025, 10, 9, 19, 0, 0, 0, time.UTC) // 03:00 on 10 October, Shanghai
		env.Clock.Set(due.Add(20 * time.Second))
		if _, ran := s.RunScheduled(ctx, "count"); !ran || n.Load() != 1 {
			t.Fatalf("the due time: ran %v, %d runs", ran, n.Load())
		}
		env.Clock.Set(due.Add(-5 * time.Minute)) // set back across it …
		env.Clock.Set(due.Add(10 * time.Second)) // … and reaching it again
		if r, ran := s.RunScheduled(ctx, "count"); ran || n.Load() != 1 {
			t.Fatalf("the same due time again: ran %v (%+v), %d runs", ran, r, n.Load())
		}
		env.Clock.Set(time.Date(2026, 4, 9, 19, 0, 5, 0, time.UTC))
		if _, ran := s.RunScheduled(ctx, "count"); !ran || n.Load() != 2 {
			t.Fatalf("the next due time: ran %v, %d runs", ran, n.Load())
		}
	})
}
