package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/servicetest"
)

// disbursedLoan takes an application of 南县 through every step to the
// bank's disbursement of 20,000 yuan on 2025-10-15, and returns its id.
func disbursedLoan(t *testing.T, h *harness, seq int, name, contract, university string) int64 {
	t.Helper()
	county := h.as("county_nanxian")
	b := loanBody(loanID("430921", seq), name)
	b["university_code"], b["university"] = university, map[string]string{"10533": "中南大学", "10542": "湖南师范大学"}[university]
	rr := h.do("POST", "/api/v1/loans/applications", county, b)
	want(t, rr, http.StatusCreated)
	var app struct{ ID int64 }
	mustJSON(t, rr, &app)
	base := fmt.Sprintf("/api/v1/loans/applications/%d", app.ID)
	want(t, h.do("POST", base+"/approve", county, nil), http.StatusOK)
	want(t, h.do("POST", base+"/contract", county, map[string]any{"contract_no": contract, "signed_on": "2025-09-20"}), http.StatusOK)
	want(t, h.do("POST", base+"/receipt", county, map[string]any{"confirmed_on": "2025-09-28"}), http.StatusOK)
	rr = h.upload("/api/v1/loans/bank-files", county, "file", "放款.xlsx",
		sheet(t, []string{"合同编号", "放款日期", "放款金额"}, []string{contract, "2025-10-15", "20000.00"}), nil)
	want(t, rr, http.StatusOK)
	return app.ID
}

// The overdue list names each overdue borrower once, with what of the year's
// instalment is unpaid; its filters narrow it as an officer chasing
// repayments needs; only the county's officers and auditors see it, and its
// export holds the rows the screen shows.
func TestLoanOverdueListOverHTTP(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
		disbursedLoan(t, h, 2, "李二", "NX2025-002", "10542")
		// 2029-12-20 is the first instalment (interest only, in the grace
		// period) of a 4-year course entered in 2025.
		h.setClock(model.Civil(2030, 1, 10).Add(2 * 3600e9))
		county := h.as("county_nanxian")
		rr := h.upload("/api/v1/loans/bank-files", county, "file", "还款.xlsx", sheet(t, []string{"合同编号", "还款年度", "还款状态", "实还金额"},
			[]string{"NX2025-001", "2029", "逾期", "100.00"}, []string{"NX2025-002", "2029", "正常", "0"}), nil)
		want(t, rr, http.StatusOK)

		var list struct {
			Total int64
			Items []struct {
				ApplicationID int64  `json:"application_id"`
				Name          string `json:"name"`
				IDNumber      string `json:"id_number"`
				CoPhone       string `json:"co_phone"`
				Status        string `json:"status"`
				PrincipalFen  int64  `json:"principal_fen"`
				OverdueFen    int64  `json:"overdue_fen"`
				OverdueYears  []int  `json:"overdue_years"`
			}
			Universities []struct {
				Code      string
				Borrowers int64
			}
		}
		rr = h.do("GET", "/api/v1/loans/overdue", county, nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &list)
		if list.Total != 1 || len(list.Items) != 1 || list.Items[0].Name != "陈一" || list.Items[0].Status != "overdue" ||
			fmt.Sprint(list.Items[0].OverdueYears) != "[2029]" || list.Items[0].PrincipalFen != 2_000_000 {
			t.Fatalf("overdue list %s", rr.Body)
		}
		if !strings.Contains(list.Items[0].IDNumber, "*") || !strings.Contains(list.Items[0].CoPhone, "*") {
			t.Errorf("unmasked numbers: %s", rr.Body)
		}
		// The plan's 2029 instalment is interest only: 20,000 yuan from
		// 2029-09-01 to 2029-12-20 at the rate of 2029; 100 yuan was paid.
		rr = h.do("GET", fmt.Sprintf("/api/v1/loans/%d", list.Items[0].ApplicationID), county, nil)
		want(t, rr, http.StatusOK)
		var view struct {
			Plan []struct {
				DueOn       string `json:"due_on"`
				InterestFen int64  `json:"interest_fen"`
			} `json:"repayment_plan"`
		}
		mustJSON(t, rr, &view)
		if len(view.Plan) == 0 || view.Plan[0].DueOn != "2029-12-20" || list.Items[0].OverdueFen != view.Plan[0].InterestFen-10_000 {
			t.Errorf("overdue %d yuan-fen, plan %+v", list.Items[0].OverdueFen, view.Plan)
		}

		for _, c := range []struct {
			query string
			total int64
		}{
			{"?status=overdue", 1}, {"?status=defaulted", 0}, {"?university_code=10533", 1}, {"?university_code=10542", 0},
			{"?due_year=2029", 1}, {"?due_year=2030", 0}, {"?q=陈一", 1}, {"?q=李二", 0}, {"?q=" + loanID("430921", 1), 1},
		} {
			rr = h.do("GET", "/api/v1/loans/overdue"+c.query, county, nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &list)
			if list.Total != c.total || int64(len(list.Items)) != c.total {
				t.Errorf("%s: %d borrowers, want %d", c.query, list.Total, c.total)
			}
		}
		// The universities of the choice stay those of the whole list.
		if len(list.Universities) != 1 || list.Universities[0].Code != "10533" || list.Universities[0].Borrowers != 1 {
			t.Errorf("universities %+v", list.Universities)
		}
		for _, q := range []string{"?status=repaying", "?university_code=1053", "?due_year=abc", "?due_year=99"} {
			want(t, h.do("GET", "/api/v1/loans/overdue"+q, county, nil), http.StatusBadRequest)
		}

		// Who sees it: the county and the city's auditor; not another county,
		// not a school, not finance.
		rr = h.do("GET", "/api/v1/loans/overdue", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &list)
		if list.Total != 1 {
			t.Errorf("city auditor sees %d", list.Total)
		}
		rr = h.do("GET", "/api/v1/loans/overdue", h.as("county_anhua"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &list)
		if list.Total != 0 {
			t.Errorf("another county sees %d", list.Total)
		}
		for _, user := range []string{"school_yizhong", "finance_nanxian", "admin"} {
			want(t, h.do("GET", "/api/v1/loans/overdue", h.as(user), nil), http.StatusForbidden)
			want(t, h.do("GET", "/api/v1/loans/overdue.xlsx", h.as(user), nil), http.StatusForbidden)
		}

		rr = h.do("GET", "/api/v1/loans/overdue.xlsx?status=overdue", county, nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("逾期名单")
		if len(rows) != 4 || rows[2][1] != "陈一" || rows[2][9] != "2029" || rows[3][0] != "合计" ||
			strings.Contains(strings.Join(rows[2], " "), loanID("430921", 1)) {
			t.Errorf("exported list %q", rows)
		}
		var audited int64
		env.DB.Model(&model.AuditEntry{}).Where("entity = ? AND action = ?", "loan_overdue", "download").Count(&audited)
		if audited != 1 {
			t.Errorf("export audited %d times", audited)
		}
	})
}
