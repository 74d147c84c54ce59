package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"studentaid/api"
	"studentaid/jobs"
	"studentaid/service"
	"studentaid/service/servicetest"
)

const adminPassword = "admin-password-1"

// harness drives the real gin engine over a fresh database with the demo
// county loaded, as a user's browser or script would.
type harness struct {
	t      *testing.T
	env    *servicetest.Env
	engine *gin.Engine
	sched  *jobs.Scheduler
	tokens map[string]string
}

func init() { gin.SetMode(gin.TestMode) }

func newHarness(t *testing.T, env *servicetest.Env) *harness {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Svc.Users.EnsureAdmin(ctx, adminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Svc.Loans.SeedLoanFigures(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sched, err := jobs.New(env.Svc.Jobs, log, jobs.Definitions(env.Svc.Batches, env.Svc.Anomalies, env.Svc.Audit, env.Svc.Loans, nil), jobs.Options{Now: env.Clock.Now, Instance: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e := api.New(env.Svc, log, prometheus.NewRegistry(), api.Options{MaxBodyBytes: 64 << 10, MaxUploadBytes: 8 << 20, Jobs: sched})
	return &harness{t: t, env: env, engine: e, sched: sched, tokens: map[string]string{}}
}

// instance is the API of another instance (svc) over the same database,
// sharing this harness's logins.
func (h *harness) instance(svc *service.Service) *harness {
	e := api.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(),
		api.Options{MaxBodyBytes: 64 << 10, MaxUploadBytes: 8 << 20, Jobs: h.sched})
	return &harness{t: h.t, env: h.env, engine: e, sched: h.sched, tokens: h.tokens}
}

// scheduler is another scheduler (another instance) over svc, on the test clock.
func (h *harness) scheduler(svc *service.Service, instance string) *jobs.Scheduler {
	h.t.Helper()
	s, err := jobs.New(svc.Jobs, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Definitions(svc.Batches, svc.Anomalies, svc.Audit, svc.Loans, nil),
		jobs.Options{Now: h.env.Clock.Now, Instance: instance})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// setClock moves the service clock; tokens are dropped since a day's jump
// outlives them.
func (h *harness) setClock(t time.Time) {
	h.env.Clock.Set(t)
	h.tokens = map[string]string{}
}

// as logs in once per user and returns the token.
func (h *harness) as(user string) string {
	h.t.Helper()
	if tok, ok := h.tokens[user]; ok {
		return tok
	}
	pw := service.DemoPassword
	if user == "admin" {
		pw = adminPassword
	}
	rr := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw})
	if rr.Code != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", user, rr.Code, rr.Body)
	}
	var res struct{ Token string }
	mustJSON(h.t, rr, &res)
	h.tokens[user] = res.Token
	return res.Token
}

func (h *harness) do(method, path, token string, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
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
	h.engine.ServeHTTP(rr, req)
	return rr
}

// upload posts a multipart form with one file field and text fields.
func (h *harness) upload(path, token, field, filename string, content []byte, fields map[string]string) *httptest.ResponseRecorder {
	h.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if field != "" {
		fw, err := w.CreateFormFile(field, filename)
		if err != nil {
			h.t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.RemoteAddr = "192.0.2.10:40000"
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	rr := httptest.NewRecorder()
	h.engine.ServeHTTP(rr, req)
	return rr
}

// want fails the test unless the response has the status.
func want(t *testing.T, rr *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rr.Code != status {
		t.Fatalf("status %d, want %d: %s", rr.Code, status, rr.Body.String())
	}
}

func mustJSON(t *testing.T, rr *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rr.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", rr.Body.String(), err)
	}
}

// errorCode returns the error code of an error response.
func errorCode(t *testing.T, rr *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	mustJSON(t, rr, &e)
	if e.Error.Message == "" {
		t.Fatalf("error without message: %s", rr.Body)
	}
	return e.Error.Code
}

// schoolID looks a demo school up by its code.
func (h *harness) schoolID(code string) int64 {
	h.t.Helper()
	var id int64
	if err := h.env.DB.Raw("SELECT id FROM schools WHERE code = ?", code).Scan(&id).Error; err != nil || id == 0 {
		h.t.Fatalf("school %s: %v", code, err)
	}
	return id
}
