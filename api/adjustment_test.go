package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// payAll runs the batch job, approves every new batch and reports every line paid.
func (h *harness) payAll() []string {
	h.t.Helper()
	r := h.runJob("finance_nanxian", "batch_boarding", false)
	var numbers []string
	for _, b := range r.Made.Batches {
		path := fmt.Sprintf("/api/v1/batches/%d", b.ID)
		want(h.t, h.do("POST", path+"/approve", h.as("finance_nanxian"), nil), http.StatusOK)
		var lines struct {
			Items []struct {
				Seq         int
				BankAccount string `json:"bank_account"`
				AmountFen   int64  `json:"amount_fen"`
			}
		}
		mustJSON(h.t, h.do("GET", path+"/lines?page_size=200", h.as("finance_nanxian"), nil), &lines)
		var rows [][]any
		for _, l := range lines.Items {
			rows = append(rows, []any{l.Seq, l.BankAccount, "某", fmt.Sprintf("%d.%02d", l.AmountFen/100, l.AmountFen%100), "成功", ""})
		}
		want(h.t, h.upload(path+"/results", h.as("finance_nanxian"), "file", "r.xlsx", bankResults(h.t, rows), nil), http.StatusOK)
		numbers = append(numbers, b.Number)
	}
	return numbers
}

type adjRow struct {
	ID            int64
	EntitlementID int64 `json:"entitlement_id"`
	Name          string
	AmountFen     int64 `json:"amount_fen"`
	Status        string
}

func (h *harness) adjustments(query string) []adjRow {
	h.t.Helper()
	var l struct{ Items []adjRow }
	rr := h.do("GET", "/api/v1/adjustments?"+query, h.as("county_nanxian"), nil)
	want(h.t, rr, http.StatusOK)
	mustJSON(h.t, rr, &l)
	return l.Items
}

// A standard raised after payment is never written into the paid
// entitlement: it makes a top-up (补发) paid in a later batch; a late finding
// makes a recovery (扣回) that is recorded, never paid out.
func TestPaidAidIsCorrectedByAdjustments(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		if got := h.payAll(); len(got) != 1 {
			t.Fatalf("first payment: %v", got)
		}
		// 南县 raises the primary boarding subsidy retroactively to the term's start.
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), map[string]any{"program": "boarding", "stage": "primary",
			"region_code": "430921", "annual_fen": 140000, "effective_from": "2025-09-01"}), http.StatusCreated)
		r := h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		if r.Adjustments != 3 || r.Created+r.Updated != 0 {
			t.Fatalf("recalculation after the raise: %+v", r)
		}
		if again := h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0); again.Adjustments != 0 {
			t.Fatalf("a second calculation made adjustments again: %+v", again)
		}
		var paid int64
		env.DB.Raw("SELECT SUM(amount_fen) FROM entitlements").Scan(&paid)
		if paid != 3*62500 {
			t.Fatalf("paid entitlements were edited: total %d", paid)
		}
		drafts := h.adjustments("status=draft")
		if len(drafts) != 3 || drafts[0].AmountFen != 70000-62500 {
			t.Fatalf("drafts: %+v", drafts)
		}
		ids := []int64{drafts[0].ID, drafts[1].ID, drafts[2].ID}
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("school_nanzhou"), map[string]any{"ids": ids}), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": ids}), http.StatusOK)
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": ids}), http.StatusConflict)
		got := h.payAll()
		if len(got) != 1 || got[0] != "430921-BOARDING-2025-2026-1-002" {
			t.Fatalf("top-up batch: %v", got)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batch_lines WHERE remark = '补发' AND status = 'paid' AND amount_fen = 7500"); n != 3 {
			t.Fatalf("%d paid top-up lines", n)
		}
		if len(h.adjustments("status=paid")) != 3 {
			t.Fatal("top-ups not marked paid")
		}
		// Nothing more is owed: another calculation makes nothing.
		if r := h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0); r.Adjustments != 0 {
			t.Fatalf("after the top-up: %+v", r)
		}
		if r := h.runJob("finance_nanxian", "batch_boarding", false); len(r.Made.Batches) != 0 {
			t.Fatalf("a third batch: %+v", r)
		}

		// A late finding: the family's difficulty was falsely declared.
		ents := h.entitlements("county_nanxian", "status=paid")
		rr := h.do("POST", "/api/v1/entitlements/recover", h.as("county_nanxian"), map[string]any{"ids": []int64{ents[0].ID}, "reason": "虚报家庭经济困难"})
		want(t, rr, http.StatusOK)
		want(t, h.do("POST", "/api/v1/entitlements/recover", h.as("county_nanxian"), map[string]any{"ids": []int64{ents[0].ID}, "reason": "again"}), http.StatusConflict)
		rec := h.adjustments("status=to_recover")
		if len(rec) != 1 || rec[0].AmountFen != -70000 {
			t.Fatalf("recovery: %+v", rec)
		}
		if r := h.runJob("finance_nanxian", "batch_boarding", false); len(r.Made.Batches) != 0 {
			t.Fatal("a recovery was paid out")
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batch_lines WHERE amount_fen <= 0"); n != 0 {
			t.Fatal("a line pays a negative amount")
		}
		rr = h.do("GET", "/api/v1/audit?entity=entitlement", h.as("auditor_yiyang"), nil)
		if !strings.Contains(rr.Body.String(), `"action":"recover"`) {
			t.Fatal("recovery not audited")
		}
	})
}
