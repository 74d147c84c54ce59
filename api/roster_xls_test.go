package api_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// TestRosterXLSUpload: an Excel 97–2003 roster (saved by LibreOffice, as
// WPS and older templates save them) imports through the HTTP stack like an
// .xlsx: the formula column by its results, the number-typed ID refused
// with the same advice, the error workbook for the rejected row.
func TestRosterXLSUpload(t *testing.T) {
	xls, err := os.ReadFile("../service/roster/testdata/xls/roster.xls")
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		fields := map[string]string{"school_year": "2025-2026", "mode": "valid_rows"}
		rr := h.upload("/api/v1/rosters", h.as("school_nanzhou"), "file", "花名册（2003格式）.xls", xls, fields)
		if rr.Code == http.StatusAccepted {
			env.Svc.Wait()
		} else {
			want(t, rr, http.StatusOK)
		}
		var rep rosterReport
		mustJSON(t, rr, &rep)
		rr = h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), h.as("school_nanzhou"), nil)
		mustJSON(t, rr, &rep)
		if rep.Status != "done" || rep.Rows != 400 || rep.Created != 399 || rep.Rejected != 1 {
			t.Fatalf("report: %s", rr.Body)
		}
		if len(rep.Errors) == 0 || rep.Errors[0].Row != 5 || !strings.Contains(rep.Errors[0].Message, "设置为“文本”格式") {
			t.Fatalf("errors: %+v", rep.Errors)
		}
		if n := countRows(t, env, "students"); n != 399 {
			t.Fatalf("%d students", n)
		}
		want(t, h.do("GET", fmt.Sprintf("/api/v1/rosters/%d/errors.xlsx", rep.ID), h.as("school_nanzhou"), nil), http.StatusOK)

		// Uploaded again: the same students, unchanged.
		rr = h.upload("/api/v1/rosters", h.as("school_nanzhou"), "file", "花名册.xls", xls, fields)
		if rr.Code == http.StatusAccepted {
			env.Svc.Wait()
		}
		mustJSON(t, rr, &rep)
		mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), h.as("school_nanzhou"), nil), &rep)
		if rep.Unchanged != 399 || rep.Created != 0 {
			t.Fatalf("second upload: %+v", rep)
		}
	})
}

// TestRosterTemplateXLS: the template for WPS and Excel 2003 users is an
// .xls the upload reads as a roster header.
func TestRosterTemplateXLS(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	rr := h.do("GET", "/api/v1/rosters/template?school_year=2026-2027&format=xls", h.as("school_nanzhou"), nil)
	want(t, rr, http.StatusOK)
	if ct, cd := rr.Header().Get("Content-Type"), rr.Header().Get("Content-Disposition"); ct != "application/vnd.ms-excel" || !strings.Contains(cd, ".xls") {
		t.Fatalf("headers: %q %q", ct, cd)
	}
	rep := rr.Body.Bytes()
	if len(rep) < 8 || string(rep[:4]) != "\xD0\xCF\x11\xE0" {
		t.Fatalf("not an OLE2 file: % x", rep[:min(8, len(rep))])
	}
	_, code, body := h.uploadRoster("school_nanzhou", rep, map[string]string{"school_year": "2025-2026", "dry_run": "true"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "只有表头") {
		t.Fatalf("the empty template uploaded: %d %s", code, body)
	}
	want(t, h.do("GET", "/api/v1/rosters/template?format=pdf", h.as("school_nanzhou"), nil), http.StatusBadRequest)
}
