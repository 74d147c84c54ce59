package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	"gorm.io/gorm"

	"studentaid/model"
)

// Writing the audit log, which every domain does; the Audit domain reads and
// verifies it (audit.go).

// audit appends one entry to the hash-chained log inside the caller's
// transaction, so the entry exists exactly when the write does (hard rule 3).
// before/after must already be masked views; digitRuns is a last safety net.
func (s *core) audit(tx *gorm.DB, a model.Actor, action, entity, entityID string, before, after any) error {
	// Taking the head row's lock first serialises appends on MySQL and SQLite
	// alike, so the chain can never fork under concurrent writers.
	if err := tx.Exec("UPDATE audit_head SET seq = seq + 1 WHERE id = 1").Error; err != nil {
		return err
	}
	head, err := readAuditHead(tx)
	if err != nil {
		return err
	}
	e := model.AuditEntry{
		ID:         head.Seq,
		At:         s.now(),
		ActorName:  a.Username,
		Role:       string(a.Role),
		Action:     action,
		Entity:     entity,
		EntityID:   entityID,
		BeforeJSON: auditJSON(before),
		AfterJSON:  auditJSON(after),
		RequestID:  a.RequestID,
		ClientIP:   a.ClientIP,
		RegionCode: a.RegionCode,
		PrevHash:   head.LastHash,
	}
	if a.UserID != 0 {
		id := a.UserID
		e.ActorID = &id
	}
	if e.ActorName == "" {
		e.ActorName = "system"
		e.Role = "system"
	}
	e.Hash = s.keys.entryHash(e)
	if err := tx.Create(&e).Error; err != nil {
		return err
	}
	return tx.Exec("UPDATE audit_head SET last_hash = ? WHERE id = 1", e.Hash).Error
}

// digitRuns matches anything that could be an ID or bank account number.
var digitRuns = regexp.MustCompile(`\d{12,30}[Xx]?`)

func auditJSON(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return maskDigitRuns(string(b))
}

// maskDigitRuns masks every run of digits long enough to be an ID or bank
// account number, keeping its first and last four.
func maskDigitRuns(s string) string {
	return digitRuns.ReplaceAllStringFunc(s, func(m string) string {
		return m[:4] + "****" + m[len(m)-4:]
	})
}

// inRegion files an audit entry under the entity's region when the actor has
// none of its own (an admin, the scheduler), so the region's auditors see it.
func inRegion(a model.Actor, code string) model.Actor {
	if a.RegionCode == "" {
		a.RegionCode = code
	}
	return a
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// entryCanon is every stored field of an entry but the hashes, in a fixed
// order; the time at microsecond precision, the precision both engines keep.
func entryCanon(e model.AuditEntry, withRegion bool) []byte {
	var actor int64
	if e.ActorID != nil {
		actor = *e.ActorID
	}
	fields := []any{
		e.ID, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), actor, e.ActorName, e.Role,
		e.Action, e.Entity, e.EntityID, e.BeforeJSON, e.AfterJSON, e.RequestID, e.ClientIP,
	}
	if withRegion {
		fields = append(fields, e.RegionCode)
	}
	canon, _ := json.Marshal(fields)
	return canon
}

// entryHash is the HMAC, under a key derived from the data key, of the
// previous hash and the entry: rewriting the chain needs the key.
func (k *Keyring) entryHash(e model.AuditEntry) string {
	m := hmac.New(sha256.New, k.auditKey)
	m.Write([]byte(e.PrevHash))
	m.Write([]byte{'\n'})
	m.Write(entryCanon(e, true))
	return hex.EncodeToString(m.Sum(nil))
}

// auditAlone records an event that has no write of its own (a refused login,
// a download); a failure to record it is logged, not shown to the user.
func (s *core) auditAlone(ctx context.Context, a model.Actor, action, entity, id string, before, after any) {
	err := s.tx(ctx, func(tx *gorm.DB) error { return s.audit(tx, a, action, entity, id, before, after) })
	if err != nil {
		s.log.ErrorContext(ctx, "audit write failed", "action", action, "err", err)
	}
}
