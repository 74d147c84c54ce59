package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// unkeyedChain rewrites the env's audit log as a database written before the
// chain was keyed holds it: plain SHA-256 over the previous hash and the
// fields (without the region, which came later), and no keyed setting. The
// formula is written out here, apart from the service's, as the record of
// what those databases hold.
func unkeyedChain(t *testing.T, env *servicetest.Env) {
	t.Helper()
	var es []model.AuditEntry
	if err := env.DB.Order("id").Find(&es).Error; err != nil {
		t.Fatal(err)
	}
	prev := zeroHash
	for _, e := range es {
		var actor int64
		if e.ActorID != nil {
			actor = *e.ActorID
		}
		canon, _ := json.Marshal([]any{e.ID, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), actor, e.ActorName, e.Role,
			e.Action, e.Entity, e.EntityID, e.BeforeJSON, e.AfterJSON, e.RequestID, e.ClientIP})
		h := sha256.Sum256([]byte(prev + "\n" + string(canon)))
		hash := hex.EncodeToString(h[:])
		if err := env.DB.Exec("UPDATE audit_entries SET prev_hash = ?, hash = ? WHERE id = ?", prev, hash, e.ID).Error; err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
	mustExec(t, env, "UPDATE audit_head SET last_hash = ? WHERE id = 1", prev)
	mustExec(t, env, "DELETE FROM settings WHERE name = 'audit_chain_keyed'")
}

func mustExec(t *testing.T, env *servicetest.Env, q string, args ...any) {
	t.Helper()
	if err := env.DB.Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// someAudit makes a few audited writes.
func someAudit(t *testing.T, env *servicetest.Env) {
	t.Helper()
	for i := range 5 {
		pw := fmt.Sprintf("Kq7!mz-%d-lantern", i)
		role := model.RoleAdmin
		in := service.UserInput{Username: fmt.Sprintf("upgrade%d", i), Password: &pw, Role: &role}
		if _, err := env.Svc.Users.CreateUser(context.Background(), model.SystemActor("test"), in); err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, env *servicetest.Env) service.AuditCheck {
	t.Helper()
	res, err := env.Svc.Audit.VerifyAudit(context.Background(), model.Actor{UserID: 1, Role: model.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func keyed(t *testing.T, env *servicetest.Env) bool {
	t.Helper()
	var n int64
	if err := env.DB.Raw("SELECT COUNT(*) FROM settings WHERE name = 'audit_chain_keyed'").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestUpgradeAuditChain: an intact unkeyed chain becomes a keyed one that
// verifies (and is done once); an unkeyed chain with an edited entry, or with
// its tail cut, is refused and left as it was, and verification reports it.
func TestUpgradeAuditChain(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		someAudit(t, env)
		if res := verify(t, env); !res.OK || res.Entries < 5 {
			t.Fatalf("fresh chain: %+v", res)
		}
		unkeyedChain(t, env)
		if res := verify(t, env); res.OK {
			t.Fatal("an unkeyed chain verified under the key: the test did not make one")
		}
		if err := service.UpgradeAuditChain(ctx, env.DB, env.Keys); err != nil {
			t.Fatalf("intact chain refused: %v", err)
		}
		if res := verify(t, env); !res.OK || !keyed(t, env) {
			t.Fatalf("upgraded chain does not verify: %+v", res)
		}
		// Once keyed, the upgrade does nothing: run again it must not relink
		// (or refuse) the keyed chain.
		unchanged := headHash(t, env)
		if err := service.UpgradeAuditChain(ctx, env.DB, env.Keys); err != nil || headHash(t, env) != unchanged {
			t.Fatalf("second upgrade: %v", err)
		}

		for _, c := range []struct {
			name   string
			tamper func()
		}{
			{"edited entry", func() {
				mustExec(t, env, "UPDATE audit_entries SET after_json = ? WHERE id = 3", `{"role":"auditor"}`)
			}},
			{"cut tail", func() {
				var last int64
				if err := env.DB.Raw("SELECT MAX(id) FROM audit_entries").Scan(&last).Error; err != nil {
					t.Fatal(err)
				}
				mustExec(t, env, "DELETE FROM audit_entries WHERE id = ?", last)
			}},
		} {
			unkeyedChain(t, env)
			c.tamper()
			before := hashes(t, env)
			if err := service.UpgradeAuditChain(ctx, env.DB, env.Keys); err == nil {
				t.Fatalf("%s: upgrade accepted a tampered chain", c.name)
			}
			if keyed(t, env) || fmt.Sprint(hashes(t, env)) != fmt.Sprint(before) {
				t.Fatalf("%s: a refused upgrade changed the chain", c.name)
			}
			if res := verify(t, env); res.OK {
				t.Fatalf("%s: verification passed", c.name)
			}
		}
	})
}

func headHash(t *testing.T, env *servicetest.Env) string {
	t.Helper()
	var h string
	if err := env.DB.Raw("SELECT last_hash FROM audit_head WHERE id = 1").Scan(&h).Error; err != nil {
		t.Fatal(err)
	}
	return h
}

func hashes(t *testing.T, env *servicetest.Env) []string {
	t.Helper()
	var hs []string
	if err := env.DB.Raw("SELECT hash FROM audit_entries ORDER BY id").Scan(&hs).Error; err != nil {
		t.Fatal(err)
	}
	return hs
}
