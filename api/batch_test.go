package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/jobs"
	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

var boarders = []struct{ name, id, account, holder, guardian, level string }{
	{"张寄宿", validID("430921", "20150301", 12), "6217001111222233334", "本人", "", "特别困难"},
	{"李寄宿", validID("430921", "20150401", 14), "6228480000111122223", "监护人", "李家长", "困难"},
	{"王寄宿", validID("430921", "20150501", 16), "6230520000333344445", "本人", "", "一般困难"},
}

// approvedBoarding puts the demo school's three boarders through calculation,
// submission, notice and county approval.
func approvedBoarding(t *testing.T, h *harness) {
	t.Helper()
	var rows [][]any
	for _, b := range boarders {
		rows = append(rows, []any{b.name, b.id, "", "四年级", "2班", "是", "在读", b.level, "", "南县农商银行", b.account, b.holder, b.guardian})
	}
	h.importRows("school_nanzhou", rows)
	nanzhou := h.schoolID("2143092101")
	h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
	ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}
	want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_nanzhou"), ref), http.StatusOK)
	want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", nanzhou), h.as("school_nanzhou"), nil), http.StatusOK)
	h.setClock(h.env.Clock.Now().Add(10 * 24 * time.Hour))
	want(t, h.do("POST", "/api/v1/entitlements/approve", h.as("county_nanxian"), ref), http.StatusOK)
}

type runRec struct {
	ID     int64
	Status string
	Error  string
	Made   struct {
		Batches []struct {
			ID       int64
			Number   string
			Lines    int
			TotalFen int64 `json:"total_fen"`
		}
		Held []struct{ Reason, Name string }
	}
}

func (h *harness) runJob(user, name string, dry bool) runRec {
	h.t.Helper()
	rr := h.do("POST", fmt.Sprintf("/api/v1/jobs/%s/run?dry_run=%v", name, dry), h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var r runRec
	mustJSON(h.t, rr, &r)
	return r
}

// bankResults writes a bank result sheet.
func bankResults(t *testing.T, rows [][]any) []byte {
	return rosterFile(t, []string{"序号", "账号", "户名", "金额", "状态", "失败原因"}, rows)
}

func countWhere(t *testing.T, h *harness, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.env.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFullCycleFromRosterToPaid(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		fin := "finance_nanxian"

		dry := h.runJob(fin, "batch_boarding", true)
		if dry.Status != "succeeded" || len(dry.Made.Batches) != 1 || dry.Made.Batches[0].Lines != 3 {
			t.Fatalf("dry run: %+v", dry)
		}
		if countWhere(t, h, "SELECT COUNT(*) FROM batches") != 0 {
			t.Fatal("a dry run made a batch")
		}
		run := h.runJob(fin, "batch_boarding", false)
		if run.Status != "succeeded" || len(run.Made.Batches) != 1 {
			t.Fatalf("run: %+v", run)
		}
		made := run.Made.Batches[0]
		if made.Number != "430921-BOARDING-2025-2026-1-001" || made.TotalFen != 3*62500 {
			t.Fatalf("batch: %+v", made)
		}
		if again := h.runJob("admin", "batch_boarding", false); len(again.Made.Batches) != 0 {
			t.Fatalf("second run made a batch: %+v", again)
		}
		want(t, h.do("GET", "/api/v1/batches", h.as("school_nanzhou"), nil), http.StatusForbidden)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d", made.ID), h.as("county_anhua"), nil), http.StatusNotFound)
		var list struct{ Total int }
		mustJSON(t, h.do("GET", "/api/v1/batches", h.as("auditor_yiyang"), nil), &list)
		if list.Total != 1 {
			t.Fatalf("auditor sees %d batches", list.Total)
		}

		// The ledger: stored bytes, identical on every download, ETag = SHA-256.
		path := fmt.Sprintf("/api/v1/batches/%d", made.ID)
		l1 := h.do("GET", path+"/ledger.xlsx", h.as("auditor_yiyang"), nil)
		want(t, l1, http.StatusOK)
		l2 := h.do("GET", path+"/ledger.xlsx", h.as(fin), nil)
		if !bytes.Equal(l1.Body.Bytes(), l2.Body.Bytes()) || l1.Header().Get("ETag") == "" || l1.Header().Get("ETag") != l2.Header().Get("ETag") {
			t.Fatal("ledger downloads differ")
		}
		rebuilt, err := env.Svc.Batches.RebuildLedger(context.Background(), model.Actor{UserID: 1, Role: model.RoleAuditor, RegionCode: "430900"}, made.ID)
		if err != nil || !bytes.Equal(rebuilt, l1.Body.Bytes()) {
			t.Fatalf("regenerating the batch gives other bytes (%v)", err)
		}
		checkLedger(t, l1.Body.Bytes())
		if n := countWhere(t, h, "SELECT COUNT(*) FROM ledger_chunks WHERE batch_id = ?", made.ID); n < 2 {
			t.Fatalf("ledger stored in %d chunk(s); the test chunk size should split it", n)
		}
		want(t, h.do("GET", path+"/ledger.xlsx", h.as("school_nanzhou"), nil), http.StatusForbidden)

		// Lines: full numbers for finance, masked for the county.
		rr := h.do("GET", path+"/lines", h.as("county_nanxian"), nil)
		if strings.Contains(rr.Body.String(), boarders[0].account) || strings.Contains(rr.Body.String(), boarders[0].id) {
			t.Fatal("county sees full numbers in lines")
		}
		rr = h.do("GET", path+"/lines", h.as(fin), nil)
		if !strings.Contains(rr.Body.String(), boarders[0].account) {
			t.Fatal("finance does not see the account to pay")
		}
		// Sorted by name either way, each a full order; the 合计 covers
		// every line, not the page.
		var asc, desc struct {
			Items []struct {
				Seq  int
				Name string
			}
			Total    int
			TotalFen int64 `json:"total_fen"`
		}
		mustJSON(t, h.do("GET", path+"/lines?sort=name&page_size=2", h.as(fin), nil), &asc)
		mustJSON(t, h.do("GET", path+"/lines?sort=-name", h.as(fin), nil), &desc)
		if len(asc.Items) != 2 || asc.Total != made.Lines || asc.TotalFen != int64(made.TotalFen) || desc.TotalFen != asc.TotalFen ||
			asc.Items[0].Name > asc.Items[1].Name || desc.Items[0].Name < desc.Items[len(desc.Items)-1].Name {
			t.Fatalf("lines by name: %+v, the other way: %+v", asc, desc)
		}
		want(t, h.do("GET", path+"/lines?sort=account", h.as(fin), nil), http.StatusBadRequest)

		want(t, h.do("GET", path+"/bank-file", h.as(fin), nil), http.StatusConflict)
		want(t, h.do("POST", path+"/approve", h.as("county_nanxian"), nil), http.StatusForbidden)
		want(t, h.do("POST", path+"/approve", h.as(fin), nil), http.StatusOK)
		want(t, h.do("POST", path+"/approve", h.as(fin), nil), http.StatusConflict)
		want(t, h.do("GET", path+"/bank-file", h.as("auditor_yiyang"), nil), http.StatusForbidden)
		rr = h.do("GET", path+"/bank-file", h.as(fin), nil)
		want(t, rr, http.StatusOK)
		bf, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		bank, _ := bf.GetRows("代发明细")
		if len(bank) != 4 || bank[1][1] != boarders[0].account || bank[2][2] != "李家长" || bank[1][3] != "625.00" {
			t.Fatalf("bank file rows: %v", bank)
		}

		// Results: one failure. Unknown rows change nothing.
		bad := bankResults(t, [][]any{{1, boarders[0].account, "张寄宿", "625.00", "成功", ""}, {9, "6217009999999999999", "某人", "625.00", "成功", ""}})
		rr = h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", bad, nil)
		want(t, rr, http.StatusUnprocessableEntity)
		// A file that is not a result sheet is refused whole: not a
		// workbook 400, a workbook without the result header 422.
		for _, c := range []struct {
			file   []byte
			status int
			code   string
		}{
			{[]byte("序号,账号,金额,状态\n1,622848,1.00,成功\n"), http.StatusBadRequest, "bank_result_invalid"},
			{rosterFile(t, []string{"姓名", "电话"}, [][]any{{"某人", "13800000000"}}), http.StatusUnprocessableEntity, "bank_result_missing_header"},
		} {
			rr = h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", c.file, nil)
			if rr.Code != c.status || !strings.Contains(rr.Body.String(), `"code":"`+c.code+`"`) {
				t.Errorf("%s: %d %s", c.code, rr.Code, rr.Body)
			}
		}
		if countWhere(t, h, "SELECT COUNT(*) FROM batch_lines WHERE status <> 'pending'") != 0 {
			t.Fatal("a rejected result file changed lines")
		}
		results := bankResults(t, [][]any{
			{1, boarders[0].account, "张寄宿", "625.00", "成功", ""},
			{2, boarders[1].account, "李家长", "625.00", "失败", "账户已销户"},
			{3, boarders[2].account, "王寄宿", "625.00", "成功", ""},
		})
		rr = h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", results, nil)
		want(t, rr, http.StatusOK)
		var out struct {
			BatchStatus string `json:"batch_status"`
			Paid        int
			Failed      int
			Unchanged   int
		}
		mustJSON(t, rr, &out)
		if out.BatchStatus != "partially_paid" || out.Paid != 2 || out.Failed != 1 {
			t.Fatalf("results: %s", rr.Body)
		}
		audits := countWhere(t, h, "SELECT COUNT(*) FROM audit_entries")
		rr = h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", results, nil)
		mustJSON(t, rr, &out)
		if out.Unchanged != 3 || out.Paid+out.Failed != 0 || countWhere(t, h, "SELECT COUNT(*) FROM audit_entries") != audits {
			t.Fatalf("replayed results changed something: %s", rr.Body)
		}
		failed := h.entitlements("county_nanxian", "status=approved")
		if len(failed) != 1 || !strings.Contains(failed[0].Reason, "账户已销户") {
			t.Fatalf("failed aid back in the queue: %+v", failed)
		}

		// The student's file shows the failed payment and why.
		rr = h.do("GET", fmt.Sprintf("/api/v1/students/%d", failed[0].StudentID), h.as("school_nanzhou"), nil)
		if !strings.Contains(rr.Body.String(), `"fail_reason":"账户已销户"`) || !strings.Contains(rr.Body.String(), "430921-BOARDING-2025-2026-1-001") {
			t.Fatalf("file lacks the failed payment: %s", rr.Body)
		}
		// The account is not corrected: the next run holds the aid back.
		if r := h.runJob(fin, "batch_boarding", false); len(r.Made.Batches) != 0 || len(r.Made.Held) != 1 || r.Made.Held[0].Name != failed[0].Name {
			t.Fatalf("re-run with the same account: %+v", r)
		}
		h.changeAccount(failed[0].StudentID, "6217 0055 5566 6677 777")
		r := h.runJob(fin, "batch_boarding", false)
		if len(r.Made.Batches) != 1 || r.Made.Batches[0].Number != "430921-BOARDING-2025-2026-1-002" || r.Made.Batches[0].Lines != 1 {
			t.Fatalf("re-batch: %+v", r)
		}
		path2 := fmt.Sprintf("/api/v1/batches/%d", r.Made.Batches[0].ID)
		want(t, h.do("POST", path2+"/approve", h.as(fin), nil), http.StatusOK)
		rr = h.upload(path2+"/results", h.as(fin), "file", "结果2.xlsx", bankResults(t, [][]any{{1, "6217005555666677777", "李家长", "625.00", "成功", ""}}), nil)
		mustJSON(t, rr, &out)
		if out.BatchStatus != "paid" {
			t.Fatalf("second batch: %s", rr.Body)
		}
		// Everyone paid exactly once.
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batch_lines WHERE status = 'paid'"); n != 3 {
			t.Fatalf("%d paid lines, want 3", n)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM entitlements WHERE status = 'paid'"); n != 3 {
			t.Fatalf("%d paid entitlements, want 3", n)
		}
		var v struct{ OK bool }
		mustJSON(t, h.do("GET", "/api/v1/audit/verify", h.as("auditor_yiyang"), nil), &v)
		if !v.OK {
			t.Fatal("audit chain broken")
		}
		rr = h.do("GET", "/api/v1/audit?entity=ledger", h.as("auditor_yiyang"), nil)
		if !strings.Contains(rr.Body.String(), `"action":"download"`) {
			t.Fatal("ledger downloads are not audited")
		}
		rr = h.do("GET", "/api/v1/reports/summary.xlsx?term=2025-2026-1", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		sf, _ := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		srows, _ := sf.GetRows("汇总")
		if last := srows[len(srows)-1]; last[0] != "合计" || last[6] != "3" {
			t.Fatalf("summary: %v", srows)
		}
	})
}

// checkLedger opens a ledger as an auditor would and checks what matters.
func checkLedger(t *testing.T, b []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.GetSheetName(0) != "汇总" {
		t.Fatalf("first sheet %q", f.GetSheetName(0))
	}
	sum, _ := f.GetRows("汇总")
	all := ""
	for _, r := range sum {
		all += strings.Join(r, "|") + "\n"
	}
	for _, w := range []string{"南县2025-2026学年第一学期义务教育家庭经济困难寄宿生生活补助发放台账", "430921-BOARDING-2025-2026-1-001",
		"南县南洲镇中心小学", "人民币壹仟捌佰柒拾伍元整", "制表人"} {
		if !strings.Contains(all, w) {
			t.Errorf("汇总 lacks %q:\n%s", w, all)
		}
	}
	detail, _ := f.GetRows("明细")
	if len(detail) != 4 {
		t.Fatalf("明细 rows: %d", len(detail))
	}
	header := strings.Join(detail[0], ",")
	if header != "序号,学校名称,年级,班级,姓名,身份证件号,学籍号,困难等级,资助项目,学期,年标准(元),本次金额(元),开户银行,银行卡号,持卡人,备注" {
		t.Fatalf("明细 header: %s", header)
	}
	for i := 2; i <= 4; i++ {
		for _, col := range []string{"F", "N"} {
			typ, _ := f.GetCellType("明细", fmt.Sprintf("%s%d", col, i))
			if typ == excelize.CellTypeNumber {
				t.Errorf("%s%d is a number: ID and account cells must be text", col, i)
			}
		}
	}
	ids := map[string]bool{}
	for _, r := range detail[1:] {
		ids[r[5]] = true
	}
	for _, b := range boarders {
		if !ids[b.id] {
			t.Errorf("ledger lacks ID %s", b.id)
		}
	}
}

func TestTwoInstancesMakeOneBatch(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		other := servicetest.SecondInstance(t, env)
		a, b := h.scheduler(env.Svc, "instance-a"), h.scheduler(other, "instance-b")
		var wg sync.WaitGroup
		statuses := make([]string, 2)
		for i, s := range []*jobs.Scheduler{a, b} {
			wg.Add(1)
			go func(i int, s *jobs.Scheduler) {
				defer wg.Done()
				r, err := s.RunNow(context.Background(), model.SystemActor("test"), "batch_boarding", false)
				if err != nil {
					t.Error(err)
				}
				statuses[i] = r.Status
			}(i, s)
		}
		wg.Wait()
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batches"); n != 1 {
			t.Fatalf("%d batches from two instances (runs %v)", n, statuses)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batch_lines"); n != 3 {
			t.Fatalf("%d lines", n)
		}
	})
}

func TestCrashDuringGenerationLeavesNothing(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		crashing := servicetest.SecondInstance(t, env, func(o *service.Options) {
			o.Fault = func(point string) error {
				if point == service.FaultBatchAfterLinesInsert {
					return fmt.Errorf("forced crash at %s", point)
				}
				return nil
			}
		})
		r, err := h.scheduler(crashing, "crashing").RunNow(context.Background(), model.SystemActor("test"), "batch_boarding", false)
		if err != nil || r.Status != "failed" {
			t.Fatalf("run: %+v %v", r, err)
		}
		for _, table := range []string{"batches", "batch_lines"} {
			if n := countWhere(t, h, "SELECT COUNT(*) FROM "+table); n != 0 {
				t.Fatalf("%d rows left in %s", n, table)
			}
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM entitlements WHERE status = 'approved'"); n != 3 {
			t.Fatalf("entitlements changed: %d approved", n)
		}
		if r := h.runJob("finance_nanxian", "batch_boarding", false); len(r.Made.Batches) != 1 || r.Made.Batches[0].Lines != 3 {
			t.Fatalf("the next run does not complete the work: %+v", r)
		}
	})
}

func TestMetricsShowFiguresToLoopbackOnly(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.runJob("finance_nanxian", "batch_boarding", false)
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = "127.0.0.1:50000"
		rr := httptest.NewRecorder()
		h.engine.ServeHTTP(rr, req)
		want(t, rr, http.StatusOK)
		for _, m := range []string{`studentaid_entitlements{status="batched"} 3`, `studentaid_batches_fen{status="generated"} 187500`,
			`studentaid_roster_imports{status="done"} 1`, `studentaid_job_runs{job="batch_boarding",status="succeeded"} 1`,
			`studentaid_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}`} {
			if !strings.Contains(rr.Body.String(), m) {
				t.Errorf("metrics lack %s", m)
			}
		}
		for _, b := range boarders {
			if strings.Contains(rr.Body.String(), b.id) || strings.Contains(rr.Body.String(), b.account) {
				t.Fatal("personal data in metrics")
			}
		}
	})
}
