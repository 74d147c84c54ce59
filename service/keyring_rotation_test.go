package service_test

import (
	"bytes"
	"strings"
	"testing"

	"studentaid/service"
)

// TestKeyringNamesItsKeys: sealed values and files carry the sealing key's
// id; a keyring with an older key opens what the older key sealed, also a
// value sealed before values carried an id, and seals with the new key
// only; unsealed file bytes are refused.
func TestKeyringNamesItsKeys(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := service.NewKeyring(oldKey)
	both, err := service.NewKeyring(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if old.KeyID() == both.KeyID() || len(both.KeyID()) != 8 {
		t.Fatalf("key ids %q %q", old.KeyID(), both.KeyID())
	}
	v := old.Seal("G43090320150101123X")
	if service.SealedKeyID(v) != old.KeyID() {
		t.Fatalf("sealed value %q does not name its key", v)
	}
	legacy := strings.TrimPrefix(v, old.KeyID()+":") // as sealed before values carried an id
	for _, s := range []string{v, legacy} {
		if got, err := both.Open(s); err != nil || got != "G43090320150101123X" {
			t.Fatalf("open %q with the older key kept: %q %v", s, got, err)
		}
	}
	if service.SealedKeyID(both.Seal("x")) != both.KeyID() {
		t.Fatal("sealed with the old key")
	}
	newOnly, _ := service.NewKeyring(newKey)
	if _, err := newOnly.Open(v); err == nil {
		t.Fatal("a retired key's value opened without it")
	}

	plain := []byte("PK\x03\x04 a workbook")
	sealed := old.SealBytes(plain)
	if bytes.Contains(sealed, []byte("workbook")) {
		t.Fatal("file bytes visible")
	}
	if id, ok := service.SealedFileKeyID(sealed); !ok || id != old.KeyID() {
		t.Fatal("sealed file does not name its key")
	}
	if got, err := both.OpenBytes(sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open file: %v", err)
	}
	if _, err := both.OpenBytes(plain); err == nil {
		t.Fatal("unsealed bytes were served as a sealed file")
	}
	if _, err := newOnly.OpenBytes(sealed); err == nil {
		t.Fatal("a retired key's file opened without it")
	}
}
