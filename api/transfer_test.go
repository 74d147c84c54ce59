package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"studentaid/service/servicetest"
)

type transferRec struct {
	ID             int64
	StudentID      int64  `json:"student_id"`
	FromSchoolName string `json:"from_school_name"`
	Status         string
	CanDecide      bool `json:"can_decide"`
}

// A pupil enrolled at another county's school: the receiving school's row is
// refused, its transfer request (转学申请) changes nothing until the pupil's
// current school accepts it, and then the receiving school's roster enrols
// the pupil while the aid already approved stays where it was approved.
func TestTransferRequestAcceptedByCurrentSchool(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)
		id := boarders[0].id
		row := primaryRow("张寄宿", id, "四年级", "是", "特别困难")
		upload := func() (created, updated int, body string) {
			rep, code, body := h.uploadRoster("school_dongping", rosterFile(t, rosterHeaders, [][]any{row}),
				map[string]string{"school_year": "2025-2026", "mode": "valid_rows"})
			if code != http.StatusOK {
				t.Fatalf("upload: %d %s", code, body)
			}
			return rep.Created, rep.Updated, body
		}
		if c, u, body := upload(); c+u != 0 || !strings.Contains(body, "请办理转学") {
			t.Fatalf("before the request: %s", body)
		}
		req := map[string]any{"id_number": strings.ToLower(id), "school_year": "2025-2026", "note": "随父母迁居东坪镇"}
		want(t, h.do("POST", "/api/v1/transfers", h.as("school_dongping"), map[string]any{"id_number": "430921", "school_year": "2025-2026"}), http.StatusBadRequest)
		want(t, h.do("POST", "/api/v1/transfers", h.as("school_nanzhou"), req), http.StatusConflict) // already its pupil
		want(t, h.do("POST", "/api/v1/transfers", h.as("auditor_yiyang"), req), http.StatusForbidden)
		rr := h.do("POST", "/api/v1/transfers", h.as("school_dongping"), req)
		want(t, rr, http.StatusCreated)
		var tr transferRec
		mustJSON(t, rr, &tr)
		if tr.Status != "pending" || tr.FromSchoolName != "外县学校" || tr.CanDecide || tr.StudentID != 0 {
			t.Fatalf("request as the requester sees it: %+v", tr)
		}
		want(t, h.do("POST", "/api/v1/transfers", h.as("school_dongping"), req), http.StatusConflict) // one pending at a time
		// Pending: nothing changes, the row is still refused.
		if c, u, _ := upload(); c+u != 0 {
			t.Fatal("a pending request let the row through")
		}
		path := fmt.Sprintf("/api/v1/transfers/%d", tr.ID)
		want(t, h.do("POST", path+"/accept", h.as("school_dongping"), nil), http.StatusForbidden)
		want(t, h.do("POST", path+"/accept", h.as("county_anhua"), nil), http.StatusForbidden)
		want(t, h.do("POST", path+"/accept", h.as("school_maocaojie"), nil), http.StatusNotFound)
		want(t, h.do("POST", path+"/reject", h.as("school_nanzhou"), map[string]any{"reason": " "}), http.StatusBadRequest)
		var l struct{ Items []transferRec }
		mustJSON(t, h.do("GET", "/api/v1/transfers?status=pending", h.as("school_nanzhou"), nil), &l)
		if len(l.Items) != 1 || !l.Items[0].CanDecide || l.Items[0].FromSchoolName != "南县南洲镇中心小学" {
			t.Fatalf("the current school's list: %+v", l.Items)
		}
		mustJSON(t, h.do("GET", "/api/v1/transfers", h.as("school_maocaojie"), nil), &l)
		if len(l.Items) != 0 {
			t.Fatalf("another school sees the request: %+v", l.Items)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM enrolments WHERE status = '转出'"); n != 0 {
			t.Fatal("the file changed before acceptance")
		}

		want(t, h.do("POST", path+"/accept", h.as("school_nanzhou"), nil), http.StatusOK)
		want(t, h.do("POST", path+"/accept", h.as("county_nanxian"), nil), http.StatusConflict)
		if c, u, body := upload(); c+u != 1 {
			t.Fatalf("after acceptance the row is still refused: %s", body)
		}
		// One program once per term: 东坪 does not pay the term 南洲 approved.
		r := h.calculate("school_dongping", "boarding", "2025-2026-1", 0)
		if r.Created != 0 || len(r.Ineligible) != 1 || !strings.Contains(r.Ineligible[0].Reason, "已在其他学校享受") {
			t.Fatalf("receiving school's calculation: %+v", r)
		}
		if n := countWhere(t, h, "SELECT COUNT(*) FROM student_changes WHERE source = 'transfer' AND new_value = '转出'"); n != 1 {
			t.Fatalf("%d history lines for the transfer", n)
		}
		rr = h.do("GET", "/api/v1/audit?entity=transfer", h.as("auditor_yiyang"), nil)
		if !strings.Contains(rr.Body.String(), `"action":"accept"`) || !strings.Contains(rr.Body.String(), `"action":"request"`) {
			t.Fatalf("transfer not audited: %s", rr.Body.String())
		}
	})
}

// A rejected request changes nothing, and a pupil enrolled nowhere else
// needs no request.
func TestTransferRejectedAndNeedless(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		id := validID("430921", "20150301", 12)
		h.importRows("school_nanzhou", [][]any{primaryRow("学生甲", id, "四年级", "是", "困难")})
		req := map[string]any{"id_number": id, "school_year": "2025-2026"}
		rr := h.do("POST", "/api/v1/transfers", h.as("school_maocaojie"), req)
		want(t, rr, http.StatusCreated)
		var tr transferRec
		mustJSON(t, rr, &tr)
		if tr.FromSchoolName != "南县南洲镇中心小学" {
			t.Fatalf("same county names the school: %+v", tr)
		}
		path := fmt.Sprintf("/api/v1/transfers/%d", tr.ID)
		want(t, h.do("POST", path+"/reject", h.as("county_nanxian"), map[string]any{"reason": "家长未办理转学手续"}), http.StatusOK)
		want(t, h.do("POST", path+"/accept", h.as("school_nanzhou"), nil), http.StatusConflict)
		if n := countWhere(t, h, "SELECT COUNT(*) FROM enrolments WHERE status = '转出'"); n != 0 {
			t.Fatal("a rejected request changed the file")
		}
		want(t, h.do("POST", "/api/v1/transfers", h.as("school_maocaojie"), map[string]any{"id_number": id, "school_year": "2026-2027"}), http.StatusConflict)
		want(t, h.do("POST", "/api/v1/transfers", h.as("school_maocaojie"),
			map[string]any{"id_number": validID("430921", "20150401", 14), "school_year": "2025-2026"}), http.StatusNotFound)
	})
}
