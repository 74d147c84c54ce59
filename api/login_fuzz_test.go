package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"studentaid/api"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// FuzzLogin throws arbitrary credentials (and arbitrary bytes as the body)
// at POST /auth/login through the real engine: never a 500, never a token
// for anything but the real password, and never the password in the answer.
//
//	go test -run '^$' -fuzz '^FuzzLogin$' -fuzztime 2000x ./api/
func FuzzLogin(f *testing.F) {
	env := servicetest.NewEnv(f, "sqlite")
	ctx := context.Background()
	if _, err := env.Svc.Users.EnsureAdmin(ctx, adminPassword); err != nil {
		f.Fatal(err)
	}
	if _, err := env.Svc.LoadDemo(ctx); err != nil {
		f.Fatal(err)
	}
	engine := api.New(env.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), api.Options{MaxBodyBytes: 64 << 10})
	f.Add("admin", adminPassword, false)
	f.Add("county_nanxian", service.DemoPassword, false)
	f.Add("county_nanxian", service.DemoPassword+" ", false)
	f.Add("' OR 1=1 --", "x", false)
	f.Add("admin\x00", adminPassword, false)
	f.Add("ADMIN", adminPassword, false)
	f.Add(`{"username":"admin","password":"`+adminPassword+`"}`, "", true)
	f.Add(`{"username":["admin"],"password":{"$ne":""}}`, "", true)
	f.Add(strings.Repeat("长", 1000), strings.Repeat("x", 100), false)
	good := map[string]string{"admin": adminPassword}
	for _, u := range []string{"county_nanxian", "county_anhua", "school_nanzhou", "school_maocaojie", "school_yizhong",
		"school_zhizhuan", "school_dongping", "finance_nanxian", "auditor_yiyang"} {
		good[u] = service.DemoPassword
	}
	f.Fuzz(func(t *testing.T, username, password string, raw bool) {
		body := []byte(username)
		if !raw {
			body, _ = json.Marshal(map[string]string{"username": username, "password": password})
		}
		req := httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.10:40000"
		req.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		engine.ServeHTTP(rr, req)
		switch rr.Code {
		case http.StatusOK:
			var in struct{ Username, Password string }
			if raw {
				_ = json.Unmarshal(body, &in)
			} else {
				in.Username, in.Password = username, password
			}
			if pw, ok := good[in.Username]; !ok || pw != in.Password {
				t.Fatalf("a token for %q with a wrong password", in.Username)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d: %s", rr.Code, rr.Body)
		}
		if len(password) >= 6 && rr.Code != http.StatusBadRequest && strings.Contains(rr.Body.String(), password) {
			t.Fatalf("the answer repeats the password: %s", rr.Body)
		}
	})
}
