package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"studentaid/jobs"
	"studentaid/service"
	"studentaid/service/demo"
	"studentaid/service/servicetest"
)

// demoStart is what `serve --demo` does before it listens: the demo, then
// the scheduler's catch-up.
func demoStart(t *testing.T, svc *service.Service, env *servicetest.Env) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Load(ctx, svc, log, nil, true); err != nil {
		t.Fatal(err)
	}
	sched, err := jobs.New(svc.Jobs, log, jobs.Definitions(svc.Batches, svc.Anomalies, svc.Audit, svc.Loans, nil), jobs.Options{Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	sched.CatchUp(ctx)
}

// demoCounts are the totals the demo's lists show their readers.
func demoCounts(t *testing.T, h *harness) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, q := range []struct{ user, path string }{
		{"auditor_yiyang", "/students"}, {"auditor_yiyang", "/batches"}, {"auditor_yiyang", "/anomalies"},
		{"county_nanxian", "/entitlements?program=boarding"}, {"county_anhua", "/entitlements?program=vocational_grant"},
		{"school_maocaojie", "/students"}, {"finance_nanxian", "/batches"},
	} {
		rr := h.do("GET", "/api/v1"+q.path, h.as(q.user), nil)
		want(t, rr, http.StatusOK)
		var l struct{ Total int64 }
		mustJSON(t, rr, &l)
		out[q.user+" "+q.path] = l.Total
	}
	return out
}

// TestBrowserDemo starts the demo on a fresh database as `serve --demo`
// does, checks that each role's pages have data, and that a second start
// changes nothing.
func TestBrowserDemo(t *testing.T) {
	chromiumPath(t)
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	demoStart(t, env.Svc, env)
	first := demoCounts(t, h)
	for k, n := range first {
		if n == 0 {
			t.Errorf("%s: nothing", k)
		}
	}

	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	noEmpty := `document.querySelectorAll('#main .empty').length === 0`
	for _, r := range []struct {
		user   string
		routes []string
	}{
		{"school_nanzhou", []string{"/students", "/lists"}},
		{"county_nanxian", []string{"/students", "/lists", "/approvals", "/batches", "/anomalies", "/account-changes", "/loans"}},
		{"finance_nanxian", []string{"/batches", "/loans"}},
		{"auditor_yiyang", []string{"/students", "/batches", "/anomalies", "/audit", "/account-changes", "/loans"}},
		{"admin", []string{"/audit"}},
	} {
		pw := service.DemoPassword
		if r.user == "admin" {
			pw = adminPassword
		}
		b.signIn(r.user, pw)
		if r.user != "admin" { // admin reads no aid figures (least privilege)
			b.waitFor("charts", `document.querySelectorAll('figure.chart svg').length === 3`)
			b.waitFor(r.user+"'s 首页 to have figures", noEmpty)
			b.shot("demo-" + r.user + "-home")
		}
		for _, route := range r.routes {
			b.visit(route, "")
			b.waitFor(fmt.Sprintf("%s's %s to have data", r.user, route), `!!document.querySelector('#main table tbody tr') && `+noEmpty)
			b.shot("demo-" + r.user + "-" + route[1:])
		}
	}
	b.checkProblems()

	// The county officer confirms the account change 南洲's officer made,
	// approves a received loan application and downloads the statement.
	b.signIn("county_nanxian", service.DemoPassword)
	b.waitText("#wb-account-changes", "1 条")
	b.visit("/account-changes", "账户变更确认")
	b.click("#account-changes button[data-change]")
	b.confirm("demo-account-change-confirm", "确认账户变更", "新账户")
	b.waitText("#flash", "已确认")
	b.waitText("#account-changes", "没有待确认")
	b.visit("/loans?status=received", "贷款")
	b.waitText("#loans", "已受理")
	b.click("#loans button[data-loan].primary")
	b.confirm("demo-loan-approve", "贷款申请审核通过")
	b.waitText("#flash", "已审核通过")
	b.waitText("#loan-years", "%")
	b.click("#statement-download")
	b.download("统计表")
	b.checkProblems()

	// A second start (another process on the same database) changes nothing.
	again := servicetest.SecondInstance(t, env)
	demoStart(t, again, env)
	if second := demoCounts(t, h.instance(again)); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("a second start changed the demo:\nfirst  %v\nsecond %v", first, second)
	}
}
