package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// setSelect picks a value of a select as a person would, firing its change.
func (b *browser) setSelect(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

// TestBrowserLoanDesk drives the loan pages in headless Chromium: the
// charts by year and status, the list's export, one borrower's loan, and
// the overdue list with its filters and export, for the county's officer,
// its auditor and finance (who sees the figures but no borrower).
func TestBrowserLoanDesk(t *testing.T) {
	chromiumPath(t)
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
	disbursedLoan(t, h, 2, "李二", "NX2025-002", "10542")
	want(t, h.do("POST", "/api/v1/loans/applications", h.as("county_nanxian"), loanBody(loanID("430921", 3), "王三")), http.StatusCreated)
	h.setClock(model.Civil(2030, 1, 10).Add(2 * 3600e9))
	rr := h.upload("/api/v1/loans/bank-files", h.as("county_nanxian"), "file", "还款.xlsx", sheet(t, []string{"合同编号", "还款年度", "还款状态", "实还金额"},
		[]string{"NX2025-001", "2029", "逾期", "0"}, []string{"NX2025-002", "2029", "正常", "300.00"}), nil)
	want(t, rr, http.StatusOK)
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("county_nanxian", service.DemoPassword)
	b.visit("/loans", "生源地信用助学贷款")
	// 王三's application, approved, gets its contract on the page with 等额本息.
	b.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#loans tbody tr')].find((tr) => tr.textContent.includes('王三'))
		.querySelector('[data-loan]').click()`))
	b.confirm("loan-approve-confirm", "王三")
	b.waitText("#flash", "王三")
	b.do(chromedp.Evaluate[chromedp.Void](`(() => { const tr = [...document.querySelectorAll('#loans tbody tr')].find((tr) => tr.textContent.includes('王三'));
		tr.querySelector('input[name=contract_no]').value = 'NX2025-003';
		tr.querySelector('select[name=repayment_plan]').value = 'equal_instalments';
		[...tr.querySelectorAll('button')].find((b) => b.textContent === '登记合同').click(); })()`))
	b.confirm("loan-contract-confirm", "王三", "NX2025-003", "等额本息")
	b.waitText("#flash", "已登记 王三 的贷款合同")
	b.waitFor("the loan charts", `document.querySelectorAll('#main figure.chart svg').length === 3`)
	b.waitText("#loan-chart-amount", "40,000.00 元 · 2 笔")
	b.waitText("#loan-chart-overdue", "50.00% · 1 / 2 笔")
	b.waitText("#loan-chart-status", "办理中", "逾期", "3 笔")
	b.shot("loans-desk")
	b.click("#loans-export")
	b.sameRows(b.download("贷款名单"), "贷款名单", "#loans", 0, 1)

	// One borrower's loan: contract, receipt, disbursement, the plan beside
	// the bank's status, the state's interest and every step taken.
	b.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#loans a')].find((a) => a.textContent === '陈一').click()`))
	b.waitText("#page-title", "贷款详情：陈一")
	b.waitText("#main", "刘大山（父子）", "中南大学（10533）", "2029-08-31", "20,000.00 元")
	b.waitText("#loan-contracts", "NX2025-001", "2025-09-20", "2025-09-28", "等额本金")
	b.waitText("#loan-disbursements", "2025-10-15", "20,000.00")
	b.waitText("#loan-plan", "2029-12-20", "宽限期", "逾期")
	b.waitText("#loan-subsidy", "2025 年", "合计")
	b.waitText("#loan-history", "已受理", "审核通过", "已放款", "逾期")
	b.shot("loan-detail")

	// The overdue list: 陈一 only; the filters narrow it; the export is
	// what the screen shows.
	b.visit("/loans", "生源地信用助学贷款")
	b.click("#overdue-link")
	b.waitText("#page-title", "逾期名单")
	b.waitText("#overdue", "陈一", "2029", "中南大学")
	b.waitFor("李二 not on the list", `!document.querySelector('#overdue').textContent.includes('李二')`)
	b.waitText("#overdue-universities", "10533")
	b.shot("loans-overdue")
	b.setSelect("#overdue-status", "defaulted")
	b.click("#overdue-search")
	b.waitText("#overdue", "没有符合条件")
	b.setSelect("#overdue-status", "overdue")
	b.do(chromedp.SendKeys(chromedp.CSS("#overdue-q"), "陈一"))
	b.click("#overdue-search")
	b.waitFor("the search in the address", `location.hash.includes('status=overdue') && location.hash.includes('q=')`)
	b.waitText("#overdue", "陈一")
	b.click("#overdue-export")
	b.sameRows(b.download("逾期名单"), "逾期名单", "#overdue", 2, 6)
	b.checkProblems()

	// The city's auditor reads the same list and the loan; finance sees
	// the charts and the statement, no borrower.
	b.signIn("auditor_yiyang", service.DemoPassword)
	b.visit("/loans/overdue", "逾期名单")
	b.waitText("#overdue", "陈一")
	b.signIn("finance_nanxian", service.DemoPassword)
	b.visit("/loans", "生源地信用助学贷款")
	b.waitFor("the loan charts", `document.querySelectorAll('#main figure.chart svg').length === 3`)
	b.waitFor("no borrower list", `!document.querySelector('#loans') && !document.querySelector('#overdue-link')`)
	b.shot("loans-finance")
	b.visit("/loans/overdue", "没有这个页面")
	b.checkProblems()
}
