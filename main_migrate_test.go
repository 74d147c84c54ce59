package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"studentaid/model"
)

// TestMigrateReportsDuplicateIdentities: records made before the document
// type was corrected — one person as 居民身份证 and as 其他 — are named in
// the migration's output and recorded as a duplicate_identity anomaly, and
// both records stay (issue 14).
func TestMigrateReportsDuplicateIdentities(t *testing.T) {
	t.Setenv("STUDENTAID_DATABASE_DRIVER", "sqlite")
	t.Setenv("STUDENTAID_DATA_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run([]string{"migrate"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "duplicate identity") {
		t.Fatalf("an empty database has duplicates: %s", out.String())
	}
	a, err := open(context.Background(), "", false)
	if err != nil {
		t.Fatal(err)
	}
	first := "43092120150301012"
	id := first + string(model.IDCheckDigit(first))
	keys, now := a.svc.Keys(), time.Now().UTC()
	for _, typ := range []string{"居民身份证", "其他"} {
		if err := a.svc.DB().Exec(`INSERT INTO students (id_type, id_hash, id_enc, id_masked, name, sex, created_at, updated_at)
			VALUES (?, ?, ?, '430921********0129', '学生甲', '女', ?, ?)`, typ, keys.Lookup("id", typ+":"+id), keys.Seal(id), now, now).Error; err != nil {
			t.Fatal(err)
		}
	}
	a.svc.Close()
	out.Reset()
	if err := run([]string{"migrate"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "duplicate identity: 学生甲") || !strings.Contains(out.String(), "nothing was merged") ||
		strings.Contains(out.String(), id) {
		t.Fatalf("migrate said: %s", out.String())
	}
	a, err = open(context.Background(), "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.svc.Close()
	var anomalies, students int64
	a.svc.DB().Raw("SELECT COUNT(*) FROM anomalies WHERE rule = 'duplicate_identity' AND status = 'open'").Scan(&anomalies)
	a.svc.DB().Raw("SELECT COUNT(*) FROM students").Scan(&students)
	if anomalies != 1 || students != 2 {
		t.Fatalf("%d anomalies, %d students after migrate", anomalies, students)
	}
}
