package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"studentaid/configs"
	"studentaid/service"
)

// Open migrates only when asked to; otherwise it refuses a schema that is
// behind and says to run migrate. The database it opened is closed by Close.
func TestOpenMigratesOrRefusesAnOldSchema(t *testing.T) {
	ctx := context.Background()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st := service.Store{Database: configs.Database{Driver: "sqlite"}, SQLitePath: filepath.Join(t.TempDir(), "s.db"),
		DataKey: base64.StdEncoding.EncodeToString(key)}
	open := func(migrate bool) (*service.Service, error) {
		st.Migrate = migrate
		return service.Open(ctx, st, service.Options{})
	}
	if _, err := open(false); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("an empty database opened without migrating: %v", err)
	}
	svc, err := open(true)
	if err != nil {
		t.Fatal(err)
	}
	// One migration forgotten: the schema is behind.
	if err := svc.DB().Exec("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)").Error; err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if err := svc.DB().Exec("SELECT 1").Error; err == nil {
		t.Fatal("Close left the database open")
	}
	if _, err := open(false); err == nil || !strings.Contains(err.Error(), "请先运行 migrate") {
		t.Fatalf("a schema behind opened without migrating: %v", err)
	}
	if svc, err = open(true); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if svc, err = open(false); err != nil {
		t.Fatalf("a current schema refused: %v", err)
	}
	svc.Close()
}

// serve migrates the embedded default, and a server database only when the
// configuration says so.
func TestStoreFromMigratesSQLiteOrWhenConfigured(t *testing.T) {
	for _, c := range []struct {
		driver  string
		onStart bool
		want    bool
	}{{"sqlite", false, true}, {"mysql", false, false}, {"mysql", true, true}} {
		cfg := &configs.Config{Database: configs.Database{Driver: c.driver, MigrateOnStart: c.onStart}}
		if got := service.StoreFrom(cfg, nil).Migrate; got != c.want {
			t.Errorf("%s, migrate_on_start %v: Migrate %v, want %v", c.driver, c.onStart, got, c.want)
		}
	}
}
