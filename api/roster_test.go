package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// validID makes a resident ID number with a correct check digit.
func validID(region string, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", region, birth, seq)
	return first + string(model.IDCheckDigit(first))
}

var rosterHeaders = []string{"姓名", "身份证件号", "性别", "年级", "班级", "是否寄宿", "学籍状态", "家庭经济困难等级", "困难类型", "开户银行", "银行卡号", "持卡人", "监护人姓名"}

// rosterFile writes a one-sheet workbook with the header row and rows.
func rosterFile(t *testing.T, headers []string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, h := range headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellStr("Sheet1", cell, h)
	}
	for r, row := range rows {
		for i, v := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			f.SetCellValue("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func primaryRow(name, id, grade, boarding, level string) []any {
	return []any{name, id, "", grade, "1班", boarding, "在读", level, "", "南县农商银行", "6217001234567890123", "监护人", "李监护"}
}

// numericID is a row whose ID cell Excel stored as a number.
func numericID(name string, id float64) []any {
	r := primaryRow(name, "", "五年级", "否", "")
	r[1] = id
	return r
}

type rosterReport struct {
	ID        int64
	Status    string
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Rejected  int
	Errors    []struct {
		Row     int
		Column  string
		Value   string
		Message string
	}
}

func (h *harness) uploadRoster(user string, content []byte, fields map[string]string) (*rosterReport, int, string) {
	rr := h.upload("/api/v1/rosters", h.as(user), "file", "花名册.xlsx", content, fields)
	var rep rosterReport
	if rr.Code == http.StatusOK || rr.Code == http.StatusAccepted {
		mustJSON(h.t, rr, &rep)
	} else {
		var e struct {
			Error struct {
				Code    string
				Details rosterReport
			}
		}
		mustJSON(h.t, rr, &e)
		rep = e.Error.Details
	}
	return &rep, rr.Code, rr.Body.String()
}

func countRows(t *testing.T, env *servicetest.Env, table string) int64 {
	var n int64
	if err := env.DB.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRosterImportLifecycle(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		ids := []string{validID("430921", "20150301", 12), validID("430921", "20160511", 21), validID("430921", "20140102", 33)}
		rows := [][]any{
			primaryRow("张三", ids[0], "四年级", "是", "特别困难"),
			primaryRow("李四", strings.ToLower(ids[1])+"  ", "3", "是", "困难"),
			primaryRow("王小五", ids[2], "五年级", "否", ""),
		}
		file := rosterFile(t, rosterHeaders, rows)
		fields := map[string]string{"school_year": "2025-2026"}

		rep, code, body := h.uploadRoster("school_nanzhou", file, map[string]string{"school_year": "2025-2026", "dry_run": "true"})
		if code != http.StatusOK || rep.Status != "checked" || rep.Created != 3 {
			t.Fatalf("dry run: %d %s", code, body)
		}
		if n := countRows(t, env, "students"); n != 0 {
			t.Fatalf("dry run wrote %d students", n)
		}

		rep, code, body = h.uploadRoster("school_nanzhou", file, fields)
		if code != http.StatusOK || rep.Status != "done" || rep.Created != 3 || rep.Rows != 3 {
			t.Fatalf("import: %d %s", code, body)
		}
		if n := countRows(t, env, "difficulty_records"); n != 2 {
			t.Fatalf("difficulty records %d", n)
		}
		// Stored encrypted: no ID or account number in plain text anywhere.
		var sealed []string
		env.DB.Raw("SELECT id_enc FROM students").Scan(&sealed)
		for _, s := range sealed {
			if strings.Contains(s, "430921") {
				t.Fatal("ID stored in clear")
			}
		}
		var plain int64
		env.DB.Raw("SELECT COUNT(*) FROM students WHERE account_enc LIKE '%6217001234%' OR id_masked = id_enc").Scan(&plain)
		if plain != 0 {
			t.Fatal("account stored in clear")
		}

		// The same file again changes nothing.
		auditBefore := countRows(t, env, "student_changes")
		rep, code, body = h.uploadRoster("school_nanzhou", file, fields)
		if code != http.StatusOK || rep.Unchanged != 3 || rep.Created+rep.Updated != 0 {
			t.Fatalf("re-upload: %d %s", code, body)
		}
		if countRows(t, env, "student_changes") != auditBefore {
			t.Fatal("re-upload wrote history")
		}

		// A changed row updates the file and keeps the old value in its history.
		rows[0] = primaryRow("张三", ids[0], "四年级", "否", "一般困难")
		rep, code, body = h.uploadRoster("school_nanzhou", rosterFile(t, rosterHeaders, rows), fields)
		if code != http.StatusOK || rep.Updated != 1 || rep.Unchanged != 2 {
			t.Fatalf("update: %d %s", code, body)
		}
		tok := h.as("school_nanzhou")
		rr := h.do("GET", "/api/v1/students?q="+ids[0], tok, nil)
		want(t, rr, http.StatusOK)
		var list struct {
			Items []struct {
				ID       int64
				Name     string
				IDNumber string `json:"id_number"`
			}
			Total int
		}
		mustJSON(t, rr, &list)
		if list.Total != 1 || list.Items[0].Name != "张三" || list.Items[0].IDNumber != ids[0][:6]+"********"+ids[0][14:] {
			t.Fatalf("search by ID: %s", rr.Body)
		}
		if strings.Contains(rr.Body.String(), ids[0]) {
			t.Fatal("full ID number in a list")
		}
		rr = h.do("GET", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), tok, nil)
		want(t, rr, http.StatusOK)
		for _, w := range []string{`"field":"是否寄宿"`, `"old":"是"`, `"new":"否"`, `"field":"困难等级"`, `"old":"特别困难"`, "6217 **** **** 0123"} {
			if !strings.Contains(rr.Body.String(), w) {
				t.Errorf("file lacks %s: %s", w, rr.Body)
			}
		}
		if strings.Contains(rr.Body.String(), "6217001234567890123") || strings.Contains(rr.Body.String(), ids[0]) {
			t.Fatal("full number shown to a school officer")
		}
		// Finance sees the full account in the file (bank files need it).
		// Another school's officer does not see the student at all.
		other := h.as("school_maocaojie")
		want(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), other, nil), http.StatusNotFound)
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), other, map[string]any{"guardian": "李四"}), http.StatusNotFound) // as a missing one
		want(t, h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), other, nil), http.StatusNotFound)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), h.as("county_nanxian"), nil), http.StatusOK)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), h.as("county_anhua"), nil), http.StatusNotFound)
		var l2 struct{ Total int }
		mustJSON(t, h.do("GET", "/api/v1/students", other, nil), &l2)
		if l2.Total != 0 {
			t.Fatalf("other school sees %d students", l2.Total)
		}
		mustJSON(t, h.do("GET", "/api/v1/students?school_year=2025-2026", h.as("county_nanxian"), nil), &l2)
		if l2.Total != 3 {
			t.Fatalf("county sees %d", l2.Total)
		}
		// Filtered by school: the school's own officer and its county see its
		// students with the school's name; another school's officer, another
		// county and an unknown school see none.
		nanzhou := h.schoolID("2143092101")
		for user, n := range map[string]int{"school_nanzhou": 3, "county_nanxian": 3, "school_maocaojie": 0, "county_anhua": 0} {
			var l struct {
				Total int
				Items []struct {
					SchoolName string `json:"school_name"`
				}
			}
			mustJSON(t, h.do("GET", fmt.Sprintf("/api/v1/students?school_id=%d", nanzhou), h.as(user), nil), &l)
			if l.Total != n || len(l.Items) != n || (n > 0 && l.Items[0].SchoolName == "") {
				t.Fatalf("%s lists %d students of school %d (%+v), want %d", user, l.Total, nanzhou, l.Items, n)
			}
		}
		mustJSON(t, h.do("GET", "/api/v1/students?school_id=999999", h.as("county_nanxian"), nil), &l2)
		if l2.Total != 0 {
			t.Fatalf("an unknown school lists %d students", l2.Total)
		}

		// A correction through PATCH is recorded in the history and the audit log.
		rr = h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), tok,
			map[string]any{"bank_account": "6228 4800 1234 5678 9", "school_year": "2025-2026", "status": "休学"})
		want(t, rr, http.StatusOK)
		if !strings.Contains(rr.Body.String(), "6228 **** **** 6789") || !strings.Contains(rr.Body.String(), `"status":"休学"`) {
			t.Fatalf("patch: %s", rr.Body)
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), tok, map[string]any{"bank_account": "12ab"}), http.StatusBadRequest)
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", list.Items[0].ID), tok, map[string]any{"status": "休学"}), http.StatusBadRequest)
		rr = h.do("GET", "/api/v1/audit?entity=student", h.as("auditor_yiyang"), nil)
		if !strings.Contains(rr.Body.String(), "银行卡号") || strings.Contains(rr.Body.String(), "62284800123456789") {
			t.Fatalf("audit of the patch: %s", rr.Body)
		}
	})
}

func TestRosterAllOrNothingAndValidRows(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		good := validID("430921", "20150301", 12)
		badCheck := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
		rows := [][]any{
			primaryRow("张三", good, "四年级", "是", "特别困难"),
			primaryRow("李四", badCheck, "三年级", "是", "困难"),
			primaryRow("王五", validID("430921", "20140102", 33), "高一", "是", ""),
			numericID("赵六", 4.30903e+17),
		}
		file := rosterFile(t, rosterHeaders, rows)
		rep, code, body := h.uploadRoster("school_nanzhou", file, map[string]string{"school_year": "2025-2026"})
		if code != http.StatusUnprocessableEntity || rep.Status != "rejected" || len(rep.Errors) < 3 {
			t.Fatalf("all_or_nothing: %d %s", code, body)
		}
		if countRows(t, env, "students") != 0 {
			t.Fatal("rejected roster wrote students")
		}
		byRow := map[int]string{}
		for _, e := range rep.Errors {
			byRow[e.Row] += e.Column + ":" + e.Message + ";"
			if strings.Contains(e.Value, badCheck) {
				t.Errorf("error value not masked: %q", e.Value)
			}
		}
		if !strings.Contains(byRow[3], "身份证件号") || !strings.Contains(byRow[4], "年级") || !strings.Contains(byRow[5], "文本") {
			t.Fatalf("errors by row: %v", byRow)
		}
		// The error workbook has the failed rows and an explanation column.
		rr := h.do("GET", fmt.Sprintf("/api/v1/rosters/%d/errors.xlsx", rep.ID), h.as("school_nanzhou"), nil)
		want(t, rr, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		all, _ := f.GetRows(sheet)
		if len(all) != 4 || !strings.Contains(strings.Join(all[0], ","), "错误说明") {
			t.Fatalf("error workbook rows: %v", all)
		}

		rep, code, body = h.uploadRoster("school_nanzhou", file, map[string]string{"school_year": "2025-2026", "mode": "valid_rows"})
		if code != http.StatusOK || rep.Created != 1 || rep.Rejected != 3 {
			t.Fatalf("valid_rows: %d %s", code, body)
		}
		if countRows(t, env, "students") != 1 {
			t.Fatal("valid_rows did not import the good row")
		}
	})
}

func TestRosterBadFiles(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		year := map[string]string{"school_year": "2025-2026"}
		cases := []struct {
			name    string
			content []byte
			status  int
		}{
			{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), http.StatusBadRequest},
			{"csv", []byte("姓名,身份证件号\n张三,430921201503010123\n"), http.StatusBadRequest},
			{"png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...), http.StatusBadRequest},
			{"empty", rosterFile(t, nil, nil), http.StatusUnprocessableEntity},
			{"no header", rosterFile(t, []string{"甲", "乙"}, [][]any{{"1", "2"}}), http.StatusUnprocessableEntity},
			{"missing column", rosterFile(t, []string{"姓名", "年级"}, [][]any{{"张三", "一年级"}}), http.StatusUnprocessableEntity},
		}
		for _, c := range cases {
			_, code, body := h.uploadRoster("school_nanzhou", c.content, year)
			if code != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, code, c.status, body)
			}
			if !strings.Contains(body, "message") {
				t.Errorf("%s: no message", c.name)
			}
		}
		if countRows(t, env, "students") != 0 {
			t.Fatal("a bad file wrote students")
		}
		want(t, h.upload("/api/v1/rosters", h.as("school_nanzhou"), "", "", nil, year), http.StatusBadRequest)
		// Outside the uploader's scope.
		rr := h.upload("/api/v1/rosters", h.as("school_nanzhou"), "file", "x.xlsx", rosterFile(t, rosterHeaders, nil),
			map[string]string{"school_year": "2025-2026", "school_id": fmt.Sprint(h.schoolID("2143092102"))})
		want(t, rr, http.StatusForbidden)
		rr = h.upload("/api/v1/rosters", h.as("finance_nanxian"), "file", "x.xlsx", rosterFile(t, rosterHeaders, nil), year)
		want(t, rr, http.StatusForbidden)
		rr = h.upload("/api/v1/rosters", h.as("school_nanzhou"), "file", "x.xlsx", rosterFile(t, rosterHeaders, nil), map[string]string{"school_year": "2025"})
		want(t, rr, http.StatusBadRequest)
	})
}

func TestRosterCountyUploadBySchoolCode(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		headers := append([]string{"学校标识码"}, rosterHeaders...)
		rows := [][]any{
			append([]any{"2143092101"}, primaryRow("张三", validID("430921", "20150301", 12), "四年级", "是", "困难")...),
			append([]any{"2143092102"}, primaryRow("李四", validID("430921", "20120301", 14), "七年级", "是", "困难")...),
			append([]any{"2143092301"}, primaryRow("王五", validID("430923", "20150301", 16), "四年级", "是", "困难")...),
		}
		rep, code, body := h.uploadRoster("county_nanxian", rosterFile(t, headers, rows), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusUnprocessableEntity || len(rep.Errors) != 1 || rep.Errors[0].Row != 4 {
			t.Fatalf("安化 school in a 南县 upload: %d %s", code, body)
		}
		rep, code, body = h.uploadRoster("county_nanxian", rosterFile(t, headers, rows[:2]), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusOK || rep.Created != 2 {
			t.Fatalf("county upload: %d %s", code, body)
		}
		var stages []string
		env.DB.Raw("SELECT stage FROM enrolments ORDER BY grade").Scan(&stages)
		if strings.Join(stages, ",") != "primary,junior" {
			t.Fatalf("stages %v", stages)
		}
	})
}

func TestRosterTemplate(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	rr := h.do("GET", "/api/v1/rosters/template?school_year=2025-2026", h.as("school_nanzhou"), nil)
	want(t, rr, http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(rr.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	if len(rows) < 2 || !strings.Contains(strings.Join(rows[0], ","), "身份证件号") {
		t.Fatalf("template: %v", rows)
	}
	// An upload that still has the example row is told to delete it.
	_, code, body := h.uploadRoster("school_nanzhou", rr.Body.Bytes(), map[string]string{"school_year": "2025-2026", "dry_run": "true"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "示例行") {
		t.Fatalf("template example row: %d %s", code, body)
	}
}

func TestLargeRosterImportsInBackground(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		var rows [][]any
		for i := 0; i < 30; i++ {
			rows = append(rows, primaryRow("学生"+string(rune('甲'+i)), validID("430921", "20150301", 100+i), "四年级", "是", "困难"))
		}
		rr := h.upload("/api/v1/rosters", h.as("school_nanzhou"), "file", "大花名册.xlsx", rosterFile(t, rosterHeaders, rows),
			map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusAccepted)
		var rep rosterReport
		mustJSON(t, rr, &rep)
		if rep.Status != "processing" || rep.ID == 0 {
			t.Fatalf("202 body: %s", rr.Body)
		}
		env.Svc.Wait()
		rr = h.do("GET", fmt.Sprintf("/api/v1/rosters/%d", rep.ID), h.as("school_nanzhou"), nil)
		var done struct {
			Status   string
			Progress int
			Created  int
		}
		mustJSON(t, rr, &done)
		if done.Status != "done" || done.Progress != 100 || done.Created != 30 {
			t.Fatalf("after the background import: %s", rr.Body)
		}
	}, func(o *service.Options) { o.RosterAsyncBytes = 1 })
}

func TestImportCutShortIsMarkedFailed(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		var uploader int64
		env.DB.Raw("SELECT id FROM users WHERE username = 'school_nanzhou'").Scan(&uploader)
		// An import whose process died: still "processing", its heartbeat long gone.
		old := servicetest.Start.Add(-time.Hour)
		if err := env.DB.Exec(`INSERT INTO roster_imports (school_year, region_code, uploader_id, uploader_name, filename, file_sha256,
			mode, dry_run, status, errors_json, created_at, heartbeat_at) VALUES ('2025-2026', '430921', ?, 'school_nanzhou', 'x.xlsx',
			'0', 'all_or_nothing', ?, 'processing', '{}', ?, ?)`, uploader, false, old, old).Error; err != nil {
			t.Fatal(err)
		}
		// One this process is running, its heartbeat fresh, is left alone
		// on both engines (issue 15: the sweep failed it on SQLite).
		now := env.Clock.Now().Add(time.Minute)
		if err := env.DB.Exec(`INSERT INTO roster_imports (school_year, region_code, uploader_id, uploader_name, filename, file_sha256,
			mode, dry_run, status, errors_json, created_at, heartbeat_at) VALUES ('2025-2026', '430921', ?, 'school_nanzhou', 'y.xlsx',
			'0', 'all_or_nothing', ?, 'processing', '{}', ?, ?)`, uploader, false, now, now).Error; err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(2 * time.Minute)
		n, err := env.Svc.Jobs.FailStaleImports(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("marked %d (%v)", n, err)
		}
		var status string
		env.DB.Raw("SELECT status FROM roster_imports WHERE filename = 'x.xlsx'").Scan(&status)
		if status != "failed" {
			t.Fatalf("status %s", status)
		}
		rr := h.do("GET", "/api/v1/rosters/1", h.as("school_nanzhou"), nil)
		if !strings.Contains(rr.Body.String(), "未导入任何数据") {
			t.Fatalf("report: %s", rr.Body)
		}
	})
}

func TestRosterTooLargeIsRefused(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		var rows [][]any
		for i := 0; i < 200; i++ {
			rows = append(rows, primaryRow("学生"+string(rune('甲'+i)), validID("430921", "20150301", 100+i), "四年级", "是", "困难"))
		}
		_, code, body := h.uploadRoster("school_nanzhou", rosterFile(t, rosterHeaders, rows), map[string]string{"school_year": "2025-2026"})
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "超过上限") {
			t.Fatalf("over roster.max_bytes: %d %s", code, body)
		}
		if countRows(t, env, "students") != 0 {
			t.Fatal("an oversized roster wrote students")
		}
	}, func(o *service.Options) { o.RosterMaxBytes = 8 << 10 })
}

// TestRowsWrittenWhileReadingStandOnlyIfFinal: an import writes rows while
// the workbook is still being read (500 at a time). A duplicate ID number
// found later, a bad row in all_or_nothing, or two rows of one student in
// the same 500 must leave exactly what a write after reading would.
func TestRowsWrittenWhileReadingStandOnlyIfFinal(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		const n = 1200
		ids := make([]string, n)
		rows := make([][]any, n)
		for i := range rows {
			ids[i] = validID("430921", fmt.Sprintf("2015030%d", 1+i/1000), i%1000)
			rows[i] = primaryRow(string([]rune("赵钱孙李周吴郑王冯陈")[i%10])+string([]rune("一二三四五六七八九十")[i/10%10])+"同学", ids[i], "四年级", "是", "困难")
		}
		rows[0][0], rows[1099][0] = "甲重复", "乙重复"
		year := map[string]string{"school_year": "2025-2026"}
		validRows := map[string]string{"school_year": "2025-2026", "mode": "valid_rows"}
		type outcome struct{ code, created, updated, unchanged, rejected int }
		upload := func(rows [][]any, fields map[string]string) outcome {
			rep, code, _ := h.uploadRoster("school_nanzhou", rosterFile(t, rosterHeaders, rows), fields)
			return outcome{code, rep.Created, rep.Updated, rep.Unchanged, rep.Rejected}
		}
		with := func(i int, id string) [][]any {
			out := slices.Clone(rows)
			out[i] = slices.Clone(rows[i])
			out[i][1] = id
			return out
		}

		// A bad row after two chunks were written: nothing is imported.
		if got := upload(with(1150, "430921201503019999"), year); got.code != http.StatusUnprocessableEntity || countRows(t, env, "students") != 0 {
			t.Fatalf("all_or_nothing with a bad row: %+v", got)
		}
		// Row 1101 repeats row 2's student after row 2 was written: both fail.
		if got := upload(with(1099, ids[0]), validRows); got != (outcome{http.StatusOK, n - 2, 0, 0, 2}) {
			t.Fatalf("duplicate after the first chunk: %+v", got)
		}
		for table, want := range map[string]int64{"students": n - 2, "enrolments": n - 2, "difficulty_records": n - 2} {
			if got := countRows(t, env, table); got != want {
				t.Fatalf("%s: %d rows, want %d", table, got, want)
			}
		}
		var dupStudents int64
		if err := env.DB.Table("students").Where("name IN ?", []string{"甲重复", "乙重复"}).Count(&dupStudents).Error; err != nil || dupStudents != 0 {
			t.Fatalf("the duplicated rows' students were written: %d %v", dupStudents, err)
		}
		// The whole file again, with two rows of one new student in one chunk.
		dupInChunk := with(2, ids[1099])
		if got := upload(dupInChunk, validRows); got != (outcome{http.StatusOK, 1, 0, n - 3, 2}) {
			t.Fatalf("duplicate inside a chunk: %+v", got)
		}
		if got := upload(rows, year); got != (outcome{http.StatusOK, 1, 0, n - 1, 0}) {
			t.Fatalf("the clean file: %+v", got)
		}
		if got := countRows(t, env, "students"); got != n {
			t.Fatalf("students: %d, want %d", got, n)
		}
	})
}

// TestEarlyWriteFailureFallsBack: when writing rows during the read fails,
// even by a panic, the import writes them afresh from the final result.
func TestEarlyWriteFailureFallsBack(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		failing := h.instance(servicetest.SecondInstance(t, env, func(o *service.Options) {
			o.Fault = func(point string) error {
				if point == service.FaultRosterMidWrite {
					panic("a bug in the early write")
				}
				return nil
			}
		}))
		rows := make([][]any, 600)
		for i := range rows {
			rows[i] = primaryRow("王"+string([]rune("一二三四五六七八九十")[i%10])+"同学", validID("430921", "20150301", i), "四年级", "是", "困难")
		}
		rr := failing.upload("/api/v1/rosters", failing.as("school_nanzhou"), "file", "花名册.xlsx", rosterFile(t, rosterHeaders, rows),
			map[string]string{"school_year": "2025-2026"})
		want(t, rr, http.StatusOK)
		var rep rosterReport
		mustJSON(t, rr, &rep)
		if rep.Created != len(rows) || countRows(t, env, "students") != int64(len(rows)) {
			t.Fatalf("after a failed early write: %+v, %d students", rep, countRows(t, env, "students"))
		}
	})
}
