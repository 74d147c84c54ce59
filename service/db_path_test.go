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

// A data directory whose name holds '#', '?' or '%' keeps its database there:
// unescaped, the URI would cut the path short and open another file.
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "资助#2?x%41")
	path := filepath.Join(dir, "studentaid.db")
	db, err := service.OpenDB(configs.Database{Driver: "sqlite"}, path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("CREATE TABLE probe (id INTEGER)").Error; err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
}
