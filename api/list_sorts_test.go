package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

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
