package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"studentaid/service/servicetest"
)

type workbenchRec struct {
	Term     string
	Progress []struct {
		SchoolName string `json:"school_name"`
		Program    string
		Students   int
		ByStatus   map[string]webTally `json:"by_status"`
		Notice     string
	}
	Queue []struct {
		Program      string
		Term         string
		Total        webTally
		Held         webTally
		ScheduleText string `json:"schedule_text"`
	}
	Held []struct {
		StudentID int64 `json:"student_id"`
		Name      string
		Class     string
		GradeText string `json:"grade_text"`
		AmountFen int64  `json:"amount_fen"`
		Status    string
		Reason    string
		Corrected bool
	}
}

func (h *harness) workbench(user string) workbenchRec {
	h.t.Helper()
	rr := h.do("GET", "/api/v1/workbench?term=2025-2026-1", h.as(user), nil)
	want(h.t, rr, http.StatusOK)
	var w workbenchRec
	mustJSON(h.t, rr, &w)
	return w
}

// The home page's 待办 shows the county every school and program its
// schools can have, reported or not; finance the approved aid waiting for a
// batch and when the job makes it; and both the students a batch holds back
// by name and class, and those corrected since, waiting for the next batch.
func TestWorkbenchShowsProgressQueueAndHeldStudents(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		h := newHarness(t, env)
		approvedBoarding(t, h)

		county := h.workbench("county_nanxian")
		rows := map[string]int{}
		for _, p := range county.Progress {
			rows[p.SchoolName+"/"+p.Program] = p.ByStatus["approved"].Count
			if p.SchoolName == "南县南洲镇中心小学" && p.Program == "boarding" && (p.Students != 3 || p.Notice != "notice_over") {
				t.Errorf("南洲 boarding: %+v", p)
			}
		}
		if rows["南县南洲镇中心小学/boarding"] != 3 {
			t.Errorf("approved count: %v", rows)
		}
		if n, ok := rows["南县茅草街镇九年制学校/nonboarding"]; !ok || n != 0 {
			t.Errorf("a school that has not reported is missing: %v", rows)
		}
		for k := range rows {
			if k == "南县职业中专学校/boarding" {
				t.Errorf("a vocational school has a boarding row: %v", rows)
			}
		}
		if len(county.Queue) != 1 || county.Queue[0].Total != (webTally{3, 3 * 62500}) || county.Queue[0].Held.Count != 0 ||
			county.Queue[0].ScheduleText != "每年4月10日、10月10日 03:00" {
			t.Fatalf("queue: %+v", county.Queue)
		}
		if school := h.workbench("school_nanzhou"); len(school.Progress) != 2 || school.Progress[0].SchoolName != "南县南洲镇中心小学" {
			t.Fatalf("school sees: %+v", school.Progress)
		}
		if other := h.workbench("county_anhua"); len(other.Queue)+len(other.Held) != 0 {
			t.Fatalf("another county sees 南县: %+v", other)
		}
		if fin := h.workbench("finance_nanxian"); len(fin.Progress) != 0 || len(fin.Queue) != 1 {
			t.Fatalf("finance: %+v", fin)
		}
		want(t, h.do("GET", "/api/v1/workbench", h.as("admin"), nil), http.StatusForbidden)

		// The bank fails 王寄宿's line: the aid is held until the account is
		// corrected, then waits for the next batch.
		r := h.runJob("finance_nanxian", "batch_boarding", false)
		path := fmt.Sprintf("/api/v1/batches/%d", r.Made.Batches[0].ID)
		want(t, h.do("POST", path+"/approve", h.as("finance_nanxian"), nil), http.StatusOK)
		var lines struct {
			Items []struct {
				Seq         int
				Name        string
				BankAccount string `json:"bank_account"`
			}
		}
		mustJSON(t, h.do("GET", path+"/lines", h.as("finance_nanxian"), nil), &lines)
		var res [][]any
		for _, l := range lines.Items {
			status, reason := "成功", ""
			if l.Name == "王寄宿" {
				status, reason = "失败", "账户已销户"
			}
			res = append(res, []any{l.Seq, l.BankAccount, l.Name, "625.00", status, reason})
		}
		want(t, h.upload(path+"/results", h.as("finance_nanxian"), "file", "r.xlsx", bankResults(t, res), nil), http.StatusOK)

		fin := h.workbench("finance_nanxian")
		if len(fin.Queue) != 1 || fin.Queue[0].Total != (webTally{1, 62500}) || fin.Queue[0].Held != (webTally{1, 62500}) {
			t.Fatalf("queue after the failure: %+v", fin.Queue)
		}
		if len(fin.Held) != 1 || fin.Held[0].Name != "王寄宿" || fin.Held[0].Class != "2班" || fin.Held[0].GradeText != "四年级" ||
			fin.Held[0].Reason != "上次发放失败的银行账户尚未更正" || fin.Held[0].Corrected {
			t.Fatalf("held: %+v", fin.Held)
		}
		if school := h.workbench("school_nanzhou"); len(school.Held) != 1 {
			t.Fatalf("the school does not see its held student: %+v", school.Held)
		}
		if other := h.workbench("school_maocaojie"); len(other.Held) != 0 {
			t.Fatalf("another school sees the held student: %+v", other.Held)
		}
		want(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", fin.Held[0].StudentID), h.as("school_nanzhou"),
			map[string]any{"bank_account": "6217009999888877776"}), http.StatusOK)
		// The new account waits for a second officer of the county (issue 14)
		// before the aid is payable again.
		fin = h.workbench("finance_nanxian")
		if len(fin.Held) != 1 || fin.Held[0].Corrected || fin.Held[0].Reason != "银行账户变更待本县另一名资助专干确认" {
			t.Fatalf("after the correction, before its confirmation: %+v", fin)
		}
		var changes struct {
			Items []struct{ ID int64 }
		}
		mustJSON(t, h.do("GET", "/api/v1/account-changes?status=pending", h.as("county_nanxian"), nil), &changes)
		if len(changes.Items) != 1 {
			t.Fatalf("pending account changes: %+v", changes.Items)
		}
		want(t, h.do("POST", fmt.Sprintf("/api/v1/account-changes/%d/confirm", changes.Items[0].ID), h.as("county_nanxian"), nil), http.StatusOK)
		fin = h.workbench("finance_nanxian")
		if len(fin.Held) != 1 || !fin.Held[0].Corrected || fin.Held[0].Reason != "已更正，待下一批次" || fin.Queue[0].Held.Count != 0 {
			t.Fatalf("after the confirmed correction: %+v", fin)
		}

		// A pupil with no bank account is warned about at calculation, long
		// before a batch would hold the aid back.
		r0 := webBoarder("无卡生", validID("430921", "20150701", 20), "")
		r0[9], r0[11], r0[12] = "", "", ""
		h.importRows("school_maocaojie", [][]any{r0})
		h.calculate("school_maocaojie", "boarding", "2025-2026-1", 0)
		other := h.workbench("school_maocaojie")
		if len(other.Held) != 1 || other.Held[0].Name != "无卡生" || other.Held[0].Status != "draft" ||
			other.Held[0].Reason != "缺少银行账户，请在学生档案中补录后再发放" {
			t.Fatalf("no warning at calculation: %+v", other.Held)
		}
	})
}
