//go:build faults

package main

// The fault-test build (`go build -tags faults`): STUDENTAID_FAULT makes named
// points of the service (service.FaultPoints) strike, so that the scripts
// under scripts/faults fail, kill or pause the service at the moment they
// name. The release build (main_nofaults.go) does not read the setting.
//
//	STUDENTAID_FAULT=point:action[,point:action]
//	STUDENTAID_FAULT_DIR=DIR   where markers are written (default: the temp dir)
//
// Each point strikes once, the first time it is reached, after writing
// DIR/POINT.reached (the process id) so a script knows it got there:
//
//	kill   the process sends itself SIGKILL: nothing deferred runs, open
//	       transactions are left to the database, as with kill -9
//	error  the step fails with an error (its transaction rolls back)
//	enospc the step fails as a write to a full disk does (ENOSPC), for
//	       machines where a small filesystem cannot be mounted
//	wait   the step pauses until DIR/POINT.release exists (at most
//	       faultWaitLimit), so a script can look at the database and kill
//	       it, or the server, at that exact point; then it carries on

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"studentaid/service"
)

const faultWaitLimit = 10 * time.Minute

type faults struct {
	plan  map[string]string // point → action
	dir   string
	log   *slog.Logger
	limit time.Duration

	mu     sync.Mutex
	struck map[string]bool
}

// faultHook reads STUDENTAID_FAULT; nil when it is not set.
func faultHook(log *slog.Logger) (func(point string) error, error) {
	spec := os.Getenv("STUDENTAID_FAULT")
	if spec == "" {
		return nil, nil
	}
	plan, err := parseFaults(spec)
	if err != nil {
		return nil, fmt.Errorf("STUDENTAID_FAULT: %w", err)
	}
	dir := os.Getenv("STUDENTAID_FAULT_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	log.Warn("fault build: fault points armed", "faults", spec, "dir", dir)
	f := &faults{plan: plan, dir: dir, log: log, limit: faultWaitLimit, struck: map[string]bool{}}
	return f.at, nil
}

func parseFaults(spec string) (map[string]string, error) {
	plan := map[string]string{}
	for _, item := range strings.Split(spec, ",") {
		point, action, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("%q: want point:action", item)
		}
		if !slices.Contains(service.FaultPoints, point) {
			return nil, fmt.Errorf("unknown fault point %q (known: %s)", point, strings.Join(service.FaultPoints, ", "))
		}
		if !slices.Contains([]string{"kill", "error", "enospc", "wait"}, action) {
			return nil, fmt.Errorf("%s: unknown action %q (kill, error, enospc or wait)", point, action)
		}
		plan[point] = action
	}
	return plan, nil
}

// at is the service's Options.Fault.
func (f *faults) at(point string) error {
	f.mu.Lock()
	action, armed := f.plan[point]
	if !armed || f.struck[point] {
		f.mu.Unlock()
		return nil
	}
	f.struck[point] = true
	f.mu.Unlock()
	f.log.Warn("fault point reached", "point", point, "action", action)
	if err := os.WriteFile(filepath.Join(f.dir, point+".reached"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		f.log.Error("writing the fault marker", "point", point, "err", err)
	}
	switch action {
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	case "error":
		return fmt.Errorf("fault injected at %s", point)
	case "enospc":
		return &os.PathError{Op: "write", Path: filepath.Join(f.dir, point), Err: syscall.ENOSPC}
	}
	release := filepath.Join(f.dir, point+".release")
	for deadline := time.Now().Add(f.limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(release); err == nil {
			f.log.Warn("fault point released", "point", point)
			return nil
		}
	}
	f.log.Error("fault point never released, carrying on", "point", point, "waited", f.limit)
	return nil
}
