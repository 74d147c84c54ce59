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

// longCell is past the 8 KiB the roster's reader allows a cell.
var longCell = strings.Repeat("长", 3000)

// A bank result file with a cell past the bound is refused as a roster
// would be (413 cell_too_large, naming the cell), and changes nothing: no
// line paid or failed, no upload recorded, nothing audited. The same file
// without the long cell then applies.
func TestBankResultCellTooLarge(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		fin := "finance_nanxian"
		run := h.runJob(fin, "batch_boarding", false)
		path := fmt.Sprintf("/api/v1/batches/%d", run.Made.Batches[0].ID)
		want(t, h.do("POST", path+"/approve", h.as(fin), nil), http.StatusOK)
		rows := func(reason string) [][]any {
			var rows [][]any
			for i, b := range boarders {
				rows = append(rows, []any{i + 1, b.account, b.name, "625.00", "成功", ""})
			}
			rows[1][4], rows[1][5] = "失败", reason
			return rows
		}
		audits := countWhere(t, h, "SELECT COUNT(*) FROM audit_entries")

		rr := h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", bankResults(t, rows(longCell)), nil)
		want(t, rr, http.StatusRequestEntityTooLarge)
		if code := errorCode(t, rr); code != "cell_too_large" || !strings.Contains(rr.Body.String(), "第3行 F 列的内容超过 8 KB，代发结果的单元格不会这么长") {
			t.Fatalf("%s: %s", code, rr.Body)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM batch_lines WHERE status <> 'pending'"); n != 0 {
			t.Fatalf("%d lines changed by a refused file", n)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM bank_result_uploads"); n != 0 {
			t.Fatalf("a refused file recorded as uploaded")
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM audit_entries"); n != audits {
			t.Fatalf("a refused file audited (%d entries, %d before)", n, audits)
		}

		rr = h.upload(path+"/results", h.as(fin), "file", "结果.xlsx", bankResults(t, rows("户名不符")), nil)
		want(t, rr, http.StatusOK)
		var out struct {
			BatchStatus string `json:"batch_status"`
			Paid        int
			Failed      int
		}
		mustJSON(t, rr, &out)
		if out.BatchStatus != "partially_paid" || out.Paid != 2 || out.Failed != 1 {
			t.Fatalf("the same file without the long cell: %s", rr.Body)
		}
	})
}

// A loan application workbook with a cell past the bound after 1,200 good
// rows (more than a chunk, stored while the rest is read) is refused as a
// roster would be, and stores nothing, even with valid_rows. The same file
// without the long cell then imports every row.
func TestLoanImportCellTooLarge(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		county := h.as("county_nanxian")
		rr := h.do("GET", "/api/v1/loans/applications/template?school_year=2025-2026", county, nil)
		want(t, rr, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, _ := f.GetRows("贷款申请")
		header, example := tmpl[0], tmpl[1]
		const n = 1200
		rows := [][]string{header}
		for i := range n {
			row := append([]string(nil), example...)
			first17 := fmt.Sprintf("43092120070%d%02d%03d", 1+i/(28*999), 1+i/999%28, 1+i%999)
			row[1] = first17 + string(model.IDCheckDigit(first17))
			rows = append(rows, row)
		}
		fields := map[string]string{"school_year": "2025-2026", "mode": "valid_rows"}
		audits := countWhere(t, h, "SELECT COUNT(*) FROM audit_entries")

		rows[n][len(header)-1] = longCell
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", sheet(t, rows...), fields)
		want(t, rr, http.StatusRequestEntityTooLarge)
		last := string(rune('A' + len(header) - 1))
		if code := errorCode(t, rr); code != "cell_too_large" ||
			!strings.Contains(rr.Body.String(), fmt.Sprintf("第%d行 %s 列的内容超过 8 KB，贷款申请表的单元格不会这么长", n+1, last)) {
			t.Fatalf("%s: %s", code, rr.Body)
		}
		for _, table := range []string{"loan_applications", "loan_events"} {
			if got := countWhere(t, h, "SELECT COUNT(*) FROM "+table); got != 0 {
				t.Fatalf("%d %s stored from a refused file", got, table)
			}
		}
		if got := countWhere(t, h, "SELECT COUNT(*) FROM audit_entries"); got != audits {
			t.Fatalf("a refused file audited (%d entries, %d before)", got, audits)
		}

		rows[n][len(header)-1] = example[len(header)-1]
		rr = h.upload("/api/v1/loans/applications/import", county, "file", "申请.xlsx", sheet(t, rows...), fields)
		want(t, rr, http.StatusOK)
		if got := countWhere(t, h, "SELECT COUNT(*) FROM loan_applications"); got != n {
			t.Fatalf("the same file without the long cell stored %d of %d: %s", got, n, rr.Body)
		}
	})
}

// The OpenAPI document lists the codes of those refusals.
func TestOpenAPIDescribesBoundedUploads(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	rr := h.do("GET", "/api/v1/openapi.json", "", nil)
	want(t, rr, http.StatusOK)
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct{ Description string }
		}
	}
	mustJSON(t, rr, &doc)
	for path, size := range map[string]string{"/batches/{id}/results": "bank_result_too_large", "/loans/applications/import": "loan_file_too_large",
		"/loans/receipts": "loan_file_too_large", "/loans/bank-files": "loan_file_too_large"} {
		d := doc.Paths["/api/v1"+path]["post"].Responses["413"].Description
		for _, code := range []string{"file_too_large", size, "zip_bomb", "cell_too_large", "row_too_large", "content_too_large"} {
			if !strings.Contains(d, code) {
				t.Errorf("POST %s: 413 %q does not name %s", path, d, code)
			}
		}
	}
}
