package jobs

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"studentaid/model"
	"studentaid/service/servicetest"
)

// Stop tells a running job to stop before waiting for it, so a long batch
// does not hold up shutdown. The cron ticks every second here, as Start's
// would every minute.
func TestStopCancelsARunningJobBeforeWaiting(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	started := make(chan struct{}, 1)
	slow := Job{Name: "slow", Title: "慢", Run: func(ctx context.Context, _ model.Actor, _ bool, _ int64) (any, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	s, err := New(env.Svc.Jobs, slog.New(slog.NewTextHandler(io.Discard, nil)), []Job{slow}, Options{Instance: "stop"})
	if err != nil {
		t.Fatal(err)
	}
	s.cron = cron.New(cron.WithSeconds(), cron.WithChain(cron.SkipIfStillRunning(cronLogger{s.log})))
	if _, err := s.cron.AddFunc("* * * * * *", func() { s.run(s.ctx, slow, model.SystemActor("job:slow"), "schedule", nil, false) }); err != nil {
		t.Fatal(err)
	}
	s.cron.Start()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job never started")
	}
	stopped := make(chan struct{})
	go func() {
		s.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop waits for a running job without cancelling it")
	}
}
