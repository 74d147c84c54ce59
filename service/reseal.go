package service

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// Resealing walks every sealed value in bounded chunks, each chunk in its own
// transaction with its cursor, so a run that is killed resumes where it
// stopped, and running it again changes nothing. Two passes use it: sealing
// what was stored in plain before issue 15 (at the first start after
// migration 0060), and rekey, which seals everything again with a new key.

const (
	settingSealAtRest = "seal_at_rest"
	resealRows        = 500 // rows of short values per transaction
	resealFiles       = 8   // stored files (≤ 1 MiB each) per transaction
)

// sealedColumn is a sealed value and the lookup hash computed beside it.
type sealedColumn struct {
	col string
	// wasPlain: the column held plain text before it was sealed (学籍号).
	wasPlain bool
	hash     string // lookup column, "" for none
	kind     string // the lookup's kind (Keyring.Lookup)
	// An ID number's lookup is of "type:number": the type is in typeCol, or
	// always typeConst.
	typeCol, typeConst string
}

type sealedTable struct {
	table string
	cols  []sealedColumn
}

var sealedTables = []sealedTable{
	{table: "students", cols: []sealedColumn{{col: "id_enc", hash: "id_hash", kind: "id", typeCol: "id_type"},
		{col: "account_enc", hash: "account_hash", kind: "bank"}, {col: "phone_enc", hash: "phone_hash", kind: "phone"}}},
	{table: "enrolments", cols: []sealedColumn{{col: "student_no", wasPlain: true}}},
	{table: "batch_lines", cols: []sealedColumn{{col: "id_enc"}, {col: "account_enc", hash: "account_hash", kind: "bank"},
		{col: "student_no", wasPlain: true}}},
	{table: "account_changes", cols: []sealedColumn{{col: "old_account_enc", hash: "old_account_hash", kind: "bank"}}},
	{table: "loan_applications", cols: []sealedColumn{{col: "co_id_enc", hash: "co_id_hash", kind: "id",
		typeConst: string(model.IDTypeResident)}, {col: "co_phone_enc"}}},
}

// sealedFiles are the stored files: key columns (the cursor) and the bytes.
var sealedFiles = []struct {
	table string
	keys  []string
	col   string
}{
	{table: "ledger_chunks", keys: []string{"batch_id", "seq"}, col: "data"},
	{table: "masked_ledger_chunks", keys: []string{"batch_id", "seq"}, col: "data"},
	{table: "roster_imports", keys: []string{"id"}, col: "errors_xlsx"},
}

// resealer runs one pass: all (rekey: everything not sealed with the current
// key) or only what was stored in plain.
type resealer struct {
	db   *gorm.DB
	keys *Keyring
	pass string // names the cursors in settings
	all  bool
	// lease is the migration lease held on MySQL, renewed with each chunk.
	lease *migrationLease
}

// SealAtRest seals what was stored in plain before issue 15 — 学籍号,
// stored ledgers, error workbooks — and masks 学籍号 in the change history,
// once per database (migration 0060 leaves "pending"). Instances starting
// together take turns under the migration lease; besides, each update
// applies only to the value it read, so no run undoes another's.
func SealAtRest(ctx context.Context, db *gorm.DB, k *Keyring) error {
	db = db.WithContext(ctx)
	pending := func() (bool, error) {
		var state string
		err := db.Raw("SELECT value FROM settings WHERE name = ?", settingSealAtRest).Scan(&state).Error
		return state == "pending", err
	}
	if p, err := pending(); err != nil || !p {
		return err
	}
	return withMigrationLease(ctx, db, func(l *migrationLease) error {
		// Another instance may have finished while this one waited.
		if p, err := pending(); err != nil || !p {
			return err
		}
		return sealAtRest(resealer{db: db, keys: k, pass: "seal", lease: l})
	})
}

func sealAtRest(r resealer) error {
	if err := r.run(); err != nil {
		return err
	}
	if err := r.maskChangeHistory(); err != nil {
		return err
	}
	if err := r.clearCursors(); err != nil {
		return err
	}
	return r.db.Exec("UPDATE settings SET value = 'done' WHERE name = ?", settingSealAtRest).Error
}

func (r resealer) run() error {
	for _, t := range sealedTables {
		if err := r.table(t); err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
	}
	for _, f := range sealedFiles {
		if err := r.files(f.table, f.keys, f.col); err != nil {
			return fmt.Errorf("%s: %w", f.table, err)
		}
	}
	return nil
}

func (r resealer) cursorName(table string) string { return "reseal:" + r.pass + ":" + table }

func (r resealer) cursor(table string) (string, error) {
	var v string
	return v, r.db.Raw("SELECT value FROM settings WHERE name = ?", r.cursorName(table)).Scan(&v).Error
}

// saveCursor replaces the cursor (MySQL counts an UPDATE to the same value
// as no row affected, so update-else-insert would not do).
func (r resealer) saveCursor(tx *gorm.DB, table, v string) error {
	if r.lease != nil {
		if err := r.lease.renew(); err != nil {
			return err
		}
	}
	if err := tx.Exec("DELETE FROM settings WHERE name = ?", r.cursorName(table)).Error; err != nil {
		return err
	}
	return tx.Exec("INSERT INTO settings (name, value) VALUES (?, ?)", r.cursorName(table), v).Error
}

func (r resealer) clearCursors() error {
	return r.db.Exec("DELETE FROM settings WHERE name LIKE ?", "reseal:"+r.pass+":%").Error
}

// table reseals a table's short values, resealRows rows per transaction.
func (r resealer) table(t sealedTable) error {
	cur, err := r.cursor(t.table)
	if err != nil {
		return err
	}
	last, _ := strconv.ParseInt(cur, 10, 64)
	sel := []string{"id"}
	for _, c := range t.cols {
		if c.wasPlain || r.all {
			sel = append(sel, c.col)
		}
		if c.typeCol != "" && r.all {
			sel = append(sel, c.typeCol)
		}
	}
	if len(sel) == 1 {
		return nil
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE id > ? ORDER BY id LIMIT %d", strings.Join(sel, ", "), t.table, resealRows)
	for {
		n := 0
		err := r.db.Transaction(func(tx *gorm.DB) error {
			rows, err := readRows(tx, q, len(sel), last)
			if err != nil {
				return err
			}
			for _, row := range rows {
				if err := r.row(tx, t, sel, row); err != nil {
					return err
				}
				last, _ = strconv.ParseInt(row[0], 10, 64)
			}
			n = len(rows)
			return r.saveCursor(tx, t.table, strconv.FormatInt(last, 10))
		})
		if err != nil || n < resealRows {
			return err
		}
	}
}

// row seals one row's values again where needed; the update applies only
// if the values are still those read.
func (r resealer) row(tx *gorm.DB, t sealedTable, sel, row []string) error {
	val := map[string]string{}
	for i, c := range sel {
		val[c] = row[i]
	}
	set, where := map[string]any{}, []any{val["id"]}
	cond := []string{"id = ?"}
	for _, c := range t.cols {
		v, ok := val[c.col]
		if !ok || v == "" || !r.needs(c, v) {
			continue
		}
		plain := v
		if !c.wasPlain || SealedKeyID(v) != "" {
			var err error
			if plain, err = r.keys.Open(v); err != nil {
				return fmt.Errorf("id %s %s: %w", val["id"], c.col, err)
			}
		}
		set[c.col] = r.keys.Seal(plain)
		if c.hash != "" {
			norm := plain
			if typ := c.typeConst + val[c.typeCol]; typ != "" {
				norm = typ + ":" + plain
			}
			set[c.hash] = r.keys.Lookup(c.kind, norm)
		}
		cond, where = append(cond, c.col+" = ?"), append(where, v)
	}
	if len(set) == 0 {
		return nil
	}
	return tx.Table(t.table).Where(strings.Join(cond, " AND "), where...).Updates(set).Error
}

// needs says whether a value is to be sealed again in this pass: a plain
// one always; in rekey, one not sealed with the current key.
func (r resealer) needs(c sealedColumn, v string) bool {
	id := SealedKeyID(v)
	if c.wasPlain && id == "" {
		return true
	}
	return r.all && id != r.keys.KeyID()
}

// files reseals stored files a few per transaction, one file in memory at
// a time.
func (r resealer) files(table string, keys []string, col string) error {
	cur, err := r.cursor(table)
	if err != nil {
		return err
	}
	// The cursor is the last key done, "batch_id seq" or "id"; none: start.
	last, f := make([]any, len(keys)), strings.Fields(cur)
	for i := range last {
		var v int64
		if i < len(f) {
			v, _ = strconv.ParseInt(f[i], 10, 64)
		}
		last[i] = v
	}
	// Keyset order over (batch_id, seq) or (id).
	after := keys[0] + " > ?"
	if len(keys) == 2 {
		after = "(" + keys[0] + " > ? OR (" + keys[0] + " = ? AND " + keys[1] + " > ?))"
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s AND %s IS NOT NULL ORDER BY %s LIMIT %d",
		strings.Join(keys, ", "), table, after, col, strings.Join(keys, ", "), resealFiles)
	keyWhere := strings.Join(keys, " = ? AND ") + " = ?"
	for {
		args := last
		if len(keys) == 2 {
			args = []any{last[0], last[0], last[1]}
		}
		n := 0
		err := r.db.Transaction(func(tx *gorm.DB) error {
			rows, err := readRows(tx, q, len(keys), args...)
			if err != nil {
				return err
			}
			for _, row := range rows {
				id := make([]any, len(row))
				for i, v := range row {
					id[i], _ = strconv.ParseInt(v, 10, 64)
				}
				if err := r.file(tx, table, col, keyWhere, id); err != nil {
					return err
				}
				last = id
			}
			n = len(rows)
			return r.saveCursor(tx, table, fmt.Sprint(last...))
		})
		if err != nil || n < resealFiles {
			return err
		}
	}
}

func (r resealer) file(tx *gorm.DB, table, col, keyWhere string, id []any) error {
	var data []byte
	if err := tx.Raw("SELECT "+col+" FROM "+table+" WHERE "+keyWhere, id...).Row().Scan(&data); err != nil {
		return err
	}
	kid, sealed := SealedFileKeyID(data)
	if len(data) == 0 || (sealed && (!r.all || kid == r.keys.KeyID())) {
		return nil
	}
	plain := data
	if sealed {
		var err error
		if plain, err = r.keys.OpenBytes(data); err != nil {
			return fmt.Errorf("%v: %w", id, err)
		}
	}
	return tx.Exec("UPDATE "+table+" SET "+col+" = ? WHERE "+keyWhere+" AND "+col+" = ?",
		append(append([]any{r.keys.SealBytes(plain)}, id...), data)...).Error
}

// withMigrationLease runs fn holding the migration lease on MySQL, where
// several instances may start at once; SQLite has one connection, which
// serialises them anyway (and leaves none for a lease).
func withMigrationLease(ctx context.Context, db *gorm.DB, fn func(*migrationLease) error) error {
	if EngineOf(db) != EngineMySQL {
		return fn(nil)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := takeMigrationLease(ctx, c, migrationLeaseTTL)
	if err != nil {
		return err
	}
	defer l.release()
	defer l.heartbeat(sqlDB)()
	return fn(l)
}

// readRows reads a query's rows as text, NULL as "".
func readRows(tx *gorm.DB, q string, cols int, args ...any) ([][]string, error) {
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, cols)
		ptrs := make([]any, cols)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, cols)
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// maskChangeHistory masks 学籍号 in the change history, which recorded them
// in plain before: the history is shown to roles that see them masked.
func (r resealer) maskChangeHistory() error {
	cur, err := r.cursor("student_changes")
	if err != nil {
		return err
	}
	last, _ := strconv.ParseInt(cur, 10, 64)
	q := fmt.Sprintf("SELECT id, old_value, new_value FROM student_changes WHERE field = ? AND id > ? ORDER BY id LIMIT %d", resealRows)
	for {
		n := 0
		err := r.db.Transaction(func(tx *gorm.DB) error {
			rows, err := readRows(tx, q, 3, model.FieldStudentNo, last)
			if err != nil {
				return err
			}
			for _, row := range rows {
				if err := tx.Exec("UPDATE student_changes SET old_value = ?, new_value = ? WHERE id = ?",
					model.MaskStudentNo(row[1]), model.MaskStudentNo(row[2]), row[0]).Error; err != nil {
					return err
				}
				last, _ = strconv.ParseInt(row[0], 10, 64)
			}
			n = len(rows)
			return r.saveCursor(tx, "student_changes", strconv.FormatInt(last, 10))
		})
		if err != nil || n < resealRows {
			return err
		}
	}
}
