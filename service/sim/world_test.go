package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"studentaid/api"
	"studentaid/jobs"
	"studentaid/service"
	"studentaid/service/servicetest"
)

const (
	adminPassword = "admin-password-1"
	simPassword   = "Sim-officer-pass-2025"
)

func init() { gin.SetMode(gin.TestMode) }

// school is one school the simulation plays, with the users who act for it.
type school struct {
	code, name, region, officer, county, finance, program, grade string
	id                                                           int64
}

// schools: three primary schools in two counties pay boarding, two senior
// schools in the same two counties pay the tiered senior grant.
func simSchools() []school {
	return []school{
		{code: "2143092101", name: "南县南洲镇中心小学", region: "430921", officer: "school_nanzhou", program: "boarding", grade: "四年级"},
		{code: "2143092102", name: "南县茅草街镇九年制学校", region: "430921", officer: "school_maocaojie", program: "boarding", grade: "四年级"},
		{code: "2143092301", name: "安化县东坪镇中心小学", region: "430923", officer: "school_dongping", program: "boarding", grade: "四年级"},
		{code: "2143092103", name: "南县第一中学", region: "430921", officer: "school_yizhong", program: "senior_grant", grade: "高二"},
		{code: "2143092309", name: "安化县第一中学", region: "430923", officer: "school_anhua_yizhong", program: "senior_grant", grade: "高二"},
	}
}

var countyOf = map[string]struct{ officer, finance string }{
	"430921": {"county_nanxian", "finance_nanxian"},
	"430923": {"county_anhua", "finance_anhua"},
}

// simFailure is a broken invariant or an answer the oracle did not expect;
// it unwinds the run as a panic so that every helper stays short.
type simFailure struct{ msg string }

func failf(format string, args ...any) { panic(simFailure{fmt.Sprintf(format, args...)}) }

// world is the service under test, driven through its HTTP API.
type world struct {
	env       *servicetest.Env
	engine    *gin.Engine
	tokens    map[string]string
	passwords map[string]string // users whose password is not the demo one
	schools   []school
}

func newWorld(t *testing.T, driver string) *world {
	t.Helper()
	env := servicetest.NewEnv(t, driver, func(o *service.Options) { o.NoticeWorkingDays = 0 })
	ctx := context.Background()
	if _, err := env.Svc.Users.EnsureAdmin(ctx, adminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sched, err := jobs.New(env.Svc.Jobs, log, jobs.Definitions(env.Svc.Batches, env.Svc.Anomalies, env.Svc.Audit, env.Svc.Loans, nil), jobs.Options{Now: env.Clock.Now, Instance: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{env: env, tokens: map[string]string{}, passwords: map[string]string{"admin": adminPassword}, schools: simSchools(),
		engine: api.New(env.Svc, log, prometheus.NewRegistry(), api.Options{MaxBodyBytes: 1 << 20, MaxUploadBytes: 8 << 20, Jobs: sched})}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("setting up: %v", r)
		}
	}()
	w.setUp()
	return w
}

// setUp adds what the demo lacks: 安化's senior school, its officer and
// 安化's finance officer.
func (w *world) setUp() {
	admin := w.as("admin")
	w.expect(w.do("POST", "/api/v1/schools", admin, map[string]any{"code": "2143092309", "name": "安化县第一中学",
		"region_code": "430923", "type": "senior"}), http.StatusCreated)
	for _, u := range []map[string]any{
		{"username": "school_anhua_yizhong", "password": service.DemoPassword, "role": "school_officer", "school_id": w.schoolIDByCode("2143092309")},
		{"username": "finance_anhua", "password": service.DemoPassword, "role": "finance", "region_code": "430923"},
	} {
		w.expect(w.do("POST", "/api/v1/users", admin, u), http.StatusCreated)
		// A password an admin set is changed at the first login.
		name := u["username"].(string)
		w.expect(w.do("POST", "/api/v1/auth/password", w.as(name), map[string]string{"old_password": service.DemoPassword,
			"new_password": simPassword}), http.StatusNoContent, http.StatusOK)
		w.passwords[name] = simPassword
		delete(w.tokens, name)
	}
	for i := range w.schools {
		w.schools[i].id = w.schoolIDByCode(w.schools[i].code)
		w.schools[i].county = countyOf[w.schools[i].region].officer
		w.schools[i].finance = countyOf[w.schools[i].region].finance
	}
}

func (w *world) schoolIDByCode(code string) int64 {
	var id int64
	if err := w.env.DB.Raw("SELECT id FROM schools WHERE code = ?", code).Scan(&id).Error; err != nil || id == 0 {
		failf("school %s: %v", code, err)
	}
	return id
}

func (w *world) as(user string) string {
	if tok, ok := w.tokens[user]; ok {
		return tok
	}
	pw := service.DemoPassword
	if p, ok := w.passwords[user]; ok {
		pw = p
	}
	rr := w.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw})
	w.expect(rr, http.StatusOK)
	var res struct{ Token string }
	decode(rr, &res)
	w.tokens[user] = res.Token
	return res.Token
}

func (w *world) do(method, path, token string, body any) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			failf("encode: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.10:40000"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rr := httptest.NewRecorder()
	w.engine.ServeHTTP(rr, req)
	return rr
}

func (w *world) upload(path, token string, content []byte, fields map[string]string) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", "file.xlsx")
	if err != nil {
		failf("multipart: %v", err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.RemoteAddr = "192.0.2.10:40000"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	rr := httptest.NewRecorder()
	w.engine.ServeHTTP(rr, req)
	return rr
}

// expect fails the run unless the answer has one of the statuses.
func (w *world) expect(rr *httptest.ResponseRecorder, statuses ...int) {
	for _, s := range statuses {
		if rr.Code == s {
			return
		}
	}
	failf("HTTP %d, want %v: %s", rr.Code, statuses, rr.Body.String())
}

func decode(rr *httptest.ResponseRecorder, v any) {
	if err := json.Unmarshal(rr.Body.Bytes(), v); err != nil {
		failf("decode %q: %v", rr.Body.String(), err)
	}
}

// sheet writes a one-sheet workbook: a header row, then rows.
func sheet(headers []string, rows [][]any) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i, h := range headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		_ = f.SetCellStr("Sheet1", cell, h)
	}
	for r, row := range rows {
		for i, v := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			_ = f.SetCellValue("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		failf("xlsx: %v", err)
	}
	return buf.Bytes()
}
