package api_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// fill replaces an input's value as a person typing would.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ''`, sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// refused waits for the error under a field, with the field marked and no
// confirmation asked.
func (b *browser) refused(control, message string) {
	b.t.Helper()
	b.waitFor("the field "+control+" marked with "+message, fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		return c.getAttribute('aria-invalid') === 'true' && document.getElementById(c.getAttribute('aria-errormessage')).textContent.includes(%q)
			&& !document.querySelector('#confirm').open; })()`, control, message))
}

// TestBrowserLoanAftercare drives 提前还款, 展期 and 毕业确认 on a borrower's
// loan page as the county officer: bad entries are answered next to their
// field, each step asks with the borrower, amounts and dates, and the page
// shows the result; the auditor sees the loan without the buttons.
func TestBrowserLoanAftercare(t *testing.T) {
	chromiumPath(t)
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	id := disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
	env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) // the prepayment below is on 1 March 2026
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("county_nanxian", service.DemoPassword)
	b.visit(fmt.Sprintf("/loans/%d", id), "贷款详情：陈一")
	b.waitText("#loan-action-app", "2025-2026 学年", "NX2025-001")

	// 提前还款: not a number, then more than was lent, then 5,000 yuan.
	b.fill("#prepay-amount", "五千")
	b.click("#loan-prepay")
	b.refused("#prepay-amount", "请填写正确的金额")
	b.fill("#prepay-amount", "20000.01")
	b.click("#loan-prepay")
	b.refused("#prepay-amount", "不能超过尚未归还的本金 20,000.00 元")
	b.fill("#prepay-amount", "5000")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#prepay-date').value = '2026-03-01'`))
	b.click("#loan-prepay")
	b.confirm("loan-prepay-confirm", "陈一", "NX2025-001", "20,000.00 元", "5,000.00 元", "2026-03-01", "15,000.00 元")
	b.waitText("#flash", "已为 陈一 登记提前还款 5,000.00 元（2026-03-01）")
	b.waitText("#main", "15,000.00 元（已放款减提前还款）")
	b.waitText("#loan-disbursements", "5,000.00")
	b.waitText("#loan-history", "提前还款 5,000.00 元（2026-03-01）")

	// 展期: no years, then no reason, then 2 years for a reason.
	b.click("#loan-extend")
	b.refused("#extension-years", "展期年数须为 1–10 的整数")
	b.fill("#extension-years", "2")
	b.click("#loan-extend")
	b.refused("#extension-reason", "请填写展期原因")
	b.fill("#extension-reason", "家庭遭遇重大变故")
	b.click("#loan-extend")
	b.confirm("loan-extend-confirm", "陈一", "NX2025-001", "展期后期限", "2 年", "家庭遭遇重大变故")
	b.waitText("#flash", "已为 陈一 登记展期 2 年")
	b.waitFor("2 years in the disbursements' 展期 column",
		`[...document.querySelectorAll('#loan-disbursements tbody td[data-label="展期（年）"]')].some((td) => td.textContent === '2')`)
	b.waitText("#loan-history", "展期2年：家庭遭遇重大变故")

	// 毕业确认: a leaving day before the disbursement is answered at the
	// field; then as planned, then once more: the loan is no longer only disbursed.
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#graduate-date').value = '2025-09-01'`))
	b.click("#loan-graduate")
	b.refused("#graduate-date", "日期须在放款日期")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#graduate-date').value = ''`))
	b.click("#loan-graduate")
	b.confirm("loan-graduate-confirm", "陈一", "NX2025-001", "2029-08-31", "15,000.00 元")
	b.waitText("#flash", "已为 陈一 的 2025-2026 学年贷款办理毕业确认")
	b.waitText("#loan-history", "已毕业")
	b.waitText("#main", "当前状态已毕业")
	b.click("#loan-graduate")
	b.refused("#loan-action-app", "只有“已放款”的贷款可以毕业确认")
	b.shot("loan-aftercare")
	b.checkProblems()

	// The auditor reads the same page and has no buttons.
	b.signIn("auditor_yiyang", service.DemoPassword)
	b.visit(fmt.Sprintf("/loans/%d", id), "贷款详情：陈一")
	b.waitText("#loan-history", "展期2年")
	b.waitFor("no aftercare buttons", `!document.querySelector('#loan-graduate') && !document.querySelector('#loan-prepay')`)
	b.checkProblems()
}
