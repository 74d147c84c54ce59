package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"studentaid/service/servicetest"
)

// Lists find a student by any part of the name or the last digits of the
// ID number, sort, total the whole list, and export the same rows.
func TestListsSearchSortTotalAndExport(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		hui := validID("430921", "20150301", 12)
		h.importRows("school_nanzhou", [][]any{
			webBoarder("张辉明", hui, "6217000000000000011"),
			webBoarder("李二", validID("430921", "20150401", 14), "6217000000000000022"),
			webBoarder("王三", validID("430921", "20150501", 16), "6217000000000000033"),
		})
		h.calculate("school_nanzhou", "boarding", "2025-2026-1", 0)
		names := func(path string) []string {
			t.Helper()
			var l struct {
				Items    []struct{ Name string }
				Total    int
				TotalFen int64 `json:"total_fen"`
			}
			mustJSON(t, h.do("GET", path, h.as("school_nanzhou"), nil), &l)
			out := []string{}
			for _, it := range l.Items {
				out = append(out, it.Name)
			}
			return out
		}
		for q, want := range map[string]string{"辉": "张辉明", hui[14:]: "张辉明", hui: "张辉明"} {
			if got := names("/api/v1/students?q=" + url.QueryEscape(q)); len(got) != 1 || got[0] != want {
				t.Errorf("students q=%s: %v, want %s", q, got, want)
			}
			if got := names("/api/v1/entitlements?term=2025-2026-1&q=" + url.QueryEscape(q)); len(got) != 1 || got[0] != want {
				t.Errorf("entitlements q=%s: %v, want %s", q, got, want)
			}
		}
		for _, wild := range []string{"%25", "_"} {
			if got := names("/api/v1/students?q=" + wild); len(got) != 0 {
				t.Errorf("a LIKE wildcard %s matches: %v", wild, got)
			}
		}
		if got := names("/api/v1/entitlements?term=2025-2026-1&sort=-name"); len(got) != 3 || got[0] != "王三" {
			t.Errorf("sorted: %v", got)
		}
		want(t, h.do("GET", "/api/v1/entitlements?sort=id_hash", h.as("school_nanzhou"), nil), http.StatusBadRequest)
		// Students by name either way, page by page, and the export in the
		// order the screen shows.
		up, down := names("/api/v1/students?sort=name"), names("/api/v1/students?sort=-name")
		rev := slices.Clone(up)
		slices.Reverse(rev)
		if len(up) < 3 || !slices.IsSorted(up) || !slices.Equal(down, rev) {
			t.Errorf("students by name: %v, the other way: %v", up, down)
		}
		for i := range up {
			if got := names(fmt.Sprintf("/api/v1/students?sort=name&page_size=1&page=%d", i+1)); len(got) != 1 || got[0] != up[i] {
				t.Errorf("students by name, page %d: %v, want %s", i+1, got, up[i])
			}
		}
		want(t, h.do("GET", "/api/v1/students?sort=id_hash", h.as("school_nanzhou"), nil), http.StatusBadRequest)
		var page struct {
			Items    []struct{ Name string }
			TotalFen int64 `json:"total_fen"`
		}
		mustJSON(t, h.do("GET", "/api/v1/entitlements?term=2025-2026-1&page_size=1", h.as("school_nanzhou"), nil), &page)
		if len(page.Items) != 1 || page.TotalFen != 3*62500 {
			t.Fatalf("the 合计 covers only the page: %+v", page)
		}

		for path, sheet := range map[string]string{"/api/v1/entitlements.xlsx?term=2025-2026-1&sort=-name": "资助名单", "/api/v1/students.xlsx?q=" + url.QueryEscape("辉"): "学生",
			"/api/v1/students.xlsx?sort=-name": "学生名单（按姓名倒序）"} {
			rr := h.do("GET", path, h.as("school_nanzhou"), nil)
			want(t, rr, http.StatusOK)
			x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows(strings.TrimSuffix(sheet, "名单（按姓名倒序）"))
			switch sheet {
			case "资助名单":
				if len(rows) != 6 || rows[2][1] != "王三" || rows[5][0] != "合计" || rows[5][9] != "1,875.00" {
					t.Errorf("aid list export: %v", rows)
				}
			case "学生名单（按姓名倒序）":
				if len(rows) < 5 || rows[2][1] != down[0] || rows[len(rows)-1][1] != down[len(down)-1] {
					t.Errorf("student export by name, descending: %v, the list %v", rows, down)
				}
			case "学生":
				if len(rows) != 3 || rows[2][1] != "张辉明" || rows[2][2] != hui[:6]+"********"+hui[14:] {
					t.Errorf("student export: %v", rows)
				}
			}
		}
		want(t, h.do("GET", "/api/v1/students.xlsx", h.as("finance_nanxian"), nil), http.StatusForbidden)
	})
}

func TestBatchListExportsWithTotal(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		h.runJob("finance_nanxian", "batch_boarding", false)
		rr := h.do("GET", "/api/v1/batches.xlsx?term=2025-2026-1", h.as("auditor_yiyang"), nil)
		want(t, rr, http.StatusOK)
		x, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("发放批次")
		if len(rows) != 4 || rows[2][0] != "430921-BOARDING-2025-2026-1-001" || rows[2][1] != "义务教育家庭经济困难寄宿生生活补助" ||
			rows[3][0] != "合计" || rows[3][4] != "1,875.00" {
			t.Fatalf("batch export: %v", rows)
		}
		want(t, h.do("GET", "/api/v1/batches.xlsx", h.as("school_nanzhou"), nil), http.StatusForbidden)
	})
}
