package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"studentaid/model"
)

// TestRekeyCommand: `studentaid rekey` on a SQLite data directory replaces
// the key file's key, anchors the relinked audit chain, and the service
// opens with the new key; twice in a row works too.
func TestRekeyCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("STUDENTAID_DATABASE_DRIVER", "sqlite")
	t.Setenv("STUDENTAID_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run([]string{"migrate"}, &out); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "studentaid.key")
	before, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		out.Reset()
		if err := run([]string{"rekey"}, &out); err != nil {
			t.Fatalf("rekey %d: %v", i, err)
		}
		if !strings.Contains(out.String(), "the old key is retired") || !strings.Contains(out.String(), "audit anchor seq=") {
			t.Fatalf("rekey said: %s", out.String())
		}
	}
	after, err := os.ReadFile(keyFile)
	if err != nil || bytes.Equal(before, after) || strings.Count(string(after), "\n") != 1 {
		t.Fatalf("key file after rekey: %q (%v)", after, err)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	anchors, err := os.ReadFile(filepath.Join(dir, "audit-anchor.log"))
	if err != nil || strings.Count(string(anchors), "\n") != 2 {
		t.Fatalf("anchors: %q (%v)", anchors, err)
	}
	a, err := open(context.Background(), "", false)
	if err != nil {
		t.Fatalf("the service does not open with the new key: %v", err)
	}
	defer a.svc.Close()
	check, err := a.svc.Audit.VerifyAudit(context.Background(), model.Actor{UserID: 1, Role: model.RoleAdmin})
	if err != nil || !check.OK {
		t.Fatalf("audit chain and anchor after rekey: %+v %v", check, err)
	}
}
