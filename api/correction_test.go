package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// POLICY.md: a term's amount is fixed when its list is approved; only a
// correction (更正) of an error in the record that decided it makes a top-up
// or recovery, with reason 认定更正, and a later calculation keeps to the
// corrected record instead of undoing it.
func TestCorrectionOfPaidTermMakesAdjustment(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.payAll()
		ents := h.entitlements("county_nanxian", "status=paid")
		path := fmt.Sprintf("/api/v1/entitlements/%d/correct", ents[0].ID)
		junior := map[string]any{"stage": "junior", "reason": "学段录入错误，实为七年级"}

		want(t, h.do("POST", path, h.as("school_nanzhou"), junior), http.StatusForbidden)
		want(t, h.do("POST", path, h.as("county_anhua"), junior), http.StatusNotFound)
		want(t, h.do("POST", path, h.as("county_nanxian"), map[string]any{"stage": "junior"}), http.StatusBadRequest)
		want(t, h.do("POST", path, h.as("county_nanxian"), map[string]any{"stage": "primary", "reason": "x"}), http.StatusBadRequest)
		want(t, h.do("POST", path, h.as("county_nanxian"), map[string]any{"stage": "senior", "reason": "x"}), http.StatusBadRequest)
		want(t, h.do("POST", path, h.as("county_nanxian"), map[string]any{"level": "很困难", "reason": "x"}), http.StatusBadRequest)
		if n := countWhere(t, h, "SELECT COUNT(*) FROM corrections"); n != 0 {
			t.Fatalf("refused corrections left %d rows", n)
		}

		var out struct {
			StageBefore string `json:"stage_before"`
			Stage       string
			Adjustment  *struct {
				ID        int64
				AmountFen int64 `json:"amount_fen"`
				Reason    string
				Status    string
			}
		}
		rr := h.do("POST", path, h.as("county_nanxian"), junior)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &out)
		// Junior boarding is 1500 a year against primary's 1250: 125.00 a term more.
		if out.StageBefore != "primary" || out.Stage != "junior" || out.Adjustment == nil ||
			out.Adjustment.AmountFen != 12500 || out.Adjustment.Reason != "补发：认定更正" || out.Adjustment.Status != "draft" {
			t.Fatalf("correction: %+v %+v", out, out.Adjustment)
		}
		if r := h.calculate("county_nanxian", "boarding", "2025-2026-1", h.schoolID("2143092101")); r.Adjustments != 0 {
			t.Fatalf("a calculation after the correction changed adjustments: %+v", r)
		}
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": []int64{out.Adjustment.ID}}), http.StatusOK)
		h.payAll()
		if n := countWhere(t, h, fmt.Sprintf("SELECT COUNT(*) FROM batch_lines WHERE entitlement_id = %d AND status = 'paid' AND amount_fen = 12500", ents[0].ID)); n != 1 {
			t.Fatalf("%d paid correction top-ups", n)
		}
		// The corrected record holds: no recovery back to the old stage.
		if r := h.calculate("county_nanxian", "boarding", "2025-2026-1", h.schoolID("2143092101")); r.Adjustments != 0 {
			t.Fatalf("a calculation undid the correction: %+v", r)
		}
		var paid int64
		env.DB.Raw("SELECT SUM(amount_fen) FROM entitlements").Scan(&paid)
		if paid != 3*62500 {
			t.Fatalf("paid entitlements were edited: total %d", paid)
		}

		// The correction itself was wrong: correcting back recovers the top-up, no more.
		rr = h.do("POST", path, h.as("county_nanxian"), map[string]any{"stage": "primary", "reason": "核实后仍为小学"})
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &out)
		if out.Adjustment == nil || out.Adjustment.AmountFen != -12500 || out.Adjustment.Reason != "扣回：认定更正" {
			t.Fatalf("correcting back: %+v", out.Adjustment)
		}
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": []int64{out.Adjustment.ID}}), http.StatusOK)
		if r := h.runJob("finance_nanxian", "batch_boarding", false); len(r.Made.Batches) != 0 {
			t.Fatal("a recovery was paid out")
		}
		if r := h.calculate("county_nanxian", "boarding", "2025-2026-1", h.schoolID("2143092101")); r.Adjustments != 0 {
			t.Fatalf("after correcting back: %+v", r)
		}
		rr = h.do("GET", "/api/v1/audit?entity=entitlement", h.as("auditor_yiyang"), nil)
		if !strings.Contains(rr.Body.String(), `"action":"correct"`) {
			t.Fatal("correction not audited")
		}
	})
}

// Only paid aid is corrected; aid not yet paid is revoked and calculated again.
func TestCorrectionRefusedBeforePayment(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		ents := h.entitlements("county_nanxian", "status=approved")
		rr := h.do("POST", fmt.Sprintf("/api/v1/entitlements/%d/correct", ents[0].ID), h.as("county_nanxian"),
			map[string]any{"stage": "junior", "reason": "学段录入错误"})
		want(t, rr, http.StatusConflict)
		if !strings.Contains(rr.Body.String(), "已发放") {
			t.Fatalf("message: %s", rr.Body.String())
		}
	})
}

// Aid whose line failed at the bank, then was revoked and taken up again as
// a draft, keeps its row when the pupil no longer qualifies: its failed line
// refers to it (found by the simulator, seed 6).
func TestDraftWithFailedLineIsRevokedNotDeleted(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		r := h.runJob("finance_nanxian", "batch_boarding", false)
		path := fmt.Sprintf("/api/v1/batches/%d", r.Made.Batches[0].ID)
		want(t, h.do("POST", path+"/approve", h.as("finance_nanxian"), nil), http.StatusOK)
		var lines struct {
			Items []struct {
				Seq         int
				BankAccount string `json:"bank_account"`
				AmountFen   int64  `json:"amount_fen"`
			}
		}
		mustJSON(t, h.do("GET", path+"/lines?page_size=200", h.as("finance_nanxian"), nil), &lines)
		var rows [][]any
		for i, l := range lines.Items {
			status := "成功"
			if i == 0 {
				status = "失败"
			}
			rows = append(rows, []any{l.Seq, l.BankAccount, "某", fmt.Sprintf("%d.%02d", l.AmountFen/100, l.AmountFen%100), status, "账户已销户"})
		}
		want(t, h.upload(path+"/results", h.as("finance_nanxian"), "file", "r.xlsx", bankResults(t, rows), nil), http.StatusOK)
		var failed int64
		env.DB.Raw("SELECT entitlement_id FROM batch_lines WHERE status = 'failed'").Scan(&failed)
		want(t, h.do("POST", "/api/v1/entitlements/revoke", h.as("county_nanxian"), map[string]any{"ids": []int64{failed}, "reason": "核实不符"}), http.StatusOK)
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		var sid int64
		env.DB.Raw("SELECT student_id FROM entitlements WHERE id = ?", failed).Scan(&sid)
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", sid), h.as("school_nanzhou"),
			map[string]any{"school_year": "2025-2026", "status": "休学"}), http.StatusOK)
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		var status string
		env.DB.Raw("SELECT status FROM entitlements WHERE id = ?", failed).Scan(&status)
		if status != "revoked" {
			t.Fatalf("the aid with a failed line is %q", status)
		}
	})
}
