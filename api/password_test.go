package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"studentaid/service/servicetest"
)

// Issue 15 item 7: a password an admin set must be changed before anything
// else; the change is refused when weak; the last active admin stays.
func TestOneTimePasswordMustBeChanged(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		admin := h.as("admin")
		newUser := map[string]any{"username": "county_new", "password": "Chosen-by-admin-42", "role": "county_officer", "region_code": "430921"}
		want(t, h.do("POST", "/api/v1/users", admin, newUser), http.StatusCreated)

		login := func(pw string) string {
			rr := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "county_new", "password": pw})
			want(t, rr, http.StatusOK)
			var res struct {
				Token string
				User  struct {
					PasswordChangeRequired bool `json:"password_change_required"`
				}
			}
			mustJSON(t, rr, &res)
			if !res.User.PasswordChangeRequired && pw == "Chosen-by-admin-42" {
				t.Fatal("login with a one-time password does not say a change is required")
			}
			return res.Token
		}
		tok := login("Chosen-by-admin-42")
		for i := 0; i < 2; i++ { // not only on the first request
			rr := h.do("GET", "/api/v1/students", tok, nil)
			want(t, rr, http.StatusForbidden)
			if errorCode(t, rr) != "password_change_required" {
				t.Fatal(rr.Body.String())
			}
		}
		want(t, h.do("GET", "/api/v1/me", tok, nil), http.StatusOK)

		change := func(old, new string) *httptest.ResponseRecorder {
			return h.do("POST", "/api/v1/auth/password", tok, map[string]string{"old_password": old, "new_password": new})
		}
		for _, weak := range []string{"aaaaaaaaaa", "1234567890", "county_new-2026", "password2026", "short"} {
			if rr := change("Chosen-by-admin-42", weak); rr.Code != http.StatusBadRequest || errorCode(t, rr) != "weak_password" {
				t.Fatalf("weak %q: %d %s", weak, rr.Code, rr.Body)
			}
		}
		if rr := change("not-my-password", "Tu3-lake-Morning-7"); rr.Code != http.StatusBadRequest || errorCode(t, rr) != "wrong_password" {
			t.Fatalf("wrong old password: %d %s", rr.Code, rr.Body)
		}
		want(t, change("Chosen-by-admin-42", "Tu3-lake-Morning-7"), http.StatusNoContent)
		want(t, h.do("GET", "/api/v1/students", tok, nil), http.StatusOK)
		want(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "county_new", "password": "Chosen-by-admin-42"}), http.StatusUnauthorized)
		login("Tu3-lake-Morning-7")

		// An admin's reset is one-time again.
		var id int64
		env.DB.Raw("SELECT id FROM users WHERE username = ?", "county_new").Scan(&id)
		want(t, h.do("PATCH", "/api/v1/users/"+strconv.FormatInt(id, 10), admin, map[string]any{"password": "Reset-by-admin-77"}), http.StatusOK)
		tok = login("Reset-by-admin-77")
		want(t, h.do("GET", "/api/v1/students", tok, nil), http.StatusForbidden)
	})
}

// The last active admin can be neither disabled nor demoted; no admin
// disables their own account (issue 16, item 11): another admin does.
func TestLastAdminStays(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		admin := h.as("admin")
		var id int64
		env.DB.Raw("SELECT id FROM users WHERE username = ?", "admin").Scan(&id)
		path := "/api/v1/users/" + strconv.FormatInt(id, 10)
		want(t, h.do("PATCH", path, admin, map[string]any{"disabled": true}), http.StatusConflict)
		rr := h.do("PATCH", path, admin, map[string]any{"role": "auditor", "region_code": "430900"})
		if rr.Code != http.StatusUnprocessableEntity || errorCode(t, rr) != "last_admin" {
			t.Fatalf("demoting the last admin: %d %s", rr.Code, rr.Body)
		}
		want(t, h.do("POST", "/api/v1/users", admin, map[string]any{"username": "admin2", "password": "Second-admin-pw-9", "role": "admin"}), http.StatusCreated)
		want(t, h.do("PATCH", path, admin, map[string]any{"disabled": true}), http.StatusConflict)
		rr = h.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "admin2", "password": "Second-admin-pw-9"})
		want(t, rr, http.StatusOK)
		var login struct{ Token string }
		mustJSON(t, rr, &login)
		want(t, h.do("POST", "/api/v1/auth/password", login.Token, map[string]string{"old_password": "Second-admin-pw-9",
			"new_password": "Tu3-lake-Morning-7"}), http.StatusNoContent)
		want(t, h.do("PATCH", path, login.Token, map[string]any{"disabled": true}), http.StatusOK)
	})
}
