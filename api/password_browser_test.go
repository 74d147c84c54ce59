package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// The web page answers a one-time password with the change form, and the
// changed password opens the home page.
func TestBrowserForcedPasswordChange(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	want(t, h.do("POST", "/api/v1/users", h.as("admin"), map[string]any{"username": "county_new",
		"password": "Chosen-by-admin-42", "role": "county_officer", "region_code": "430921"}), http.StatusCreated)
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	b.allow("400") // the weak password, refused on purpose
	b.login("county_new", "Chosen-by-admin-42")
	b.waitText("#page-title, h1", "修改密码")
	b.do(chromedp.SendKeys(chromedp.CSS("#old-password"), "Chosen-by-admin-42"),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "1234567890"),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), "1234567890"),
		chromedp.Click(chromedp.CSS("#password-submit")))
	b.waitText("#password-error", "连续")
	b.shot("password-change-weak")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#new-password').value = document.querySelector('#new-password-again').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "Tu3-lake-Morning-7"),
		chromedp.SendKeys(chromedp.CSS("#new-password-again"), "Tu3-lake-Morning-7"),
		chromedp.Click(chromedp.CSS("#password-submit")))
	// 首页 greets by the user's area (issue 16); the login name is in the header.
	b.waitText("#who-name", "county_new")
	b.waitText("#page-title", "您好，")
	b.checkProblems()
}

// Any user changes their own password from the header's 修改密码 link: a
// wrong old password is answered under the form, and afterwards the new
// password opens the page and the old one no longer does.
func TestBrowserVoluntaryPasswordChange(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	b.allow("400") // the wrong old password, refused on purpose
	b.signIn("finance_nanxian", service.DemoPassword)
	b.click("#password-link")
	b.waitText("#page-title", "修改密码")
	b.waitFor("the old password field labelled 原密码", `document.querySelector('label[for="old-password"]').textContent === '原密码'`)
	b.fill("#old-password", "not-the-password-1")
	b.fill("#new-password", "Tu3-lake-Morning-7")
	b.fill("#new-password-again", "Tu3-lake-Morning-7")
	b.click("#password-submit")
	b.refused("#old-password", "原密码不正确")
	b.fill("#old-password", service.DemoPassword)
	b.click("#password-submit")
	b.waitText("#page-title", "您好，")
	b.waitText("#flash", "密码已修改")
	b.shot("password-change-voluntary")

	b.login("finance_nanxian", service.DemoPassword)
	b.waitFor("the old password refused", `document.querySelector('#login-error').textContent.length > 0 && !document.querySelector('#who-name')`)
	b.signIn("finance_nanxian", "Tu3-lake-Morning-7")
	b.checkProblems()
}
