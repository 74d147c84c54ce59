package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// Rotating the data key (`studentaid rekey`, docs/security.md). The key file
// is the plan: a new key is written in front of the old one, then every
// sealed value, lookup hash, stored file and the audit chain is redone with
// it in bounded chunks (reseal.go), then the database's key check moves to
// the new key, and last the old key leaves the file. A run that is killed
// anywhere is finished by running rekey again: the file and the settings
// say where it stood. While settingRekeyTo is set no service starts
// (BindKeyring), since values sealed or looked up with the old key then
// would be missed.

const settingRekeyTo = "rekey_to"

// RekeyResult says what a run did.
type RekeyResult struct {
	From, To string // key ids
	Started  bool   // a new key was made by this run (else an earlier run's was finished)
	// The audit chain's head before and after it was linked again under the
	// new key (empty when this run only retired the old key): logged, it
	// ties the anchors exported before the rotation to those after.
	AuditSeq         int64
	OldHead, NewHead string
}

// Rekey rotates the data key kept in keyFile. Every instance of the service
// must be stopped first; rekey refuses to finish while values sealed with
// the old key keep appearing.
func Rekey(ctx context.Context, db *gorm.DB, keyFile string) (RekeyResult, error) {
	var res RekeyResult
	// Under the migration lease: no migrate or first-start sealing meanwhile.
	err := withMigrationLease(ctx, db, func(l *migrationLease) (err error) {
		res, err = rekey(db.WithContext(ctx), keyFile, l)
		return err
	})
	return res, err
}

func rekey(db *gorm.DB, keyFile string, lease *migrationLease) (RekeyResult, error) {
	var res RekeyResult
	keys, err := LoadDataKey("", keyFile, false)
	if err != nil {
		return res, err
	}
	var stored string
	if err := db.Raw("SELECT value FROM settings WHERE name = ?", settingKeyCheck).Scan(&stored).Error; err != nil {
		return res, err
	}
	if keyCheck(keys[0]) == stored && len(keys) == 1 {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return res, err
		}
		// The file first: a crash after this leaves a rotation rekey resumes.
		keys = [][]byte{fresh, keys[0]}
		if err := writeKeyFile(keyFile, keys); err != nil {
			return res, err
		}
		res.Started = true
	}
	res.To = keyID(keys[0])
	if keyCheck(keys[0]) == stored {
		// The database moved to the new key; only the retiring was left.
		res.From = keyID(keys[1])
		return res, retireOldKeys(db, keyFile, keys)
	}
	old := slicesIndex(keys[1:], func(k []byte) bool { return keyCheck(k) == stored })
	if old < 0 {
		return res, errors.New("密钥文件中没有数据库当前使用的密钥，无法轮换：请恢复备份的密钥文件")
	}
	oldKey := keys[1+old]
	res.From = keyID(oldKey)
	if err := db.Exec("INSERT INTO settings (name, value) VALUES (?, ?)", settingRekeyTo, keyCheck(keys[0])).Error; err != nil && !alreadyDone(err) {
		return res, err
	}
	newKeys, err := NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		return res, err
	}
	oldKeys, err := NewKeyring(oldKey)
	if err != nil {
		return res, err
	}
	r := resealer{db: db, keys: newKeys, pass: "rekey", all: true, lease: lease}
	if err := r.run(); err != nil {
		return res, err
	}
	if res.AuditSeq, res.OldHead, res.NewHead, err = rekeyAuditChain(db, r, oldKeys, newKeys); err != nil {
		return res, err
	}
	if left, where, err := sealedWithOtherKeys(db, newKeys.KeyID()); err != nil || left > 0 {
		if err == nil {
			// Written by a service still running: the next run walks the
			// tables again (the audit chain goes on from its cursor).
			err = fmt.Errorf("%s 中仍有 %d 个值不是用新密钥加密的（可能还有服务实例在运行）：请停止所有实例后再次运行 rekey", where, left)
			_ = db.Exec("DELETE FROM settings WHERE name LIKE 'reseal:rekey:%' AND name <> ?", r.cursorName("audit_entries")).Error
		}
		return res, err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		// Login counts are keyed by an HMAC of the typed name, which cannot
		// be computed again: they start afresh (locks last minutes anyway).
		for _, q := range []string{"DELETE FROM login_throttle", "DELETE FROM settings WHERE name LIKE 'reseal:rekey:%'",
			"DELETE FROM settings WHERE name = '" + settingRekeyTo + "'"} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return tx.Exec("UPDATE settings SET value = ? WHERE name = ?", newKeys.check, settingKeyCheck).Error
	})
	if err != nil {
		return res, err
	}
	return res, retireOldKeys(db, keyFile, keys)
}

func slicesIndex(keys [][]byte, f func([]byte) bool) int {
	for i, k := range keys {
		if f(k) {
			return i
		}
	}
	return -1
}

// retireOldKeys leaves only the current key in the file, once nothing in
// the database is sealed with another.
func retireOldKeys(db *gorm.DB, keyFile string, keys [][]byte) error {
	left, where, err := sealedWithOtherKeys(db, keyID(keys[0]))
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%s 中仍有 %d 个值是用旧密钥加密的，旧密钥保留在密钥文件中", where, left)
	}
	return writeKeyFile(keyFile, keys[:1])
}

// sealedWithOtherKeys counts the values not sealed with key id: the first
// table that has any, and how many it has.
func sealedWithOtherKeys(db *gorm.DB, id string) (int64, string, error) {
	for _, t := range sealedTables {
		for _, c := range t.cols {
			var n int64
			if err := db.Raw("SELECT COUNT(*) FROM "+t.table+" WHERE "+c.col+" <> '' AND "+c.col+" NOT LIKE ?", id+":%").
				Scan(&n).Error; err != nil || n > 0 {
				return n, t.table + "." + c.col, err
			}
		}
	}
	prefix := append(append([]byte{}, sealedFileMagic...), id...)
	for _, f := range sealedFiles {
		var n int64
		if err := db.Raw(fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE LENGTH(%s) > 0 AND SUBSTR(%s, 1, %d) <> ?", f.table, f.col, f.col, len(prefix)), prefix).
			Scan(&n).Error; err != nil || n > 0 {
			return n, f.table + "." + f.col, err
		}
	}
	return 0, "", nil
}

// rekeyAuditChain checks each entry under the old audit key and links it
// again under the new one, resealRows entries per transaction. The cursor
// holds the last entry done with its old and new hashes, so a resumed run
// goes on checking the old chain where it stopped. A chain that was never
// keyed (it did not verify when the chain became keyed) is left as it is
// for someone to investigate, as UpgradeAuditChain leaves it.
func rekeyAuditChain(db *gorm.DB, r resealer, oldKeys, newKeys *Keyring) (last int64, oldPrev, newPrev string, err error) {
	var keyed int64
	if err := db.Raw("SELECT COUNT(*) FROM settings WHERE name = ?", settingAuditKeyed).Scan(&keyed).Error; err != nil || keyed == 0 {
		return 0, "", "", err
	}
	cur, err := r.cursor("audit_entries")
	f := strings.Fields(cur)
	if err != nil || len(f) == 4 { // "done" and the figures
		return 0, "", "", err
	}
	oldPrev, newPrev = zeroHash, zeroHash
	if len(f) == 3 {
		last, _ = strconv.ParseInt(f[0], 10, 64)
		oldPrev, newPrev = f[1], f[2]
	}
	for {
		var batch []model.AuditEntry
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Where("id > ?", last).Order("id").Limit(resealRows).Find(&batch).Error; err != nil {
				return err
			}
			for _, e := range batch {
				if e.ID != last+1 || e.PrevHash != oldPrev || oldKeys.entryHash(e) != e.Hash {
					return fmt.Errorf("审计日志在第 %d 条处校验失败，密钥轮换已停止，请先调查（/audit/verify）", e.ID)
				}
				oldPrev, e.PrevHash = e.Hash, newPrev
				e.Hash = newKeys.entryHash(e)
				if err := tx.Model(&model.AuditEntry{}).Where("id = ?", e.ID).
					Updates(map[string]any{"prev_hash": e.PrevHash, "hash": e.Hash}).Error; err != nil {
					return err
				}
				newPrev, last = e.Hash, e.ID
			}
			return r.saveCursor(tx, "audit_entries", fmt.Sprintf("%d %s %s", last, oldPrev, newPrev))
		})
		if err != nil {
			return 0, "", "", err
		}
		if len(batch) < resealRows {
			break
		}
	}
	return last, oldPrev, newPrev, db.Transaction(func(tx *gorm.DB) error {
		head, err := readAuditHead(tx)
		if err != nil {
			return err
		}
		if head.Seq != last || head.LastHash != oldPrev {
			return fmt.Errorf("审计日志链头（第 %d 条）与记录（第 %d 条）不符，密钥轮换已停止，请先调查", head.Seq, last)
		}
		if err := tx.Exec("UPDATE audit_head SET last_hash = ? WHERE id = 1", newPrev).Error; err != nil {
			return err
		}
		return r.saveCursor(tx, "audit_entries", fmt.Sprintf("done %d %s %s", last, oldPrev, newPrev))
	})
}

// RekeyStore opens the configured database (migrated or checked as Open
// does) and runs Rekey on it with the configured key file.
func RekeyStore(ctx context.Context, st Store) (RekeyResult, error) {
	if st.DataKey != "" {
		return RekeyResult{}, errors.New("数据密钥由 STUDENTAID_DATA_KEY（security.data_key）给出，rekey 只能轮换密钥文件中的密钥：" +
			"请先把密钥写入密钥文件（data_dir 下，权限 0600）并去掉该设置")
	}
	db, err := OpenDB(st.Database, st.SQLitePath, st.Log)
	if err != nil {
		return RekeyResult{}, fmt.Errorf("open database: %w", err)
	}
	defer closeDB(db)
	if st.Migrate {
		err = MigrateWithFault(ctx, db, st.Fault)
	} else {
		err = schemaCurrent(ctx, db)
	}
	if err != nil {
		return RekeyResult{}, err
	}
	return Rekey(ctx, db, st.KeyFile)
}

// RecordRekey writes a finished rotation into the audit log, linked under
// the new key.
func (s *Audit) RecordRekey(ctx context.Context, a model.Actor, r RekeyResult) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, a, "rekey", "data_key", r.To, map[string]any{"key_id": r.From}, map[string]any{"key_id": r.To})
	})
}
