package api_test

import (
	"net/http"
	"strings"
	"testing"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// An internal error is logged by the server's own logger (the configured
// format and level), with the request id the answer shows.
func TestInternalErrorIsLoggedByTheServersLogger(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		env.Opt.Fault = func(point string) error {
			if point == service.FaultCalcPlanned {
				panic("a bug in the calculation")
			}
			return nil
		}
		h, logs := loggedHarness(t, env)
		h.importRows("school_nanzhou", [][]any{primaryRow("甲特困", validID("430921", "20150301", 12), "四年级", "是", "特别困难")})
		rr := h.do("POST", "/api/v1/entitlements/calculate", h.as("county_nanxian"), map[string]any{"program": "boarding", "term": "2025-2026-1"})
		want(t, rr, http.StatusInternalServerError)
		id := rr.Header().Get("X-Request-ID")
		if id == "" || !strings.Contains(logs.String(), "internal error") || !strings.Contains(logs.String(), "request_id="+id) {
			t.Fatalf("internal error %s not in the server's log:\n%s", id, logs.String())
		}
	})
}
