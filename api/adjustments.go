package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type adjustmentBody struct {
	ID            int64      `json:"id"`
	EntitlementID int64      `json:"entitlement_id"`
	StudentID     int64      `json:"student_id"`
	Name          string     `json:"name"`
	IDNumber      string     `json:"id_number"`
	SchoolID      int64      `json:"school_id"`
	SchoolName    string     `json:"school_name"`
	Program       string     `json:"program"`
	Term          string     `json:"term"`
	PaidFen       model.Fen  `json:"paid_fen"`
	AmountFen     model.Fen  `json:"amount_fen"`
	AnnualFen     model.Fen  `json:"annual_fen"`
	Reason        string     `json:"reason"`
	Status        string     `json:"status"`
	ApprovedBy    string     `json:"approved_by"`
	ApprovedAt    *time.Time `json:"approved_at"`
}

func adjustmentOf(r service.AdjustmentRow) adjustmentBody {
	return adjustmentBody{r.ID, r.EntitlementID, r.StudentID, r.Name, r.IDMasked, r.SchoolID, r.SchoolName, r.Program, r.Term,
		r.PaidFen, r.AmountFen, r.AnnualFen, r.Reason, r.Status, r.ApprovedBy, r.ApprovedAt}
}

func (s *Server) listAdjustments(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.entitlements.ListAdjustments(c.Request.Context(), actor(c), service.AdjustmentFilter{Program: c.Query("program"),
		Term: c.Query("term"), Status: c.Query("status"), Page: p})
	respond(c, http.StatusOK, listOf(l, adjustmentOf), err)
}
