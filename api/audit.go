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
}

func rawJSON(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		b, _ := json.Marshal(s)
		return b
	}
	return json.RawMessage(s)
}

func auditOf(e model.AuditEntry) auditBody {
	return auditBody{e.ID, e.At, e.ActorID, e.ActorName, e.Role, e.Action, e.Entity, e.EntityID,
		rawJSON(e.BeforeJSON), rawJSON(e.AfterJSON), e.RequestID, e.ClientIP, e.RegionCode, e.PrevHash, e.Hash}
}

func (s *Server) listAudit(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	from, ok1 := dateParam(c, "from")
	to, ok2 := dateParam(c, "to")
	if !ok1 || !ok2 {
		return
	}
	if c.Query("to") != "" && len(c.Query("to")) == len("2006-01-02") {
		to = to.AddDate(0, 0, 1) // a day given as "to" includes that whole day
	}
	l, err := s.audit.ListAudit(c.Request.Context(), actor(c), service.AuditFilter{
		Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Actor: c.Query("actor"), From: from, To: to, Page: p})
	respond(c, http.StatusOK, listOf(l, auditOf), err)
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
