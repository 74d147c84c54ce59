package service_test

import (
	"context"
	"os"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// replicaEnv is a primary with the demo loaded and a service that reads
// through a "replica" that is a second, empty database: a read that went
// there is seen to miss the primary's rows. Its heartbeat is set by the test.
func replicaEnv(t *testing.T) (*servicetest.Env, *service.Service, func(beat time.Time)) {
	t.Helper()
	if os.Getenv("MYSQL_TEST_DSN") == "" {
		servicetest.Drivers(t) // fails when MySQL is required
		t.Skip("needs MySQL")
	}
	env := servicetest.NewEnv(t, "mysql")
	replica := servicetest.OpenDB(t, "mysql")
	setBeat := func(beat time.Time) {
		if err := replica.Exec("UPDATE replica_heartbeat SET beat_at = ? WHERE id = 1", beat).Error; err != nil {
			t.Fatal(err)
		}
	}
	setBeat(env.Clock.Now())
	svc := servicetest.ReplicaInstance(t, env, servicetest.DSNOf(t, replica))
	if _, err := svc.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return env, svc, setBeat
}

// Reports and lists read through the replica route while writes and
// transactions stay on the primary.
func TestReadReplicaRoute(t *testing.T) {
	_, svc, _ := replicaEnv(t)
	ctx := context.Background()
	l, err := svc.Audit.ListAudit(ctx, model.SystemActor("t"), service.AuditFilter{})
	if err != nil || l.Total != 0 {
		t.Fatalf("the audit list did not go to the replica: %d entries, %v", l.Total, err)
	}
	schools, err := svc.Schools.ListSchools(ctx, model.SystemActor("t"), service.SchoolFilter{})
	if err != nil || schools.Total != 7 {
		t.Fatalf("a primary read: %d schools, %v", schools.Total, err)
	}
	if check, err := svc.Audit.VerifyAudit(ctx, model.SystemActor("t")); err != nil || !check.OK || check.Entries == 0 {
		t.Fatalf("verify reads the primary: %+v %v", check, err)
	}
	if st := svc.ReplicaStates(); len(st) != 1 || !st[0].Up || st[0].Lag != 0 || st[0].Reads != 1 {
		t.Fatalf("replica state: %+v", st)
	}
}

// A replica whose newest heartbeat is older than database.replica_max_lag
// serves nothing until it catches up; the reads that fell back are counted.
func TestLaggingReplicaFallsBackToPrimary(t *testing.T) {
	env, svc, setBeat := replicaEnv(t)
	ctx := context.Background()
	setBeat(env.Clock.Now().Add(-env.Opt.ReplicaMaxLag - time.Second))
	svc.CheckReplicas(ctx)
	l, err := svc.Audit.ListAudit(ctx, model.SystemActor("t"), service.AuditFilter{})
	if err != nil || l.Total == 0 {
		t.Fatalf("a lagging replica answered the audit list: %d entries, %v", l.Total, err)
	}
	if n := svc.ReplicaFallbacks()[service.FallbackLag]; n != 1 {
		t.Fatalf("%d lag fallbacks counted, want 1", n)
	}
	if st := svc.ReplicaStates(); st[0].Lag != env.Opt.ReplicaMaxLag+time.Second {
		t.Fatalf("lag seen: %v", st[0].Lag)
	}
	setBeat(env.Clock.Now())
	svc.CheckReplicas(ctx)
	if l, err := svc.Audit.ListAudit(ctx, model.SystemActor("t"), service.AuditFilter{}); err != nil || l.Total != 0 {
		t.Fatalf("reads did not return to the replica once it caught up: %d entries, %v", l.Total, err)
	}
}
