package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service/servicetest"
)

// The 还款提醒 list pages like the other lists, narrows by year, university
// and a name or ID number, exports what it lists, and is the county
// officers' and auditors' only.
func TestLoanRemindersOverHTTP(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		disbursedLoan(t, h, 1, "陈一", "NX2025-001", "10533")
		disbursedLoan(t, h, 2, "李二", "NX2025-002", "10542")
		disbursedLoan(t, h, 3, "王三", "NX2025-003", "10533")
		// A 4-year course entered in 2025: the first instalment, interest
		// only, is due on 2029-12-20; the list is made on 1 December.
		h.setClock(model.Civil(2029, 12, 1).Add(2 * 3600e9))
		county := h.as("county_nanxian")

		var list struct {
			Total    int64
			Page     int
			PageSize int `json:"page_size"`
			Year     int
			Items    []struct {
				Name           string
				IDNumber       string `json:"id_number"`
				CoPhone        string `json:"co_phone"`
				UniversityCode string `json:"university_code"`
				Instalment     struct {
					DueOn        string `json:"due_on"`
					InterestFen  int64  `json:"interest_fen"`
					InterestOnly bool   `json:"interest_only"`
				}
			}
			Universities []struct {
				Code      string
				Borrowers int64
			}
		}
		get := func(query string) {
			t.Helper()
			list.Items, list.Universities = nil, nil
			rr := h.do("GET", "/api/v1/loans/reminders"+query, county, nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &list)
		}
		get("")
		if list.Year != 2029 || list.Total != 3 || len(list.Items) != 3 || list.Page != 1 || list.PageSize == 0 {
			t.Fatalf("this year's reminders: %+v", list)
		}
		it := list.Items[0]
		if it.Instalment.DueOn != "2029-12-20" || !it.Instalment.InterestOnly || it.Instalment.InterestFen <= 0 ||
			!strings.Contains(it.IDNumber, "*") || !strings.Contains(it.CoPhone, "*") {
			t.Errorf("reminder %+v", it)
		}
		if len(list.Universities) != 2 || list.Universities[0].Code != "10533" || list.Universities[0].Borrowers != 2 {
			t.Errorf("universities %+v", list.Universities)
		}
		get("?year=2029&page=2&page_size=2")
		if list.Total != 3 || len(list.Items) != 1 || list.Page != 2 || list.PageSize != 2 {
			t.Errorf("second page: %+v", list)
		}
		for _, c := range []struct {
			query string
			total int64
		}{
			{"?year=2028", 0}, {"?year=2030", 3}, {"?university_code=10533", 2}, {"?university_code=10542", 1},
			{"?university_code=10532", 0}, {"?q=李二", 1}, {"?q=赵", 0}, {"?q=" + loanID("430921", 3), 1},
			{"?q=" + loanID("430921", 3)[14:], 1}, {"?university_code=10542&q=陈一", 0},
		} {
			get(c.query)
			if list.Total != c.total || int64(len(list.Items)) != c.total {
				t.Errorf("%s: %d borrowers, want %d", c.query, list.Total, c.total)
			}
		}
		// The universities of the choice stay those of the year's list.
		get("?university_code=10542")
		if len(list.Universities) != 2 || list.Items[0].Name != "李二" {
			t.Errorf("filtered by university: %+v", list)
		}
		for _, q := range []string{"?year=abc", "?year=99", "?university_code=1053", "?page=0", "?q=" + strings.Repeat("长", 65)} {
			want(t, h.do("GET", "/api/v1/loans/reminders"+q, county, nil), http.StatusBadRequest)
			if !strings.HasPrefix(q, "?page") {
				want(t, h.do("GET", "/api/v1/loans/reminders.xlsx"+q, county, nil), http.StatusBadRequest)
			}
		}

		// Who sees it: the county and the city's auditor; not another
		// county, not a school, finance or the admin.
		rr := h.do("GET", "/api/v1/loans/reminders", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &list)
		if list.Total != 3 {
			t.Errorf("city auditor sees %d", list.Total)
		}
		rr = h.do("GET", "/api/v1/loans/reminders", h.as("county_anhua"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &list)
		if list.Total != 0 {
			t.Errorf("another county sees %d", list.Total)
		}
		for _, user := range []string{"school_yizhong", "finance_nanxian", "admin"} {
			want(t, h.do("GET", "/api/v1/loans/reminders", h.as(user), nil), http.StatusForbidden)
			want(t, h.do("GET", "/api/v1/loans/reminders.xlsx", h.as(user), nil), http.StatusForbidden)
		}

		// The export holds the filtered list, numbers masked, with its total.
		rr = h.do("GET", "/api/v1/loans/reminders.xlsx?year=2029&university_code=10533", county, nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("还款提醒")
		if len(rows) != 5 || !strings.Contains(rows[0][0], "2029 年") || rows[2][1] != "陈一" || rows[3][1] != "王三" ||
			rows[2][8] != "2029-12-20" || rows[2][12] != "宽限期，只还利息" || rows[4][0] != "合计" ||
			strings.Contains(strings.Join(rows[2], " "), loanID("430921", 1)) {
			t.Errorf("exported list %q", rows)
		}
		var audited int64
		env.DB.Model(&model.AuditEntry{}).Where("entity = ? AND action = ?", "loan_reminders", "download").Count(&audited)
		if audited != 1 {
			t.Errorf("export audited %d times", audited)
		}
	})
}
