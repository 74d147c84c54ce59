package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"studentaid/service/servicetest"
)

// setDate sets a date input as the date picker would.
func (b *browser) setDate(sel, day string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const c = document.querySelector(%q); c.value = %q; c.dispatchEvent(new Event('input')); })()`, sel, day)))
}

// TestBrowserAdminSettings drives the administrator's forms for the write
// routes with no other page: a region, the loan figures, the loan rate and
// an application deadline. Bad entries are answered under their field with
// no confirmation asked; good ones are confirmed with what will be saved,
// and the server has them afterwards.
func TestBrowserAdminSettings(t *testing.T) {
	chromiumPath(t)
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	b.signIn("admin", adminPassword)

	b.visit("/schools", "学校管理")
	b.fill("#region-code", "4309")
	b.fill("#region-name", "测试县")
	b.click("#region-form-submit")
	b.refused("#region-code", "6 位数字")
	b.fill("#region-code", "430999")
	b.setSelect(`#region-form select[name="parent_code"]`, "430900")
	b.click("#region-form-submit")
	b.confirm("admin-region-confirm", "430999", "测试县", "益阳")
	b.waitText("#flash", "已新增区域 测试县")
	b.waitText("#regions", "430999", "测试县")

	b.visit("/loan-settings", "贷款参数")
	b.waitText("#loan-limits", "本科年度额度", "执行利率")
	b.shot("admin-loan-settings")
	b.fill("#rate-lpr", "abc")
	b.click("#rate-form-submit")
	b.refused("#rate-lpr", "贷款市场报价利率须为")
	b.fill("#rate-lpr", "3.10")
	b.fill("#rate-spread", "-0.50")
	b.setDate("#rate-from", "2026-03-15")
	b.click("#rate-form-submit")
	b.confirm("admin-rate-confirm", "2026-03-15", "3.10%", "-0.50%", "2.60%")
	b.waitText("#flash", "已新增 2026-03-15 起生效的贷款利率")

	b.fill("#figures-limit_undergraduate_fen", "200000")
	b.click("#figures-form-submit")
	b.refused("#figures-limit_undergraduate_fen", "不超过 100000.00 元")
	b.fill("#figures-limit_undergraduate_fen", "25000")
	b.fill("#figures-day", "31")
	b.click("#figures-form-submit")
	b.refused("#figures-day", "1–28")
	b.fill("#figures-day", "20")
	b.setDate("#figures-from", "2026-08-01")
	b.click("#figures-form-submit")
	b.confirm("admin-figures-confirm", "2026-08-01", "本科年度额度25,000.00 元")
	b.waitText("#flash", "已新增 2026-08-01 起生效的贷款参数")

	b.setSelect("#deadline-year", "2026-2027")
	b.setDate("#deadline-day", "2026-10-31")
	b.click("#deadline-form-submit")
	b.confirm("admin-deadline-confirm", "2026-2027 学年", "2026-10-31")
	b.waitText("#flash", "2026-2027 学年的贷款申请截止日期为 2026-10-31")
	b.checkProblems()

	// The server has what the forms sent.
	rr := h.do("GET", "/api/v1/loans/limits?on=2026-10-01", h.as("admin"), nil)
	want(t, rr, http.StatusOK)
	var got struct {
		Figures struct {
			LimitUndergraduateFen int64 `json:"limit_undergraduate_fen"`
		} `json:"figures"`
		Rate struct {
			RateBP int `json:"rate_bp"`
		} `json:"rate"`
		Deadline string `json:"application_deadline"`
	}
	if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Figures.LimitUndergraduateFen != 25000_00 || got.Rate.RateBP != 260 || got.Deadline != "2026-10-31" {
		t.Fatalf("limits on 2026-10-01 after the forms: %s", rr.Body)
	}
}
