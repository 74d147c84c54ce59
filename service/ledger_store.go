package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service/ledger"
)

// Stored ledgers: the full one for finance and auditors, a masked rendering
// of the same batch for county officers (API.md), each frozen in chunks with
// its own SHA-256 and served byte-identical.

// storeChunks writes what write produces to a temporary file in the data
// directory, then into table in chunks, each sealed with the data key, and
// returns the SHA-256 and size of the plain file (what a download gets).
// The file is needed because MySQL cannot take writes on a connection that
// is still streaming the lines being written.
func (s *Batches) storeChunks(tx *gorm.DB, table string, batchID int64, write func(io.Writer) error) (string, int64, error) {
	tmp, err := os.CreateTemp(s.opt.TempDir, "ledger-*.xlsx")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if err := write(io.MultiWriter(tmp, h)); err != nil {
		return "", 0, err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	buf := make([]byte, s.opt.LedgerChunkBytes)
	for seq := 1; ; seq++ {
		n, err := io.ReadFull(tmp, buf)
		if n > 0 {
			if err := tx.Table(table).Create(map[string]any{"batch_id": batchID, "seq": seq, "data": s.keys.SealBytes(buf[:n])}).Error; err != nil {
				return "", 0, err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// maskLine is a ledger line as a county officer may see it: ID number,
// 学籍号 and account masked as /batches/{id}/lines shows them.
func maskLine(l *ledger.Line) *ledger.Line {
	m := *l
	t, err := model.ParseIDType(l.IDType)
	if err != nil {
		t = model.IDTypeResident
	}
	m.IDNumber = model.IDNumber{Type: t, Value: l.IDNumber}.Masked()
	m.StudentNo = model.MaskStudentNo(l.StudentNo)
	m.BankAccount = model.MaskBankAccount(l.BankAccount)
	return &m
}

// storeMaskedLedger stores the masked rendering once: a batch that has one
// keeps it, so every download is the same bytes.
func (s *Batches) storeMaskedLedger(tx *gorm.DB, b *model.Batch) error {
	sum, size, err := s.storeChunks(tx, "masked_ledger_chunks", b.ID, func(w io.Writer) error {
		_, err := s.writeLedger(tx, *b, true, w)
		return err
	})
	if err != nil {
		return err
	}
	b.MaskedLedgerSHA256, b.MaskedLedgerSize = &sum, &size
	return tx.Model(&model.Batch{}).Where("id = ?", b.ID).
		Updates(map[string]any{"masked_ledger_sha256": sum, "masked_ledger_size": size}).Error
}

// ensureMaskedLedger makes the masked rendering of a batch generated before
// there were any; the batch row's lock makes one instance do it.
func (s *Batches) ensureMaskedLedger(ctx context.Context, b *model.Batch) error {
	if b.MaskedLedgerSHA256 != nil {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE batches SET masked_ledger_size = masked_ledger_size WHERE id = ?", b.ID).Error; err != nil {
			return err
		}
		if err := tx.First(b, b.ID).Error; err != nil || b.MaskedLedgerSHA256 != nil {
			return err
		}
		return s.storeMaskedLedger(tx, b)
	})
}

// LedgerFile is the stored ledger a caller downloads.
type LedgerFile struct {
	Batch  model.Batch
	SHA256 string
	Size   int64
	Masked bool
}

// copyChunks writes a stored rendering chunk by chunk, opened: the same
// bytes on every download (hard rule 2), never the whole file in memory.
func copyChunks(db *gorm.DB, keys *Keyring, table string, batchID int64, w io.Writer) error {
	rows, err := db.Table(table).Select("data").Where("batch_id = ?", batchID).Order("seq").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return err
		}
		plain, err := keys.OpenBytes(data)
		if err != nil {
			return err
		}
		if _, err := w.Write(plain); err != nil {
			return err
		}
	}
	return rows.Err()
}
