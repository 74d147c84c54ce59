//go:build faults

package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"studentaid/service"
)

func TestFaultSettingIsChecked(t *testing.T) {
	for _, bad := range []string{"migrate.mid", "no.such_point:kill", "migrate.mid:explode", "migrate.mid:kill,"} {
		if _, err := parseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	plan, err := parseFaults("roster.before_commit:wait, batch.after_lines_insert:kill")
	if err != nil || plan[service.FaultRosterBeforeCommit] != "wait" || plan[service.FaultBatchAfterLinesInsert] != "kill" {
		t.Fatalf("%v %v", plan, err)
	}
}

func testFaults(t *testing.T, spec string) (*faults, string) {
	t.Helper()
	plan, err := parseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &faults{plan: plan, dir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), limit: time.Minute,
		struck: map[string]bool{}}, dir
}

// TestFaultErrorStrikesOnce: the point fails the first time, leaves its
// marker, and lets the step through afterwards (a re-run completes).
func TestFaultErrorStrikesOnce(t *testing.T) {
	f, dir := testFaults(t, "bank_results.mid_file:error")
	if err := f.at(service.FaultCalcPlanned); err != nil {
		t.Fatalf("an unarmed point struck: %v", err)
	}
	if err := f.at(service.FaultBankResultsMidFile); err == nil {
		t.Fatal("the armed point did not strike")
	}
	if _, err := os.Stat(filepath.Join(dir, "bank_results.mid_file.reached")); err != nil {
		t.Fatalf("no marker: %v", err)
	}
	if err := f.at(service.FaultBankResultsMidFile); err != nil {
		t.Fatalf("struck twice: %v", err)
	}
}

// TestFaultWaitHoldsUntilReleased: the step stays at the point until the
// release file appears.
func TestFaultWaitHoldsUntilReleased(t *testing.T) {
	f, dir := testFaults(t, "roster.before_commit:wait")
	done := make(chan error)
	go func() { done <- f.at(service.FaultRosterBeforeCommit) }()
	marker := filepath.Join(dir, "roster.before_commit.reached")
	for i := 0; ; i++ {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("no marker")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("went on before the release: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.before_commit.release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFaultKillIsSIGKILL: the whole binary, as the scripts run it: `migrate`
// with migrate.mid:kill dies by SIGKILL half way through the first migration
// (TestMigrationCutShortCompletes shows the next run completes it).
func TestFaultKillIsSIGKILL(t *testing.T) {
	if os.Getenv("FAULT_CHILD") == "1" {
		_ = run([]string{"migrate"}, io.Discard)
		return
	}
	data := t.TempDir()
	t.Setenv("STUDENTAID_DATABASE_DRIVER", "sqlite")
	t.Setenv("STUDENTAID_DATA_DIR", data)
	t.Setenv("STUDENTAID_FAULT_DIR", data)
	child := exec.Command(os.Args[0], "-test.run=^TestFaultKillIsSIGKILL$")
	child.Env = append(os.Environ(), "FAULT_CHILD=1", "STUDENTAID_FAULT=migrate.mid:kill")
	err := child.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, want SIGKILL", err)
	}
	if _, err := os.Stat(filepath.Join(data, "migrate.mid.reached")); err != nil {
		t.Fatalf("no marker: %v", err)
	}
}

// TestFaultENOSPCIsADiskFull: the enospc action fails as a full disk does.
func TestFaultENOSPCIsADiskFull(t *testing.T) {
	f, _ := testFaults(t, "roster.upload_copy:enospc")
	if err := f.at(service.FaultRosterUploadCopy); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("%v", err)
	}
}
