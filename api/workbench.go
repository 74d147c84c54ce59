package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/jobs"
	"studentaid/model"
)

type progressBody struct {
	SchoolID     int64                `json:"school_id"`
	SchoolName   string               `json:"school_name"`
	SchoolCode   string               `json:"school_code"`
	Program      string               `json:"program"`
	Students     int                  `json:"students"`
	ByStatus     map[string]tallyBody `json:"by_status"`
	MaxCount     *int                 `json:"max_count"`
	BudgetFen    *model.Fen           `json:"budget_fen"`
	Notice       string               `json:"notice"`
	NoticeEndsAt *time.Time           `json:"notice_ends_at"`
}

type queuedBody struct {
	Program      string    `json:"program"`
	Term         string    `json:"term"`
	Total        tallyBody `json:"total"`
	Held         tallyBody `json:"held"`
	Job          string    `json:"job"`
	ScheduleText string    `json:"schedule_text"`
}

type heldBody struct {
	EntitlementID int64     `json:"entitlement_id"`
	StudentID     int64     `json:"student_id"`
	Name          string    `json:"name"`
	SchoolName    string    `json:"school_name"`
	GradeText     string    `json:"grade_text"`
	Class         string    `json:"class"`
	Program       string    `json:"program"`
	Term          string    `json:"term"`
	AmountFen     model.Fen `json:"amount_fen"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason"`
	Corrected     bool      `json:"corrected"`
}

type workbenchBody struct {
	Term     string         `json:"term"`
	Progress []progressBody `json:"progress"`
	Queue    []queuedBody   `json:"queue"`
	Held     []heldBody     `json:"held"`
}

// workbench is the home page's 待办: progress per school and program, aid
// waiting for a batch (with when the job makes it), and held students.
func (s *Server) workbench(c *gin.Context) {
	w, err := s.reports.Workbench(c.Request.Context(), actor(c), c.Query("term"))
	if err != nil {
		writeError(c, err)
		return
	}
	out := workbenchBody{Term: string(w.Term), Progress: []progressBody{}, Queue: []queuedBody{}, Held: []heldBody{}}
	for _, p := range w.Progress {
		by := map[string]tallyBody{}
		for st, t := range p.ByStatus {
			by[st] = tallyOf(t)
		}
		out.Progress = append(out.Progress, progressBody{SchoolID: p.SchoolID, SchoolName: p.SchoolName, SchoolCode: p.SchoolCode, Program: p.Program, Students: p.Students, ByStatus: by,
			MaxCount: p.MaxCount, BudgetFen: p.BudgetFen, Notice: p.Notice, NoticeEndsAt: p.NoticeEnds})
	}
	for _, q := range w.Queue {
		job := "batch_" + q.Program
		out.Queue = append(out.Queue, queuedBody{Program: q.Program, Term: q.Term, Total: tallyOf(q.Total), Held: tallyOf(q.Held), Job: job, ScheduleText: s.scheduleText(job)})
	}
	for _, h := range w.Held {
		out.Held = append(out.Held, heldBody{EntitlementID: h.EntitlementID, StudentID: h.StudentID, Name: h.Name, SchoolName: h.SchoolName, GradeText: model.GradeText(h.Stage, h.Grade),
			Class: h.Class, Program: h.Program, Term: h.Term, AmountFen: h.AmountFen, Status: h.Status, Reason: h.Reason, Corrected: h.Corrected})
	}
	c.JSON(http.StatusOK, out)
}

// scheduleText is a job's schedule in words, or "" when this instance runs
// no jobs (another instance does, and its schedule is not known here).
func (s *Server) scheduleText(name string) string {
	if s.opt.Jobs == nil {
		return ""
	}
	return jobs.ScheduleWords(s.opt.Jobs.Schedule(name))
}
