package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// A roster row naming a pupil enrolled this year at another county's school
// is refused for that row, names no school, and changes nothing in the file
// (issue 14, item 1).
func TestRosterCannotRewriteAnotherSchoolsPupil(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := validID("430921", "20150301", 12)
		h.importRows("school_nanzhou", [][]any{primaryRow("南县学生", id, "四年级", "是", "困难")})
		row := primaryRow("改名学生", id, "四年级", "是", "特别困难")
		row[10] = "6230529999888877776"
		rep, code, body := h.uploadRoster("school_dongping", rosterFile(t, rosterHeaders, [][]any{row}),
			map[string]string{"school_year": "2025-2026", "mode": "valid_rows"})
		if code != http.StatusOK || rep.Created+rep.Updated != 0 || len(rep.Errors) != 1 {
			t.Fatalf("cross-county row: %d %s", code, body)
		}
		if msg := rep.Errors[0].Message; msg != "该生本学年已在其他学校注册，请办理转学" {
			t.Fatalf("message %q (no school name across counties)", msg)
		}
		var st struct {
			Name, AccountMasked string
			Enrolments          int64
		}
		env.DB.Raw("SELECT name, account_masked, (SELECT COUNT(*) FROM enrolments) AS enrolments FROM students").Scan(&st)
		if st.Name != "南县学生" || strings.HasSuffix(st.AccountMasked, "7776") || st.Enrolments != 1 {
			t.Fatalf("the file changed: %+v", st)
		}
		// Within the county the school is named, and the county itself may write.
		_, _, body = h.uploadRoster("school_maocaojie", rosterFile(t, rosterHeaders, [][]any{row}), map[string]string{"school_year": "2025-2026"})
		if !strings.Contains(body, "现就读：南县南洲镇中心小学") {
			t.Fatalf("same county: %s", body)
		}
	})
}

// The same resident ID under another document type is the same person: the
// type is corrected with a warning, and no second record is made (item 2).
func TestResidentIDUnderAnotherTypeIsOnePerson(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := validID("430921", "20150301", 12)
		h.importRows("school_nanzhou", [][]any{primaryRow("学生甲", id, "四年级", "是", "困难")})
		headers := append([]string{"身份证件类型"}, rosterHeaders...)
		row := append([]any{"其他"}, primaryRow("学生甲", id, "四年级", "是", "困难")...)
		rep, code, body := h.uploadRoster("school_nanzhou", rosterFile(t, headers, [][]any{row}), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusOK || !strings.Contains(body, `"warnings":[{"row":2,"column":"身份证件类型"`) || rep.Created != 0 {
			t.Fatalf("mistyped document type: %d %s", code, body)
		}
		if n := countRows(t, env, "students"); n != 1 {
			t.Fatalf("%d student records for one person", n)
		}
		// Elsewhere it is refused like the resident ID itself.
		_, _, body = h.uploadRoster("school_dongping", rosterFile(t, headers, [][]any{row}), map[string]string{"school_year": "2025-2026"})
		if !strings.Contains(body, "该生本学年已在其他学校注册") {
			t.Fatalf("other county with 其他: %s", body)
		}
	})
}

// 学籍号 G + 18 characters must be the row's own ID number (item 6).
func TestStudentNumberMustCarryTheRowsID(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id, other := validID("430921", "20150301", 12), validID("430921", "20150401", 14)
		headers := append([]string{"学籍号"}, rosterHeaders...)
		rows := [][]any{append([]any{"G" + other}, primaryRow("学生甲", id, "四年级", "是", "困难")...)}
		rep, code, _ := h.uploadRoster("school_nanzhou", rosterFile(t, headers, rows), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusUnprocessableEntity || len(rep.Errors) != 1 || rep.Errors[0].Column != "学籍号" {
			t.Fatalf("G + another ID: %d %+v", code, rep.Errors)
		}
		rows[0][0] = "G" + id
		h.uploadRoster("school_nanzhou", rosterFile(t, headers, rows), map[string]string{"school_year": "2025-2026"})
		if n := countRows(t, env, "students"); n != 1 {
			t.Fatal("G + own ID refused")
		}
	})
}

// The higher of the national and the county row applies; a county row under
// the national figure is refused, naming it (item 4).
func TestCountyStandardAddsOnTopOfNational(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		post := func(user, region string, fen int, from string) int {
			return h.do("POST", "/api/v1/standards", h.as(user), map[string]any{"program": "senior_grant", "stage": "senior",
				"level": "special", "region_code": region, "annual_fen": fen, "effective_from": from}).Code
		}
		rr := h.do("POST", "/api/v1/standards", h.as("county_nanxian"), map[string]any{"program": "senior_grant", "stage": "senior",
			"level": "special", "region_code": "430921", "annual_fen": 320000, "effective_from": "2025-09-01"})
		if rr.Code != http.StatusBadRequest || !strings.Contains(rr.Body.String(), "3,300.00") {
			t.Fatalf("county row below national: %d %s", rr.Code, rr.Body)
		}
		if a, b := post("county_nanxian", "430921", 360000, "2025-09-01"), post("admin", "", 400000, "2026-01-01"); a != http.StatusCreated || b != http.StatusCreated {
			t.Fatalf("standards: %d %d", a, b)
		}
		var l struct {
			Items []struct {
				AnnualFen int64 `json:"annual_fen"`
				Level     string
			}
		}
		for on, fen := range map[string]int64{"2025-10-01": 360000, "2026-02-01": 400000} {
			mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/standards?program=senior_grant&region_code=430921&on=%s", on), h.as("county_nanxian"), nil), &l)
			got := int64(0)
			for _, it := range l.Items {
				if it.Level == "special" {
					got = it.AnnualFen
				}
			}
			if got != fen {
				t.Fatalf("on %s the special tier is %d, want %d", on, got, fen)
			}
		}
	})
}

// Records made before the type was corrected — a resident ID filed as 其他
// beside the same number as 居民身份证 — are reported as duplicate_identity,
// never merged.
func TestDuplicateIdentityIsReported(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := validID("430921", "20150301", 12)
		h.importRows("school_nanzhou", [][]any{primaryRow("学生甲", id, "四年级", "是", "困难")})
		now := env.Clock.Now()
		if err := env.DB.Exec(`INSERT INTO students (id_type, id_hash, id_enc, id_masked, name, sex, created_at, updated_at)
			VALUES ('其他', ?, ?, '430921********0129', '学生甲', '女', ?, ?)`,
			env.Keys.Lookup("id", "其他:"+id), env.Keys.Seal(id), now, now).Error; err != nil {
			t.Fatal(err)
		}
		if s := h.scan("auditor_yiyang"); s.ByRule["duplicate_identity"] != 1 {
			t.Fatalf("scan: %+v", s)
		}
		if n := countRows(t, env, "students"); n != 2 {
			t.Fatalf("%d records: the scan must not merge", n)
		}
	})
}
