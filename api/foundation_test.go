package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/service/servicetest"
)

func TestLoginMeLogout(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		tok := h.as("county_nanxian")
		rr := h.do("GET", "/api/v1/me", tok, nil)
		want(t, rr, http.StatusOK)
		var me struct {
			Username string
			Role     string
			Scope    struct {
				Kind       string `json:"kind"`
				RegionCode string `json:"region_code"`
			}
		}
		mustJSON(t, rr, &me)
		if me.Username != "county_nanxian" || me.Role != "county_officer" || me.Scope.Kind != "county" || me.Scope.RegionCode != "430921" {
			t.Fatalf("me = %+v", me)
		}
		if rr.Header().Get("X-Request-ID") == "" {
			t.Fatal("no X-Request-ID")
		}
		want(t, h.do("POST", "/api/v1/auth/logout", tok, nil), http.StatusOK)
		rr = h.do("GET", "/api/v1/me", tok, nil)
		want(t, rr, http.StatusUnauthorized)
		if code := errorCode(t, rr); code != "invalid_token" {
			t.Fatalf("code %s", code)
		}
		want(t, h.do("GET", "/api/v1/me", "", nil), http.StatusUnauthorized)
		want(t, h.do("GET", "/api/v1/me", "not-a-token", nil), http.StatusUnauthorized)
	})
}

func TestTokenExpires(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		tok := h.as("auditor_yiyang")
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusOK)
		env.Clock.Advance(env.Opt.TokenTTL + time.Second)
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusUnauthorized)
	})
}

func TestLoginLockout(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		bad := map[string]string{"username": "finance_nanxian", "password": "wrong-password"}
		for i := 1; i < 10; i++ {
			rr := h.do("POST", "/api/v1/auth/login", "", bad)
			want(t, rr, http.StatusUnauthorized)
			if !strings.Contains(rr.Body.String(), "用户名或密码错误") {
				t.Fatalf("message: %s", rr.Body)
			}
		}
		rr := h.do("POST", "/api/v1/auth/login", "", bad)
		want(t, rr, http.StatusTooManyRequests)
		if errorCode(t, rr) != "account_locked" {
			t.Fatal(rr.Body.String())
		}
		good := map[string]string{"username": "finance_nanxian", "password": "demo-password-2026"}
		want(t, h.do("POST", "/api/v1/auth/login", "", good), http.StatusTooManyRequests)
		env.Clock.Advance(16 * time.Minute)
		want(t, h.do("POST", "/api/v1/auth/login", "", good), http.StatusOK)
		// A success resets the count: one more failure does not lock again.
		want(t, h.do("POST", "/api/v1/auth/login", "", bad), http.StatusUnauthorized)
		// An unknown user is refused the same way as a wrong password.
		rr = h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "x"})
		want(t, rr, http.StatusUnauthorized)
	})
}

func TestAdminOnlyEndpoints(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		newUser := map[string]any{"username": "newcounty", "password": "long-enough-pw", "role": "county_officer", "region_code": "430922"}
		for _, u := range []string{"county_nanxian", "school_nanzhou", "finance_nanxian", "auditor_yiyang"} {
			tok := h.as(u)
			want(t, h.do("POST", "/api/v1/users", tok, newUser), http.StatusForbidden)
			want(t, h.do("GET", "/api/v1/users", tok, nil), http.StatusForbidden)
			want(t, h.do("PATCH", "/api/v1/users/1", tok, map[string]any{"disabled": true}), http.StatusForbidden)
			want(t, h.do("POST", "/api/v1/regions", tok, map[string]any{"code": "430999", "name": "x"}), http.StatusForbidden)
			want(t, h.do("GET", "/api/v1/regions", tok, nil), http.StatusOK)
		}
		admin := h.as("admin")
		rr := h.do("POST", "/api/v1/users", admin, newUser)
		want(t, rr, http.StatusCreated)
		if body := rr.Body.String(); strings.Contains(body, `"password"`) || strings.Contains(body, "long-enough-pw") || strings.Contains(body, "$2a$") {
			t.Fatalf("response mentions the password: %s", rr.Body)
		}
		want(t, h.do("POST", "/api/v1/users", admin, newUser), http.StatusConflict)
		short := map[string]any{"username": "shortpw", "password": "123456789", "role": "auditor", "region_code": "430900"}
		want(t, h.do("POST", "/api/v1/users", admin, short), http.StatusBadRequest)
		noSchool := map[string]any{"username": "noschool", "password": "long-enough-pw", "role": "school_officer"}
		want(t, h.do("POST", "/api/v1/users", admin, noSchool), http.StatusBadRequest)
		cityFinance := map[string]any{"username": "cityfin", "password": "long-enough-pw", "role": "finance", "region_code": "430900"}
		want(t, h.do("POST", "/api/v1/users", admin, cityFinance), http.StatusBadRequest)
		badRole := map[string]any{"username": "badrole", "password": "long-enough-pw", "role": "root"}
		want(t, h.do("POST", "/api/v1/users", admin, badRole), http.StatusBadRequest)

		// Disabling a user ends their open sessions at once.
		tok := h.as("auditor_yiyang")
		var users struct {
			Items []struct {
				ID       int64
				Username string
			}
			Total int
		}
		rr = h.do("GET", "/api/v1/users?page_size=50", admin, nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &users)
		var auditorID int64
		for _, u := range users.Items {
			if u.Username == "auditor_yiyang" {
				auditorID = u.ID
			}
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", auditorID), admin, map[string]any{"disabled": true}), http.StatusOK)
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusUnauthorized)
	})
}

// TestRevocationAndTheSessionCache: a token verified a moment ago is trusted
// for auth.session_cache without asking the database. Logging out and
// revoking take effect at once on the instance that does it; another
// instance stops accepting the token when its cached check runs out.
func TestRevocationAndTheSessionCache(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		if env.Opt.SessionCache <= 0 {
			t.Fatal("the default configuration should cache sessions")
		}
		h := newHarness(t, env)
		other := h.instance(servicetest.SecondInstance(t, env))

		tok := h.as("auditor_yiyang")
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusOK)
		want(t, other.do("GET", "/api/v1/me", tok, nil), http.StatusOK)
		var users struct {
			Items []struct {
				ID       int64
				Username string
			}
		}
		rr := h.do("GET", "/api/v1/users?page_size=50", h.as("admin"), nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &users)
		var id int64
		for _, u := range users.Items {
			if u.Username == "auditor_yiyang" {
				id = u.ID
			}
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", id), h.as("admin"), map[string]any{"disabled": true}), http.StatusOK)
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusUnauthorized)
		want(t, other.do("GET", "/api/v1/me", tok, nil), http.StatusOK) // its check is still fresh
		env.Clock.Advance(env.Opt.SessionCache)
		want(t, other.do("GET", "/api/v1/me", tok, nil), http.StatusUnauthorized)

		// Logging out is immediate on the instance that logs out.
		tok = h.as("county_nanxian")
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusOK)
		want(t, h.do("POST", "/api/v1/auth/logout", tok, nil), http.StatusOK)
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusUnauthorized)
	})
}

func TestSchoolScope(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		own, other, anhua := h.schoolID("2143092101"), h.schoolID("2143092102"), h.schoolID("2143092301")
		school := h.as("school_nanzhou")
		want(t, h.do("GET", fmt.Sprintf("/api/v1/schools/%d", own), school, nil), http.StatusOK)
		want(t, h.do("GET", fmt.Sprintf("/api/v1/schools/%d", other), school, nil), http.StatusNotFound)
		want(t, h.do("GET", "/api/v1/schools/999999", school, nil), http.StatusNotFound)
		want(t, h.do("GET", "/api/v1/schools/abc", school, nil), http.StatusNotFound)

		count := func(user, query string) int {
			var l struct{ Total int }
			rr := h.do("GET", "/api/v1/schools"+query, h.as(user), nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &l)
			return l.Total
		}
		for _, c := range []struct {
			user, query string
			n           int
		}{
			{"school_nanzhou", "", 1},
			{"county_nanxian", "", 4},
			{"county_anhua", "", 3},
			{"finance_nanxian", "", 4},
			{"auditor_yiyang", "", 7},
			{"admin", "", 7},
			{"county_nanxian", "?region_code=430923", 0},
		} {
			if got := count(c.user, c.query); got != c.n {
				t.Errorf("%s sees %d schools, want %d", c.user, got, c.n)
			}
		}
		county := h.as("county_nanxian")
		want(t, h.do("GET", fmt.Sprintf("/api/v1/schools/%d", anhua), county, nil), http.StatusNotFound)
		nanxian := map[string]any{"code": "2143092199", "name": "南县新学校", "region_code": "430921", "type": "primary"}
		want(t, h.do("POST", "/api/v1/schools", county, nanxian), http.StatusCreated)
		want(t, h.do("POST", "/api/v1/schools", county, nanxian), http.StatusConflict)
		elsewhere := map[string]any{"code": "2143092399", "name": "安化新学校", "region_code": "430923", "type": "primary"}
		want(t, h.do("POST", "/api/v1/schools", county, elsewhere), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/schools", school, nanxian), http.StatusForbidden)
		want(t, h.do("POST", "/api/v1/schools", h.as("admin"), elsewhere), http.StatusCreated)
		badCode := map[string]any{"code": "12345", "name": "x", "region_code": "430921", "type": "primary"}
		want(t, h.do("POST", "/api/v1/schools", county, badCode), http.StatusBadRequest)
		badType := map[string]any{"code": "2143092198", "name": "x", "region_code": "430921", "type": "college"}
		want(t, h.do("POST", "/api/v1/schools", county, badType), http.StatusBadRequest)
	})
}

func TestAuditChainDetectsTampering(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		auditor := h.as("auditor_yiyang")
		type verify struct {
			Entries  int64
			OK       bool
			BrokenAt *int64 `json:"broken_at"`
		}
		check := func() verify {
			var v verify
			rr := h.do("GET", "/api/v1/audit/verify", auditor, nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &v)
			return v
		}
		v := check()
		if !v.OK || v.Entries < 20 {
			t.Fatalf("fresh chain: %+v", v)
		}
		want(t, h.do("GET", "/api/v1/audit/verify", h.as("county_nanxian"), nil), http.StatusForbidden)

		// The audit log lists users' creations without any password hash.
		rr := h.do("GET", "/api/v1/audit?entity=user&page_size=100", auditor, nil)
		want(t, rr, http.StatusOK)
		if strings.Contains(rr.Body.String(), "$2a$") || strings.Contains(rr.Body.String(), "password_hash") {
			t.Fatal("audit shows a password hash")
		}

		if err := env.DB.Exec("UPDATE audit_entries SET after_json = ? WHERE id = 5", `{"name":"改过"}`).Error; err != nil {
			t.Fatal(err)
		}
		v = check()
		if v.OK || v.BrokenAt == nil || *v.BrokenAt != 5 {
			t.Fatalf("edited row 5: %+v", v)
		}
	})
}

func TestAuditChainDetectsDeletion(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		auditor := h.as("auditor_yiyang")
		var last int64
		env.DB.Raw("SELECT MAX(id) FROM audit_entries").Scan(&last)
		env.DB.Exec("DELETE FROM audit_entries WHERE id = ?", last)
		var v struct {
			OK       bool
			BrokenAt int64 `json:"broken_at"`
		}
		rr := h.do("GET", "/api/v1/audit/verify", auditor, nil)
		mustJSON(t, rr, &v)
		if v.OK || v.BrokenAt != last {
			t.Fatalf("cut tail at %d: %+v", last, v)
		}
		env.DB.Exec("DELETE FROM audit_entries WHERE id = 3")
		rr = h.do("GET", "/api/v1/audit/verify", auditor, nil)
		mustJSON(t, rr, &v)
		if v.OK || v.BrokenAt != 4 {
			t.Fatalf("gap after 2: %+v", v)
		}
	})
}

func TestAuditChainUnderConcurrentWrites(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		admin := h.as("admin")
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				body := map[string]any{"code": fmt.Sprintf("4309%02d", 30+i), "name": fmt.Sprintf("测试区%d", i), "parent_code": "430900"}
				req := h.do("POST", "/api/v1/regions", admin, body)
				if req.Code != http.StatusCreated {
					t.Errorf("region %d: %d %s", i, req.Code, req.Body)
				}
			}(i)
		}
		wg.Wait()
		var v struct{ OK bool }
		mustJSON(t, h.do("GET", "/api/v1/audit/verify", admin, nil), &v)
		if !v.OK {
			t.Fatal("chain forked under concurrent writes")
		}
	})
}

func TestErrorsAndLimits(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		rr := h.do("GET", "/api/v1/nothing-here", "", nil)
		want(t, rr, http.StatusNotFound)
		errorCode(t, rr)
		rr = h.do("POST", "/api/v1/auth/login", "", "{not json")
		want(t, rr, http.StatusBadRequest)
		errorCode(t, rr)
		big := `{"username":"` + strings.Repeat("x", 70<<10) + `","password":"y"}`
		want(t, h.do("POST", "/api/v1/auth/login", "", big), http.StatusRequestEntityTooLarge)

		h.engine.GET("/test-panic", func(*gin.Context) { panic("secret internal detail") })
		rr = h.do("GET", "/test-panic", "", nil)
		want(t, rr, http.StatusInternalServerError)
		if strings.Contains(rr.Body.String(), "secret") {
			t.Fatal("panic text leaked")
		}
		for _, hd := range []string{"X-Content-Type-Options", "X-Frame-Options", "X-Request-ID"} {
			if rr.Header().Get(hd) == "" {
				t.Errorf("missing header %s", hd)
			}
		}
	})
}

func TestHealthAndReady(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		want(t, h.do("GET", "/healthz", "", nil), http.StatusOK)
		want(t, h.do("GET", "/readyz", "", nil), http.StatusOK)
		want(t, h.do("GET", "/metrics", "", nil), http.StatusForbidden) // not from loopback
		env.DB.Exec("DELETE FROM schema_migrations")
		want(t, h.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable)
		sqlDB, _ := env.DB.DB()
		sqlDB.Close()
		want(t, h.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable)
		want(t, h.do("GET", "/healthz", "", nil), http.StatusOK)
	})
}
