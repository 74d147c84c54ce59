package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"studentaid/api"
	"studentaid/model"
	"studentaid/service/servicetest"
)

// Issue 15 item 8: the edges of input the review found open.
func TestInputEdges(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		school := h.as("school_nanzhou")
		rr := h.upload("/api/v1/rosters", school, "file", "花名册.xlsx", rosterFile(t, rosterHeaders, [][]any{
			boarder("甲边界", validID("430921", "20140911", 801), "四年级", "在读", 0, "本人", "")}),
			map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusOK)
		id := h.studentID("甲边界")
		path := fmt.Sprintf("/api/v1/students/%d", id)
		code := func(rr *httptest.ResponseRecorder, status int, what string) string {
			t.Helper()
			if rr.Code != status {
				t.Fatalf("%s: %d, want %d: %s", what, rr.Code, status, rr.Body)
			}
			return errorCode(t, rr)
		}

		// PATCH uses the roster's rules: lengths and no control characters.
		code(h.do("PATCH", path, school, map[string]any{"school_year": "2025-2026", "class": strings.Repeat("班", 5000)}), 400, "5000-character class")
		code(h.do("PATCH", path, school, map[string]any{"school_year": "2025-2026", "remark": "备注\x00尾巴"}), 400, "NUL in remark")
		code(h.do("PATCH", path, school, map[string]any{"guardian": "张三3"}), 400, "digit in a name")
		want(t, h.do("PATCH", path, school, map[string]any{"school_year": "2025-2026", "class": " 3班 "}), http.StatusOK)

		// Outside scope and not existing answer the same on writes.
		anhua := h.as("county_anhua")
		outside := h.do("PATCH", path, anhua, map[string]any{"guardian": "李四"})
		missing := h.do("PATCH", "/api/v1/students/999999", anhua, map[string]any{"guardian": "李四"})
		if outside.Code != http.StatusNotFound || missing.Code != http.StatusNotFound || outside.Body.String() != missing.Body.String() {
			t.Fatalf("outside scope %d %s, missing %d %s", outside.Code, outside.Body, missing.Code, missing.Body)
		}
		// Another county's list is not found, not a conflict.
		code(h.do("POST", "/api/v1/entitlements/approve", anhua, map[string]any{"program": "boarding", "term": "2025-2026-1",
			"school_id": h.schoolID("2143092101")}), 404, "approving another county's list")
		// A summary for a region outside scope is not an empty report.
		code(h.do("GET", "/api/v1/reports/summary.xlsx?term=2025-2026-1&region_code=430921", anhua, nil), 404, "another county's summary")
		want(t, h.do("GET", "/api/v1/reports/summary.xlsx?term=2025-2026-1&region_code=430900", anhua, nil), http.StatusOK)

		// q and paging are bounded.
		county := h.as("county_nanxian")
		code(h.do("GET", "/api/v1/students?q="+strings.Repeat("张", 100000), county, nil), 400, "100k-character q")
		code(h.do("GET", "/api/v1/students?q="+strings.Repeat("a", 65), county, nil), 400, "65-character q")
		code(h.do("GET", "/api/v1/students?page=9223372036854775807", county, nil), 400, "overflowing page")
		code(h.do("GET", "/api/v1/students?page=100001", county, nil), 400, "page past the last")
		want(t, h.do("GET", "/api/v1/students?q=甲边界&page=2", county, nil), http.StatusOK)
	})
}

var operationIDPattern = regexp.MustCompile(`^[a-z]+(_[a-z0-9.]+)+$`)

func TestOpenAPIOperationIDs(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		}
	}
	mustJSON(t, h.do("GET", "/api/v1/openapi.json", "", nil), &doc)
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			if !operationIDPattern.MatchString(op.OperationID) || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	if !ids["get_students_by_id"] {
		t.Fatal("no get_students_by_id")
	}
}

// X-Forwarded-For counts only from a configured proxy.
func TestTrustedProxies(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	newHarness(t, env)
	login := func(trusted []string) string {
		e := api.New(env.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(),
			api.Options{TrustedProxies: trusted})
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"username":"county_nanxian","password":"demo-password-2026"}`))
		req.RemoteAddr = "10.0.0.5:5000"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.99")
		rr := httptest.NewRecorder()
		e.ServeHTTP(rr, req)
		want(t, rr, http.StatusOK)
		var last model.AuditEntry
		env.DB.Where("action = ?", "login").Order("id DESC").First(&last)
		return last.ClientIP
	}
	if ip := login(nil); ip != "10.0.0.5" {
		t.Fatalf("without trusted proxies the client is %s", ip)
	}
	if ip := login([]string{"10.0.0.0/8"}); ip != "203.0.113.99" {
		t.Fatalf("behind a trusted proxy the client is %s", ip)
	}
}
