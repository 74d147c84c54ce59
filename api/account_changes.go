package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

// accountChangeBody shows old and new accounts masked only.
type accountChangeBody struct {
	ID         int64      `json:"id"`
	StudentID  int64      `json:"student_id"`
	Name       string     `json:"name,omitempty"`
	IDNumber   string     `json:"id_number,omitempty"`
	RegionCode string     `json:"region_code"`
	OldBank    string     `json:"old_bank_name"`
	OldAccount string     `json:"old_account"`
	OldHolder  string     `json:"old_holder"`
	NewBank    string     `json:"new_bank_name"`
	NewAccount string     `json:"new_account"`
	NewHolder  string     `json:"new_holder"`
	HeldFen    model.Fen  `json:"held_fen"`
	Status     string     `json:"status"`
	MadeBy     string     `json:"made_by"`
	MadeAt     time.Time  `json:"made_at"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

func accountChangeOf(ac model.AccountChange) accountChangeBody {
	return accountChangeBody{ID: ac.ID, StudentID: ac.StudentID, RegionCode: ac.RegionCode, OldBank: ac.OldBankName,
		OldAccount: ac.OldAccountMasked, OldHolder: ac.OldHolder, NewBank: ac.NewBankName, NewAccount: ac.NewAccountMasked,
		NewHolder: ac.NewHolder, HeldFen: ac.HeldFen, Status: ac.Status, MadeBy: ac.MadeBy, MadeAt: ac.MadeAt,
		DecidedBy: ac.DecidedBy, DecidedAt: ac.DecidedAt, Reason: ac.Reason}
}

func accountChangeRowOf(r service.AccountChangeRow) accountChangeBody {
	b := accountChangeOf(r.AccountChange)
	b.Name, b.IDNumber = r.Name, r.IDMasked
	return b
}

func (s *Server) listAccountChanges(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.students.ListAccountChanges(c.Request.Context(), actor(c), c.Query("status"), p)
	respond(c, http.StatusOK, listOf(l, accountChangeRowOf), err)
}
