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

func loanID(region string, seq int) string {
	first17 := fmt.Sprintf("%s20070101%03d", region, seq)
	return first17 + string(model.IDCheckDigit(first17))
}

func loanBody(id, name string) map[string]any {
	return map[string]any{"school_year": "2025-2026", "id_number": id, "name": name,
		"co_borrower": map[string]any{"name": "刘大山", "id_number": loanID("430921", 900), "relation": "父子", "phone": "13900000000"},
		"university":  "中南大学", "university_code": "10533", "level": "undergraduate", "years": 4, "entry_year": 2025,
		"tuition_fen": 600000, "accommodation_fen": 100000, "living_fen": 3000000, "difficulty": "低保"}
}

// sheet is an .xlsx of one sheet.
func sheet(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			_ = f.SetCellStr("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoanDeskOverHTTP(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		county, anhua := h.as("county_nanxian"), h.as("county_anhua")

		rr := h.do("GET", "/api/v1/loans/limits?on=2025-09-01", h.as("school_nanzhou"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `"limit_undergraduate_fen":2000000`) {
			t.Errorf("limits %s", rr.Body)
		}
		want(t, h.do("POST", "/api/v1/loans/figures", county, map[string]any{"effective_from": "2026-09-01"}), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/loans/rates", h.as("admin"), map[string]any{"effective_from": "2026-06-01", "lpr_bp": 340, "spread_bp": -60}), http.StatusCreated)

		rr = h.do("POST", "/api/v1/loans/applications", county, loanBody(loanID("430921", 1), "陈一"))
		want(t, rr, http.StatusCreated)
		var app struct {
			ID         int64
			Status     string
			GrantedFen int64 `json:"granted_fen"`
			CoBorrower struct {
				IDNumber string `json:"id_number"`
				Phone    string
			} `json:"co_borrower"`
		}
		mustJSON(t, rr, &app)
		if app.Status != "received" || app.GrantedFen != 2_000_000 || strings.Contains(rr.Body.String(), loanID("430921", 900)) ||
			strings.Contains(rr.Body.String(), "13900000000") || !strings.Contains(app.CoBorrower.IDNumber, "*") {
			t.Fatalf("application %s", rr.Body)
		}
		rr = h.do("POST", "/api/v1/loans/applications", anhua, loanBody(loanID("430921", 1), "陈一"))
		want(t, rr, http.StatusForbidden)
		b := loanBody(loanID("430921", 1), "陈一")
		b["home_region"] = "430923"
		rr = h.do("POST", "/api/v1/loans/applications", anhua, b)
		want(t, rr, http.StatusConflict)
		if errorCode(t, rr) != "loan_exists" {
			t.Errorf("code %s", rr.Body)
		}

		base := fmt.Sprintf("/api/v1/loans/applications/%d", app.ID)
		want(t, h.do("POST", base+"/approve", anhua, nil), http.StatusForbidden)
		want(t, h.do("POST", base+"/approve", county, nil), http.StatusOK)
		want(t, h.do("POST", base+"/contract", county, map[string]any{"contract_no": "NX2025-001", "signed_on": "2025-09-20"}), http.StatusOK)
		want(t, h.do("POST", base+"/receipt", county, map[string]any{"confirmed_on": "2025-09-28"}), http.StatusOK)
		disbursement := sheet(t, []string{"合同编号", "放款日期", "放款金额"}, []string{"NX2025-001", "2025-10-15", "20000.00"})
		rr = h.upload("/api/v1/loans/bank-files", county, "file", "放款.xlsx", disbursement, nil)
		want(t, rr, http.StatusOK)
		rr = h.upload("/api/v1/loans/bank-files", county, "file", "放款.xlsx", disbursement, nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `"unchanged":1`) {
			t.Errorf("replay %s", rr.Body)
		}

		rr = h.do("GET", fmt.Sprintf("/api/v1/loans/%d", app.ID), h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		for _, s := range []string{`"repayment_plan":[{"due_on":"2029-12-20"`, `"subsidy_total_fen"`, `"to":"disbursed"`} {
			if !strings.Contains(rr.Body.String(), s) {
				t.Errorf("loan lacks %s: %s", s, rr.Body)
			}
		}
		want(t, h.do("GET", fmt.Sprintf("/api/v1/loans/%d", app.ID), anhua, nil), http.StatusNotFound)
		want(t, h.do("GET", "/api/v1/loans/applications", h.as("finance_nanxian"), nil), http.StatusForbidden)

		// A senior school sees its graduate's name and status, nothing more,
		// and never the overdue list.
		var studentID int64
		env.DB.Raw("SELECT student_id FROM loan_applications WHERE id = ?", app.ID).Scan(&studentID)
		if err := env.DB.Create(&model.Enrolment{StudentID: studentID, SchoolYear: "2024-2025", SchoolID: h.schoolID("2143092103"),
			Stage: model.StageSenior, Grade: 12, Status: "毕业", CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}).Error; err != nil {
			t.Fatal(err)
		}
		rr = h.do("GET", "/api/v1/loans/applications", h.as("school_yizhong"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `"name":"陈一","status":"disbursed"`) || strings.Contains(rr.Body.String(), "co_borrower") ||
			strings.Contains(rr.Body.String(), "granted_fen") {
			t.Errorf("school view %s", rr.Body)
		}
		want(t, h.do("GET", "/api/v1/loans/applications?status=overdue", h.as("school_yizhong"), nil), http.StatusForbidden)
		want(t, h.do("GET", "/api/v1/loans/applications", h.as("school_nanzhou"), nil), http.StatusForbidden)
		want(t, h.do("GET", "/api/v1/loans/applications.xlsx", h.as("school_yizhong"), nil), http.StatusForbidden)
		rr = h.do("GET", "/api/v1/loans/years", h.as("finance_nanxian"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `{"school_year":"2025-2026","applications":1,"disbursed":1,"disbursed_fen":2000000,"overdue":0,"overdue_rate_bp":0,"by_status":{"disbursed":1}}`) {
			t.Errorf("years %s", rr.Body)
		}
		want(t, h.do("GET", "/api/v1/loans/years?region_code=430923", h.as("finance_nanxian"), nil), http.StatusNotFound)
		rr = h.do("GET", "/api/v1/loans/applications.xlsx?status=disbursed", county, nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		listRows, _ := x.GetRows("贷款名单")
		if len(listRows) != 3 || listRows[2][2] != "陈一" || listRows[2][12] != "已放款" || strings.Contains(strings.Join(listRows[2], " "), loanID("430921", 900)) {
			t.Errorf("exported list %q", listRows)
		}

		// The statement is frozen: the same bytes and ETag on every download.
		h.setClock(servicetest.Start.AddDate(0, 4, 0))
		fin := h.as("finance_nanxian")
		rr = h.do("GET", "/api/v1/loans/statements?year=2025", fin, nil)
		want(t, rr, http.StatusOK)
		etag := rr.Header().Get("ETag")
		h.env.Clock.Advance(3600e9)
		rr2 := h.do("GET", "/api/v1/loans/statements?year=2025&region_code=430921", h.as("auditor_yiyang"), nil)
		want(t, rr2, http.StatusOK)
		if etag == "" || rr2.Header().Get("ETag") != etag || !bytes.Equal(rr.Body.Bytes(), rr2.Body.Bytes()) {
			t.Errorf("statement changed between downloads")
		}
		want(t, h.do("GET", "/api/v1/loans/statements?year=2025&region_code=430923", fin, nil), http.StatusNotFound)
		want(t, h.do("GET", "/api/v1/loans/statements?year=2025", h.as("school_yizhong"), nil), http.StatusForbidden)

		// The yearly job finds the statement made and frozen; the reminder
		// list of the graduation year names the borrower.
		rr = h.do("POST", "/api/v1/jobs/loan_statements/run", h.as("admin"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), strings.Trim(etag, `"`)) {
			t.Errorf("statement job %s", rr.Body)
		}
		h.setClock(model.Civil(2029, 12, 1).Add(2 * 3600e9))
		rr = h.do("GET", "/api/v1/loans/reminders?year=2029", h.as("county_nanxian"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `"total":1`) || !strings.Contains(rr.Body.String(), `"due_on":"2029-12-20"`) {
			t.Errorf("reminders %s", rr.Body)
		}
		want(t, h.do("GET", "/api/v1/loans/reminders?year=2029", h.as("school_yizhong"), nil), http.StatusForbidden)
		rr = h.do("POST", "/api/v1/jobs/loan_reminders/run", h.as("admin"), nil)
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), `"430921":1`) {
			t.Errorf("reminder job %s", rr.Body)
		}

		rr = h.do("GET", "/api/v1/openapi.json", "", nil)
		if !strings.Contains(rr.Body.String(), "/api/v1/loans/bank-files") || !strings.Contains(rr.Body.String(), "/api/v1/loans/{id}") {
			t.Error("loans missing from the OpenAPI document")
		}
	})
}

func TestLoanImportFromTheTemplate(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		county := h.as("county_nanxian")
		rr := h.do("GET", "/api/v1/loans/applications/template?school_year=2025-2026", county, nil)
		want(t, rr, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("贷款申请")
		header, example := rows[0], rows[1]
		bad := append([]string(nil), example...)
		bad[1] = loanID("430921", 2)[:17] + "0" // a wrong check digit
		if bad[1] == loanID("430921", 2) {
			bad[1] = loanID("430921", 2)[:17] + "1"
		}
		file := sheet(t, header, example, bad)
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", file, map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusUnprocessableEntity)
		if !strings.Contains(rr.Body.String(), `"row":3,"column":"身份证号"`) {
			t.Fatalf("row errors %s", rr.Body)
		}
		var n int64
		env.DB.Table("loan_applications").Count(&n)
		if n != 0 {
			t.Fatalf("all_or_nothing imported %d", n)
		}
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", file,
			map[string]string{"school_year": "2025-2026", "mode": "valid_rows", "dry_run": "true"})
		want(t, rr, http.StatusOK)
		env.DB.Table("loan_applications").Count(&n)
		if n != 0 || !strings.Contains(rr.Body.String(), `"created":1`) {
			t.Fatalf("dry run imported %d: %s", n, rr.Body)
		}
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", file,
			map[string]string{"school_year": "2025-2026", "mode": "valid_rows"})
		want(t, rr, http.StatusOK)
		env.DB.Table("loan_applications").Count(&n)
		if n != 1 || !strings.Contains(rr.Body.String(), `"rejected":1`) {
			t.Fatalf("valid_rows imported %d: %s", n, rr.Body)
		}
		// The same file again: the person already has the year's loan.
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", sheet(t, header, example),
			map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusUnprocessableEntity)
		if !strings.Contains(rr.Body.String(), "每人每学年只能申请一次") {
			t.Errorf("second import %s", rr.Body)
		}
	})
}
