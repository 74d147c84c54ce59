package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// Every route the engine serves must be in the OpenAPI document.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	env := servicetest.NewEnv(t, "sqlite")
	h := newHarness(t, env)
	rr := h.do("GET", "/api/v1/openapi.json", "", nil)
	want(t, rr, http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	mustJSON(t, rr, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	routes := h.engine.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		if strings.HasPrefix(r.Path, "/web/") || r.Path == "/" {
			continue // the web page's files, not the API
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not in openapi.json", r.Method, p)
		}
	}
}
