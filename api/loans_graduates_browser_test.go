package api_test

import (
	"net/http/httptest"
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// TestBrowserGraduateLoans: a senior school's officer finds 毕业生助学贷款 in
// the menu and reads its graduate's name, year and status, nothing more; a
// primary school's officer has no such menu item.
func TestBrowserGraduateLoans(t *testing.T) {
	chromiumPath(t)
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	id := disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
	var studentID int64
	env.DB.Raw("SELECT student_id FROM loan_applications WHERE id = ?", id).Scan(&studentID)
	if err := env.DB.Create(&model.Enrolment{StudentID: studentID, SchoolYear: "2024-2025", SchoolID: h.schoolID("2143092103"),
		Stage: model.StageSenior, Grade: 12, Status: "毕业", CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}).Error; err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.engine)
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	b.signIn("school_yizhong", service.DemoPassword)
	b.waitText("#nav", "毕业生助学贷款")
	b.visit("/graduate-loans", "毕业生助学贷款")
	b.waitText("#graduate-loans", "2025-2026", "陈一", "已放款")
	b.waitFor("no amounts or co-borrowers", `!/元|共同借款人|王大山/.test(document.querySelector('#graduate-loans').textContent)`)
	b.shot("graduate-loans")
	b.checkProblems()

	b.signIn("school_nanzhou", service.DemoPassword)
	b.waitText("#nav", "花名册")
	b.waitFor("no graduate loans in a primary school's menu", `!document.querySelector('#nav').textContent.includes('毕业生助学贷款')`)
}
