//go:build !faults

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestReleaseBuildIgnoresFaultSetting: the release build neither arms nor
// reads STUDENTAID_FAULT. Armed, migrate.mid:kill would kill this test;
// parsed, the malformed second item would refuse to start.
func TestReleaseBuildIgnoresFaultSetting(t *testing.T) {
	t.Setenv("STUDENTAID_FAULT", "migrate.mid:kill,not a setting")
	t.Setenv("STUDENTAID_DATABASE_DRIVER", "sqlite")
	t.Setenv("STUDENTAID_DATA_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run([]string{"migrate"}, &out); err != nil {
		t.Fatalf("migrate with STUDENTAID_FAULT set: %v", err)
	}
	if !strings.Contains(out.String(), "schema is at version") {
		t.Fatalf("migrate said: %s", out.String())
	}
}
