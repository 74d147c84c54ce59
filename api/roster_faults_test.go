package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// TestDiskFullDuringUploadFailsTheImport: a full data directory while a
// large upload is kept for its background import is answered 507 in Chinese,
// the import is recorded failed (not left "processing" for a restart to
// find), nothing is written and no partial copy stays behind.
func TestDiskFullDuringUploadFailsTheImport(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		tmp := t.TempDir()
		full := h.instance(servicetest.SecondInstance(t, env, func(o *service.Options) {
			o.RosterAsyncBytes, o.TempDir = 1, tmp
			o.Fault = func(point string) error {
				if point == service.FaultRosterUploadCopy {
					return &os.PathError{Op: "write", Path: filepath.Join(tmp, "roster.xlsx"), Err: syscall.ENOSPC}
				}
				return nil
			}
		}))
		rows := [][]any{primaryRow("王小明", validID("430921", "20150301", 7), "四年级", "是", "困难")}
		rr := full.upload("/api/v1/rosters", full.as("school_nanzhou"), "file", "花名册.xlsx", rosterFile(t, rosterHeaders, rows),
			map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusInsufficientStorage)
		if code := errorCode(t, rr); code != "disk_full" || !strings.Contains(rr.Body.String(), "磁盘空间不足") {
			t.Fatalf("answer: %s", rr.Body)
		}
		var status, message string
		env.DB.Raw("SELECT status, message FROM roster_imports").Row().Scan(&status, &message)
		if status != "failed" || !strings.Contains(message, "磁盘空间不足") {
			t.Fatalf("import record: %s %q", status, message)
		}
		if n := countRows(t, env, "students"); n != 0 {
			t.Fatalf("%d students written", n)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("left in the data directory: %v", left)
		}
	})
}

// TestDeadImportIsReportedFailed: on MySQL, an import whose heartbeat has
// stopped (its process died, or it failed while the database was away and
// could not say so) reads as failed without waiting for a restart; one
// whose heartbeat is fresh may be running elsewhere and is left alone.
// SQLite keeps no heartbeat: there a processing import is running.
func TestDeadImportIsReportedFailed(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		var uploader int64
		env.DB.Raw("SELECT id FROM users WHERE username = 'school_nanzhou'").Scan(&uploader)
		for _, beat := range []time.Duration{-time.Hour, -10 * time.Second} {
			at := servicetest.Start.Add(beat)
			if err := env.DB.Exec(`INSERT INTO roster_imports (school_year, region_code, uploader_id, uploader_name, filename,
				file_sha256, mode, dry_run, status, errors_json, created_at, heartbeat_at) VALUES ('2025-2026', '430921', ?,
				'school_nanzhou', 'x.xlsx', '0', 'all_or_nothing', ?, 'processing', '{}', ?, ?)`, uploader, false, at, at).Error; err != nil {
				t.Fatal(err)
			}
		}
		wantStatus := map[string][]string{"mysql": {"failed", "processing"}, "sqlite": {"processing", "processing"}}[env.Driver]
		for i, id := range []int{1, 2} {
			rr := h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", id), h.as("school_nanzhou"), nil)
			var rep struct{ Status, Message string }
			mustJSON(t, rr, &rep)
			if rep.Status != wantStatus[i] || (rep.Status == "failed" && !strings.Contains(rep.Message, "未导入任何数据")) {
				t.Fatalf("import %d on %s: %s", id, env.Driver, rr.Body)
			}
		}
	})
}
