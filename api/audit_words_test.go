package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/servicetest"
)

type auditRowRec struct {
	ID          int64
	Action      string
	ActionLabel string `json:"action_label"`
	EntityLabel string `json:"entity_label"`
	Object      string
	Change      string
}

// The audit log reads in Chinese: actions and objects named, the school's
// list or the student by name, amounts in 元 and times in Beijing time; the
// export has the same rows as the page's filter.
func TestAuditLogReadsInChineseAndExportsTheSameRows(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		var l struct {
			Items []auditRowRec
			Total int
		}
		mustJSON(t, h.do("GET", "/api/v1/audit?action=approve&page_size=50", h.as("auditor_yiyang"), nil), &l)
		if l.Total == 0 {
			t.Fatal("no approval in the log")
		}
		for _, e := range l.Items {
			if e.Action != "approve" || e.ActionLabel != "审核通过" {
				t.Errorf("filter or label: %+v", e)
			}
			if strings.Contains(e.Change, "_fen") || strings.Contains(e.Change, "{") {
				t.Errorf("raw JSON in the change: %q", e.Change)
			}
		}
		mustJSON(t, h.do("GET", "/api/v1/audit?action=submit", h.as("auditor_yiyang"), nil), &l)
		if len(l.Items) != 1 || l.Items[0].EntityLabel != "学校资助名单" ||
			l.Items[0].Object != "南县南洲镇中心小学 义务教育家庭经济困难寄宿生生活补助 2025-2026学年第一学期" ||
			!strings.Contains(l.Items[0].Change, "1,875.00 元") {
			t.Fatalf("submit entry: %+v", l.Items)
		}

		rr := h.do("GET", "/api/v1/audit.xlsx?action=approve", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("审计日志")
		mustJSON(t, h.do("GET", "/api/v1/audit?action=approve&page_size=200", h.as("auditor_yiyang"), nil), &l)
		if len(rows) != 2+l.Total || rows[1][4] != "操作" || rows[2][4] != "审核通过" {
			t.Fatalf("export has %d rows for %d entries: %v", len(rows), l.Total, rows[:min(3, len(rows))])
		}
		var words struct {
			Actions, Entities []struct{ Code, Label string }
		}
		mustJSON(t, h.do("GET", "/api/v1/audit/words", h.as("auditor_yiyang"), nil), &words)
		if len(words.Actions) < 10 || words.Entities[0].Label == "" {
			t.Fatalf("words: %+v", words)
		}
		want(t, h.do("GET", "/api/v1/audit.xlsx", h.as("school_nanzhou"), nil), http.StatusForbidden)
	})
}
