package api_test

import (
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// TestBrowserLoanReminders drives the 还款提醒 page on 1 December: the
// year's borrowers, the filters by university and name kept in the
// address, the export matching the screen, another year, and the
// auditor's read; finance has no such page.
func TestBrowserLoanReminders(t *testing.T) {
	chromiumPath(t)
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
	disbursedLoan(t, h, 2, "李二", "NX2025-002", "10542")
	h.setClock(model.Civil(2029, 12, 1).Add(2 * 3600e9))
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("county_nanxian", service.DemoPassword)
	b.visit("/loans", "生源地信用助学贷款")
	b.click("#reminders-link")
	b.waitText("#page-title", "还款提醒名单")
	b.waitText("#main", "2029 年应还款的借款人", "共 2 人")
	b.waitText("#reminders", "陈一", "李二", "2029-12-20", "宽限期，只还利息", "中南大学")
	b.waitText("#reminder-university", "中南大学（1 人）", "湖南师范大学（1 人）")
	b.shot("loan-reminders")

	b.setSelect("#reminder-university", "10542")
	b.click("#reminder-search")
	b.waitFor("the filter in the address", `location.hash.includes('university_code=10542')`)
	b.waitText("#reminders", "李二")
	b.waitFor("陈一 filtered out", `!document.querySelector('#reminders').textContent.includes('陈一')`)
	b.setSelect("#reminder-university", "")
	b.do(chromedp.SendKeys(chromedp.CSS("#reminder-q"), "陈一"))
	b.click("#reminder-search")
	b.waitFor("the search in the address", `location.hash.includes('q=') && !location.hash.includes('university_code=1')`)
	b.waitText("#main", "共 1 人")
	b.waitText("#reminders", "陈一")
	b.click("#reminder-export")
	b.sameRows(b.download("还款提醒"), "还款提醒", "#reminders", 4, 8)

	// Another year: nobody owes anything in 2028.
	b.visit("/loans/reminders?year=2028", "还款提醒名单")
	b.waitText("#reminders", "没有符合条件的借款人")
	// The name opens the borrower's loan.
	b.visit("/loans/reminders", "还款提醒名单")
	// The same heading as the 2028 page: wait for this year's list.
	b.waitText("#reminders", "李二")
	b.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#reminders a')].find((a) => a.textContent === '李二').click()`))
	b.waitText("#page-title", "贷款详情：李二")
	b.checkProblems()

	b.signIn("auditor_yiyang", service.DemoPassword)
	b.visit("/loans/reminders", "还款提醒名单")
	b.waitText("#reminders", "陈一", "李二")
	b.signIn("finance_nanxian", service.DemoPassword)
	b.visit("/loans/reminders", "没有这个页面")
	b.checkProblems()
}
