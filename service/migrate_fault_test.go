package service_test

import (
	"context"
	"errors"
	"testing"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// TestMigrationCutShortCompletes: every migration is cut after its first
// statement in turn, from the real state the migrations before it left (as a
// killed `migrate` leaves it: half applied, unrecorded; on MySQL the DDL has
// committed), and the next run completes it.
func TestMigrationCutShortCompletes(t *testing.T) {
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			db := servicetest.OpenDB(t, d)
			ctx := context.Background()
			cut := errors.New("cut short")
			applied := func() (n int) {
				if err := db.Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			for run := 1; ; run++ {
				// The first run cuts the first migration; each later run
				// completes the one cut before and cuts the next.
				hits, at := 0, min(run, 2)
				err := service.MigrateWithFault(ctx, db, func(point string) error {
					if hits++; point == service.FaultMigrateMid && hits == at {
						return cut
					}
					return nil
				})
				if err == nil {
					break
				}
				if !errors.Is(err, cut) || run > 100 {
					t.Fatalf("run %d: %v", run, err)
				}
				if n := applied(); n != run-1 {
					t.Fatalf("run %d cut short: %d migrations recorded, want %d", run, n, run-1)
				}
			}
			v, err := service.SchemaVersion(ctx, db)
			want, _ := service.LatestSchemaVersion(service.EngineOf(db))
			if err != nil || v != want {
				t.Fatalf("version %d, want %d (%v)", v, want, err)
			}
		})
	}
}
