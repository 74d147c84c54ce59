package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type anomalyBody struct {
	ID         int64           `json:"id"`
	Rule       string          `json:"rule"`
	RuleNo     int             `json:"rule_no"` // the item of POLICY.md's Anomalies list; 0 for matching rules
	RuleTitle  string          `json:"rule_title"`
	Severity   string          `json:"severity"`
	Key        string          `json:"key"`
	RegionCode string          `json:"region_code"`
	SchoolYear string          `json:"school_year"`
	Term       string          `json:"term"`
	SchoolID   *int64          `json:"school_id"`
	SchoolName string          `json:"school_name"`
	StudentID  *int64          `json:"student_id"`
	Summary    string          `json:"summary"`
	Details    json.RawMessage `json:"details"`
	FirstSeen  time.Time       `json:"first_seen"`
	LastSeen   time.Time       `json:"last_seen"`
	ResolvedAt *time.Time      `json:"resolved_at"`
	Status     string          `json:"status"`
	Note       string          `json:"note"`
	UpdatedBy  string          `json:"updated_by"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

func anomalyOf(r service.AnomalyRow) anomalyBody {
	rule, _ := model.AnomalyRuleByCode(r.Rule)
	return anomalyBody{ID: r.ID, Rule: r.Rule, RuleNo: rule.PolicyNo, RuleTitle: rule.Title, Severity: r.Severity, Key: r.Fingerprint, RegionCode: r.RegionCode, SchoolYear: r.SchoolYear, Term: r.Term,
		SchoolID: r.SchoolID, SchoolName: r.SchoolName, StudentID: r.StudentID, Summary: r.Summary, Details: service.AnomalyDetails(r.Anomaly), FirstSeen: r.FirstSeen, LastSeen: r.LastSeen,
		ResolvedAt: r.ResolvedAt, Status: r.Status, Note: r.Note, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}
}

func anomalyFilter(c *gin.Context, p service.Page) service.AnomalyFilter {
	return service.AnomalyFilter{RegionCode: c.Query("region_code"), SchoolYear: c.Query("school_year"), Term: c.Query("term"),
		Rule: c.Query("rule"), Status: c.Query("status"), Q: c.Query("q"), Sort: c.Query("sort"), Page: p}
}

type anomalyListBody struct {
	listBody[anomalyBody]
	LastScanAt *time.Time `json:"last_scan_at"`
}

func (s *Server) listAnomalies(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.anomalies.ListAnomalies(c.Request.Context(), actor(c), anomalyFilter(c, p))
	if err != nil {
		writeError(c, err)
		return
	}
	last, err := s.anomalies.LastAnomalyScan(c.Request.Context())
	respond(c, http.StatusOK, anomalyListBody{listBody: listOf(l, anomalyOf), LastScanAt: last}, err)
}

func (s *Server) getAnomaly(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	r, err := s.anomalies.GetAnomaly(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, anomalyOf(r), err)
}

type anomalyPatchBody struct {
	Status string `json:"status"` // explained or open
	Note   string `json:"note"`
}

func (s *Server) patchAnomaly(c *gin.Context) {
	id, ok := pathID(c, "id")
	var b anomalyPatchBody
	if !ok || !bindJSON(c, &b) {
		return
	}
	r, err := s.anomalies.UpdateAnomaly(c.Request.Context(), actor(c), id, service.AnomalyUpdate{Status: b.Status, Note: b.Note})
	respond(c, http.StatusOK, anomalyOf(r), err)
}

func (s *Server) scanAnomalies(c *gin.Context) {
	r, err := s.anomalies.ScanAnomalies(c.Request.Context(), actor(c), service.ScanOptions{DryRun: c.Query("dry_run") == "true", OnDemand: true})
	respond(c, http.StatusOK, scanOf(r), err)
}

func (s *Server) exportAnomalies(c *gin.Context) {
	b, err := s.anomalies.AnomalyWorkbook(c.Request.Context(), actor(c), anomalyFilter(c, service.Page{}))
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "异常情况清单.xlsx", xlsxType, b)
}

type matchStudentBody struct {
	StudentID  int64            `json:"student_id"`
	Name       string           `json:"name"`
	IDNumber   string           `json:"id_number"` // masked
	SchoolID   int64            `json:"school_id"`
	SchoolName string           `json:"school_name"`
	Grade      string           `json:"grade"`
	Status     string           `json:"status"`
	Level      string           `json:"level"`
	Categories string           `json:"categories"`
	Problems   []string         `json:"problems"`
	Pending    []pendingAidBody `json:"pending_aid,omitempty"`
}

type matchBody struct {
	Kind             string              `json:"kind"`
	KindLabel        string              `json:"kind_label"`
	SchoolYear       string              `json:"school_year"`
	Rows             int                 `json:"rows"`
	Matched          int                 `json:"matched"`
	Unmatched        int                 `json:"unmatched"`
	Invalid          []matchRowErrorBody `json:"invalid"`
	OnList           []matchStudentBody  `json:"on_list_disagree"`
	NotOnList        []matchStudentBody  `json:"not_on_list"`
	NotOnListNote    string              `json:"not_on_list_note,omitempty"`
	FindingsOpened   int                 `json:"findings_opened"`
	FindingsResolved int                 `json:"findings_resolved"`
}

func matchStudentsOf(in []service.MatchStudent) []matchStudentBody {
	out := make([]matchStudentBody, 0, len(in))
	for _, m := range in {
		out = append(out, matchStudentBody{StudentID: m.StudentID, Name: m.Name, IDNumber: m.IDMasked, SchoolID: m.SchoolID,
			SchoolName: m.SchoolName, Grade: m.GradeText, Status: m.Status, Level: model.LevelLabel(m.Level),
			Categories: m.Categories, Problems: m.Problems, Pending: pendingAidOf(m.Pending)})
	}
	return out
}

// matching compares another department's list with the county's files
// (比对); the list is read in memory and not kept.
func (s *Server) matching(c *gin.Context) {
	f, fh, ok := formFile(c, "file")
	if !ok {
		return
	}
	defer f.Close()
	r, err := s.matcher.MatchDepartmentList(c.Request.Context(), actor(c), service.MatchUpload{Kind: c.PostForm("kind"),
		SchoolYear: c.PostForm("school_year"), Filename: fh.Filename, File: f, Size: fh.Size})
	respond(c, http.StatusOK, matchBody{Kind: r.Kind, KindLabel: r.KindLabel, SchoolYear: r.SchoolYear, Rows: r.Rows,
		Matched: r.Matched, Unmatched: r.Unmatched, Invalid: matchRowErrorsOf(r.Invalid), OnList: matchStudentsOf(r.OnList),
		NotOnList: matchStudentsOf(r.NotOnList), NotOnListNote: r.NotOnListNote, FindingsOpened: r.FindingsOpened,
		FindingsResolved: r.FindingsResolved}, err)
}
