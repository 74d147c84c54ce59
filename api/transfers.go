package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/service"
)

// transferBody is a transfer request; the current school is named 外县学校
// to another county's officers.
type transferBody struct {
	ID             int64      `json:"id"`
	StudentID      int64      `json:"student_id"`
	Name           string     `json:"name"`
	IDNumber       string     `json:"id_number"`
	SchoolYear     string     `json:"school_year"`
	FromSchoolID   int64      `json:"from_school_id,omitempty"`
	FromSchoolName string     `json:"from_school_name"`
	ToSchoolID     int64      `json:"to_school_id"`
	ToSchoolName   string     `json:"to_school_name"`
	Status         string     `json:"status"`
	Note           string     `json:"note"`
	RequestedBy    string     `json:"requested_by"`
	RequestedAt    time.Time  `json:"requested_at"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	CanDecide      bool       `json:"can_decide"`
}

func transferOf(r service.TransferRow) transferBody {
	b := transferBody{ID: r.ID, StudentID: r.StudentID, Name: r.Name, IDNumber: r.IDMasked, SchoolYear: r.SchoolYear,
		FromSchoolName: r.FromSchoolName, ToSchoolID: r.ToSchoolID, ToSchoolName: r.ToSchoolName, Status: r.Status,
		Note: r.Note, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt,
		Reason: r.Reason, CanDecide: r.CanDecide}
	if r.CanDecide {
		b.FromSchoolID = r.FromSchoolID
	} else {
		// The requester learns nothing of the student's file beyond what
		// its roster row already said.
		b.StudentID = 0
	}
	return b
}

type transferRequestBody struct {
	IDType     string `json:"id_type"`
	IDNumber   string `json:"id_number"`
	SchoolID   int64  `json:"school_id"`
	SchoolYear string `json:"school_year"`
	Note       string `json:"note"`
}

func (s *Server) requestTransfer(c *gin.Context) {
	var b transferRequestBody
	if !bindJSON(c, &b) {
		return
	}
	r, err := s.students.RequestTransfer(c.Request.Context(), actor(c), service.TransferRequest{IDType: b.IDType,
		IDNumber: b.IDNumber, SchoolID: b.SchoolID, SchoolYear: b.SchoolYear, Note: b.Note})
	respond(c, http.StatusCreated, transferOf(r), err)
}

func (s *Server) listTransfers(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.students.ListTransfers(c.Request.Context(), actor(c), c.Query("status"), p)
	respond(c, http.StatusOK, listOf(l, transferOf), err)
}

func (s *Server) acceptTransfer(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	r, err := s.students.AcceptTransfer(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, transferOf(r), err)
}

func (s *Server) rejectTransfer(c *gin.Context) {
	id, ok := pathID(c, "id")
	var b struct {
		Reason string `json:"reason"`
	}
	if !ok || !bindJSON(c, &b) {
		return
	}
	r, err := s.students.RejectTransfer(c.Request.Context(), actor(c), id, b.Reason)
	respond(c, http.StatusOK, transferOf(r), err)
}
