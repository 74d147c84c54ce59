package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// insertRows writes rows with multi-row INSERTs, a few hundred rows a
// statement, the way a bulk load would: generated data for scan tests and the
// benchmark, far faster than going through the roster and calculation.
func insertRows(tb testing.TB, db *gorm.DB, table string, cols []string, rows [][]any) {
	tb.Helper()
	// Few parameters a statement: the SQLite driver binds in time quadratic
	// in their number.
	per := max(1, 1000/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	err := db.Transaction(func(db *gorm.DB) error {
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			var sb strings.Builder
			sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, len(chunk)*len(cols))
			for i, r := range chunk {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(one)
				args = append(args, r...)
			}
			if err := db.Exec(sb.String(), args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("insert into %s: %v", table, err)
	}
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// scanPlan is what seedScanData planted, per rule: the number of findings a
// scan must report.
type scanPlan map[string]int

// Every thousandth student carries each planted anomaly at a fixed offset;
// the other students are clean.
const (
	plantShared   = 1 // students 1–5 of each thousand share one account (5 > 3)
	plantAge      = 6 // grade 1, born 2012: 13 on 1 September 2025
	plantExit     = 11
	plantDouble   = 12
	plantAmount   = 14
	plantStale    = 17 // approved 40 days ago, never batched
	plantHolder   = 21
	plantFailures = 22
	plantDupPaid  = 23
	plantLinePaid = 31 // paid to student 32's account: two guardians on one card
)

// seedScanData writes n students, each with one boarding entitlement for
// 2025-2026-1 (70% paid through a batch, 20% approved, 10% draft), over
// n/500 schools in two counties, with anomalies planted as above.
func seedScanData(tb testing.TB, env *servicetest.Env, n int) scanPlan {
	tb.Helper()
	ctx := context.Background()
	db := env.DB
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		tb.Fatal(err)
	}
	now := env.Clock.Now().UTC()
	var std struct {
		ID        int64
		AnnualFen int64
	}
	if err := db.Raw("SELECT id, annual_fen FROM standards WHERE program = 'boarding' AND stage = 'primary' AND level = '' AND region_code = '' ORDER BY effective_from DESC LIMIT 1").
		Scan(&std).Error; err != nil || std.ID == 0 {
		tb.Fatalf("standard: %v", err)
	}
	counties := []string{"430921", "430923"}
	nSchools := max(10, n/500)
	var rows [][]any
	for i := range nSchools {
		rows = append(rows, []any{fmt.Sprintf("29%08d", i), fmt.Sprintf("测试小学%d", i), counties[i%2], "primary", now, now})
	}
	insertRows(tb, db, "schools", []string{"code", "name", "region_code", "type", "created_at", "updated_at"}, rows)
	var schoolIDs []int64
	if err := db.Raw("SELECT id FROM schools WHERE code LIKE '29%' ORDER BY code").Scan(&schoolIDs).Error; err != nil {
		tb.Fatal(err)
	}
	schoolOf := func(i int) int64 { return schoolIDs[i%nSchools] }
	regionOf := func(i int) string { return counties[(i%nSchools)%2] }

	// Students: IDs start after what exists (none, in a fresh database).
	rows = rows[:0]
	born := time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		acct := "a" + strconv.Itoa(i)
		if k := i % 1000; k >= plantShared && k < plantShared+5 {
			acct = "shared" + strconv.Itoa(i/1000)
		}
		bd := born
		if i%1000 == plantAge {
			bd = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		rows = append(rows, []any{int64(i), "居民身份证", hash("id" + strconv.Itoa(i)), "sealed", fmt.Sprintf("430921********%04d", i%10000),
			fmt.Sprintf("学生%d", i), bd, fmt.Sprintf("家长%d", i), "sealed", hash(acct), "6217 **** **** " + fmt.Sprintf("%04d", i%10000), "监护人", now, now})
	}
	insertRows(tb, db, "students", []string{"id", "id_type", "id_hash", "id_enc", "id_masked", "name", "birth_date", "guardian",
		"account_enc", "account_hash", "account_masked", "holder", "created_at", "updated_at"}, rows)

	rows = rows[:0]
	for i := 1; i <= n; i++ {
		grade, status := 1+i%6, model.StatusEnrolled
		if i%1000 == plantAge {
			grade = 1
		}
		if i%1000 == plantExit {
			status = "辍学"
		}
		rows = append(rows, []any{int64(i), "2025-2026", schoolOf(i), "primary", grade, true, status, now, now})
		if i%1000 == plantDouble {
			rows = append(rows, []any{int64(i), "2025-2026", schoolOf(i + 1), "primary", grade, true, model.StatusEnrolled, now, now})
		}
	}
	insertRows(tb, db, "enrolments", []string{"student_id", "school_year", "school_id", "stage", "grade", "boarding", "status", "created_at", "updated_at"}, rows)

	rows = rows[:0]
	for _, id := range schoolIDs {
		rows = append(rows, []any{id, "boarding", "2025-2026-1", now, now})
	}
	insertRows(tb, db, "aid_lists", []string{"school_id", "program", "term", "created_at", "updated_at"}, rows)
	lists := map[int64]int64{}
	var lr []struct{ ID, SchoolID int64 }
	if err := db.Raw("SELECT id, school_id FROM aid_lists").Scan(&lr).Error; err != nil {
		tb.Fatal(err)
	}
	for _, l := range lr {
		lists[l.SchoolID] = l.ID
	}

	plan := scanPlan{}
	amountSchools, staleLists := map[int64]bool{}, map[int64]bool{}
	rows = rows[:0]
	old := now.AddDate(0, 0, -40)
	for i := 1; i <= n; i++ {
		status, approved := model.EntPaid, any(now.AddDate(0, 0, -1))
		switch i % 10 {
		case 7, 8:
			status = model.EntApproved
		case 9:
			status, approved = model.EntDraft, nil
		}
		if i%1000 == plantStale {
			approved = old
			staleLists[lists[schoolOf(i)]] = true
		}
		amount := std.AnnualFen / 2
		if i%1000 == plantAmount {
			amount -= 2500
			amountSchools[schoolOf(i)] = true
		}
		rows = append(rows, []any{int64(i), int64(i), "boarding", "2025-2026-1", schoolOf(i), lists[schoolOf(i)], "primary", 1 + i%6,
			"", "寄宿生", std.ID, std.AnnualFen, amount, status, approved, now, now})
	}
	insertRows(tb, db, "entitlements", []string{"id", "student_id", "program", "term", "school_id", "list_id", "stage", "grade",
		"level", "rule", "standard_id", "annual_fen", "amount_fen", "status", "approved_at", "created_at", "updated_at"}, rows)

	batchCols := []string{"number", "region_code", "program", "term", "seq", "status", "line_count", "total_fen", "lines_sha256",
		"ledger_sha256", "ledger_size", "created_by", "created_at", "approved_at", "paid_at"}
	rows = rows[:0]
	for _, c := range counties {
		rows = append(rows, []any{c + "-BOARDING-2025-2026-1-001", c, "boarding", "2025-2026-1", 1, model.BatchPaid, 0, 0, "x", "x", 0, "seed", now, now, now})
	}
	rows = append(rows, []any{"430921-BOARDING-2025-2026-1-002", "430921", "boarding", "2025-2026-1", 2, model.BatchApproved, 0, 0, "x", "x", 0, "seed", old, old, nil})
	insertRows(tb, db, "batches", batchCols, rows)
	batchOf := map[string]int64{}
	var br []struct {
		ID         int64
		RegionCode string
		Seq        int
	}
	if err := db.Raw("SELECT id, region_code, seq FROM batches").Scan(&br).Error; err != nil {
		tb.Fatal(err)
	}
	for _, b := range br {
		if b.Seq == 1 {
			batchOf[b.RegionCode] = b.ID
		}
	}
	plan[model.RuleStaleBatch] = 1

	lineCols := []string{"batch_id", "seq", "entitlement_id", "open_entitlement_id", "student_id", "school_id", "school_code", "school_name",
		"stage", "grade", "class", "name", "id_type", "id_enc", "id_masked", "student_no", "level", "annual_fen", "amount_fen", "bank_name",
		"account_enc", "account_hash", "account_masked", "holder", "holder_name", "status", "fail_reason"}
	rows = rows[:0]
	seq := map[string]int{}
	line := func(i int, open any, holderName, status, reason string) []any {
		r := regionOf(i)
		seq[r]++
		acct := "a" + strconv.Itoa(i)
		if k := i % 1000; k >= plantShared && k < plantShared+5 {
			acct = "shared" + strconv.Itoa(i/1000)
		}
		if i%1000 == plantLinePaid {
			acct = "a" + strconv.Itoa(i+1)
		}
		return []any{batchOf[r], seq[r], int64(i), open, int64(i), schoolOf(i), "x", "x", "primary", 1 + i%6, "1班", fmt.Sprintf("学生%d", i),
			"居民身份证", "sealed", "x", "", "", std.AnnualFen, std.AnnualFen / 2, "银行", "sealed", hash(acct), "6217 **** **** 0000",
			"监护人", holderName, status, reason}
	}
	for i := 1; i <= n; i++ {
		if i%10 >= 7 {
			continue
		}
		holder := fmt.Sprintf("家长%d", i)
		if i%1000 == plantHolder {
			holder = "陌生人"
		}
		rows = append(rows, line(i, int64(i), holder, model.LinePaid, ""))
		if i%1000 == plantFailures {
			rows = append(rows, line(i, nil, holder, model.LineFailed, "账户已冻结"), line(i, nil, holder, model.LineFailed, "账户已冻结"))
		}
		if i%1000 == plantDupPaid {
			rows = append(rows, line(i, nil, holder, model.LinePaid, ""))
		}
		// Rule 8 counts per account: one failure each for two students
		// paid into student 32's account is two failures to it.
		if k := i % 1000; k == plantLinePaid || k == plantLinePaid+1 {
			rows = append(rows, line(i, nil, holder, model.LineFailed, "账户已冻结"))
		}
	}
	insertRows(tb, db, "batch_lines", lineCols, rows)
	// The plantLinePaid students' accounts changed after their lines were
	// paid, as a roster re-import records it.
	rows = rows[:0]
	for i := plantLinePaid; i <= n; i += 1000 {
		rows = append(rows, []any{int64(i), now, "roster", "import", "", "银行卡号", "6217 **** **** 0000", "6217 **** **** 1111"})
	}
	insertRows(tb, db, "student_changes", []string{"student_id", "at", "actor_name", "source", "school_year", "field", "old_value", "new_value"}, rows)

	groups := (n + 999) / 1000
	for _, k := range []struct {
		rule   string
		offset int
	}{
		{model.RuleSharedAccount, plantShared}, {model.RuleSharedAccount, plantLinePaid}, {model.RuleAgeGrade, plantAge}, {model.RuleAidAfterExit, plantExit},
		{model.RuleDoubleEnrolment, plantDouble}, {model.RuleHolderMismatch, plantHolder},
		{model.RuleRepeatedFailure, plantFailures}, {model.RuleRepeatedFailure, plantLinePaid}, {model.RuleDuplicateAid, plantDupPaid},
	} {
		for g := range groups {
			if g*1000+k.offset+1 <= n {
				plan[k.rule]++
			}
		}
	}
	plan[model.RuleAmountMismatch] = len(amountSchools)
	plan[model.RuleStaleApproved] = len(staleLists)
	return plan
}

func TestScanAnomaliesFindsWhatWasPlanted(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		plan := seedScanData(t, env, 3000)
		admin := model.SystemActor("test")
		res, err := env.Svc.Anomalies.ScanAnomalies(ctx, admin, service.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for rule, n := range plan {
			if res.ByRule[rule] != n {
				t.Errorf("%s: %d findings, planted %d", rule, res.ByRule[rule], n)
			}
		}
		for rule, n := range res.ByRule {
			if plan[rule] == 0 {
				t.Errorf("%s: %d findings on clean data", rule, n)
			}
		}
		if res.Opened != res.Found || res.Resolved != 0 {
			t.Fatalf("first scan: %+v", res)
		}
		// Scanning again finds the same rows: nothing new, nothing resolved.
		again, err := env.Svc.Anomalies.ScanAnomalies(ctx, admin, service.ScanOptions{})
		if err != nil || again.Opened != 0 || again.Resolved != 0 || again.Found != res.Found {
			t.Fatalf("second scan: %+v %v", again, err)
		}
		// A county sees its own county's findings only.
		county := model.Actor{Role: model.RoleCountyOfficer, RegionCode: "430923", Username: "c"}
		mine, err := env.Svc.Anomalies.ScanAnomalies(ctx, county, service.ScanOptions{DryRun: true})
		if err != nil || mine.Found == 0 || mine.Found >= res.Found {
			t.Fatalf("county's scan: %+v %v", mine, err)
		}
		// Repairing a planted case resolves its finding at the next scan.
		if err := env.DB.Exec("UPDATE enrolments SET status = '在读' WHERE status = '辍学'").Error; err != nil {
			t.Fatal(err)
		}
		fixed, err := env.Svc.Anomalies.ScanAnomalies(ctx, admin, service.ScanOptions{})
		if err != nil || fixed.Resolved != plan[model.RuleAidAfterExit] || fixed.ByRule[model.RuleAidAfterExit] != 0 {
			t.Fatalf("after the repair: %+v %v", fixed, err)
		}
		var resolved int64
		env.DB.Raw("SELECT COUNT(*) FROM anomalies WHERE rule = ? AND status = 'resolved' AND resolved_at IS NOT NULL", model.RuleAidAfterExit).Scan(&resolved)
		if int(resolved) != plan[model.RuleAidAfterExit] {
			t.Fatalf("resolved rows: %d", resolved)
		}
		// Nothing stored holds a full number: the planted data has none, and
		// the details are masked on the way in.
		var leaked int64
		env.DB.Raw("SELECT COUNT(*) FROM anomalies WHERE details_json LIKE '%sealed%'").Scan(&leaked)
		if leaked != 0 {
			t.Fatal("details carry sealed values")
		}
	})
}

// benchEntitlements is the size of the generated data: 100k by default;
// STUDENTAID_BENCH_ENTITLEMENTS=1000000 for the million-row run.
func benchEntitlements() int {
	if v, err := strconv.Atoi(os.Getenv("STUDENTAID_BENCH_ENTITLEMENTS")); err == nil && v > 0 {
		return v
	}
	return 100000
}

// BenchmarkScanAnomalies times a full scan over generated data, per engine:
//
//	go test -run '^$' -bench BenchmarkScanAnomalies -benchtime 3x ./service/
//	MYSQL_TEST_DSN='root@tcp(127.0.0.1:3306)/' STUDENTAID_BENCH_DRIVER=mysql STUDENTAID_BENCH_ENTITLEMENTS=1000000 \
//	  go test -run '^$' -bench BenchmarkScanAnomalies -benchtime 2x -timeout 120m ./service/
//
// The first iteration stores the findings (about 1% of the students), later
// ones refresh them; both are what the nightly job does.
func BenchmarkScanAnomalies(b *testing.B) {
	n := benchEntitlements()
	for _, d := range servicetest.Drivers(b) {
		// Seeding a million rows takes minutes: STUDENTAID_BENCH_DRIVER=mysql
		// seeds only the engine being measured.
		if only := os.Getenv("STUDENTAID_BENCH_DRIVER"); only != "" && only != d {
			continue
		}
		env := servicetest.NewEnv(b, d)
		start := time.Now()
		plan := seedScanData(b, env, n)
		b.Logf("%s: seeded %d entitlements in %s", d, n, time.Since(start).Round(time.Millisecond))
		b.Run(d, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := env.Svc.Anomalies.ScanAnomalies(context.Background(), model.SystemActor("bench"), service.ScanOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if res.ByRule[model.RuleSharedAccount] != plan[model.RuleSharedAccount] {
					b.Fatalf("found %v, planted %v", res.ByRule, plan)
				}
				b.ReportMetric(float64(res.Found), "findings")
			}
			b.ReportMetric(float64(n), "entitlements")
		})
	}
}

// Rule 9 covers approved 补发 too: one approved past the stale limit and
// not in a batch is 滞留; a recent one or one already batched is not.
func TestScanAnomaliesFindsStaleTopUps(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		seedScanData(t, env, 1000)
		admin := model.SystemActor("test")
		before, err := env.Svc.Anomalies.ScanAnomalies(ctx, admin, service.ScanOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		var std int64
		if err := env.DB.Raw("SELECT id FROM standards WHERE program = 'boarding' AND level = '' AND region_code = '' ORDER BY effective_from LIMIT 1").
			Scan(&std).Error; err != nil || std == 0 {
			t.Fatalf("standard: %v", err)
		}
		now := env.Clock.Now().UTC()
		old, recent := now.AddDate(0, 0, -40), now.AddDate(0, 0, -1)
		// Entitlements 2, 3 and 4 are paid (see seedScanData).
		insertRows(t, env.DB, "adjustments", []string{"entitlement_id", "standard_id", "amount_fen", "annual_fen", "reason", "status",
			"created_by", "approved_by", "approved_at", "created_at", "updated_at"}, [][]any{
			{int64(2), std, int64(12500), int64(250000), "资助标准调整", model.AdjApproved, "t", "t", old, old, old},
			{int64(3), std, int64(12500), int64(250000), "资助标准调整", model.AdjApproved, "t", "t", recent, recent, recent},
			{int64(4), std, int64(12500), int64(250000), "资助标准调整", model.AdjBatched, "t", "t", old, old, old},
		})
		after, err := env.Svc.Anomalies.ScanAnomalies(ctx, admin, service.ScanOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := after.ByRule[model.RuleStaleApproved], before.ByRule[model.RuleStaleApproved]+1; got != want {
			t.Fatalf("stale_approved: %d findings, want %d (one stale top-up)", got, want)
		}
	})
}
