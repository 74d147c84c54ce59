package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

// changeAccount changes a student's account as the school and has the
// county confirm it, as a second officer must when aid is waiting.
func (h *harness) changeAccount(studentID int64, account string) {
	h.t.Helper()
	rr := h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", studentID), h.as("school_nanzhou"), map[string]any{"bank_account": account})
	want(h.t, rr, http.StatusOK)
	var res struct {
		AccountChange *struct {
			ID     int64
			Status string
		} `json:"account_change"`
	}
	mustJSON(h.t, rr, &res)
	if res.AccountChange == nil || res.AccountChange.Status != "pending" {
		h.t.Fatalf("no pending account change: %s", rr.Body)
	}
	want(h.t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/confirm", res.AccountChange.ID), h.as("county_nanxian"), nil), http.StatusOK)
}

// A new account on a student with approved, unpaid aid holds the aid until
// another officer of the county confirms; the one who made the change
// cannot; a rejection restores the old account (issue 14).
func TestAccountChangeNeedsASecondOfficer(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		ents := h.entitlements("county_nanxian", "status=approved")
		var sid int64
		for _, e := range ents {
			if e.Name == boarders[0].name {
				sid = e.StudentID
			}
		}
		patch := func(user, account string) int64 {
			rr := h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", sid), h.as(user), map[string]any{"bank_account": account})
			want(t, rr, http.StatusOK)
			var res struct {
				AccountChange struct {
					ID      int64
					Status  string
					HeldFen int64 `json:"held_fen"`
				} `json:"account_change"`
			}
			mustJSON(t, rr, &res)
			if res.AccountChange.Status != "pending" || res.AccountChange.HeldFen != 62500 {
				t.Fatalf("account change: %s", rr.Body)
			}
			return res.AccountChange.ID
		}
		id := patch("county_nanxian", "6217009999888877776")
		run := h.runJob("finance_nanxian", "batch_boarding", false)
		if len(run.Made.Batches) != 1 || run.Made.Batches[0].Lines != 2 || len(run.Made.Held) != 1 ||
			!strings.Contains(run.Made.Held[0].Reason, "确认") {
			t.Fatalf("held aid: %+v", run)
		}
		rr := h.do("GET", "/api/v1/account-changes?status=pending", h.as("county_nanxian"), nil)
		if !strings.Contains(rr.Body.String(), `"new_account":"6217 **** **** 7776"`) || strings.Contains(rr.Body.String(), "6217009999888877776") {
			t.Fatalf("list: %s", rr.Body)
		}
		want(t, h.do("GET", "/api/v1/account-changes", h.as("county_anhua"), nil), http.StatusOK)
		if strings.Contains(h.do("GET", "/api/v1/account-changes", h.as("county_anhua"), nil).Body.String(), "7776") {
			t.Fatal("another county sees the change")
		}
		rr = h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/confirm", id), h.as("county_nanxian"), nil)
		if rr.Code != http.StatusForbidden || errorCode(t, rr) != "same_officer" {
			t.Fatalf("the maker confirmed: %d %s", rr.Code, rr.Body)
		}
		want(t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/reject", id), h.as("county_anhua"), map[string]any{"reason": "x"}), http.StatusNotFound)
		want(t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/reject", id), h.as("school_nanzhou"), map[string]any{"reason": "x"}), http.StatusForbidden)
		// Another officer of 南县 rejects it: the old account is back and paid.
		want(t, h.do("POST", "/api/v1/users", h.as("admin"), map[string]any{"username": "county_nanxian_2", "password": "another-officer-pw",
			"role": "county_officer", "region_code": "430921"}), http.StatusCreated)
		rr = h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "county_nanxian_2", "password": "another-officer-pw"})
		var login struct{ Token string }
		mustJSON(t, rr, &login)
		// A password an admin set is changed at the first login.
		rr = h.do("POST", "/api/v1/auth/password", login.Token, map[string]string{"old_password": "another-officer-pw", "new_password": "Second-officer-2025"})
		if rr.Code != http.StatusNoContent && rr.Code != http.StatusOK {
			t.Fatalf("password change: %d %s", rr.Code, rr.Body)
		}
		want(t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/reject", id), login.Token, map[string]any{}), http.StatusBadRequest)
		want(t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/reject", id), login.Token, map[string]any{"reason": "家长未到场核实"}), http.StatusOK)
		rr = h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/confirm", id), login.Token, nil)
		want(t, rr, http.StatusConflict)
		// The status in the message is in the officers' words, not a code.
		if !strings.Contains(rr.Body.String(), "已处理（已驳回）") {
			t.Fatalf("second decision: %s", rr.Body)
		}
		var acct string
		env.DB.Raw("SELECT account_masked FROM students WHERE id = ?", sid).Scan(&acct)
		if !strings.HasSuffix(acct, "3334") {
			t.Fatalf("account after the rejection: %s", acct)
		}
		if run := h.runJob("finance_nanxian", "batch_boarding", false); len(run.Made.Batches) != 1 || run.Made.Batches[0].Lines != 1 {
			t.Fatalf("released aid: %+v", run)
		}
		var v struct{ OK bool }
		mustJSON(t, h.do("GET", "/api/v1/audit/verify", h.as("auditor_yiyang"), nil), &v)
		rr = h.do("GET", "/api/v1/audit?entity=account_change", h.as("auditor_yiyang"), nil)
		if !v.OK || !strings.Contains(rr.Body.String(), "7776") || strings.Contains(rr.Body.String(), "6217009999888877776") {
			t.Fatalf("audit: %s", rr.Body)
		}
	})
}
