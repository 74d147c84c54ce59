package api_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// The 转学申请 page end to end in headless Chromium: 东坪 asks for 南洲's
// pupil (whose school it is not told), 南洲 agrees; then the county records
// a 认定更正 of a paid term and sees the top-up it made, waiting for review.
func TestBrowserTransferAndCorrection(t *testing.T) {
	chromiumPath(t)
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	approvedBoarding(t, h)
	h.payAll()
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("school_dongping", service.DemoPassword)
	b.visit("/transfers", "转学申请")
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name="id_number"]`), boarders[0].id),
		chromedp.SendKeys(chromedp.CSS(`input[name="note"]`), "随父母迁居东坪镇"))
	b.click("#transfer-request")
	b.waitText("#flash", "已提交", "张寄宿", "外县学校")
	b.waitText("#transfers-out", "张寄宿", "外县学校", "待原学校确认")
	b.shot("transfer-requested")
	b.checkProblems()

	b.signIn("school_nanzhou", service.DemoPassword)
	b.waitText("#wb-transfers", "1 条转学申请")
	b.visit("/transfers", "转学申请")
	b.waitText("#transfers-in", "张寄宿", "东坪", "随父母迁居东坪镇")
	b.click("#transfers-in button[data-transfer]")
	b.confirm("transfer-accept-confirm", "张寄宿", "转出")
	b.waitText("#flash", "已同意 张寄宿 转出")
	b.checkProblems()

	b.signIn("county_nanxian", service.DemoPassword)
	b.visit("/corrections", "撤销、扣回与更正")
	var ent int64
	h.env.DB.Raw("SELECT id FROM entitlements WHERE status = 'paid' ORDER BY id LIMIT 1").Scan(&ent)
	b.setSelect(`select[name="entitlement"]`, fmt.Sprint(ent))
	b.setSelect(`select[name="stage"]`, "junior")
	b.do(chromedp.SendKeys(chromedp.CSS(`textarea[name="reason"][id^="correct-reason"]`), "学段录入错误，实为七年级"))
	b.click("#correct-act")
	b.confirm("correction-confirm", "认定更正", "初中", "学段录入错误")
	b.waitText("#flash", "补发 125.00")
	b.waitText("#adjust-rows", "补发：认定更正")
	b.shot("correction-made")
	b.checkProblems()
}
