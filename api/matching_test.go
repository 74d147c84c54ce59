package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

type matchReport struct {
	Kind      string
	Rows      int
	Matched   int
	Unmatched int
	Invalid   []struct {
		Row            int
		Value, Message string
	}
	OnList []struct {
		StudentID int64 `json:"student_id"`
		Name      string
		IDNumber  string `json:"id_number"`
		Problems  []string
		Pending   []struct{ Status string } `json:"pending_aid"`
	} `json:"on_list_disagree"`
	NotOnList []struct {
		Name     string
		Problems []string
	} `json:"not_on_list"`
	NotOnListNote  string `json:"not_on_list_note"`
	FindingsOpened int    `json:"findings_opened"`
}

var listHeaders = []string{"姓名", "身份证件号"}

func (h *harness) match(user, kind string, file []byte) (matchReport, int, string) {
	h.t.Helper()
	rr := h.upload("/api/v1/matching", h.as(user), "file", "名单.xlsx", file, map[string]string{"kind": kind, "school_year": "2025-2026"})
	var r matchReport
	if rr.Code == http.StatusOK {
		mustJSON(h.t, rr, &r)
	}
	return r, rr.Code, rr.Body.String()
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}

// A 低保 list from 民政 is matched by ID number against the county's files:
// who is on it but not identified, who is identified without the category,
// who is marked 低保 but not on it; the list itself is not kept.
func TestMatchingDibaoList(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := func(seq int) string { return validID("430921", "20160301", seq) }
		h.importRows("school_nanzhou", [][]any{
			dayPupil("低保一", id(31), "困难", "农村低保"),
			dayPupil("未认定", id(32), "", ""),
			dayPupil("类型缺", id(33), "困难", "脱贫家庭(建档立卡)"),
			dayPupil("标记未列", id(34), "困难", "城镇低保"),
			dayPupil("无关", id(35), "一般困难", "孤儿"),
		})
		outsider, anhua := validID("430921", "20160301", 36), validID("430923", "20160301", 37)
		rep, code, body := h.uploadRoster("school_dongping", rosterFile(t, rosterHeaders, [][]any{
			{"安化生", anhua, "", "三年级", "1班", "否", "在读", "", "", "", "", "", ""}}), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusOK || rep.Status != "done" {
			t.Fatalf("安化 roster: %d %s", code, body)
		}
		var badCheck = id(38)
		badCheck = badCheck[:17] + map[bool]string{true: "1", false: "2"}[badCheck[17] != '1']
		list := rosterFile(t, listHeaders, [][]any{
			{"低保一", id(31)},
			{"未认定", strings.ToLower(id(32))},
			{"类型缺", " " + id(33) + " "},
			{"外县人", outsider},
			{"安化生", anhua},
			{"错号", badCheck},
			{"数字", 430921201603010000.0},
			{"无号", ""},
		})
		r, code, body := h.match("county_nanxian", "dibao", list)
		if code != http.StatusOK {
			t.Fatalf("matching: %d %s", code, body)
		}
		if r.Rows != 8 || r.Matched != 3 || r.Unmatched != 2 || len(r.Invalid) != 3 {
			t.Fatalf("counts: %s", body)
		}
		on := names(r.OnList, func(s struct {
			StudentID int64 `json:"student_id"`
			Name      string
			IDNumber  string `json:"id_number"`
			Problems  []string
			Pending   []struct{ Status string } `json:"pending_aid"`
		}) string {
			return s.Name + ":" + strings.Join(s.Problems, "；")
		})
		if len(on) != 2 || !strings.Contains(on[0]+on[1], "未认定:在民政低保/特困供养名单上，但未认定为家庭经济困难学生") ||
			!strings.Contains(on[0]+on[1], "类型缺:在民政低保/特困供养名单上，已认定困难，但困难类型未登记为低保或特困供养") {
			t.Fatalf("on the list: %v", on)
		}
		if len(r.NotOnList) != 1 || r.NotOnList[0].Name != "标记未列" || !strings.Contains(r.NotOnListNote, "全县完整名单") {
			t.Fatalf("not on the list: %s", body)
		}
		msgs := fmt.Sprint(r.Invalid)
		if !strings.Contains(msgs, "校验位错误") || !strings.Contains(msgs, "文本") || !strings.Contains(msgs, "身份证件号为空") {
			t.Fatalf("invalid rows: %s", msgs)
		}
		// Nothing of the list in full: not the unmatched, not the invalid.
		for _, n := range []string{id(31), id(32), outsider, anhua, badCheck} {
			if strings.Contains(body, n) {
				t.Fatalf("the report shows %s in full", n)
			}
		}
		if countWhere(t, h, "SELECT COUNT(*) FROM anomalies") != 0 {
			t.Fatal("a 低保 list stored findings")
		}
		var after []string
		env.DB.Raw("SELECT after_json FROM audit_entries WHERE action = 'match'").Scan(&after)
		if len(after) != 1 || strings.Contains(after[0], outsider) || !strings.Contains(after[0], `"matched":3`) {
			t.Fatalf("audit: %v", after)
		}
		// 安化's officer matching the same list sees only 安化's student.
		r, _, _ = h.match("county_anhua", "dibao", list)
		if r.Matched != 1 || len(r.OnList) != 1 || r.OnList[0].Name != "安化生" {
			t.Fatalf("安化: %+v", r)
		}
		for _, p := range []string{"poverty", "disability"} {
			if r, code, body := h.match("county_nanxian", p, list); code != http.StatusOK || r.Matched != 3 {
				t.Fatalf("%s: %d %s", p, code, body)
			}
		}
	})
}

// A student on a death list with aid still pending is a finding, stored and
// resolved when the aid is revoked; a death already recorded with nothing
// pending is not.
func TestMatchingDeathList(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := func(seq int) string { return validID("430921", "20150301", seq) }
		h.importRows("school_nanzhou", [][]any{
			boarder("甲亡故", id(41), "四年级", "在读", 41, "监护人", "甲家长"),
			boarder("乙亡故", id(42), "四年级", "在读", 42, "监护人", "乙家长"),
			boarder("丙健在", id(43), "四年级", "在读", 43, "监护人", "丙家长"),
		})
		nanzhou := h.schoolID("2143092101")
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_nanzhou"), ref), http.StatusOK)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", nanzhou), h.as("school_nanzhou"), nil), http.StatusOK)
		h.setClock(env.Clock.Now().Add(10 * 24 * time.Hour))
		want(t, h.do("POST", "/api/v1/entitlements/approve", h.as("county_nanxian"), ref), http.StatusOK)
		ents := map[string]int64{}
		for _, e := range h.entitlements("county_nanxian", "status=approved") {
			ents[e.Name] = e.ID
		}
		// 乙's death is already on file and the aid revoked.
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", h.studentID("乙亡故")), h.as("school_nanzhou"),
			map[string]any{"school_year": "2025-2026", "status": "死亡"}), http.StatusOK)
		want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as("county_nanxian"), map[string]any{"ids": []int64{ents["乙亡故"]}, "reason": "死亡"}), http.StatusOK)

		deaths := rosterFile(t, listHeaders, [][]any{{"甲亡故", id(41)}, {"乙亡故", id(42)}})
		for _, u := range []string{"school_nanzhou", "auditor_yiyang", "finance_nanxian", "admin"} {
			if _, code, _ := h.match(u, "death", deaths); code != http.StatusForbidden {
				t.Fatalf("%s may match: %d", u, code)
			}
		}
		r, code, body := h.match("county_nanxian", "death", deaths)
		if code != http.StatusOK || r.Matched != 2 || len(r.OnList) != 1 || r.OnList[0].Name != "甲亡故" || r.FindingsOpened != 1 {
			t.Fatalf("death list: %d %s", code, body)
		}
		if p := strings.Join(r.OnList[0].Problems, "；"); !strings.Contains(p, "学籍状态仍为“在读”") || !strings.Contains(p, "1 笔待发放") {
			t.Fatalf("problems: %s", p)
		}
		found := h.findings("auditor_yiyang", "rule="+model.RuleMatchingDeath)
		if len(found) != 1 || found[0].StudentID == nil || *found[0].StudentID != h.studentID("甲亡故") || found[0].Status != "open" {
			t.Fatalf("finding: %+v", found)
		}
		// The same list again: the same finding, not a second one.
		if r, _, _ := h.match("county_nanxian", "death", deaths); r.FindingsOpened != 0 {
			t.Fatalf("again: %+v", r)
		}
		// A scan does not resolve it while the aid is pending…
		h.scan("auditor_yiyang")
		if f := h.findings("auditor_yiyang", "rule="+model.RuleMatchingDeath+"&status=open"); len(f) != 1 {
			t.Fatalf("after a scan: %+v", f)
		}
		// …and does once it is revoked.
		want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as("county_nanxian"), map[string]any{"ids": []int64{ents["甲亡故"]}, "reason": "死亡"}), http.StatusOK)
		h.scan("auditor_yiyang")
		if f := h.findings("auditor_yiyang", "rule="+model.RuleMatchingDeath+"&status=resolved"); len(f) != 1 {
			t.Fatalf("after the revocation: %+v", f)
		}
	})
}

// Bad files and fields get a clear Chinese answer and change nothing.
func TestMatchingRefusesBadInput(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		good := rosterFile(t, listHeaders, [][]any{{"某人", validID("430921", "20150301", 51)}})
		tok := h.as("county_nanxian")
		cases := []struct {
			name   string
			file   []byte
			fields map[string]string
			status int
			says   string
		}{
			{"unknown kind", good, map[string]string{"kind": "tax", "school_year": "2025-2026"}, 400, "kind 须为"},
			{"no year", good, map[string]string{"kind": "dibao"}, 400, "school_year"},
			{"csv", []byte("姓名,身份证件号\n某人,430921201503010511\n"), map[string]string{"kind": "dibao", "school_year": "2025-2026"}, 400, "不是 Excel 工作簿"},
			{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), map[string]string{"kind": "dibao", "school_year": "2025-2026"}, 400, ".xls 文件，文件可能已损坏"},
			{"empty", nil, map[string]string{"kind": "dibao", "school_year": "2025-2026"}, 400, "空"},
			{"no id column", rosterFile(t, []string{"姓名", "电话"}, [][]any{{"某人", "13800000000"}}), map[string]string{"kind": "dibao", "school_year": "2025-2026"}, 422, "身份证件号"},
			{"too large", append(append([]byte{}, good...), make([]byte, 70<<10)...), map[string]string{"kind": "dibao", "school_year": "2025-2026"}, 413, "过大"},
		}
		for _, c := range cases {
			rr := h.upload("/api/v1/matching", tok, "file", "名单.xlsx", c.file, c.fields)
			if rr.Code != c.status || !strings.Contains(rr.Body.String(), c.says) {
				t.Errorf("%s: %d %s", c.name, rr.Code, rr.Body)
			}
		}
		want(t, h.upload("/api/v1/matching", tok, "", "", nil, map[string]string{"kind": "dibao", "school_year": "2025-2026"}), http.StatusBadRequest)
		if countWhere(t, h, "SELECT COUNT(*) FROM audit_entries WHERE action = 'match'") != 0 {
			t.Fatal("a refused list was recorded as matched")
		}
	}, func(o *service.Options) { o.RosterMaxBytes = 64 << 10 })
}
