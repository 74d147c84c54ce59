package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"studentaid/service"
	"studentaid/service/servicetest"
)

// loginFrom posts a login from a client address.
func (h *harness) loginFrom(ip, user, password string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(string(body)))
	req.RemoteAddr = ip + ":40000"
	req.Header.Set("Content-Type", "application/json")
	rr := httptest.NewRecorder()
	h.engine.ServeHTTP(rr, req)
	return rr
}

// burst sends n wrong logins at once, alternating between the instances,
// and counts the answers by status.
func burst(instances []*harness, ip, user string, n int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(h *harness) {
			defer wg.Done()
			code := h.loginFrom(ip, user, "wrong-guess-123").Code
			mu.Lock()
			got[code]++
			mu.Unlock()
		}(instances[i%len(instances)])
	}
	wg.Wait()
	return got
}

// Issue 15 items 1 and 2: 40 wrong guesses at once, spread over two
// instances on one database, all count; the lock holds against the right
// password from the guessing address; an unknown name gets exactly the same
// answers; the rightful user at another address waits a minute at most.
func TestParallelGuessesLockAcrossInstances(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		two := []*harness{h, h.instance(servicetest.SecondInstance(t, env))}
		const attacker, office = "198.51.100.7", "203.0.113.20"

		for _, user := range []string{"finance_nanxian", "no_such_user"} {
			got := burst(two, attacker, user, 40)
			// Counts 1–9 answer 401; the tenth locks; the rest are refused.
			if got[http.StatusUnauthorized] != 9 || got[http.StatusTooManyRequests] != 31 || len(got) != 2 {
				t.Fatalf("%s: 40 parallel guesses answered %v, want 9×401 and 31×429", user, got)
			}
		}
		if rr := h.loginFrom(attacker, "finance_nanxian", service.DemoPassword); rr.Code != http.StatusTooManyRequests ||
			errorCode(t, rr) != "account_locked" {
			t.Fatalf("right password from the locked address: %d %s", rr.Code, rr.Body)
		}
		// The account as a whole may be held for a minute (≥30 failures
		// counted from everywhere), never for the pair's 15 minutes.
		env.Clock.Advance(61 * time.Second)
		want(t, two[1].loginFrom(office, "finance_nanxian", service.DemoPassword), http.StatusOK)
		want(t, two[0].loginFrom(attacker, "finance_nanxian", service.DemoPassword), http.StatusTooManyRequests)
		env.Clock.Advance(15 * time.Minute)
		want(t, two[0].loginFrom(attacker, "finance_nanxian", service.DemoPassword), http.StatusOK)
	})
}

// One address spraying a password over many names is stopped as a whole.
func TestAddressThrottleStopsSpraying(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		const sprayer = "198.51.100.9"
		name := func(i int) string { return "user" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) }
		for i := 1; i < 5*env.Opt.MaxFailures; i++ {
			want(t, h.loginFrom(sprayer, name(i), "Winter2026!"), http.StatusUnauthorized)
		}
		want(t, h.loginFrom(sprayer, name(0), "Winter2026!"), http.StatusTooManyRequests)
		want(t, h.loginFrom(sprayer, "county_nanxian", service.DemoPassword), http.StatusTooManyRequests)
		want(t, h.loginFrom("203.0.113.21", "county_nanxian", service.DemoPassword), http.StatusOK)
	})
}
