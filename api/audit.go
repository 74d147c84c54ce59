package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type auditBody struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	ActorID   *int64          `json:"actor_id"`
	Actor     string          `json:"actor"`
	Role      string          `json:"role"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	RequestID string          `json:"request_id"`
	ClientIP  string          `json:"client_ip"`
	Region    string          `json:"region_code"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
	// The words an auditor reads: action and object kind in Chinese, the
	// object's name, and the change with amounts in 元 and Beijing time.
	ActionLabel string `json:"action_label"`
	EntityLabel string `json:"entity_label"`
	Object      string `json:"object"`
	Change      string `json:"change"`
}

func rawJSON(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		b, _ := json.Marshal(s)
		return b
	}
	return json.RawMessage(s)
}

func auditOf(e model.AuditEntry) auditBody {
	return auditBody{ID: e.ID, At: e.At, ActorID: e.ActorID, Actor: e.ActorName, Role: e.Role, Action: e.Action,
		Entity: e.Entity, EntityID: e.EntityID, Before: rawJSON(e.BeforeJSON), After: rawJSON(e.AfterJSON),
		RequestID: e.RequestID, ClientIP: e.ClientIP, Region: e.RegionCode, PrevHash: e.PrevHash, Hash: e.Hash}
}

func auditRowOf(r service.AuditRow) auditBody {
	b := auditOf(r.AuditEntry)
	b.ActionLabel, b.EntityLabel, b.Object, b.Change = r.ActionLabel, r.EntityLabel, r.Object, r.Change
	return b
}

// auditFilter reads the log's filters; false when one was bad (answered).
func auditFilter(c *gin.Context) (service.AuditFilter, bool) {
	from, ok1 := dateParam(c, "from")
	to, ok2 := dateParam(c, "to")
	if !ok1 || !ok2 {
		return service.AuditFilter{}, false
	}
	if c.Query("to") != "" && len(c.Query("to")) == len("2006-01-02") {
		to = to.AddDate(0, 0, 1) // a day given as "to" includes that whole day
	}
	return service.AuditFilter{Action: c.Query("action"), Entity: c.Query("entity"), EntityID: c.Query("entity_id"),
		Actor: c.Query("actor"), From: from, To: to, Sort: c.Query("sort")}, true
}

func (s *Server) listAudit(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	f, ok := auditFilter(c)
	if !ok {
		return
	}
	f.Page = p
	l, err := s.audit.ListAuditRows(c.Request.Context(), actor(c), f)
	respond(c, http.StatusOK, listOf(l, auditRowOf), err)
}

func (s *Server) exportAudit(c *gin.Context) {
	f, ok := auditFilter(c)
	if !ok {
		return
	}
	b, err := s.audit.AuditWorkbook(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "审计日志.xlsx", xlsxType, b)
}

type auditWordBody struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// auditWords are the codes of the log's filters with their Chinese names,
// for the page's drop-downs.
func (s *Server) auditWords(c *gin.Context) {
	words := func(ws []service.AuditWord) []auditWordBody {
		out := make([]auditWordBody, len(ws))
		for i, w := range ws {
			out[i] = auditWordBody{Code: w.Code, Label: w.Label}
		}
		return out
	}
	c.JSON(http.StatusOK, gin.H{"actions": words(service.AuditActions), "entities": words(service.AuditEntities)})
}

type auditActorBody struct {
	Username string `json:"username"`
	Role     string `json:"role"`
}

// auditActors answers the actors of the log the caller may read, for the
// page's drop-down (GET /users is for admins only).
func (s *Server) auditActors(c *gin.Context) {
	l, err := s.audit.AuditActors(c.Request.Context(), actor(c))
	out := make([]auditActorBody, 0, len(l))
	for _, x := range l {
		out = append(out, auditActorBody{Username: x.Username, Role: x.Role})
	}
	respond(c, http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)}, err)
}

type verifyBody struct {
	Entries  int64  `json:"entries"`
	OK       bool   `json:"ok"`
	BrokenAt *int64 `json:"broken_at,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

func (s *Server) verifyAudit(c *gin.Context) {
	r, err := s.audit.VerifyAudit(c.Request.Context(), actor(c))
	body := verifyBody{Entries: r.Entries, OK: r.OK, Problem: r.Problem}
	if !r.OK {
		body.BrokenAt = &r.BrokenAt
	}
	respond(c, http.StatusOK, body, err)
}
