package api

import (
	"github.com/gin-gonic/gin"
)

// exportStudents is GET /students.xlsx: the student list with the page's
// filter and search, every page.
func (s *Server) exportStudents(c *gin.Context) {
	f, ok := studentFilter(c)
	if !ok {
		return
	}
	b, err := s.students.StudentWorkbook(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "学生名单.xlsx", xlsxType, b)
}

// exportEntitlements is GET /entitlements.xlsx: the aid list with the
// page's filter, search and order, every page, with its 合计 row.
func (s *Server) exportEntitlements(c *gin.Context) {
	f, ok := entitlementFilter(c)
	if !ok {
		return
	}
	b, err := s.entitlements.EntitlementWorkbook(c.Request.Context(), actor(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "资助名单.xlsx", xlsxType, b)
}

// exportBatches is GET /batches.xlsx: the batches with the page's filter.
func (s *Server) exportBatches(c *gin.Context) {
	b, err := s.batches.BatchListWorkbook(c.Request.Context(), actor(c), batchFilter(c))
	if err != nil {
		writeError(c, err)
		return
	}
	sendFile(c, "发放批次.xlsx", xlsxType, b)
}
