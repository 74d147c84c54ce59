package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// sealedWorld is a database holding every kind of value sealed at rest: a
// vocational roster (学籍号 = "G" + ID), a changed 学籍号 in the history, a
// rejected row kept in an error workbook, a batch with its full and masked
// ledgers; and the plain files as they were downloaded.
type sealedWorld struct {
	ids      []string // four ID numbers; ids[3] is only in the rejected row
	accounts []string
	batchID  int64
	students map[string]int64 // by name
	importID int64            // the import with the rejected row
	ledger   []byte           // full ledger (finance)
	masked   []byte           // masked ledger (county)
	errors   []byte           // error workbook
}

var vocationalHeaders = []string{"姓名", "身份证件号", "学籍号", "年级", "专业", "是否涉农专业", "户口性质", "家庭经济困难等级", "开户银行", "银行卡号", "持卡人"}

func newSealedWorld(t *testing.T, h *harness) *sealedWorld {
	t.Helper()
	w := &sealedWorld{
		ids:      []string{validID("430921", "20090301", 12), validID("430921", "20090401", 14), validID("430923", "20090501", 16), validID("430921", "20090601", 18)},
		accounts: []string{"6217001111222233334", "6217001111222233335", "6217001111222233336"},
	}
	rows := [][]any{
		{"特困生", w.ids[0], "G" + w.ids[0], "中职一年级", "现代农艺技术", "是", "农村", "特别困难", "南县农商银行", w.accounts[0], "本人"},
		{"涉农生", w.ids[1], "G" + w.ids[1], "中职二年级", "现代农艺技术", "是", "城镇", "", "南县农商银行", w.accounts[1], "本人"},
		{"安化生", w.ids[2], "G" + w.ids[2], "中职一年级", "计算机应用", "否", "农村", "", "南县农商银行", w.accounts[2], "本人"},
		// 学籍号 of another person: rejected, kept in the error workbook.
		{"错行生", w.ids[3], "G" + w.ids[0], "中职一年级", "计算机应用", "否", "农村", "", "南县农商银行", "6217001111222233337", "本人"},
	}
	rep, code, body := h.uploadRoster("school_zhizhuan", rosterFile(t, vocationalHeaders, rows), map[string]string{"school_year": "2025-2026", "mode": "valid_rows"})
	if code != http.StatusOK || rep.Created != 3 || rep.Rejected != 1 {
		t.Fatalf("vocational roster: %d %s", code, body)
	}
	w.importID = rep.ID
	// A changed 学籍号: the history records it.
	rows[1][2] = "J" + w.ids[1]
	if rep, code, body := h.uploadRoster("school_zhizhuan", rosterFile(t, vocationalHeaders, rows[1:2]), map[string]string{"school_year": "2025-2026"}); code != http.StatusOK || rep.Updated != 1 {
		t.Fatalf("second roster: %d %s", code, body)
	}
	if r := h.calculate("school_zhizhuan", "vocational_grant", "2025-2026-1", 0); r.Created != 3 {
		t.Fatalf("calculation: %+v", r)
	}
	school := h.schoolID("2143092104")
	ref := map[string]any{"program": "vocational_grant", "term": "2025-2026-1", "school_id": school}
	want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_zhizhuan"), ref), http.StatusOK)
	want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=vocational_grant&term=2025-2026-1&school_id=%d", school), h.as("school_zhizhuan"), nil), http.StatusOK)
	h.setClock(h.env.Clock.Now().Add(10 * 24 * time.Hour))
	want(t, h.do("POST", "/api/v1/entitlements/approve", h.as("county_nanxian"), ref), http.StatusOK)
	run := h.runJob("finance_nanxian", "batch_vocational_grant", false)
	if run.Status != "succeeded" || len(run.Made.Batches) != 1 || run.Made.Batches[0].Lines != 3 {
		t.Fatalf("batch run: %+v", run)
	}
	w.batchID = run.Made.Batches[0].ID
	w.students = map[string]int64{}
	var found []model.Student
	if err := h.env.DB.Where("name IN ?", []string{"特困生", "涉农生", "安化生"}).Find(&found).Error; err != nil {
		t.Fatal(err)
	}
	for _, s := range found {
		w.students[s.Name] = s.ID
	}
	w.ledger, w.masked, w.errors = w.downloads(t, h)
	return w
}

// downloads fetches the full ledger, the masked one and the error workbook,
// checking each is a plain .xlsx whose ETag (where given) is its SHA-256.
func (w *sealedWorld) downloads(t *testing.T, h *harness) (ledger, masked, errs []byte) {
	t.Helper()
	get := func(user, path string) []byte {
		rr := h.do("GET", path, h.as(user), nil)
		want(t, rr, http.StatusOK)
		sum := sha256.Sum256(rr.Body.Bytes())
		if tag := rr.Header().Get("ETag"); tag != "" && !strings.Contains(tag, hex.EncodeToString(sum[:])) {
			t.Fatalf("%s: ETag %s is not the SHA-256 of the bytes", path, tag)
		}
		if _, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes())); err != nil {
			t.Fatalf("%s: not a workbook: %v", path, err)
		}
		return rr.Body.Bytes()
	}
	path := fmt.Sprintf("/api/v1/batches/%d/ledger.xlsx", w.batchID)
	return get("finance_nanxian", path), get("county_nanxian", path), get("school_zhizhuan", fmt.Sprintf("/api/v1/rosters/%d/errors.xlsx", w.importID))
}

// checkServed: what authorised users get is the plain data, as before.
func (w *sealedWorld) checkServed(t *testing.T, h *harness) {
	t.Helper()
	ledger, masked, errs := w.downloads(t, h)
	if !bytes.Equal(ledger, w.ledger) || !bytes.Equal(masked, w.masked) || !bytes.Equal(errs, w.errors) {
		t.Fatal("a stored file downloads as other bytes than before")
	}
	if !strings.Contains(sheetText(t, ledger), "G"+w.ids[0]) || strings.Contains(sheetText(t, masked), w.ids[0]) {
		t.Fatal("the full ledger lacks the 学籍号, or the masked one shows it")
	}
	if !strings.Contains(sheetText(t, errs), w.ids[3]) {
		t.Fatal("the error workbook lacks the rejected row")
	}
	rr := h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines?page_size=50", w.batchID), h.as("finance_nanxian"), nil)
	want(t, rr, http.StatusOK)
	if !strings.Contains(rr.Body.String(), `"student_no":"G`+w.ids[0]+`"`) || !strings.Contains(rr.Body.String(), `"student_no":"J`+w.ids[1]+`"`) {
		t.Fatalf("finance's lines lack the full 学籍号: %s", rr.Body)
	}
	rr = h.do("GET", fmt.Sprintf("/api/v1/students/%d", w.students["涉农生"]), h.as("county_nanxian"), nil)
	want(t, rr, http.StatusOK)
	body := rr.Body.String()
	if !strings.Contains(body, model.MaskStudentNo("J"+w.ids[1])) || !strings.Contains(body, model.MaskStudentNo("G"+w.ids[1])) ||
		strings.Contains(body, w.ids[1]) {
		t.Fatalf("the student file does not show the 学籍号 and its change masked: %s", body)
	}
}

// checkNoPlaintext reads every column of every table raw: no ID or account
// number in plain, no stored file unsealed (an .xlsx is a zip: "PK\x03\x04").
func (w *sealedWorld) checkNoPlaintext(t *testing.T, db *gorm.DB) {
	t.Helper()
	secrets := append(append([]string{}, w.ids...), w.accounts...)
	seen := 0
	for _, table := range tableNames(t, db) {
		rows, err := db.Raw("SELECT * FROM " + table).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case []byte:
					text = string(v)
				case string:
					text = v
				default:
					continue
				}
				seen++
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s.%s holds %s in plain", table, cols[i], s)
					}
				}
				if strings.Contains(text, "PK\x03\x04") {
					t.Errorf("%s.%s holds an unsealed file", table, cols[i])
				}
			}
		}
		rows.Close()
	}
	if seen < 1000 {
		t.Fatalf("only %d values read: the scan looked in the wrong place", seen)
	}
	for _, table := range []string{"ledger_chunks", "masked_ledger_chunks"} {
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil || n == 0 {
			t.Fatalf("%s: %d rows (%v)", table, n, err)
		}
	}
}

func tableNames(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if service.EngineOf(db) == service.EngineMySQL {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	var names []string
	if err := db.Raw(q).Scan(&names).Error; err != nil || len(names) < 20 {
		t.Fatalf("tables: %v %v", names, err)
	}
	return names
}

// TestSealedAtRest: 学籍号, stored ledgers and error workbooks are sealed in
// the database, and every authorised download is the plain file.
func TestSealedAtRest(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		w := newSealedWorld(t, h)
		w.checkServed(t, h)
		w.checkNoPlaintext(t, env.DB)
		rebuilt, err := env.Svc.Batches.RebuildLedger(context.Background(), model.Actor{UserID: 1, Role: model.RoleAuditor, RegionCode: "430900"}, w.batchID)
		if err != nil || !bytes.Equal(rebuilt, w.ledger) {
			t.Fatalf("rebuilding the ledger gives other bytes (%v)", err)
		}
	})
}

// cutAt cancels ctx when the nth update of table is about to run, as a
// kill would stop the process there; the callback is removed at the end.
func cutAt(t *testing.T, db *gorm.DB, table string, nth int) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	name := "test:cut:" + table
	seen := 0
	cut := func(tx *gorm.DB) {
		if tx.Statement.Table == table || strings.HasPrefix(tx.Statement.SQL.String(), "UPDATE "+table+" ") {
			if seen++; seen == nth {
				cancel()
			}
		}
	}
	if err := db.Callback().Update().Before("gorm:update").Register(name, cut); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Raw().Before("gorm:raw").Register(name, cut); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Callback().Update().Remove(name)
		_ = db.Callback().Raw().Remove(name)
		cancel()
	})
	return ctx
}

func uncut(db *gorm.DB, table string) {
	_ = db.Callback().Update().Remove("test:cut:" + table)
	_ = db.Callback().Raw().Remove("test:cut:" + table)
}

func setting(t *testing.T, db *gorm.DB, name string) string {
	t.Helper()
	var v string
	if err := db.Raw("SELECT value FROM settings WHERE name = ?", name).Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSealAtRestConvertsOldRows: a database written before issue 15 (学籍号,
// ledgers, error workbooks and the history's 学籍号 in plain) is sealed by
// SealAtRest; a run cut short resumes, and another run changes nothing.
// Small ledger chunks make each rendering several transactions of files.
func TestSealAtRestConvertsOldRows(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		w := newSealedWorld(t, h)
		unseal(t, env, w)
		ctx := context.Background()
		if n := countWhere(t, h, "SELECT COUNT(*) FROM ledger_chunks"); n < 12 {
			t.Fatalf("%d ledger chunks: too few to cut the table after its first transaction", n)
		}

		err := service.SealAtRest(cutAt(t, env.DB, "batch_lines", 1), env.DB, env.Keys)
		uncut(env.DB, "batch_lines")
		if err == nil {
			t.Fatal("the cut run did not stop")
		}
		if setting(t, env.DB, "seal_at_rest") != "pending" || plainCount(t, env.DB, "enrolments") != 0 || plainCount(t, env.DB, "batch_lines") == 0 {
			t.Fatal("the cut run should have sealed the enrolments and no batch line")
		}
		// Cut again in the second transaction of ledger chunks (8 files each).
		err = service.SealAtRest(cutAt(t, env.DB, "ledger_chunks", 10), env.DB, env.Keys)
		uncut(env.DB, "ledger_chunks")
		if sealed := sealedFiles(t, env.DB, "ledger_chunks"); err == nil || sealed != 8 {
			t.Fatalf("cut in the ledger chunks: %d sealed (%v)", sealed, err)
		}
		if err := service.SealAtRest(ctx, env.DB, env.Keys); err != nil {
			t.Fatal(err)
		}
		if setting(t, env.DB, "seal_at_rest") != "done" {
			t.Fatal("not marked done")
		}
		w.checkNoPlaintext(t, env.DB)
		w.checkServed(t, h)
		before := snapshot(t, env.DB)
		mustExecDB(t, env.DB, "UPDATE settings SET value = 'pending' WHERE name = 'seal_at_rest'")
		if err := service.SealAtRest(ctx, env.DB, env.Keys); err != nil || snapshot(t, env.DB) != before {
			t.Fatalf("a second run changed sealed values (%v)", err)
		}
	}, func(o *service.Options) { o.LedgerChunkBytes = 512 })
}

// unseal turns the world back into what a database before issue 15 held.
func unseal(t *testing.T, env *servicetest.Env, w *sealedWorld) {
	t.Helper()
	for _, table := range []string{"enrolments", "batch_lines"} {
		var rows []struct {
			ID        int64
			StudentNo string
		}
		if err := env.DB.Raw("SELECT id, student_no FROM " + table + " WHERE student_no <> ''").Scan(&rows).Error; err != nil || len(rows) == 0 {
			t.Fatalf("%s: %d (%v)", table, len(rows), err)
		}
		for _, r := range rows {
			plain, err := env.Keys.Open(r.StudentNo)
			if err != nil {
				t.Fatal(err)
			}
			mustExecDB(t, env.DB, "UPDATE "+table+" SET student_no = ? WHERE id = ?", plain, r.ID)
		}
	}
	for _, table := range []string{"ledger_chunks", "masked_ledger_chunks"} {
		var rows []struct {
			BatchID int64
			Seq     int
			Data    []byte
		}
		if err := env.DB.Raw("SELECT batch_id, seq, data FROM " + table).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			plain, err := env.Keys.OpenBytes(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			mustExecDB(t, env.DB, "UPDATE "+table+" SET data = ? WHERE batch_id = ? AND seq = ?", plain, r.BatchID, r.Seq)
		}
	}
	var xlsx []byte
	if err := env.DB.Raw("SELECT errors_xlsx FROM roster_imports WHERE id = ?", w.importID).Row().Scan(&xlsx); err != nil {
		t.Fatal(err)
	}
	plain, err := env.Keys.OpenBytes(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	mustExecDB(t, env.DB, "UPDATE roster_imports SET errors_xlsx = ? WHERE id = ?", plain, w.importID)
	mustExecDB(t, env.DB, "UPDATE student_changes SET old_value = ?, new_value = ? WHERE field = ?", "G"+w.ids[1], "J"+w.ids[1], model.FieldStudentNo)
	mustExecDB(t, env.DB, "UPDATE settings SET value = 'pending' WHERE name = 'seal_at_rest'")
	if plainCount(t, env.DB, "enrolments") == 0 {
		t.Fatal("nothing unsealed")
	}
}

func mustExecDB(t *testing.T, db *gorm.DB, q string, args ...any) {
	t.Helper()
	if err := db.Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// sealedFiles counts a table's sealed stored files.
func sealedFiles(t *testing.T, db *gorm.DB, table string) int {
	t.Helper()
	var data [][]byte
	if err := db.Raw("SELECT data FROM " + table).Scan(&data).Error; err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range data {
		if _, ok := service.SealedFileKeyID(d); ok {
			n++
		}
	}
	return n
}

// plainCount counts the 学籍号 of a table not sealed.
func plainCount(t *testing.T, db *gorm.DB, table string) int {
	t.Helper()
	var nos []string
	if err := db.Raw("SELECT student_no FROM " + table + " WHERE student_no <> ''").Scan(&nos).Error; err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, no := range nos {
		if service.SealedKeyID(no) == "" {
			n++
		}
	}
	return n
}

// snapshot is every sealed value and stored file, to compare two states.
func snapshot(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var out strings.Builder
	for _, q := range []string{"SELECT student_no FROM enrolments ORDER BY id", "SELECT student_no FROM batch_lines ORDER BY id",
		"SELECT id_enc FROM students ORDER BY id", "SELECT account_enc FROM students ORDER BY id",
		"SELECT data FROM ledger_chunks ORDER BY batch_id, seq", "SELECT data FROM masked_ledger_chunks ORDER BY batch_id, seq",
		"SELECT errors_xlsx FROM roster_imports WHERE errors_xlsx IS NOT NULL ORDER BY id",
		"SELECT hash FROM audit_entries ORDER BY id"} {
		var vals [][]byte
		if err := db.Raw(q).Scan(&vals).Error; err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			out.Write(v)
			out.WriteByte(0)
		}
	}
	return out.String()
}

// TestRekey: the data key is rotated; a run cut short leaves the service
// refusing to start and is finished by running rekey again; afterwards every
// sealed value and file is under the new key alone, the old key is out of
// the key file, lookups, downloads, logins and the audit chain work under
// the new key.
func TestRekey(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		w := newSealedWorld(t, h)
		ctx := context.Background()
		keyFile := filepath.Join(t.TempDir(), "studentaid.key")
		if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(env.Key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// A wrong password leaves a login_throttle row keyed under the old key.
		want(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "county_nanxian", "password": "wrong-password-1"}), http.StatusUnauthorized)

		_, err := service.Rekey(cutAt(t, env.DB, "batch_lines", 1), env.DB, keyFile)
		uncut(env.DB, "batch_lines")
		if err == nil {
			t.Fatal("the cut run did not stop")
		}
		keys, err := service.LoadDataKey("", keyFile, false)
		if err != nil || len(keys) != 2 || !bytes.Equal(keys[1], env.Key) {
			t.Fatalf("key file during the rotation: %d keys (%v)", len(keys), err)
		}
		for _, k := range [][]byte{keys[0], env.Key} {
			kr, _ := service.NewKeyring(k)
			if err := service.BindKeyring(ctx, env.DB, kr); err == nil {
				t.Fatal("a service would start in the middle of a rotation")
			}
		}

		res, err := service.Rekey(ctx, env.DB, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		keys, err = service.LoadDataKey("", keyFile, false)
		if err != nil || len(keys) != 1 || bytes.Equal(keys[0], env.Key) || res.Started {
			t.Fatalf("after the rotation: %d keys, old key kept %v, %+v (%v)", len(keys), bytes.Equal(keys[0], env.Key), res, err)
		}
		newKeys, _ := service.NewKeyring(keys[0])
		if err := service.BindKeyring(ctx, env.DB, newKeys); err != nil {
			t.Fatal(err)
		}
		if err := service.BindKeyring(ctx, env.DB, env.Keys); err == nil {
			t.Fatal("the old key is still accepted")
		}
		if res.To != newKeys.KeyID() || res.From == res.To {
			t.Fatalf("result %+v", res)
		}
		allUnder(t, env.DB, newKeys, env.Keys)
		if n := countWhere(t, h, "SELECT COUNT(*) FROM login_throttle"); n != 0 {
			t.Fatalf("%d login counts under the old key kept", n)
		}
		again := snapshot(t, env.DB)
		if _, err := service.Rekey(ctx, env.DB, keyFile); err != nil {
			t.Fatal(err)
		}
		if snapshot(t, env.DB) == again {
			t.Fatal("a second rekey did not rotate again")
		}
		keys, _ = service.LoadDataKey("", keyFile, false)
		newKeys, _ = service.NewKeyring(keys[0])

		svc := service.New(env.DB, newKeys, slog.New(slog.NewTextHandler(io.Discard, nil)), env.Opt)
		t.Cleanup(svc.Close)
		h2 := h.instance(svc)
		h2.tokens = map[string]string{} // log in afresh under the new key
		w.checkServed(t, h2)
		w.checkNoPlaintext(t, env.DB)
		check, err := svc.Audit.VerifyAudit(ctx, model.Actor{UserID: 1, Role: model.RoleAdmin})
		if err != nil || !check.OK {
			t.Fatalf("audit chain after rekey: %+v %v", check, err)
		}
		// Lookups by ID hash find the same students: nothing is created twice.
		rows := [][]any{{"特困生", w.ids[0], "G" + w.ids[0], "中职一年级", "现代农艺技术", "是", "农村", "特别困难", "南县农商银行", w.accounts[0], "本人"}}
		if rep, code, body := h2.uploadRoster("school_zhizhuan", rosterFile(t, vocationalHeaders, rows), map[string]string{"school_year": "2025-2026"}); code != http.StatusOK || rep.Created != 0 || rep.Unchanged != 1 {
			t.Fatalf("roster after rekey: %d %s", code, body)
		}
	})
}

// allUnder: every sealed value and file carries the key's id and opens with
// it, and the old keyring opens none of them.
func allUnder(t *testing.T, db *gorm.DB, k, old *service.Keyring) {
	t.Helper()
	for _, q := range []string{"SELECT student_no FROM enrolments WHERE student_no <> ''", "SELECT student_no FROM batch_lines WHERE student_no <> ''",
		"SELECT id_enc FROM students", "SELECT account_enc FROM students WHERE account_enc <> ''", "SELECT id_enc FROM batch_lines",
		"SELECT account_enc FROM batch_lines"} {
		var vals []string
		if err := db.Raw(q).Scan(&vals).Error; err != nil || len(vals) == 0 {
			t.Fatalf("%s: %d (%v)", q, len(vals), err)
		}
		for _, v := range vals {
			if _, err := k.Open(v); err != nil || service.SealedKeyID(v) != k.KeyID() {
				t.Fatalf("%s: a value not under the new key (%v)", q, err)
			}
			if _, err := old.Open(v); err == nil {
				t.Fatalf("%s: the old key still opens a value", q)
			}
		}
	}
	for _, q := range []string{"SELECT data FROM ledger_chunks", "SELECT data FROM masked_ledger_chunks", "SELECT errors_xlsx FROM roster_imports WHERE errors_xlsx IS NOT NULL"} {
		var vals [][]byte
		if err := db.Raw(q).Scan(&vals).Error; err != nil || len(vals) == 0 {
			t.Fatalf("%s: %d (%v)", q, len(vals), err)
		}
		for _, v := range vals {
			if id, _ := service.SealedFileKeyID(v); id != k.KeyID() {
				t.Fatalf("%s: a file not under the new key", q)
			}
			if _, err := k.OpenBytes(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var byHash int64
	if err := db.Raw("SELECT COUNT(*) FROM students WHERE id_hash = ?", k.Lookup("id", string(model.IDTypeResident)+":"+validID("430921", "20090301", 12))).Scan(&byHash).Error; err != nil || byHash != 1 {
		t.Fatalf("the lookup hash under the new key finds %d students (%v)", byHash, err)
	}
}
