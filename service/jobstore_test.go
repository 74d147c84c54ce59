package service_test

import (
	"context"
	"testing"
	"time"

	"studentaid/service/servicetest"
)

// A renewal that writes the expiry already stored (two renewals on one
// clock reading, or within one second on a DATETIME column) leaves the row
// unchanged, and MySQL then reports 0 rows affected: the lease is still
// held and must be judged so. A lease another instance holds is not.
func TestRenewLeaseKeptWhenTheExpiryIsUnchanged(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		if ok, err := env.Svc.Jobs.AcquireLease(ctx, "count", "a/1", time.Minute); err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		for i := 0; i < 2; i++ {
			if kept, err := env.Svc.Jobs.RenewLease(ctx, "count", "a/1", time.Minute); err != nil || !kept {
				t.Fatalf("renewal %d on the same clock reading judged lost: %v %v", i+1, kept, err)
			}
		}
		if kept, err := env.Svc.Jobs.RenewLease(ctx, "count", "b/1", time.Minute); err != nil || kept {
			t.Fatalf("a lease held by a/1 renewed for b/1: %v %v", kept, err)
		}
		if kept, err := env.Svc.Jobs.RenewLease(ctx, "never_run", "a/1", time.Minute); err != nil || kept {
			t.Fatalf("a lease never taken renewed: %v %v", kept, err)
		}
		env.Clock.Advance(2 * time.Minute)
		if ok, err := env.Svc.Jobs.AcquireLease(ctx, "count", "b/1", time.Minute); err != nil || !ok {
			t.Fatalf("b/1 takes the expired lease: %v %v", ok, err)
		}
		if kept, err := env.Svc.Jobs.RenewLease(ctx, "count", "a/1", time.Minute); err != nil || kept {
			t.Fatalf("a/1 renewed a lease b/1 took over: %v %v", kept, err)
		}
	})
}
