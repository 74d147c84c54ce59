package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/service/servicetest"
)

// The batches list, the anomalies and the audit log sort by a heading in
// either direction, ending on the id so that pages never overlap; an
// unknown order is a 400 in Chinese, never a silent default.
func TestBatchesAnomaliesAndAuditSort(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.runJob("finance_nanxian", "batch_boarding", false)
		id := func(seq int) string { return validID("430921", "20150301", seq) }
		h.importRows("school_nanzhou", [][]any{
			boarder("共卡一", id(11), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡二", id(12), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡三", id(13), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡四", id(14), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("幼童", validID("430921", "20210601", 15), "一年级", "在读", 5, "监护人", "幼家长"),
		})
		h.scan("county_nanxian")
		const auditor = "auditor_yiyang"

		for _, s := range []string{"number", "-amount", "lines", "-created", "status"} {
			var l struct{ Total int }
			mustJSON(t, h.do("GET", "/api/v1/batches?sort="+s, h.as(auditor), nil), &l)
			if l.Total != 1 {
				t.Errorf("batches sort=%s: %d", s, l.Total)
			}
		}
		want(t, h.do("GET", "/api/v1/batches.xlsx?sort=-amount", h.as(auditor), nil), http.StatusOK)

		severities := func(sort string) []string {
			t.Helper()
			var out []string
			for _, f := range h.findings(auditor, "status=&sort="+sort) {
				out = append(out, f.Severity)
			}
			return out
		}
		rank := map[string]int{"high": 0, "medium": 1, "low": 2}
		up, down := severities("severity"), severities("-severity")
		if len(up) < 2 || !slices.IsSortedFunc(up, func(a, b string) int { return rank[a] - rank[b] }) || up[0] == up[len(up)-1] {
			t.Errorf("anomalies by severity: %v", up)
		}
		slices.Reverse(down)
		if !slices.Equal(up, down) {
			t.Errorf("anomalies by severity, the other way: %v", down)
		}

		type entry struct {
			ID     int64
			At     time.Time
			Action string
		}
		entries := func(sort string, page int) []entry {
			t.Helper()
			var l struct{ Items []entry }
			mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/audit?page_size=5&page=%d&sort=%s", page, sort), h.as(auditor), nil), &l)
			return l.Items
		}
		byTime := func(a, b entry) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		}
		byAction := func(a, b entry) int {
			if a.Action != b.Action {
				if a.Action < b.Action {
					return -1
				}
				return 1
			}
			return int(a.ID - b.ID)
		}
		for sort, cmp := range map[string]func(a, b entry) int{"time": byTime, "action": byAction} {
			var asc, desc []entry
			for p := 1; p <= 3; p++ {
				asc, desc = append(asc, entries(sort, p)...), append(desc, entries("-"+sort, p)...)
			}
			if len(asc) != 15 || !slices.IsSortedFunc(asc, cmp) {
				t.Errorf("audit by %s: %v", sort, asc)
			}
			if len(desc) != 15 || !slices.IsSortedFunc(desc, func(a, b entry) int { return cmp(b, a) }) {
				t.Errorf("audit by %s, descending: %v", sort, desc)
			}
			seen := map[int64]bool{}
			for _, e := range asc {
				if seen[e.ID] {
					t.Errorf("audit by %s: entry %d on two pages", sort, e.ID)
				}
				seen[e.ID] = true
			}
		}

		for _, path := range []string{"/api/v1/batches?sort=ledger_sha256", "/api/v1/batches.xlsx?sort=x", "/api/v1/anomalies?sort=summary",
			"/api/v1/anomalies.xlsx?sort=1", "/api/v1/audit?sort=hash", "/api/v1/audit.xlsx?sort=-prev_hash"} {
			rr := h.do("GET", path, h.as(auditor), nil)
			want(t, rr, http.StatusBadRequest)
			var e struct{ Error struct{ Message string } }
			mustJSON(t, rr, &e)
			if e.Error.Message == "" || e.Error.Message[:3] != "排" {
				t.Errorf("%s: %q", path, e.Error.Message)
			}
		}
	})
}

// Batch lines find a pupil by any part of the name, the full ID number (by
// its keyed hash) or its last digits; anomalies by a student's or a
// school's name, or a student's full number. Wildcards match nothing.
func TestBatchLinesAndAnomaliesSearch(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		made := h.runJob("finance_nanxian", "batch_boarding", false).Made.Batches[0]
		young := validID("430921", "20210601", 15)
		id := func(seq int) string { return validID("430921", "20150301", seq) }
		h.importRows("school_nanzhou", [][]any{
			boarder("共卡一", id(21), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡二", id(22), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡三", id(23), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("共卡四", id(24), "四年级", "在读", 2, "监护人", "同家长"),
			boarder("幼童", young, "一年级", "在读", 5, "监护人", "幼家长"),
		})
		h.scan("county_nanxian")

		lines := func(user, q string) []string {
			t.Helper()
			var l struct {
				Items    []struct{ Name string }
				Total    int
				TotalFen int64 `json:"total_fen"`
			}
			mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines?q=%s", made.ID, url.QueryEscape(q)), h.as(user), nil), &l)
			out := []string{}
			for _, it := range l.Items {
				out = append(out, it.Name)
			}
			if l.Total != len(out) || (len(out) == 1 && l.TotalFen != 62500) {
				t.Errorf("lines q=%s: total %d, %d fen for %v", q, l.Total, l.TotalFen, out)
			}
			return out
		}
		li := boarders[1].id
		for q, want := range map[string]string{"李": "李寄宿", "寄宿": "", li: "李寄宿", li[14:]: "李寄宿", strings.ToLower(li[15:]): "李寄宿"} {
			for _, user := range []string{"finance_nanxian", "county_nanxian"} {
				got := lines(user, q)
				if want == "" && len(got) != 3 || want != "" && (len(got) != 1 || got[0] != want) {
					t.Errorf("%s: lines q=%s: %v, want %q", user, q, got, want)
				}
			}
		}
		for _, q := range []string{"%", "_", "!", validID("430921", "20150301", 40), "4309"} {
			if got := lines("finance_nanxian", q); len(got) != 0 {
				t.Errorf("lines q=%s: %v", q, got)
			}
		}
		want(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines?q=%s", made.ID, strings.Repeat("张", 65)), h.as("finance_nanxian"), nil), http.StatusBadRequest)

		// The lines' export: the list as filtered and ordered, numbers as
		// on the screen (masked for the county), with its 合计; audited.
		export := func(user, query string) [][]string {
			t.Helper()
			rr := h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines.xlsx?%s", made.ID, query), h.as(user), nil)
			want(t, rr, http.StatusOK)
			x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows("发放明细")
			return rows
		}
		rows := export("finance_nanxian", "sort=-name")
		if len(rows) != 6 || rows[1][3] != "姓名" || rows[2][3] != "王寄宿" || rows[3][3] != "李寄宿" || rows[5][0] != "合计" || rows[5][8] != "1,875.00" {
			t.Fatalf("lines export by name, descending: %v", rows)
		}
		if rows[4][3] != "张寄宿" || rows[4][4] != boarders[0].id || rows[4][6] != boarders[0].account {
			t.Errorf("finance's export: %v", rows[4])
		}
		rows = export("county_nanxian", "q="+url.QueryEscape(li[14:]))
		if len(rows) != 4 || rows[2][3] != "李寄宿" || rows[2][4] == li || !strings.Contains(rows[2][4], "*") || rows[2][6] == boarders[1].account {
			t.Errorf("county's export q=%s: %v", li[14:], rows)
		}
		want(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines.xlsx?sort=account", made.ID), h.as("finance_nanxian"), nil), http.StatusBadRequest)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines.xlsx", made.ID), h.as("county_anhua"), nil), http.StatusNotFound)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/batches/%d/lines.xlsx", made.ID), h.as("school_nanzhou"), nil), http.StatusForbidden)
		var logged struct{ Total int }
		mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/audit?action=download&entity=batch_lines&entity_id=%d", made.ID), h.as("auditor_yiyang"), nil), &logged)
		if logged.Total != 2 {
			t.Errorf("lines exports audited: %d, want 2", logged.Total)
		}

		rules := func(q string) []string {
			t.Helper()
			out := []string{}
			for _, f := range h.findings("auditor_yiyang", "status=&q="+url.QueryEscape(q)) {
				out = append(out, f.Rule)
			}
			slices.Sort(out)
			return out
		}
		all := rules("")
		if len(all) < 2 {
			t.Fatalf("findings: %v", all)
		}
		for q, n := range map[string]int{"幼童": 1, young: 1, "共卡二": 1, "南洲": len(all), "南县南洲镇中心小学": len(all), "东平": 0, "%": 0, "_": 0} {
			if got := rules(q); len(got) != n {
				t.Errorf("anomalies q=%s: %v, want %d", q, got, n)
			}
		}
		if a, b := rules("幼童"), rules(young); !slices.Equal(a, b) || a[0] != "age_grade" {
			t.Errorf("by name %v, by number %v", a, b)
		}
		rr := h.do("GET", "/api/v1/anomalies.xlsx?q="+url.QueryEscape("幼童"), h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ = x.GetRows(x.GetSheetList()[0])
		if len(rows) != 2 || !strings.Contains(strings.Join(rows[1], " "), "幼童") {
			t.Errorf("anomaly export q=幼童: %v", rows)
		}
	})
}
