package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type programBody struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Stages   []string `json:"stages"`
	Tiered   bool     `json:"tiered"`
	Schedule string   `json:"schedule"`
	// ScheduleText is the schedule in words: 每年4月10日、10月10日 03:00.
	ScheduleText string `json:"schedule_text"`
}

func (s *Server) listPrograms(c *gin.Context) {
	out := make([]programBody, 0, len(model.Programs))
	for _, p := range model.Programs {
		out = append(out, programBody{Code: p.Code, Name: p.Name, Stages: p.Stages, Tiered: p.Tiered, Schedule: s.schedule("batch_" + p.Code), ScheduleText: s.scheduleText("batch_" + p.Code)})
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)})
}

// schedule is a job's cron schedule, or "" when this instance runs no jobs.
func (s *Server) schedule(name string) string {
	if s.opt.Jobs == nil {
		return ""
	}
	return s.opt.Jobs.Schedule(name)
}

type standardBody struct {
	ID            int64     `json:"id"`
	Program       string    `json:"program"`
	Stage         string    `json:"stage"`
	Level         string    `json:"level"`
	RegionCode    string    `json:"region_code"`
	AnnualFen     model.Fen `json:"annual_fen"`
	EffectiveFrom string    `json:"effective_from"`
	Source        string    `json:"source"`
	CreatedBy     string    `json:"created_by"`
}

func standardOf(st model.Standard) standardBody {
	return standardBody{ID: st.ID, Program: st.Program, Stage: st.Stage, Level: st.Level, RegionCode: st.RegionCode, AnnualFen: st.AnnualFen,
		EffectiveFrom: st.EffectiveFrom.Format("2006-01-02"), Source: st.Source, CreatedBy: st.CreatedBy}
}

func (s *Server) listStandards(c *gin.Context) {
	on, ok := dateParam(c, "on")
	if !ok {
		return
	}
	sts, err := s.standards.ListStandards(c.Request.Context(), service.StandardFilter{Program: c.Query("program"), RegionCode: c.Query("region_code"), On: on})
	out := make([]standardBody, 0, len(sts))
	for _, st := range sts {
		out = append(out, standardOf(st))
	}
	respond(c, http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)}, err)
}

func (s *Server) createStandard(c *gin.Context) {
	var b standardBody
	if !bindJSON(c, &b) {
		return
	}
	from, err := time.Parse("2006-01-02", b.EffectiveFrom)
	if err != nil {
		fail(c, http.StatusBadRequest, "invalid_date", "effective_from 须为 YYYY-MM-DD 格式的日期")
		return
	}
	st, err := s.standards.CreateStandard(c.Request.Context(), actor(c), model.Standard{Program: b.Program, Stage: b.Stage,
		Level: b.Level, RegionCode: b.RegionCode, AnnualFen: b.AnnualFen, EffectiveFrom: from, Source: b.Source})
	respond(c, http.StatusCreated, standardOf(st), err)
}

type listRefBody struct {
	Program  string `json:"program"`
	Term     string `json:"term"`
	SchoolID int64  `json:"school_id"`
}

func (b listRefBody) ref() service.ListRef {
	return service.ListRef{Program: b.Program, Term: b.Term, SchoolID: b.SchoolID}
}

type ineligibleBody struct {
	StudentID int64  `json:"student_id"`
	Name      string `json:"name"`
	SchoolID  int64  `json:"school_id"`
	Reason    string `json:"reason"`
}

type calcBody struct {
	Adjustments int              `json:"adjustments"`
	Created     int              `json:"created"`
	Updated     int              `json:"updated"`
	Unchanged   int              `json:"unchanged"`
	Removed     int              `json:"removed"`
	Ineligible  []ineligibleBody `json:"ineligible"`
	Count       int              `json:"count"`
	TotalFen    model.Fen        `json:"total_fen"`
}

func (s *Server) calculate(c *gin.Context) {
	var b listRefBody
	if !bindJSON(c, &b) {
		return
	}
	r, err := s.entitlements.CalculateEntitlements(c.Request.Context(), actor(c), service.CalcRequest{Program: b.Program, Term: b.Term, SchoolID: b.SchoolID})
	out := calcBody{Adjustments: r.Adjustments, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Removed: r.Removed, Ineligible: make([]ineligibleBody, 0, len(r.Ineligible)), Count: r.Count, TotalFen: r.TotalFen}
	for _, i := range r.Ineligible {
		out.Ineligible = append(out.Ineligible, ineligibleBody{StudentID: i.StudentID, Name: i.Name, SchoolID: i.SchoolID, Reason: i.Reason})
	}
	respond(c, http.StatusOK, out, err)
}

type transitionBody struct {
	Count    int       `json:"count"`
	TotalFen model.Fen `json:"total_fen"`
	IDs      []int64   `json:"ids"`
}

func transitionOf(t service.Transition, err error) (transitionBody, error) {
	if t.IDs == nil {
		t.IDs = []int64{}
	}
	return transitionBody{Count: t.Count, TotalFen: t.TotalFen, IDs: t.IDs}, err
}

func (s *Server) submit(c *gin.Context) {
	var b listRefBody
	if !bindJSON(c, &b) {
		return
	}
	out, err := transitionOf(s.entitlements.SubmitList(c.Request.Context(), actor(c), b.ref()))
	respond(c, http.StatusOK, out, err)
}

type idsBody struct {
	IDs    []int64 `json:"ids"`
	Reason string  `json:"reason"`
	listRefBody
}

func (s *Server) approve(c *gin.Context) {
	var b idsBody
	if !bindJSON(c, &b) {
		return
	}
	out, err := transitionOf(s.entitlements.ApproveEntitlements(c.Request.Context(), actor(c), service.ApproveRequest{IDs: b.IDs, ListRef: b.ref()}))
	respond(c, http.StatusOK, out, err)
}

// reasoned answers a transition over ids with a reason (return, revoke,
// recover, approve adjustments): bind, one service call, respond.
func reasoned(run func(context.Context, model.Actor, []int64, string) (service.Transition, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var b idsBody
		if !bindJSON(c, &b) {
			return
		}
		out, err := transitionOf(run(c.Request.Context(), actor(c), b.IDs, b.Reason))
		respond(c, http.StatusOK, out, err)
	}
}

type entitlementBody struct {
	ID           int64      `json:"id"`
	StudentID    int64      `json:"student_id"`
	Name         string     `json:"name"`
	IDNumber     string     `json:"id_number"`
	SchoolID     int64      `json:"school_id"`
	SchoolName   string     `json:"school_name"`
	Program      string     `json:"program"`
	Term         string     `json:"term"`
	Stage        string     `json:"stage"`
	Grade        int        `json:"grade"`
	GradeText    string     `json:"grade_text"`
	Class        string     `json:"class"`
	Level        string     `json:"level"`
	Rule         string     `json:"rule"`
	AnnualFen    model.Fen  `json:"annual_fen"`
	AmountFen    model.Fen  `json:"amount_fen"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason"`
	Warning      string     `json:"warning"`
	Objections   int        `json:"objections"`
	NoticeEndsAt *time.Time `json:"notice_ends_at"`
}

func entitlementOf(r service.EntitlementRow) entitlementBody {
	return entitlementBody{ID: r.ID, StudentID: r.StudentID, Name: r.Name, IDNumber: r.IDMasked, SchoolID: r.SchoolID, SchoolName: r.SchoolName, Program: r.Program, Term: r.Term, Stage: r.Stage,
		Grade: r.Grade, GradeText: model.GradeText(r.Stage, r.Grade), Class: r.Class, Level: r.Level, Rule: r.Rule, AnnualFen: r.AnnualFen, AmountFen: r.AmountFen, Status: r.Status, Reason: r.Reason, Warning: r.Warning,
		Objections: r.Objections, NoticeEndsAt: r.NoticeEndsAt}
}

func (s *Server) listEntitlements(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	f, ok := entitlementFilter(c)
	if !ok {
		return
	}
	f.Page = p
	l, err := s.entitlements.ListEntitlements(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	// The 合计 row covers the whole filtered list, not only this page.
	t, err := s.entitlements.EntitlementTotal(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, struct {
		listBody[entitlementBody]
		TotalFen model.Fen `json:"total_fen"`
	}{listBody: listOf(l, entitlementOf), TotalFen: t.Fen}, err)
}

// entitlementFilter reads the list's filters, search and order.
func entitlementFilter(c *gin.Context) (service.EntitlementFilter, bool) {
	f := service.EntitlementFilter{Program: c.Query("program"), Term: c.Query("term"), Status: c.Query("status"),
		Q: c.Query("q"), Sort: c.Query("sort")}
	var ok bool
	f.SchoolID, ok = queryID(c, "school_id")
	return f, ok
}

// queryID reads an optional numeric query parameter.
func queryID(c *gin.Context, name string) (int64, bool) {
	v := c.Query(name)
	if v == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		fail(c, http.StatusBadRequest, "invalid_"+name, name+" 须为编号")
		return 0, false
	}
	return id, true
}

func (s *Server) notice(c *gin.Context) {
	ref := service.ListRef{Program: c.Query("program"), Term: c.Query("term")}
	var ok bool
	if ref.SchoolID, ok = queryID(c, "school_id"); !ok {
		return
	}
	n, err := s.entitlements.Notice(c.Request.Context(), actor(c), ref)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("X-Notice-Ends-At", n.List.NoticeEndsAt.Format(time.RFC3339))
	sendFile(c, n.Filename, xlsxType, n.Bytes)
}

type objectionBody struct {
	listRefBody
	StudentID int64  `json:"student_id"`
	Content   string `json:"content"`
}

func (s *Server) createObjection(c *gin.Context) {
	var b objectionBody
	if !bindJSON(c, &b) {
		return
	}
	o, err := s.entitlements.RecordObjection(c.Request.Context(), actor(c), service.ObjectionInput{ListRef: b.ref(), StudentID: b.StudentID, Content: b.Content})
	respond(c, http.StatusCreated, gin.H{"id": o.ID, "student_id": o.StudentID, "content": o.Content, "recorded_by": o.RecordedBy, "created_at": o.CreatedAt}, err)
}

type quotaBody struct {
	listRefBody
	MaxCount        *int       `json:"max_count"`
	BudgetFen       *model.Fen `json:"budget_fen"`
	SubmittedAt     *time.Time `json:"submitted_at,omitempty"`
	NoticeStartedAt *time.Time `json:"notice_started_at,omitempty"`
	NoticeEndsAt    *time.Time `json:"notice_ends_at,omitempty"`
}

func quotaOf(l model.AidList) quotaBody {
	return quotaBody{listRefBody: listRefBody{Program: l.Program, Term: l.Term, SchoolID: l.SchoolID}, MaxCount: l.MaxCount, BudgetFen: l.BudgetFen, SubmittedAt: l.SubmittedAt, NoticeStartedAt: l.NoticeStartedAt, NoticeEndsAt: l.NoticeEndsAt}
}

func (s *Server) setQuota(c *gin.Context) {
	var b quotaBody
	if !bindJSON(c, &b) {
		return
	}
	l, err := s.entitlements.SetQuota(c.Request.Context(), actor(c), service.QuotaInput{ListRef: b.ref(), MaxCount: b.MaxCount, BudgetFen: b.BudgetFen})
	respond(c, http.StatusOK, quotaOf(l), err)
}

func (s *Server) listQuotas(c *gin.Context) {
	ls, err := s.entitlements.ListQuotas(c.Request.Context(), actor(c), c.Query("program"), c.Query("term"))
	out := make([]quotaBody, 0, len(ls))
	for _, l := range ls {
		out = append(out, quotaOf(l))
	}
	respond(c, http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)}, err)
}
