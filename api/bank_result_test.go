package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"studentaid/service/servicetest"
)

// A batch whose every line failed at the bank is failed, not partially paid
// (issue 14, item 7).
func TestBatchWhoseEveryLineFailedIsFailed(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		fin := "finance_nanxian"
		run := h.runJob(fin, "batch_boarding", false)
		path := fmt.Sprintf("/api/v1/batches/%d", run.Made.Batches[0].ID)
		want(t, h.do("POST", path+"/approve", h.as(fin), nil), http.StatusOK)
		var rows [][]any
		for i, b := range boarders {
			rows = append(rows, []any{i + 1, b.account, b.name, "625.00", "失败", "户名不符"})
		}
		rr := h.upload(path+"/results", h.as(fin), "file", "r.xlsx", bankResults(t, rows), nil)
		want(t, rr, http.StatusOK)
		var out struct {
			BatchStatus string `json:"batch_status"`
		}
		mustJSON(t, rr, &out)
		if out.BatchStatus != "failed" {
			t.Fatalf("batch status %q, want failed", out.BatchStatus)
		}
	})
}
