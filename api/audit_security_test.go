package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// countyAuditor adds an auditor of 安化县 and logs in as them.
func (h *harness) countyAuditor() string {
	h.t.Helper()
	role, region, pw := model.RoleAuditor, "430923", service.DemoPassword
	_, err := h.env.Svc.Users.CreateUser(context.Background(), model.SystemActor("test"),
		service.UserInput{Username: "auditor_anhua", Password: &pw, Role: &role, RegionCode: &region})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.as("auditor_anhua")
}

// Issue 15 item 5: the audit log is read in scope, like everything else.
func TestAuditListingIsScoped(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		h.as("county_nanxian")
		h.as("county_anhua")
		h.loginFrom("198.51.100.1", "county_nanxian", "wrong-password-1")
		anhua := h.countyAuditor()
		var l struct {
			Items []struct {
				ActorName string `json:"actor"`
				Action    string
				ClientIP  string `json:"client_ip"`
			}
			Total int
		}
		rr := h.do("GET", "/api/v1/audit?page_size=200", anhua, nil)
		want(t, rr, http.StatusOK)
		mustJSON(t, rr, &l)
		if l.Total == 0 {
			t.Fatal("the county auditor sees nothing of its own county")
		}
		sawAnhua := false
		for _, e := range l.Items {
			if strings.Contains(e.ActorName, "nanxian") || strings.Contains(e.ActorName, "nanzhou") || e.ActorName == "admin" {
				t.Fatalf("安化 auditor sees %+v", e)
			}
			sawAnhua = sawAnhua || e.ActorName == "county_anhua"
		}
		if !sawAnhua {
			t.Fatal("安化 auditor does not see 安化's officer log in")
		}
		// The city auditor sees both counties; the admin everything.
		var city, all struct{ Total int }
		mustJSON(t, h.do("GET", "/api/v1/audit?page_size=1", h.as("auditor_yiyang"), nil), &city)
		mustJSON(t, h.do("GET", "/api/v1/audit?page_size=1", h.as("admin"), nil), &all)
		if !(l.Total < city.Total && city.Total < all.Total) {
			t.Fatalf("totals: county %d, city %d, admin %d", l.Total, city.Total, all.Total)
		}
	})
}

// Rewriting an entry and every later hash with plain SHA-256 (all one can do
// without the data key) is caught; so is cutting the tail and resetting the
// head, once the daily anchor has been exported.
func TestAuditChainIsKeyedAndAnchored(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		admin := h.as("admin")
		type verify struct {
			OK       bool
			BrokenAt int64 `json:"broken_at"`
		}
		check := func() verify {
			var v verify
			rr := h.do("GET", "/api/v1/audit/verify", admin, nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &v)
			return v
		}
		want(t, h.do("POST", "/api/v1/jobs/audit_anchor/run", admin, nil), http.StatusOK)
		var anchored int64
		env.DB.Raw("SELECT seq FROM audit_head").Scan(&anchored)
		h.as("county_nanxian") // entries after the anchor
		if v := check(); !v.OK {
			t.Fatalf("fresh chain: %+v", v)
		}

		// Cut everything after the anchor minus one and reset the head to
		// the new last entry: the chain itself is consistent again.
		cut := anchored - 1
		var last model.AuditEntry
		env.DB.Where("id = ?", cut).Take(&last)
		env.DB.Exec("DELETE FROM audit_entries WHERE id > ?", cut)
		env.DB.Exec("UPDATE audit_head SET seq = ?, last_hash = ? WHERE id = 1", cut, last.Hash)
		if v := check(); v.OK {
			t.Fatalf("a tail cut before the anchor verified: %+v", v)
		}

		// Edit entry 5 and rebuild every later hash with plain SHA-256.
		var rows []model.AuditEntry
		env.DB.Order("id").Find(&rows)
		prev := rows[3].Hash
		for i := 4; i < len(rows); i++ {
			e := rows[i]
			if i == 4 {
				e.AfterJSON = `{"name":"改过"}`
			}
			sum := sha256.Sum256([]byte(prev + "\n" + e.AfterJSON + e.Action))
			e.PrevHash, e.Hash = prev, hex.EncodeToString(sum[:])
			env.DB.Exec("UPDATE audit_entries SET after_json = ?, prev_hash = ?, hash = ? WHERE id = ?", e.AfterJSON, e.PrevHash, e.Hash, e.ID)
			prev = e.Hash
		}
		env.DB.Exec("UPDATE audit_head SET last_hash = ? WHERE id = 1", prev)
		if v := check(); v.OK || v.BrokenAt != 5 {
			t.Fatalf("rewritten chain: %+v", v)
		}
	})
}

// /jobs/runs shows a county's auditor only its county's batches.
func TestJobRunsAreScoped(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		made := `{"dry_run":false,"batches":[{"number":"N1","region_code":"430921"},{"number":"A1","region_code":"430923"}],"held":[{"student_id":7}]}`
		if err := env.DB.Exec("INSERT INTO job_runs (job, instance, trigger_kind, dry_run, status, made, error, started_at) VALUES (?,?,?,?,?,?,?,?)",
			"batch_boarding", "t", "manual", false, "succeeded", made, "", env.Clock.Now()).Error; err != nil {
			t.Fatal(err)
		}
		rr := h.do("GET", "/api/v1/jobs/runs", h.countyAuditor(), nil)
		want(t, rr, http.StatusOK)
		if body := rr.Body.String(); strings.Contains(body, "N1") || !strings.Contains(body, "A1") || strings.Contains(body, "student_id") {
			t.Fatalf("安化 auditor's runs: %s", body)
		}
		rr = h.do("GET", "/api/v1/jobs/runs", h.as("admin"), nil)
		if body := rr.Body.String(); !strings.Contains(body, "N1") || !strings.Contains(body, "student_id") {
			t.Fatalf("admin's runs: %s", body)
		}
	})
}

// The log's actor filter offers the actors of the entries the caller may
// read, and no one else: a county auditor learns no other county's users.
func TestAuditActorsAreScoped(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		h.as("county_nanxian")
		h.as("county_anhua")
		anhua := h.countyAuditor()
		actors := func(token string) []string {
			t.Helper()
			var l struct {
				Items []struct{ Username, Role string }
				Total int
			}
			rr := h.do("GET", "/api/v1/audit/actors", token, nil)
			want(t, rr, http.StatusOK)
			mustJSON(t, rr, &l)
			var out []string
			for _, x := range l.Items {
				if x.Username == "" || x.Role == "" && x.Username != "system" {
					t.Errorf("actor %+v", x)
				}
				out = append(out, x.Username)
			}
			if l.Total != len(out) || !slices.IsSorted(out) {
				t.Errorf("actors: %v (total %d)", out, l.Total)
			}
			return out
		}
		county, city := actors(anhua), actors(h.as("auditor_yiyang"))
		if !slices.Contains(county, "county_anhua") || slices.Contains(county, "county_nanxian") || slices.Contains(county, "admin") {
			t.Errorf("安化 auditor's actors: %v", county)
		}
		if !slices.Contains(city, "county_anhua") || !slices.Contains(city, "county_nanxian") || len(city) <= len(county) {
			t.Errorf("the city auditor's actors: %v", city)
		}
		for _, name := range county {
			var l struct{ Total int }
			mustJSON(t, h.do("GET", "/api/v1/audit?actor="+url.QueryEscape(name), anhua, nil), &l)
			if l.Total == 0 {
				t.Errorf("actor %s offered with no entry", name)
			}
		}
		want(t, h.do("GET", "/api/v1/audit/actors", h.as("school_nanzhou"), nil), http.StatusForbidden)
		want(t, h.do("GET", "/api/v1/audit/actors", h.as("county_nanxian"), nil), http.StatusForbidden)
	})
}
