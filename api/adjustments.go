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
	return adjustmentBody{ID: r.ID, EntitlementID: r.EntitlementID, StudentID: r.StudentID, Name: r.Name, IDNumber: r.IDMasked, SchoolID: r.SchoolID, SchoolName: r.SchoolName, Program: r.Program, Term: r.Term,
		PaidFen: r.PaidFen, AmountFen: r.AmountFen, AnnualFen: r.AnnualFen, Reason: r.Reason, Status: r.Status, ApprovedBy: r.ApprovedBy, ApprovedAt: r.ApprovedAt}
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
