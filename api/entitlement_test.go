package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/service"
	"studentaid/service/servicetest"
)

type calcResult struct {
	Created, Updated, Unchanged, Removed, Count, Adjustments int
	TotalFen                                                 int64 `json:"total_fen"`
	Ineligible                                               []struct {
		StudentID int64 `json:"student_id"`
		Name      string
		Reason    string
	}
}

func (h *harness) calculate(user, program, term string, schoolID int64) calcResult {
	h.t.Helper()
	rr := h.do("POST", "/api/v1/entitlements/calculate", h.as(user), map[string]any{"program": program, "term": term, "school_id": schoolID})
	want(h.t, rr, http.StatusOK)
	var r calcResult
	mustJSON(h.t, rr, &r)
	return r
}

func (r calcResult) reasonOf(name string) string {
	for _, i := range r.Ineligible {
		if i.Name == name {
			return i.Reason
		}
	}
	return ""
}

// importRows uploads rows for the demo school the user belongs to.
func (h *harness) importRows(user string, rows [][]any) {
	h.t.Helper()
	rep, code, body := h.uploadRoster(user, rosterFile(h.t, rosterHeaders, rows), map[string]string{"school_year": "2025-2026"})
	if code != http.StatusOK || rep.Status != "done" {
		h.t.Fatalf("roster: %d %s", code, body)
	}
}

type entRow struct {
	ID         int64
	StudentID  int64 `json:"student_id"`
	Name       string
	Status     string
	AmountFen  int64 `json:"amount_fen"`
	Reason     string
	Warning    string
	Objections int
}

func (h *harness) entitlements(user, query string) []entRow {
	h.t.Helper()
	rr := h.do("GET", "/api/v1/entitlements?page_size=200&"+query, h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var l struct{ Items []entRow }
	mustJSON(h.t, rr, &l)
	return l.Items
}

func dayPupil(name, id, level, categories string) []any {
	r := primaryRow(name, id, "三年级", "否", level)
	r[8] = categories
	return r
}

// shanghai builds an instant in Beijing time.
func shanghai(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.FixedZone("CST", 8*3600))
}

func TestEntitlementWorkflowWithNotice(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		school, county := "school_nanzhou", "county_nanxian"
		nanzhou := h.schoolID("2143092101")
		h.importRows(school, [][]any{
			primaryRow("甲特困", validID("430921", "20150301", 12), "四年级", "是", "特别困难"),
			primaryRow("乙困难", validID("430921", "20160301", 14), "三年级", "是", "困难"),
			primaryRow("丙未认定", validID("430921", "20160301", 16), "三年级", "是", ""),
			dayPupil("丁走读", validID("430921", "20160301", 18), "一般困难", "农村低保"),
		})
		// GET /students?program= lists the students with that aid; its total
		// is cached, and the calculation on this instance refreshes it.
		students := func(query string) (names []string) {
			var l struct {
				Items []struct{ Name string }
				Total int
			}
			rr := h.do("GET", "/api/v1/students?page_size=50&"+query, h.as(school), nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &l)
			for _, it := range l.Items {
				names = append(names, it.Name)
			}
			if l.Total != len(names) {
				t.Fatalf("%s: total %d for %d rows", query, l.Total, len(names))
			}
			return names
		}
		if got := students("program=boarding&school_year=2025-2026"); len(got) != 0 {
			t.Fatalf("aid before any calculation: %v", got)
		}
		r := h.calculate(school, "boarding", "2025-2026-1", 0)
		if r.Created != 2 || r.Count != 2 || r.TotalFen != 2*62500 || len(r.Ineligible) != 2 {
			t.Fatalf("calculate: %+v", r)
		}
		// Grade 3 before grade 4: the class list order.
		if got := students("program=boarding&school_year=2025-2026"); !slices.Equal(got, []string{"乙困难", "甲特困"}) {
			t.Fatalf("program=boarding: %v", got)
		}
		if got := students("program=boarding&school_year=2024-2025"); len(got) != 0 {
			t.Fatalf("program=boarding in another year: %v", got)
		}
		if got := students("program=vocational_grant"); len(got) != 0 {
			t.Fatalf("program=vocational_grant: %v", got)
		}
		if got := students(""); len(got) != 4 {
			t.Fatalf("all students: %v", got)
		}
		want(t, h.do("GET", "/api/v1/students?program=free_lunch", h.as(school), nil), http.StatusBadRequest)
		if !strings.Contains(r.reasonOf("丙未认定"), "未认定") || !strings.Contains(r.reasonOf("丁走读"), "非寄宿生") {
			t.Fatalf("reasons: %+v", r.Ineligible)
		}
		if again := h.calculate(school, "boarding", "2025-2026-1", 0); again.Created+again.Updated+again.Removed != 0 || again.Unchanged != 2 {
			t.Fatalf("second calculation changed something: %+v", again)
		}
		if nb := h.calculate(school, "nonboarding", "2025-2026-1", 0); nb.Created != 1 || nb.TotalFen != 31250 {
			t.Fatalf("nonboarding: %+v", nb)
		}

		ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as(county), ref), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_maocaojie"), ref), http.StatusForbidden)
		rr := h.do("POST", "/api/v1/entitlements/submit", h.as(school), ref)
		want(t, rr, http.StatusOK)
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as(school), ref), http.StatusConflict)

		rr = h.do("POST", "/api/v1/entitlements/approve", h.as(county), ref)
		want(t, rr, http.StatusUnprocessableEntity)
		if errorCode(t, rr) != "notice_not_started" {
			t.Fatal(rr.Body.String())
		}
		// The notice: Monday 15 September 2025, five working days to the
		// following Monday; approval opens at 00:00 on Tuesday the 23rd.
		rr = h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", nanzhou), h.as(school), nil)
		want(t, rr, http.StatusOK)
		checkNotice(t, rr.Body.Bytes(), []string{"甲特困", "乙困难"})
		rr = h.do("POST", "/api/v1/entitlements/approve", h.as(county), ref)
		want(t, rr, http.StatusUnprocessableEntity)
		if !strings.Contains(rr.Body.String(), "2025年09月23日 00:00") {
			t.Fatalf("approval before the notice ends: %s", rr.Body)
		}
		h.setClock(shanghai(2025, 9, 22, 23, 59))
		want(t, h.do("POST", "/api/v1/entitlements/approve", h.as(county), ref), http.StatusUnprocessableEntity)
		want(t, h.do("POST", "/api/v1/entitlements/approve", h.as(school), ref), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/entitlements/approve", h.as("county_anhua"), ref), http.StatusNotFound) // another county's school
		h.setClock(shanghai(2025, 9, 23, 0, 1))
		rr = h.do("POST", "/api/v1/entitlements/approve", h.as(county), ref)
		want(t, rr, http.StatusOK)
		var tr struct {
			Count    int
			TotalFen int64 `json:"total_fen"`
		}
		mustJSON(t, rr, &tr)
		if tr.Count != 2 || tr.TotalFen != 125000 {
			t.Fatalf("approve: %s", rr.Body)
		}
		ents := h.entitlements(county, "program=boarding&term=2025-2026-1&status=approved")
		if len(ents) != 2 {
			t.Fatalf("approved list: %+v", ents)
		}
		rr = h.do("POST", "/api/v1/entitlements/approve", h.as(county), map[string]any{"ids": []int64{ents[0].ID}})
		want(t, rr, http.StatusConflict)
		if !strings.Contains(rr.Body.String(), "已审核") {
			t.Fatalf("409 should say the current status: %s", rr.Body)
		}
		want(t, h.do("POST", "/api/v1/entitlements/return", h.as(county), map[string]any{"ids": []int64{ents[0].ID}, "reason": "x"}), http.StatusConflict)

		// A late change: the student drops out. Recalculation leaves the
		// approved entitlement alone but flags it; the county revokes it.
		var sid int64
		for _, e := range ents {
			if e.Name == "乙困难" {
				sid = e.StudentID
			}
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", sid), h.as(school), map[string]any{"school_year": "2025-2026", "status": "辍学"}), http.StatusOK)
		again := h.calculate(school, "boarding", "2025-2026-1", 0)
		if again.Created+again.Updated+again.Removed != 0 {
			t.Fatalf("recalculation touched approved entitlements: %+v", again)
		}
		var flagged entRow
		for _, e := range h.entitlements(county, "program=boarding&status=approved") {
			if e.StudentID == sid {
				flagged = e
			}
		}
		if !strings.Contains(flagged.Warning, "辍学") {
			t.Fatalf("no warning on the changed file: %+v", flagged)
		}
		want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as(county), map[string]any{"ids": []int64{flagged.ID}}), http.StatusBadRequest)
		want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as(county), map[string]any{"ids": []int64{flagged.ID}, "reason": "学生已辍学"}), http.StatusOK)
		if got := h.entitlements(county, "status=revoked"); len(got) != 1 || got[0].Reason != "学生已辍学" {
			t.Fatalf("revoked: %+v", got)
		}
		rr = h.do("GET", "/api/v1/audit?entity=entitlement", h.as("auditor_yiyang"), nil)
		for _, action := range []string{`"action":"approve"`, `"action":"revoke"`} {
			if !strings.Contains(rr.Body.String(), action) {
				t.Errorf("audit lacks %s", action)
			}
		}
	})
}

// checkNotice opens the 公示 sheet: the names are there, and nothing that
// looks like an ID number, bank account or phone number is.
func checkNotice(t *testing.T, b []byte, names []string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	all := ""
	for _, r := range rows {
		all += strings.Join(r, "|") + "\n"
	}
	if !strings.Contains(rows[1][0], "序号") || strings.Join(rows[1], ",") != "序号,姓名,学校,年级,班级,资助项目,档次,金额(元)" {
		t.Fatalf("notice header: %v", rows[1])
	}
	for _, n := range names {
		if !strings.Contains(all, n) {
			t.Errorf("notice lacks %s", n)
		}
	}
	for _, bad := range []string{"430921", "6217", "身份证", "银行", "****"} {
		if strings.Contains(all, bad) {
			t.Errorf("notice contains %q:\n%s", bad, all)
		}
	}
}

func TestReturnResubmitRestartsNotice(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		nanzhou := h.schoolID("2143092101")
		h.importRows("school_nanzhou", [][]any{primaryRow("甲某", validID("430921", "20150301", 12), "四年级", "是", "困难")})
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_nanzhou"), ref), http.StatusOK)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", nanzhou), h.as("school_nanzhou"), nil), http.StatusOK)
		ents := h.entitlements("county_nanxian", "status=submitted")
		// An objection raised during the notice shows on the county's list.
		want(t, h.do("POST", "/api/v1/notices/objections", h.as("county_nanxian"), map[string]any{
			"program": "boarding", "term": "2025-2026-1", "student_id": ents[0].StudentID, "content": "群众反映该生家庭有营运车辆"}), http.StatusCreated)
		if got := h.entitlements("county_nanxian", "status=submitted"); got[0].Objections != 1 {
			t.Fatalf("objection not shown: %+v", got)
		}
		want(t, h.do("POST", "/api/v1/entitlements/return", h.as("county_nanxian"), map[string]any{"ids": []int64{ents[0].ID}, "reason": "请核实家庭经济状况"}), http.StatusOK)
		if got := h.entitlements("school_nanzhou", "status=returned"); len(got) != 1 || got[0].Reason != "请核实家庭经济状况" {
			t.Fatalf("returned: %+v", got)
		}
		h.setClock(env.Clock.Now().Add(10 * 24 * time.Hour))
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_nanzhou"), ref), http.StatusOK)
		// The earlier notice does not count for the resubmitted list.
		rr := h.do("POST", "/api/v1/entitlements/approve", h.as("county_nanxian"), ref)
		want(t, rr, http.StatusUnprocessableEntity)
		if errorCode(t, rr) != "notice_not_started" {
			t.Fatal(rr.Body.String())
		}
	})
}

func TestQuotaCutsByLevelNotByOrder(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		nanzhou := h.schoolID("2143092101")
		h.importRows("school_nanzhou", [][]any{
			primaryRow("一般", validID("430921", "20150301", 12), "四年级", "是", "一般困难"),
			primaryRow("特困", validID("430921", "20150301", 14), "四年级", "是", "特别困难"),
			primaryRow("困难", validID("430921", "20150301", 16), "四年级", "是", "困难"),
		})
		want(t, h.do("PUT", "/api/v1/quotas", h.as("school_nanzhou"), map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou, "max_count": 2}), http.StatusForbidden)
		want(t, h.do("PUT", "/api/v1/quotas", h.as("county_anhua"), map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou, "max_count": 2}), http.StatusForbidden)
		want(t, h.do("PUT", "/api/v1/quotas", h.as("county_nanxian"), map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou, "max_count": 2}), http.StatusOK)
		r := h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		if r.Created != 2 || !strings.Contains(r.reasonOf("一般"), "指标 2 人") {
			t.Fatalf("quota cut: %+v", r)
		}
		want(t, h.do("PUT", "/api/v1/quotas", h.as("county_nanxian"), map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou, "budget_fen": 62500}), http.StatusOK)
		r = h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		if r.Count != 1 || r.Removed != 1 || !strings.Contains(r.reasonOf("困难"), "预算") {
			t.Fatalf("budget cut: %+v", r)
		}
		if got := h.entitlements("school_nanzhou", "program=boarding"); len(got) != 1 || got[0].Name != "特困" {
			t.Fatalf("kept: %+v", got)
		}
	})
}

func TestTransferredStudentIsPaidOnce(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := validID("430921", "20130301", 12)
		h.importRows("school_nanzhou", [][]any{primaryRow("转学生", id, "六年级", "是", "困难")})
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		// The first school lets the pupil go; only then may the second enrol them.
		left := primaryRow("转学生", id, "六年级", "是", "困难")
		left[6] = "转出"
		h.importRows("school_nanzhou", [][]any{left})
		h.importRows("school_maocaojie", [][]any{primaryRow("转学生", id, "六年级", "是", "困难")})
		r := h.calculate("school_maocaojie", "boarding", "2025-2026-1", 0)
		if r.Created != 0 || r.reasonOf("转学生") != "已在其他学校享受" {
			t.Fatalf("school view: %+v", r)
		}
		r = h.calculate("county_nanxian", "boarding", "2025-2026-1", h.schoolID("2143092102"))
		if !strings.Contains(r.reasonOf("转学生"), "南县南洲镇中心小学") {
			t.Fatalf("the county is told which school: %+v", r)
		}
		var n int64
		env.DB.Raw("SELECT COUNT(*) FROM entitlements").Scan(&n)
		if n != 1 {
			t.Fatalf("%d entitlements for one student", n)
		}
		// The database itself refuses a second one (hard rule 1).
		err := env.DB.Exec(`INSERT INTO entitlements (student_id, program, term, school_id, list_id, stage, grade, rule, standard_id,
			annual_fen, amount_fen, status, created_at, updated_at)
			SELECT student_id, program, term, school_id, list_id, stage, grade, rule, standard_id, annual_fen, amount_fen, status, created_at, updated_at
			FROM entitlements`).Error
		if err == nil {
			t.Fatal("the database accepted a second entitlement for the same student, program and term")
		}
	})
}

func TestConcurrentCalculationsMakeOneList(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		var rows [][]any
		for i := 0; i < 40; i++ {
			rows = append(rows, primaryRow(fmt.Sprintf("学生%c", '甲'+rune(i)), validID("430921", "20150301", 100+i), "四年级", "是", "困难"))
		}
		h.importRows("school_nanzhou", rows)
		tok, county := h.as("school_nanzhou"), h.as("county_nanxian")
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				who := tok
				if i%2 == 1 {
					who = county
				}
				rr := h.do("POST", "/api/v1/entitlements/calculate", who, map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": h.schoolID("2143092101")})
				if rr.Code != http.StatusOK {
					t.Errorf("concurrent calculate: %d %s", rr.Code, rr.Body)
				}
			}(i)
		}
		wg.Wait()
		var n int64
		env.DB.Raw("SELECT COUNT(*) FROM entitlements").Scan(&n)
		if n != 40 {
			t.Fatalf("%d entitlements, want 40", n)
		}
	})
}

func TestStandardsEndpoints(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		std := map[string]any{"program": "vocational_grant", "stage": "vocational", "level": "special", "region_code": "430921", "annual_fen": 360000, "effective_from": "2025-09-01"}
		want(t, h.do("POST", "/api/v1/standards", h.as("school_nanzhou"), std), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/standards", h.as("county_anhua"), std), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), std), http.StatusCreated)
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), std), http.StatusConflict)
		bad := map[string]any{"program": "boarding", "stage": "primary", "level": "special", "region_code": "430921", "annual_fen": 100000, "effective_from": "2025-09-01"}
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), bad), http.StatusBadRequest)
		var l struct {
			Items []struct {
				Program, Stage, Level string
				RegionCode            string `json:"region_code"`
				AnnualFen             int64  `json:"annual_fen"`
			}
		}
		rr := h.do("GET", "/api/v1/standards?program=vocational_grant&region_code=430921&on=2025-10-01", h.as("school_zhizhuan"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &l)
		got := map[string]int64{}
		for _, it := range l.Items {
			got[it.Level+"@"+it.RegionCode] = it.AnnualFen
		}
		if got["special@430921"] != 360000 || got["hard@"] != 230000 || got["@"] != 230000 || len(l.Items) != 4 {
			t.Fatalf("standards in force: %s", rr.Body)
		}
		want(t, h.do("GET", "/api/v1/programs", h.as("finance_nanxian"), nil), http.StatusOK)
	})
}

// A county's own tier from a date changes that term's amounts and leaves
// the earlier term's alone (POLICY.md: standards are data with dates).
func TestCountyTierOverrideForVocationalGrant(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		headers := []string{"姓名", "身份证件号", "学籍号", "年级", "专业", "是否涉农专业", "户口性质", "家庭经济困难等级", "开户银行", "银行卡号", "持卡人"}
		id1, id2, id3 := validID("430921", "20090301", 12), validID("430921", "20090401", 14), validID("430923", "20090501", 16)
		rows := [][]any{
			{"特困生", id1, "G" + id1, "中职一年级", "现代农艺技术", "是", "农村", "特别困难", "南县农商银行", "6217001111222233334", "本人"},
			{"涉农生", id2, "G" + id2, "中职二年级", "现代农艺技术", "是", "城镇", "", "南县农商银行", "6217001111222233335", "本人"},
			{"安化生", id3, "G" + id3, "中职一年级", "计算机应用", "否", "农村", "", "南县农商银行", "6217001111222233336", "本人"},
		}
		for _, year := range []string{"2024-2025", "2025-2026"} {
			rep, code, body := h.uploadRoster("school_zhizhuan", rosterFile(t, headers, rows), map[string]string{"school_year": year})
			if code != http.StatusOK || rep.Created != 3 {
				t.Fatalf("vocational roster %s: %d %s", year, code, body)
			}
		}
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), map[string]any{"program": "vocational_grant",
			"stage": "vocational", "level": "special", "region_code": "430921", "annual_fen": 360000, "effective_from": "2025-09-01"}), http.StatusCreated)
		amounts := func(term string) map[string]int64 {
			h.calculate("school_zhizhuan", "vocational_grant", term, 0)
			out := map[string]int64{}
			for _, e := range h.entitlements("school_zhizhuan", "program=vocational_grant&term="+term) {
				out[e.Name] = e.AmountFen
			}
			return out
		}
		// Spring 2025: the national 2025 raise (3300 special, 2300 base), no county row yet.
		if got := amounts("2024-2025-2"); got["特困生"] != 165000 || got["涉农生"] != 115000 || got["安化生"] != 115000 {
			t.Fatalf("2024-2025-2: %v", got)
		}
		// Autumn 2025: 南县's own 特别困难 tier.
		if got := amounts("2025-2026-1"); got["特困生"] != 180000 || got["涉农生"] != 115000 || got["安化生"] != 115000 {
			t.Fatalf("2025-2026-1: %v", got)
		}
		// The earlier term is untouched by recalculation after the county's row.
		if got := amounts("2024-2025-2"); got["特困生"] != 165000 {
			t.Fatalf("earlier term changed: %v", got)
		}
	})
}

// On the 公示 sheet, a vocational student eligible without a difficulty
// level shows why (涉农专业 / 连片特困地区) under 档次, not a blank.
func TestNoticeTierShowsReasonWithoutLevel(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		headers := []string{"姓名", "身份证件号", "学籍号", "年级", "专业", "是否涉农专业", "户口性质", "家庭经济困难等级", "开户银行", "银行卡号", "持卡人"}
		id1, id2, id3 := validID("430921", "20090301", 12), validID("430921", "20090401", 14), validID("430923", "20090501", 16)
		rows := [][]any{
			{"特困生", id1, "G" + id1, "中职一年级", "现代农艺技术", "是", "农村", "特别困难", "南县农商银行", "6217001111222233334", "本人"},
			{"涉农生", id2, "G" + id2, "中职二年级", "现代农艺技术", "是", "城镇", "", "南县农商银行", "6217001111222233335", "本人"},
			{"安化生", id3, "G" + id3, "中职一年级", "计算机应用", "否", "农村", "", "南县农商银行", "6217001111222233336", "本人"},
		}
		if rep, code, body := h.uploadRoster("school_zhizhuan", rosterFile(t, headers, rows), map[string]string{"school_year": "2025-2026"}); code != http.StatusOK || rep.Created != 3 {
			t.Fatalf("vocational roster: %d %s", code, body)
		}
		if r := h.calculate("school_zhizhuan", "vocational_grant", "2025-2026-1", 0); r.Created != 3 {
			t.Fatalf("calculation: %+v", r)
		}
		ref := map[string]any{"program": "vocational_grant", "term": "2025-2026-1", "school_id": h.schoolID("2143092104")}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_zhizhuan"), ref), http.StatusOK)
		rr := h.do("GET", fmt.Sprintf("/api/v1/notices?program=vocational_grant&term=2025-2026-1&school_id=%d", h.schoolID("2143092104")), h.as("school_zhizhuan"), nil)
		want(t, rr, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		sheet, _ := f.GetRows(f.GetSheetName(0))
		tiers := map[string]string{}
		for _, r := range sheet[2:] {
			if len(r) > 6 {
				tiers[r[1]] = r[6]
			}
		}
		if tiers["特困生"] != "特别困难" || tiers["涉农生"] != "涉农专业" || tiers["安化生"] != "连片特困地区" {
			t.Fatalf("档次: %v", tiers)
		}
	})
}

// TestCalculationPanicIsAnError: schools are calculated on worker
// goroutines; a panic in one is an internal error for the request, the
// process lives on and nothing of that school's list is written.
func TestCalculationPanicIsAnError(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		h.importRows("school_nanzhou", [][]any{primaryRow("甲特困", validID("430921", "20150301", 12), "四年级", "是", "特别困难")})
		failing := h.instance(servicetest.SecondInstance(t, env, func(o *service.Options) {
			o.Fault = func(point string) error {
				if point == service.FaultCalcPlanned {
					panic("a bug in the calculation")
				}
				return nil
			}
		}))
		rr := failing.do("POST", "/api/v1/entitlements/calculate", failing.as("county_nanxian"),
			map[string]any{"program": "boarding", "term": "2025-2026-1"})
		want(t, rr, http.StatusInternalServerError)
		if strings.Contains(rr.Body.String(), "panic") || strings.Contains(rr.Body.String(), "goroutine") {
			t.Fatalf("the answer shows the panic: %s", rr.Body)
		}
		if n := countRows(t, env, "entitlements"); n != 0 {
			t.Fatalf("%d entitlements written by a calculation that panicked", n)
		}
		if r := h.calculate("county_nanxian", "boarding", "2025-2026-1", 0); r.Created != 1 {
			t.Fatalf("calculation after the panic: %+v", r)
		}
	})
}
