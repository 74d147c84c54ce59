package api_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"studentaid/service/servicetest"
)

type webDashboard struct {
	Term  string
	Lists []struct {
		SchoolName string `json:"school_name"`
		Notice     string
		Draft      webTally
		Submitted  webTally
	}
	BySchool []struct {
		Label    string
		TotalFen int64 `json:"total_fen"`
	} `json:"by_school"`
	Batches []struct {
		Number                string
		Paid, Failed, Pending webTally
	}
	OpenBatches    []struct{ Number string } `json:"open_batches"`
	FailedPayments []struct {
		Name        string
		BankAccount string `json:"bank_account"`
		Reason      string
	} `json:"failed_payments"`
}

type webTally struct {
	Count    int
	TotalFen int64 `json:"total_fen"`
}

func (h *harness) webDashboard(user string) webDashboard {
	h.t.Helper()
	rr := h.do("GET", "/api/v1/dashboard", h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var d webDashboard
	mustJSON(h.t, rr, &d)
	return d
}

// chart fetches a chart and checks it is well-formed SVG.
func (h *harness) chart(user, query string) string {
	h.t.Helper()
	rr := h.do("GET", "/api/v1/dashboard/chart.svg?"+query, h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	if ct := rr.Header().Get("Content-Type"); ct != "image/svg+xml; charset=utf-8" {
		h.t.Fatalf("chart Content-Type %q", ct)
	}
	body := rr.Body.String()
	if !strings.HasPrefix(body, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.Contains(body, `role="img"`) {
		h.t.Fatalf("not an accessible SVG: %.200s", body)
	}
	dec := xml.NewDecoder(strings.NewReader(body))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			h.t.Fatalf("chart is not well-formed XML: %v\n%s", err, body)
		}
	}
	return body
}

// webBoarder is a boarder with an account of their own, so bank results
// match one line each.
func webBoarder(name, id, account string) []any {
	r := primaryRow(name, id, "四年级", "是", "困难")
	r[10] = account
	return r
}

func TestDashboardIsScopedPerRole(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		const nanzhouName, maocaojieName = "南县南洲镇中心小学", "南县茅草街镇九年制学校"
		h.importRows("school_nanzhou", [][]any{
			webBoarder("甲寄宿", validID("430921", "20150301", 12), "6217000000000000011"),
			webBoarder("乙寄宿", validID("430921", "20150401", 14), "6217000000000000022"),
		})
		h.importRows("school_maocaojie", [][]any{webBoarder("丙寄宿", validID("430921", "20150501", 16), "6217000000000000033")})
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		h.calculate("school_maocaojie", "boarding", "2025-2026-1", 0)
		nanzhou := h.schoolID("2143092101")
		ref := map[string]any{"program": "boarding", "term": "2025-2026-1", "school_id": nanzhou}
		want(t, h.do("POST", "/api/v1/entitlements/submit", h.as("school_nanzhou"), ref), http.StatusOK)

		school := h.webDashboard("school_nanzhou")
		if school.Term != "2025-2026-1" || len(school.Lists) != 1 || school.Lists[0].Submitted != (webTally{2, 125000}) || school.Lists[0].Notice != "notice_not_started" {
			t.Fatalf("school dashboard: %+v", school)
		}
		if len(school.BySchool) != 1 || school.BySchool[0].Label != nanzhouName || school.BySchool[0].TotalFen != 125000 {
			t.Fatalf("school sees other schools: %+v", school.BySchool)
		}
		if other := h.webDashboard("school_maocaojie"); len(other.Lists) != 1 || other.Lists[0].Draft.Count != 1 || len(other.BySchool) != 1 || other.BySchool[0].Label != maocaojieName {
			t.Fatalf("other school: %+v", other)
		}
		if county := h.webDashboard("county_nanxian"); len(county.Lists) != 2 || len(county.BySchool) != 2 {
			t.Fatalf("county: %+v", county)
		}
		if anhua := h.webDashboard("county_anhua"); len(anhua.Lists)+len(anhua.BySchool) != 0 {
			t.Fatalf("another county sees 南县: %+v", anhua)
		}

		// The charts come from the same scoped figures: a school's chart
		// never names another school.
		svg := h.chart("school_nanzhou", "kind=school")
		if !strings.Contains(svg, nanzhouName) || strings.Contains(svg, maocaojieName) || !strings.Contains(svg, "1,250.00 元") {
			t.Fatalf("school chart:\n%s", svg)
		}
		svg = h.chart("county_nanxian", "kind=school&term=2025-2026-1")
		if !strings.Contains(svg, nanzhouName) || !strings.Contains(svg, maocaojieName) || !strings.Contains(svg, "625.00 元 · 1 人") {
			t.Fatalf("county chart:\n%s", svg)
		}
		if svg = h.chart("county_anhua", "kind=school"); strings.Contains(svg, "南县") || !strings.Contains(svg, "暂无") {
			t.Fatalf("another county's chart:\n%s", svg)
		}
		if svg = h.chart("school_nanzhou", "kind=program&width=10"); !strings.Contains(svg, "寄宿生生活补助") || !strings.Contains(svg, `width="280"`) {
			t.Fatalf("program chart:\n%s", svg)
		}
		if svg = h.chart("finance_nanxian", "kind=batches"); !strings.Contains(svg, "暂无发放批次") {
			t.Fatalf("batch chart before any batch:\n%s", svg)
		}
		for q, code := range map[string]string{"kind=pie": "invalid_kind", "kind=school&width=wide": "invalid_width", "kind=school&term=2025": "invalid_input"} {
			rr := h.do("GET", "/api/v1/dashboard/chart.svg?"+q, h.as("county_nanxian"), nil)
			want(t, rr, http.StatusBadRequest)
			if got := errorCode(t, rr); got != code {
				t.Errorf("%s: %s, want %s", q, got, code)
			}
		}
		want(t, h.do("GET", "/api/v1/dashboard/chart.svg?kind=school", "", nil), http.StatusUnauthorized)
		want(t, h.do("GET", "/api/v1/dashboard", "", nil), http.StatusUnauthorized)

		// Through notice, approval, a batch and bank results with one failure.
		want(t, h.do("GET", fmt.Sprintf("/api/v1/notices?program=boarding&term=2025-2026-1&school_id=%d", nanzhou), h.as("school_nanzhou"), nil), http.StatusOK)
		h.setClock(env.Clock.Now().Add(10 * 24 * time.Hour))
		if l := h.webDashboard("county_nanxian").Lists; l[0].SchoolName != nanzhouName || l[0].Notice != "notice_over" {
			t.Fatalf("ready list is not first: %+v", l)
		}
		want(t, h.do("POST", "/api/v1/entitlements/approve", h.as("county_nanxian"), ref), http.StatusOK)
		rr := h.do("POST", "/api/v1/jobs/batch_boarding/run", h.as("finance_nanxian"), nil)
		want(t, rr, http.StatusOK)
		var run struct {
			Made struct{ Batches []struct{ ID int64 } }
		}
		mustJSON(t, rr, &run)
		if len(run.Made.Batches) != 1 {
			t.Fatalf("job: %s", rr.Body)
		}
		batch := fmt.Sprintf("/api/v1/batches/%d", run.Made.Batches[0].ID)
		if d := h.webDashboard("finance_nanxian"); len(d.OpenBatches) != 1 || len(d.Batches) != 1 || d.Batches[0].Pending != (webTally{2, 125000}) {
			t.Fatalf("finance before approval: %+v", d)
		}
		want(t, h.do("POST", batch+"/approve", h.as("finance_nanxian"), nil), http.StatusOK)
		var lines struct {
			Items []struct {
				Seq         int
				BankAccount string `json:"bank_account"`
				HolderName  string `json:"holder_name"`
			}
		}
		mustJSON(t, h.do("GET", batch+"/lines", h.as("finance_nanxian"), nil), &lines)
		results := rosterFile(t, []string{"序号", "账号", "户名", "金额", "状态", "失败原因"}, [][]any{
			{lines.Items[0].Seq, lines.Items[0].BankAccount, lines.Items[0].HolderName, "625.00", "成功", ""},
			{lines.Items[1].Seq, lines.Items[1].BankAccount, lines.Items[1].HolderName, "625.00", "失败", "账户已冻结"},
		})
		want(t, h.upload(batch+"/results", h.as("finance_nanxian"), "file", "结果.xlsx", results, nil), http.StatusOK)

		fin := h.webDashboard("finance_nanxian")
		if len(fin.OpenBatches) != 0 || len(fin.Batches) != 1 || fin.Batches[0].Paid.Count != 1 || fin.Batches[0].Failed != (webTally{1, 62500}) {
			t.Fatalf("finance after results: %+v", fin)
		}
		if len(fin.FailedPayments) != 1 || fin.FailedPayments[0].Reason != "账户已冻结" || !strings.Contains(fin.FailedPayments[0].BankAccount, "****") {
			t.Fatalf("failed payments: %+v", fin.FailedPayments)
		}
		if svg = h.chart("finance_nanxian", "kind=batches"); !strings.Contains(svg, "430921-BOARDING-2025-2026-1-001") || !strings.Contains(svg, "发放失败 625.00 元") {
			t.Fatalf("batch chart:\n%s", svg)
		}
		if d := h.webDashboard("school_nanzhou"); len(d.FailedPayments) != 1 || len(d.Batches) != 1 {
			t.Fatalf("the school does not see its failed payment: %+v", d)
		}
		if d := h.webDashboard("school_maocaojie"); len(d.FailedPayments)+len(d.Batches) != 0 {
			t.Fatalf("another school sees the batch: %+v", d)
		}
		if svg = h.chart("school_maocaojie", "kind=batches"); strings.Contains(svg, "430921-BOARDING") {
			t.Fatalf("another school's batch chart:\n%s", svg)
		}
		if d := h.webDashboard("county_anhua"); len(d.Batches)+len(d.FailedPayments) != 0 {
			t.Fatalf("another county sees the batch: %+v", d)
		}
	})
}
