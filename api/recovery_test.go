package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"studentaid/service/servicetest"
)

// A recovery takes back only what the bank paid: a top-up in a batch but not
// yet paid is not received (the recovery waits for its result), a failed
// top-up is not received, and once the aid is under recovery its top-up is
// cancelled, never paid (issue 14, item 3).
func TestRecoveryTakesBackOnlyWhatWasReceived(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.payAll()
		want(t, h.do("POST", "/api/v1/standards", h.as("county_nanxian"), map[string]any{"program": "boarding", "stage": "primary",
			"region_code": "430921", "annual_fen": 140000, "effective_from": "2025-09-01"}), http.StatusCreated)
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		var ids []int64
		for _, d := range h.adjustments("status=draft") {
			ids = append(ids, d.ID)
		}
		want(t, h.do("POST", "/api/v1/adjustments/approve", h.as("county_nanxian"), map[string]any{"ids": ids}), http.StatusOK)
		fin := "finance_nanxian"
		run := h.runJob(fin, "batch_boarding", false)
		if len(run.Made.Batches) != 1 || run.Made.Batches[0].Lines != 3 {
			t.Fatalf("top-up batch: %+v", run)
		}
		path := fmt.Sprintf("/api/v1/batches/%d", run.Made.Batches[0].ID)
		want(t, h.do("POST", path+"/approve", h.as(fin), nil), http.StatusOK)

		var first entRow
		for _, e := range h.entitlements("county_nanxian", "status=paid") {
			if e.Name == boarders[0].name {
				first = e
			}
		}
		recover := func() *struct{ TotalFen int64 } {
			rr := h.do("POST", "/api/v1/entitlements/recover", h.as("county_nanxian"), map[string]any{"ids": []int64{first.ID}, "reason": "虚报"})
			if rr.Code != http.StatusOK {
				return nil
			}
			var tr struct {
				TotalFen int64 `json:"total_fen"`
			}
			mustJSON(t, rr, &tr)
			return &struct{ TotalFen int64 }{tr.TotalFen}
		}
		if recover() != nil {
			t.Fatal("a recovery was recorded while a top-up awaited the bank's result")
		}
		results := bankResults(t, [][]any{
			{1, boarders[0].account, "张寄宿", "75.00", "失败", "账户冻结"},
			{2, boarders[1].account, "李家长", "75.00", "成功", ""},
			{3, boarders[2].account, "王寄宿", "75.00", "成功", ""},
		})
		want(t, h.upload(path+"/results", h.as(fin), "file", "r.xlsx", results, nil), http.StatusOK)
		// The top-up failed: received is the regular line only.
		r := recover()
		if r == nil || r.TotalFen != -62500 {
			t.Fatalf("recovery %+v, want −62500", r)
		}
		if recover() != nil {
			t.Fatal("a second recovery of the same aid")
		}
		var topup string
		env.DB.Raw(`SELECT adj.status FROM adjustments adj WHERE adj.entitlement_id = ? AND adj.amount_fen > 0`, first.ID).Scan(&topup)
		if topup != "cancelled" {
			t.Fatalf("the failed top-up of aid under recovery is %q, want cancelled", topup)
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", first.StudentID), h.as("school_nanzhou"),
			map[string]any{"bank_account": "6217005555666677777"}), http.StatusOK)
		if run := h.runJob(fin, "batch_boarding", false); len(run.Made.Batches) != 0 {
			t.Fatalf("aid under recovery was paid again: %+v", run)
		}
	})
}
