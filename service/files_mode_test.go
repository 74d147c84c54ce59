package service_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"studentaid/configs"
	"studentaid/service"
)

// Issue 15 item 3: the data directory is 0700, the database and key files
// 0600, also when they existed with wider modes.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "studentaid.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := service.OpenDB(configs.Database{Driver: "sqlite"}, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Exec("CREATE TABLE t (x INT)").Error; err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := g.DB()
	defer sqlDB.Close()
	key := filepath.Join(dir, "data.key")
	if _, err := service.LoadDataKey("", key, true); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := service.LoadDataKey("", key, false); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, db: 0o600, db + "-wal": 0o600, key: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", filepath.Base(path), st.Mode().Perm(), want)
		}
	}
}
