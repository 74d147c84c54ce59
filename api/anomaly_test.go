package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/servicetest"
)

// anomalyItem is a finding as GET /anomalies answers it.
type anomalyItem struct {
	ID         int64
	Rule       string
	RuleNo     int `json:"rule_no"`
	Severity   string
	Key        string
	RegionCode string `json:"region_code"`
	SchoolYear string `json:"school_year"`
	Term       string
	SchoolID   *int64 `json:"school_id"`
	StudentID  *int64 `json:"student_id"`
	Summary    string
	Details    json.RawMessage
	Status     string
	Note       string
	UpdatedBy  string `json:"updated_by"`
}

// students names every student a finding is about: its own, and those its
// details list (a shared account names several).
func (a anomalyItem) students() []int64 {
	var out []int64
	if a.StudentID != nil {
		out = append(out, *a.StudentID)
	}
	var d struct {
		Students []struct {
			StudentID int64 `json:"student_id"`
		}
	}
	_ = json.Unmarshal(a.Details, &d)
	for _, s := range d.Students {
		out = append(out, s.StudentID)
	}
	return out
}

func (h *harness) findings(user, query string) []anomalyItem {
	h.t.Helper()
	rr := h.do("GET", "/api/v1/anomalies?page_size=200&"+query, h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var l struct {
		Items []anomalyItem
		Total int
	}
	mustJSON(h.t, rr, &l)
	return l.Items
}

type scanOutcome struct {
	Found, Opened, Resolved int
	ByRule                  map[string]int `json:"by_rule"`
}

func (h *harness) scan(user string) scanOutcome {
	h.t.Helper()
	rr := h.do("POST", "/api/v1/anomalies/scan", h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var s scanOutcome
	mustJSON(h.t, rr, &s)
	return s
}

func (h *harness) studentID(name string) int64 {
	h.t.Helper()
	var id int64
	if err := h.env.DB.Raw("SELECT id FROM students WHERE name = ?", name).Scan(&id).Error; err != nil || id == 0 {
		h.t.Fatalf("student %s: %v", name, err)
	}
	return id
}

func account(n int) string { return fmt.Sprintf("62170000%011d", n) }

// boarder is a 困难 boarder's roster row.
func boarder(name, id, grade, status string, acct int, holder, guardian string) []any {
	return []any{name, id, "", grade, "1班", "是", status, "困难", "", "南县农商银行", account(acct), holder, guardian}
}

// anomalyWorld takes two schools of 南县 through the whole flow (rosters,
// calculation, notice, approval, two batches, bank results) with one planted
// case per rule and a clean look-alike beside each, the way the anomalies
// would arise in practice; what no API can do wrong (a second paid line, an
// edited amount) is planted in the database, as a faulty import or a hand
// edit would leave it.
func anomalyWorld(t *testing.T, h *harness) {
	t.Helper()
	id := func(birth string, seq int) string { return validID("430921", birth, seq) }
	h.importRows("school_nanzhou", [][]any{
		boarder("甲干净", id("20150301", 101), "四年级", "在读", 1, "本人", ""),
		boarder("共卡一", id("20150302", 102), "四年级", "在读", 2, "监护人", "同家长"),
		boarder("共卡二", id("20150302", 103), "四年级", "在读", 2, "监护人", "同家长"),
		boarder("共卡三", id("20150302", 104), "四年级", "在读", 2, "监护人", "同家长"),
		boarder("共卡四", id("20150302", 105), "四年级", "在读", 2, "监护人", "同家长"),
		boarder("代领一", id("20150310", 106), "四年级", "在读", 3, "监护人", "王父"),
		boarder("代领二", id("20150311", 107), "四年级", "在读", 3, "监护人", "赵母"),
		boarder("兄长", id("20140301", 108), "五年级", "在读", 4, "监护人", "刘家长"),
		boarder("弟弟", id("20160301", 109), "三年级", "在读", 4, "监护人", "刘家长"),
		boarder("幼童", id("20210601", 110), "一年级", "在读", 5, "监护人", "幼家长"),
		boarder("大龄", id("20130301", 111), "一年级", "在读", 6, "监护人", "龄家长"),
		boarder("正常一", id("20190301", 112), "一年级", "在读", 7, "监护人", "正家长"),
		boarder("九岁一", id("20160801", 113), "一年级", "在读", 8, "监护人", "九家长"),
		boarder("双籍", id("20150401", 114), "四年级", "在读", 9, "监护人", "双家长"),
		boarder("转学", id("20150402", 115), "四年级", "转出", 10, "监护人", "转家长"),
		boarder("辍学", id("20150403", 116), "四年级", "在读", 11, "监护人", "辍家长"),
		boarder("撤销", id("20150404", 117), "四年级", "在读", 12, "监护人", "撤家长"),
		boarder("金额", id("20150405", 118), "四年级", "在读", 13, "监护人", "金家长"),
		boarder("失败", id("20150406", 119), "四年级", "在读", 14, "监护人", "败家长"),
		boarder("失败一次", id("20150407", 120), "四年级", "在读", 15, "监护人", "次家长"),
		boarder("重复", id("20150408", 121), "四年级", "在读", 16, "监护人", "重家长"),
		boarder("户名", id("20150409", 122), "四年级", "在读", 17, "监护人", "户家长"),
	})
	h.importRows("school_maocaojie", [][]any{
		boarder("转学", id("20150402", 115), "四年级", "在读", 10, "监护人", "转家长"),
	})
	nanzhou, maocaojie := h.schoolID("2143092101"), h.schoolID("2143092102")
	// A second enrolment a roster can no longer make (a row for a pupil
	// enrolled elsewhere is refused): data from before that rule.
	var twice model.Enrolment
	if err := h.env.DB.Where("student_id = ?", h.studentID("双籍")).First(&twice).Error; err != nil {
		t.Fatal(err)
	}
	twice.ID, twice.SchoolID, twice.RosterID = 0, maocaojie, nil
	if err := h.env.DB.Create(&twice).Error; err != nil {
		t.Fatal(err)
	}
	h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
	h.calculate("school_maocaojie", "boarding", "2025-2026-1", 0)
	for _, s := range []struct {
		user string
		id   int64
	}{{"school_nanzhou", nanzhou}, {"school_maocaojie", maocaojie}} {
		ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": s.id}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as(s.user), ref), http.StatusOK)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", s.id), h.as(s.user), nil), http.StatusOK)
	}
	h.setClock(h.env.Clock.Now().Add(10 * 24 * time.Hour))
	county := "county_nanxian"
	want(t, h.do("POST", "/api/v1/entitlements/approve", h.as(county),
		map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}), http.StatusOK)

	// Left after approval: one with the aid left in place, one revoked.
	for _, name := range []string{"辍学", "撤销"} {
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", h.studentID(name)), h.as("school_nanzhou"),
			map[string]any{"school_year": "2025-2026", "status": "辍学"}), http.StatusOK)
	}
	var revokeID int64
	for _, e := range h.entitlements(county, "status=approved") {
		if e.Name == "撤销" {
			revokeID = e.ID
		}
	}
	want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as(county), map[string]any{"ids": []int64{revokeID}, "reason": "辍学"}), http.StatusOK)

	fin := "finance_nanxian"
	run := h.runJob(fin, "batch_boarding", false)
	if len(run.Made.Batches) != 1 {
		t.Fatalf("first batch: %+v", run)
	}
	first := run.Made.Batches[0].ID
	want(t, h.do("POST", fmt.Sprintf("/api/v1/batches/%d/approve", first), h.as(fin), nil), http.StatusOK)
	var lines struct {
		Items []struct {
			Seq         int
			Name        string
			BankAccount string `json:"bank_account"`
			HolderName  string `json:"holder_name"`
			AmountFen   int64  `json:"amount_fen"`
		}
	}
	mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines?page_size=200", first), h.as(fin), nil), &lines)
	var results [][]any
	for _, l := range lines.Items {
		status, reason := "成功", ""
		if l.Name == "失败" || l.Name == "失败一次" {
			status, reason = "失败", "账户已冻结"
		}
		results = append(results, []any{l.Seq, l.BankAccount, l.HolderName, fmt.Sprintf("%d.%02d", l.AmountFen/100, l.AmountFen%100), status, reason})
	}
	want(t, h.upload(fmt.Sprintf("/api/v1/batches/%d/results", first), h.as(fin), "file", "结果.xlsx", bankResults(t, results), nil), http.StatusOK)

	// One failure is corrected and paid again in a second batch, which
	// finance approves and then never reports on.
	h.changeAccount(h.studentID("失败一次"), account(30))
	run = h.runJob(fin, "batch_boarding", false)
	if len(run.Made.Batches) != 1 || run.Made.Batches[0].Lines != 1 {
		t.Fatalf("second batch: %+v", run)
	}
	want(t, h.do("POST", fmt.Sprintf("/api/v1/batches/%d/approve", run.Made.Batches[0].ID), h.as(fin), nil), http.StatusOK)
	// 茅草街's list is approved after the batches: it waits in the queue.
	want(t, h.do("POST", "/api/v1/entitlements/approve", h.as(county),
		map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": maocaojie}), http.StatusOK)

	db := h.env.DB
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	// An amount edited by hand.
	exec("UPDATE entitlements SET amount_fen = 60000 WHERE student_id = ?", h.studentID("金额"))
	// A line paid a second time, and a failure repeated to the same account.
	copyLine := func(name, status string) {
		t.Helper()
		var l model.BatchLine
		if err := db.Where("student_id = ?", h.studentID(name)).Order("id").First(&l).Error; err != nil {
			t.Fatal(err)
		}
		l.ID, l.Seq, l.OpenEntitlementID, l.Status = 0, l.Seq+1000, nil, status
		if err := db.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
	copyLine("重复", model.LinePaid)
	copyLine("失败", model.LineFailed)
	// A line paid to someone who is neither the student nor the guardian.
	exec("UPDATE batch_lines SET holder_name = '陌生人' WHERE student_id = ?", h.studentID("户名"))
}

// flagged is every student the findings of a rule are about.
func (h *harness) flagged(rule string) map[int64]bool {
	out := map[int64]bool{}
	for _, f := range h.findings("auditor_yiyang", "status=open&rule="+rule) {
		for _, id := range f.students() {
			out[id] = true
		}
	}
	return out
}

// Every rule of POLICY.md's Anomalies list finds its planted case and leaves
// the clean look-alike alone.
func TestAnomalyRulesFindPlantedCasesAndIgnoreCleanOnes(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		anomalyWorld(t, h)
		first := h.scan("auditor_yiyang")
		if first.Opened != first.Found || first.Resolved != 0 {
			t.Fatalf("first scan: %+v", first)
		}
		cases := []struct {
			no      int
			rule    string
			planted []string
			clean   []string
		}{
			{1, model.RuleDuplicateAid, []string{"重复"}, []string{"甲干净", "失败"}},
			{2, model.RuleSharedAccount, []string{"共卡一", "共卡二", "共卡三", "共卡四", "代领一", "代领二"}, []string{"兄长", "弟弟", "甲干净"}},
			{3, model.RuleHolderMismatch, []string{"户名"}, []string{"甲干净", "共卡一", "兄长"}},
			{4, model.RuleAgeGrade, []string{"幼童", "大龄"}, []string{"正常一", "九岁一", "兄长"}},
			{5, model.RuleDoubleEnrolment, []string{"双籍"}, []string{"转学"}},
			{6, model.RuleAidAfterExit, []string{"辍学"}, []string{"撤销", "转学"}},
			{7, model.RuleAmountMismatch, nil, nil}, // a school's group: checked below
			{8, model.RuleRepeatedFailure, []string{"失败"}, []string{"失败一次"}},
		}
		for _, c := range cases {
			got := h.flagged(c.rule)
			for _, name := range c.planted {
				if !got[h.studentID(name)] {
					t.Errorf("rule %d %s misses the planted %s", c.no, c.rule, name)
				}
			}
			for _, name := range c.clean {
				if got[h.studentID(name)] {
					t.Errorf("rule %d %s flags the clean %s", c.no, c.rule, name)
				}
			}
		}
		if n := len(h.findings("auditor_yiyang", "rule="+model.RuleSharedAccount)); n != 2 {
			t.Errorf("shared accounts: %d findings, want 2 (four on one card; two guardians on one card)", n)
		}
		amount := h.findings("auditor_yiyang", "rule="+model.RuleAmountMismatch)
		if len(amount) != 1 || !strings.Contains(amount[0].Summary, "1 人每人 600.00 元") || !strings.Contains(amount[0].Summary, "625.00") {
			t.Errorf("rule 7: %+v", amount)
		}
		for _, r := range []string{model.RuleStaleApproved, model.RuleStaleBatch} {
			if f := h.findings("auditor_yiyang", "rule="+r); len(f) != 0 {
				t.Errorf("rule 9 %s flags aid approved today: %+v", r, f)
			}
		}

		// 31 days on: the queued list of 茅草街 and the approved, unreported
		// second batch are 滞留; the first batch, paid, is not.
		h.setClock(env.Clock.Now().Add(31 * 24 * time.Hour))
		h.scan("auditor_yiyang")
		// Two lists hold aid approved over 30 days ago: 茅草街's, never
		// batched, and 南洲's failed payment, held back since its account
		// was never corrected.
		stale := map[int64]string{}
		for _, f := range h.findings("auditor_yiyang", "rule="+model.RuleStaleApproved) {
			stale[*f.SchoolID] = f.Summary
		}
		if len(stale) != 2 || !strings.Contains(stale[h.schoolID("2143092102")], "1 人 625.00 元") ||
			!strings.Contains(stale[h.schoolID("2143092101")], "1 人 625.00 元") {
			t.Errorf("rule 9 (approved, not batched): %v", stale)
		}
		batches := h.findings("auditor_yiyang", "rule="+model.RuleStaleBatch)
		if len(batches) != 1 || !strings.Contains(batches[0].Summary, "-002") {
			t.Errorf("rule 9 (batch approved, not paid): %+v", batches)
		}

		// Every finding names records masked: no full ID or account number.
		rr := h.do("GET", "/api/v1/anomalies?page_size=200", h.as("auditor_yiyang"), nil)
		body := rr.Body.String()
		for _, n := range []string{validID("430921", "20150302", 102), account(2), account(3), account(14)} {
			if strings.Contains(body, n) {
				t.Fatalf("a finding shows %s in full", n)
			}
		}
		if !strings.Contains(body, "430921********") || !strings.Contains(body, "6217 **** ****") {
			t.Fatal("findings do not show the masked numbers")
		}
	})
}

// Findings are explained and reopened by the county and the auditors of
// their area only, every change is audited, a repaired case is resolved by
// the next scan, and the export is plain text.
func TestAnomalyExplainReopenResolveAndScope(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := func(seq int) string { return validID("430921", "20150301", seq) }
		h.importRows("school_nanzhou", [][]any{
			boarder("共卡一", id(11), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡二", id(12), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡三", id(13), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡四", id(14), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("幼童", validID("430921", "20210601", 15), "一年级", "在读", 5, "监护人", "幼家长"),
		})
		// Who may scan: admin, auditors and counties; not schools or finance.
		want(t, h.do("POST", "/api/v1/anomalies/scan", h.as("school_nanzhou"), nil), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/anomalies/scan", h.as("finance_nanxian"), nil), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/anomalies/scan?dry_run=true", h.as("admin"), nil), http.StatusOK)
		if countWhere(t, h, "SELECT COUNT(*) FROM anomalies") != 0 {
			t.Fatal("a dry run stored findings")
		}
		if s := h.scan("county_nanxian"); s.Found != 2 || s.Opened != 2 {
			t.Fatalf("county's scan: %+v", s)
		}
		// 安化's officer started a scan too: it reports nothing of 南县.
		if s := h.scan("county_anhua"); s.Found != 0 {
			t.Fatalf("安化 sees 南县's findings: %+v", s)
		}
		// One user's scan at a time: another waits for it.
		if ok, err := env.Svc.Jobs.AcquireLease(context.Background(), "anomaly_scan_on_demand", "someone/else", time.Minute); err != nil || !ok {
			t.Fatal("lease", err)
		}
		want(t, h.do("POST", "/api/v1/anomalies/scan", h.as("auditor_yiyang"), nil), http.StatusConflict)
		if err := env.Svc.Jobs.ReleaseLease(context.Background(), "anomaly_scan_on_demand", "someone/else"); err != nil {
			t.Fatal(err)
		}
		// The nightly job runs the same scan as the system.
		if r := h.runJob("admin", "anomaly_scan", false); r.Status != "succeeded" {
			t.Fatalf("job: %+v", r)
		}
		shared := h.findings("county_nanxian", "rule="+model.RuleSharedAccount)
		if len(shared) != 1 {
			t.Fatalf("shared: %+v", shared)
		}
		f := shared[0]
		path := fmt.Sprintf("/api/v1/anomalies/%d", f.ID)
		want(t, h.do("GET", path, h.as("county_nanxian"), nil), http.StatusOK)
		want(t, h.do("GET", path, h.as("county_anhua"), nil), http.StatusNotFound)
		want(t, h.do("GET", path, h.as("school_nanzhou"), nil), http.StatusForbidden)
		want(t, h.do("GET", "/api/v1/anomalies", h.as("finance_nanxian"), nil), http.StatusForbidden)
		if n := len(h.findings("county_anhua", "")); n != 0 {
			t.Fatalf("安化 lists %d of 南县's findings", n)
		}
		for _, q := range []string{"region_code=43092x", "term=2025", "rule=nope", "status=closed", "school_year=2025"} {
			want(t, h.do("GET", "/api/v1/anomalies?"+q, h.as("auditor_yiyang"), nil), http.StatusBadRequest)
		}
		if n := len(h.findings("auditor_yiyang", "region_code=430923")); n != 0 {
			t.Fatalf("region filter: %d", n)
		}
		if n := len(h.findings("auditor_yiyang", "term=2025-2026-2")); n != 1 { // the age finding is about the whole year
			t.Fatalf("term filter: %d", n)
		}

		// Explaining needs a note; a number typed into it is masked.
		explain := map[string]any{"status": "explained", "note": "四名学生为同一福利院儿童，院长代管银行卡（核对身份证 " + id(11) + "）"}
		want(t, h.do("PATCH", path, h.as("county_nanxian"), map[string]any{"status": "explained"}), http.StatusBadRequest)
		want(t, h.do("PATCH", path, h.as("county_anhua"), explain), http.StatusForbidden)
		want(t, h.do("PATCH", path, h.as("school_nanzhou"), explain), http.StatusForbidden)
		rr := h.do("PATCH", path, h.as("county_nanxian"), explain)
		want(t, rr, http.StatusOK)
		var got anomalyItem
		mustJSON(t, rr, &got)
		if got.Status != "explained" || got.UpdatedBy != "county_nanxian" || strings.Contains(got.Note, id(11)) || !strings.Contains(got.Note, "福利院") {
			t.Fatalf("explained: %+v", got)
		}
		// A scan keeps the explanation while the finding holds.
		h.scan("auditor_yiyang")
		mustJSON(t, h.do("GET", path, h.as("auditor_yiyang"), nil), &got)
		if got.Status != "explained" {
			t.Fatalf("the scan reopened an explained finding: %+v", got)
		}
		// The auditor does not accept it.
		want(t, h.do("PATCH", path, h.as("auditor_yiyang"), map[string]any{"status": "open"}), http.StatusOK)
		want(t, h.do("PATCH", path, h.as("auditor_yiyang"), map[string]any{"status": "open"}), http.StatusConflict)
		want(t, h.do("PATCH", path, h.as("auditor_yiyang"), map[string]any{"status": "resolved"}), http.StatusBadRequest)
		var audits []struct{ Action, AfterJSON string }
		env.DB.Raw("SELECT action, after_json FROM audit_entries WHERE entity = 'anomaly' AND entity_id = ? ORDER BY id", fmt.Sprint(f.ID)).Scan(&audits)
		if len(audits) != 2 || audits[0].Action != "explain" || audits[1].Action != "reopen" || strings.Contains(audits[0].AfterJSON, id(11)) {
			t.Fatalf("audit: %+v", audits)
		}

		// The school gives two of the students their own cards: the account
		// now serves two students of one guardian, which is no finding.
		for i, name := range []string{"共卡三", "共卡四"} {
			want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", h.studentID(name)), h.as("school_nanzhou"),
				map[string]any{"bank_account": account(40 + i)}), http.StatusOK)
		}
		s := h.scan("auditor_yiyang")
		if s.Resolved != 1 {
			t.Fatalf("repaired: %+v", s)
		}
		mustJSON(t, h.do("GET", path, h.as("auditor_yiyang"), nil), &got)
		if got.Status != "resolved" {
			t.Fatalf("status after the repair: %+v", got)
		}
		want(t, h.do("PATCH", path, h.as("county_nanxian"), explain), http.StatusConflict)
		if n := len(h.findings("auditor_yiyang", "status=resolved")); n != 1 {
			t.Fatalf("resolved list: %d", n)
		}

		// The export: one row per finding, text cells only, a note that
		// looks like a formula stays text.
		age := h.findings("county_nanxian", "rule="+model.RuleAgeGrade)[0]
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/anomalies/%d", age.ID), h.as("county_nanxian"),
			map[string]any{"status": "explained", "note": `=HYPERLINK("http://example.com","点我")`}), http.StatusOK)
		rr = h.do("GET", "/api/v1/anomalies.xlsx", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		if rr.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("content type %q", rr.Header().Get("Content-Type"))
		}
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("异常情况")
		if len(rows) != 3 || rows[0][0] != "编号" {
			t.Fatalf("export rows: %v", rows)
		}
		assertNoFormulas(t, x)
		want(t, h.do("GET", "/api/v1/anomalies.xlsx", h.as("school_nanzhou"), nil), http.StatusForbidden)
		if countWhere(t, h, "SELECT COUNT(*) FROM audit_entries WHERE entity = 'anomalies' AND action = 'download'") != 1 {
			t.Fatal("the export is not audited")
		}
	})
}

// assertNoFormulas fails if any cell of any sheet holds a formula.
func assertNoFormulas(t *testing.T, x *excelize.File) {
	t.Helper()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if f, _ := x.GetCellFormula(sheet, cell); f != "" {
					t.Fatalf("%s!%s holds the formula %q", sheet, cell, f)
				}
			}
		}
	}
}
