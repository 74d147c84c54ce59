package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// The migration lease is a row, so it holds on Galera where GET_LOCK does
// not replicate: a live lease held elsewhere makes Migrate wait, an expired
// one (its holder died) is taken over.
func TestMigrationWaitsForAnotherInstancesLease(t *testing.T) {
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			db := servicetest.OpenDB(t, d)
			if err := db.Exec("DELETE FROM schema_migrations WHERE version = (SELECT v FROM (SELECT MAX(version) AS v FROM schema_migrations) m)").Error; err != nil {
				t.Fatal(err)
			}
			held := time.Now().Add(time.Hour).UnixMilli()
			if err := db.Exec("INSERT INTO schema_migration_lease (id, holder, expires_ms) VALUES (1, 'other-instance', ?)", held).Error; err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			if err := service.Migrate(ctx, db); err == nil || !strings.Contains(err.Error(), "migration lease") {
				t.Fatalf("migrated while another instance held the lease: %v", err)
			}
			want, _ := service.LatestSchemaVersion(service.EngineOf(db))
			if v, _ := service.SchemaVersion(context.Background(), db); v == want {
				t.Fatal("the last migration was applied under another instance's lease")
			}
			if err := db.Exec("UPDATE schema_migration_lease SET expires_ms = ?", time.Now().Add(-time.Second).UnixMilli()).Error; err != nil {
				t.Fatal(err)
			}
			if err := service.Migrate(context.Background(), db); err != nil {
				t.Fatalf("an expired lease was not taken over: %v", err)
			}
			if v, _ := service.SchemaVersion(context.Background(), db); v != want {
				t.Fatalf("version %d, want %d", v, want)
			}
			var left int64
			db.Raw("SELECT COUNT(*) FROM schema_migration_lease").Scan(&left)
			if left != 0 {
				t.Fatal("the lease was not released")
			}
		})
	}
}

// Instances starting together on an empty schema: one migrates, the others
// wait and find nothing left to do.
func TestConcurrentMigrations(t *testing.T) {
	for _, d := range servicetest.Drivers(t) {
		t.Run(d, func(t *testing.T) {
			db := servicetest.OpenDB(t, d)
			if err := db.Exec("DELETE FROM schema_migrations").Error; err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					errs[i] = service.Migrate(context.Background(), db)
				}(i)
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			ms, _ := service.LatestSchemaVersion(service.EngineOf(db))
			var n, distinct int64
			db.Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&n)
			db.Raw("SELECT COUNT(DISTINCT version) FROM schema_migrations").Scan(&distinct)
			if n != distinct || n == 0 {
				t.Fatalf("%d migrations recorded, %d distinct (latest %d)", n, distinct, ms)
			}
		})
	}
}

// A migration on SQLite's one connection outlasts a heartbeat period without
// hanging: no beat waits for the connection the migration holds.
func TestMigrationOnOneConnectionOutlastsAHeartbeat(t *testing.T) {
	db := servicetest.OpenDB(t, "sqlite")
	if err := db.Exec("DELETE FROM schema_migrations WHERE version = (SELECT v FROM (SELECT MAX(version) AS v FROM schema_migrations) m)").Error; err != nil {
		t.Fatal(err)
	}
	slow := func(string) error { time.Sleep(6 * time.Second); return nil }
	done := make(chan error, 1)
	go func() { done <- service.MigrateWithFault(context.Background(), db, slow) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the migration hung after a heartbeat period")
	}
}
