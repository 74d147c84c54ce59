package service

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// The audit chain is keyed (an HMAC under a key derived from the data key)
// and anchored outside the database: the daily audit_anchor job writes the
// head to a file in the data directory and to the log, and VerifyAudit
// checks that the anchored entry is still in the chain with the same hash.
// docs/security.md says what this proves and what it does not.

const (
	settingAuditKeyed = "audit_chain_keyed"
	anchorFileName    = "audit-anchor.log"
	zeroHash          = "0000000000000000000000000000000000000000000000000000000000000000"
)

// UpgradeAuditChain rebuilds a chain written before the chain was keyed: it
// verifies the old unkeyed chain first and rebuilds it only when it holds,
// so the rebuild cannot launder an earlier edit. It runs once per database
// (a setting records it), under the head's lock, so writers wait for it.
func UpgradeAuditChain(ctx context.Context, db *gorm.DB, k *Keyring) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE audit_head SET seq = seq WHERE id = 1").Error; err != nil {
			return err
		}
		var done int64
		if err := tx.Raw("SELECT COUNT(*) FROM settings WHERE name = ?", settingAuditKeyed).Scan(&done).Error; err != nil || done > 0 {
			return err
		}
		prev, lastID := zeroHash, int64(0)
		var batch []model.AuditEntry
		err := tx.Order("id").FindInBatches(&batch, 2000, func(*gorm.DB, int) error {
			for _, e := range batch {
				if e.ID != lastID+1 || e.PrevHash != prev || unkeyedHash(e) != e.Hash {
					return fmt.Errorf("审计日志在第 %d 条处校验失败，未改为带密钥的哈希链，请先调查", e.ID)
				}
				prev, lastID = e.Hash, e.ID
			}
			return nil
		}).Error
		if err != nil {
			return err
		}
		head, err := readAuditHead(tx)
		if err != nil {
			return err
		}
		if head.Seq != lastID || head.LastHash != prev {
			return fmt.Errorf("审计日志链头（第 %d 条）与记录（第 %d 条）不符，未改为带密钥的哈希链，请先调查", head.Seq, lastID)
		}
		prev = zeroHash
		err = tx.Order("id").FindInBatches(&batch, 2000, func(*gorm.DB, int) error {
			for _, e := range batch {
				e.PrevHash = prev
				e.Hash = k.entryHash(e)
				if err := tx.Model(&model.AuditEntry{}).Where("id = ?", e.ID).
					Updates(map[string]any{"prev_hash": e.PrevHash, "hash": e.Hash}).Error; err != nil {
					return err
				}
				prev = e.Hash
			}
			return nil
		}).Error
		if err != nil {
			return err
		}
		if err := tx.Exec("UPDATE audit_head SET last_hash = ? WHERE id = 1", prev).Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO settings (name, value) VALUES (?, ?)", settingAuditKeyed, "hmac-sha256 v1").Error
	})
}

// auditHead is the chain's last link: its sequence number and hash.
type auditHead struct {
	Seq      int64
	LastHash string
}

func readAuditHead(db *gorm.DB) (auditHead, error) {
	var h auditHead
	return h, db.Raw("SELECT seq, last_hash FROM audit_head WHERE id = 1").Scan(&h).Error
}

// unkeyedHash is the chain's hash before it was keyed (plain SHA-256), kept
// only to verify an old chain before UpgradeAuditChain rebuilds it.
func unkeyedHash(e model.AuditEntry) string {
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(entryCanon(e, false))
	return hex.EncodeToString(h.Sum(nil))
}

// AuditAnchor is the chain's head as exported outside the database.
type AuditAnchor struct {
	At   time.Time `json:"at"`
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
}

func (s *Audit) anchorFile() string { return filepath.Join(s.opt.TempDir, anchorFileName) }

// AnchorAudit exports the chain's head: one line appended to the anchor file
// in the data directory (mode 0600) and one log line, for the log collector
// to keep where the database's administrators cannot edit it. A dry run only
// reports the head.
func (s *Audit) AnchorAudit(ctx context.Context, dryRun bool) (AuditAnchor, error) {
	head, err := readAuditHead(s.db.WithContext(ctx))
	if err != nil {
		return AuditAnchor{}, err
	}
	an := AuditAnchor{At: s.now(), Seq: head.Seq, Hash: head.LastHash}
	if dryRun {
		return an, nil
	}
	f, err := os.OpenFile(s.anchorFile(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return an, err
	}
	_, err = fmt.Fprintf(f, "%s %d %s\n", an.At.Format(time.RFC3339), an.Seq, an.Hash)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	s.log.InfoContext(ctx, "audit anchor", "seq", an.Seq, "hash", an.Hash)
	return an, err
}

// lastAnchor reads the newest anchor line; ok is false when there is none yet.
func (s *Audit) lastAnchor() (an AuditAnchor, ok bool, err error) {
	f, err := os.Open(s.anchorFile())
	if errors.Is(err, os.ErrNotExist) {
		return an, false, nil
	}
	if err != nil {
		return an, false, err
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	if err := sc.Err(); err != nil || last == "" {
		return an, false, err
	}
	parts := strings.Fields(last)
	if len(parts) != 3 {
		return an, false, fmt.Errorf("审计锚点文件的最后一行无法识别：%q", last)
	}
	an.At, _ = time.Parse(time.RFC3339, parts[0])
	if an.Seq, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
		return an, false, fmt.Errorf("审计锚点文件的最后一行无法识别：%q", last)
	}
	an.Hash = parts[2]
	return an, true, nil
}
