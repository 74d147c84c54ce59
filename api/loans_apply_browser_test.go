package api_test

import (
	"net/http/httptest"
	"testing"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// fillApplication fills the 受理 form for one student of 南县.
func (b *browser) fillApplication(id, name string) {
	b.t.Helper()
	for sel, v := range map[string]string{"#apply-name": name, "#apply-id": id, "#apply-co-name": "刘大山", "#apply-co-id": loanID("430921", 900),
		"#apply-relation": "父子", "#apply-phone": "13900000000", "#apply-university": "中南大学", "#apply-university-code": "10533",
		"#apply-years": "4", "#apply-entry": "2025", "#apply-tuition": "6000", "#apply-accommodation": "1000", "#apply-living": "30000", "#apply-difficulty": "低保"} {
		b.fill(sel, v)
	}
}

// TestBrowserLoanApplyForm takes one loan application at the desk: a bad ID
// number is answered under its field before anything is sent, a good
// application is confirmed with the student, university and amount asked
// and lands on the list with the granted amount; the same student again in
// the same year is refused under the ID number. The city's auditor picks a
// county for the yearly statement.
func TestBrowserLoanApplyForm(t *testing.T) {
	chromiumPath(t)
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("county_nanxian", service.DemoPassword)
	b.visit("/loans", "生源地信用助学贷款")
	id := loanID("430921", 51)
	wrong := "0"
	if id[17] == '0' {
		wrong = "1"
	}
	b.fillApplication(id[:17]+wrong, "赵小五")
	b.click("#apply-submit")
	b.refused("#apply-id", "校验位错误")
	b.fill("#apply-id", id)
	b.fill("#apply-phone", "1390000")
	b.click("#apply-submit")
	b.refused("#apply-phone", "11 位手机号码")
	b.fill("#apply-phone", "13900000000")
	b.click("#apply-submit")
	b.confirm("loan-apply-confirm", "赵小五", "中南大学（10533）", "37,000.00 元")
	b.waitText("#flash", "已受理 赵小五 的贷款申请，核定贷款")
	b.waitText("#loans", "赵小五", "已受理")
	b.shot("loan-apply-done")

	// The same student twice in a school year: 409 loan_exists, at the ID.
	b.fillApplication(id, "赵小五")
	b.click("#apply-submit")
	b.confirm("loan-apply-again-confirm", "赵小五")
	b.waitFor("the refusal under the ID number", `document.querySelector('#apply-id').getAttribute('aria-invalid') === 'true'`)
	b.checkProblems()

	// A city auditor's statement is per county: a picker of the city's counties.
	b.signIn("auditor_yiyang", service.DemoPassword)
	b.visit("/loans", "生源地信用助学贷款")
	b.waitText("#statement-region", "南县（430921）")
	b.setSelect("#statement-region", "430921")
	b.click("#statement-download")
	b.download("430921")
	b.checkProblems()
}
