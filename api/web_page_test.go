package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

func TestWebPageAndAssetsAreServed(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		for _, c := range []struct{ path, ctype, has string }{
			{"/", "text/html; charset=utf-8", `<script type="module" src="/web/app.js"></script>`},
			{"/web/index.html", "text/html; charset=utf-8", `lang="zh-CN"`},
			{"/web/app.js", "text/javascript; charset=utf-8", "sessionStorage"},
			{"/web/app.css", "text/css; charset=utf-8", "@media"},
		} {
			rr := h.do("GET", c.path, "", nil)
			want(t, rr, http.StatusOK)
			if got := rr.Header().Get("Content-Type"); got != c.ctype {
				t.Errorf("%s: Content-Type %q, want %q", c.path, got, c.ctype)
			}
			if !strings.Contains(rr.Body.String(), c.has) {
				t.Errorf("%s lacks %q", c.path, c.has)
			}
			// The page runs under the API's CSP: no inline script may be needed.
			if csp := rr.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || rr.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: security headers missing (%q)", c.path, csp)
			}
			// An intranet without internet: nothing may come from elsewhere.
			if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/`).FindString(rr.Body.String()); m != "" {
				t.Errorf("%s refers to an outside address %q", c.path, m)
			}
		}
		if inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).FindString(h.do("GET", "/", "", nil).Body.String()); inline != "" {
			t.Errorf("inline script in the page: %q", inline)
		}
		for _, p := range []string{"/web/", "/web/nothing.js", "/web/../go.mod", "/index.html"} {
			rr := h.do("GET", p, "", nil)
			if rr.Code != http.StatusNotFound && rr.Code != http.StatusMovedPermanently {
				t.Errorf("%s: %d", p, rr.Code)
			}
		}
		want(t, h.do("HEAD", "/", "", nil), http.StatusOK)
		want(t, h.do("POST", "/", "", nil), http.StatusMethodNotAllowed)
	})
}

// The page may only call endpoints the API has.
func TestWebPageCallsOnlyExistingEndpoints(t *testing.T) {
	h := newHarness(t, servicetest.NewEnv(t, "sqlite"))
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	mustJSON(t, h.do("GET", "/api/v1/openapi.json", "", nil), &doc)
	js := webModules(t, h)
	calls := regexp.MustCompile("(?:api|request|download|upload)\\((?:'[A-Z]+', )?[`'](/[^`'$?]*)").FindAllStringSubmatch(js, -1)
	if len(calls) < 30 {
		t.Fatalf("found only %d API calls in the page's modules", len(calls))
	}
	for _, c := range calls {
		prefix := "/api/v1" + c[1]
		found := false
		for p := range doc.Paths {
			if p == prefix || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(p, prefix)) {
				found = true
			}
		}
		if !found {
			t.Errorf("the page calls %s, which the API does not have", c[1])
		}
	}
}

// webModules follows the page's imports from /web/app.js and answers the
// text of every module, failing when an imported module is not served.
func webModules(t *testing.T, h *harness) string {
	t.Helper()
	importRe := regexp.MustCompile(`(?m)^import \{[^}]*\} from '\./([a-z]+\.js)';$`)
	seen := map[string]bool{}
	var all strings.Builder
	queue := []string{"app.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		rr := h.do("GET", "/web/"+name, "", nil)
		if rr.Code != http.StatusOK {
			t.Fatalf("module %s: %d", name, rr.Code)
		}
		all.WriteString(rr.Body.String())
		for _, m := range importRe.FindAllStringSubmatch(rr.Body.String(), -1) {
			queue = append(queue, m[1])
		}
	}
	if len(seen) < 10 {
		t.Fatalf("the page has only %d modules: %v", len(seen), seen)
	}
	return all.String()
}
