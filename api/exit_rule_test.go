package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service/servicetest"
)

// Rule 6 dates a leaving recorded during the year: aid the bank paid before
// the pupil left is not "after" the leaving; aid still waiting when the
// pupil left is (issue 14, item 7).
func TestAidPaidBeforeLeavingIsNotAnAnomaly(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.payAll()
		h.setClock(h.env.Clock.Now().Add(60 * 24 * time.Hour))
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", h.studentID(boarders[0].name)), h.as("school_nanzhou"),
			map[string]any{"school_year": "2025-2026", "status": "转出"}), http.StatusOK)
		if s := h.scan("auditor_yiyang"); s.ByRule[model.RuleAidAfterExit] != 0 {
			t.Fatalf("aid paid before the pupil left is flagged: %+v", s)
		}
		// Paid once, then a 补发 paid after the leaving: that payment is after it.
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), map[string]any{"program": "boarding", "stage": "primary",
			"region_code": "430921", "annual_fen": 140000, "effective_from": "2025-09-01"}), http.StatusCreated)
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		var ids []int64
		for _, a := range h.adjustments("status=draft") {
			ids = append(ids, a.ID)
		}
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": ids}), http.StatusOK)
		h.payAll()
		if s := h.scan("auditor_yiyang"); s.ByRule[model.RuleAidAfterExit] != 1 {
			t.Fatalf("a top-up paid after the pupil left is not flagged: %+v", s)
		}
	})
}
