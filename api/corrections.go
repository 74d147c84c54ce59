package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type correctBody struct {
	Level  string `json:"level"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

// correctedBody answers a correction: the record before and after, and the
// draft adjustment it planned (null when nothing more is due or owed).
type correctedBody struct {
	ID            int64      `json:"id"`
	EntitlementID int64      `json:"entitlement_id"`
	LevelBefore   string     `json:"level_before"`
	StageBefore   string     `json:"stage_before"`
	Level         string     `json:"level"`
	Stage         string     `json:"stage"`
	Reason        string     `json:"reason"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	Adjustment    *draftBody `json:"adjustment"`
}

type draftBody struct {
	ID        int64     `json:"id"`
	AmountFen model.Fen `json:"amount_fen"`
	AnnualFen model.Fen `json:"annual_fen"`
	Reason    string    `json:"reason"`
	Status    string    `json:"status"`
}

func (s *Server) correctEntitlement(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var b correctBody
	if !bindJSON(c, &b) {
		return
	}
	out, err := s.entitlements.CorrectEntitlement(c.Request.Context(), actor(c), id,
		service.CorrectRequest{Level: b.Level, Stage: b.Stage, Reason: b.Reason})
	if err != nil {
		writeError(c, err)
		return
	}
	cr := out.Correction
	body := correctedBody{ID: cr.ID, EntitlementID: cr.EntitlementID, LevelBefore: out.Before.Level, StageBefore: out.Before.Stage,
		Level: cr.Level, Stage: cr.Stage, Reason: cr.Reason, CreatedBy: cr.CreatedBy, CreatedAt: cr.CreatedAt}
	if adj := out.Adjustment; adj != nil {
		body.Adjustment = &draftBody{ID: adj.ID, AmountFen: adj.AmountFen, AnnualFen: adj.AnnualFen, Reason: adj.Reason, Status: adj.Status}
	}
	c.JSON(http.StatusOK, body)
}
