package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
	"studentaid/service"
)

type userRequest struct {
	Username   string      `json:"username"`
	Password   *string     `json:"password"`
	Role       *model.Role `json:"role"`
	RegionCode *string     `json:"region_code"`
	SchoolID   *int64      `json:"school_id"`
	Disabled   *bool       `json:"disabled"`
	Unlock     bool        `json:"unlock"`
}

func (r userRequest) input() service.UserInput {
	return service.UserInput{Username: r.Username, Password: r.Password, Role: r.Role, RegionCode: r.RegionCode,
		SchoolID: r.SchoolID, Disabled: r.Disabled, Unlock: r.Unlock}
}

func (s *Server) createUser(c *gin.Context) {
	var req userRequest
	if !bindJSON(c, &req) {
		return
	}
	u, err := s.users.CreateUser(c.Request.Context(), actor(c), req.input())
	respond(c, http.StatusCreated, userOf(u, false), err)
}

func (s *Server) updateUser(c *gin.Context) {
	id, ok := pathID(c, "id")
	var req userRequest
	if !ok || !bindJSON(c, &req) {
		return
	}
	u, err := s.users.UpdateUser(c.Request.Context(), actor(c), id, req.input())
	respond(c, http.StatusOK, s.usersOf(c, u)(u), err)
}

func (s *Server) listUsers(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.users.ListUsers(c.Request.Context(), actor(c), p)
	respond(c, http.StatusOK, listOf(l, s.usersOf(c, l.Items...)), err)
}

type regionBody struct {
	Code                   string  `json:"code"`
	Name                   string  `json:"name"`
	ParentCode             *string `json:"parent_code"`
	ContiguousHardshipArea bool    `json:"contiguous_hardship_area"`
}

func regionOf(r model.Region) regionBody {
	return regionBody{Code: r.Code, Name: r.Name, ParentCode: r.ParentCode, ContiguousHardshipArea: r.ContiguousHardshipArea}
}

func (s *Server) createRegion(c *gin.Context) {
	var req regionBody
	if !bindJSON(c, &req) {
		return
	}
	r, err := s.schools.CreateRegion(c.Request.Context(), actor(c), model.Region{
		Code: req.Code, Name: req.Name, ParentCode: req.ParentCode, ContiguousHardshipArea: req.ContiguousHardshipArea})
	respond(c, http.StatusCreated, regionOf(r), err)
}

func (s *Server) listRegions(c *gin.Context) {
	rs, err := s.schools.ListRegions(c.Request.Context())
	out := make([]regionBody, 0, len(rs))
	for _, r := range rs {
		out = append(out, regionOf(r))
	}
	respond(c, http.StatusOK, gin.H{"items": out, "total": len(out), "page": 1, "page_size": len(out)}, err)
}

type schoolBody struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	RegionCode string    `json:"region_code"`
	Type       string    `json:"type"`
	CreatedAt  time.Time `json:"created_at"`
}

func schoolOf(sc model.School) schoolBody {
	return schoolBody{ID: sc.ID, Code: sc.Code, Name: sc.Name, RegionCode: sc.RegionCode, Type: string(sc.Type), CreatedAt: sc.CreatedAt}
}

func (s *Server) createSchool(c *gin.Context) {
	var req schoolBody
	if !bindJSON(c, &req) {
		return
	}
	sc, err := s.schools.CreateSchool(c.Request.Context(), actor(c), model.School{
		Code: req.Code, Name: req.Name, RegionCode: req.RegionCode, Type: model.SchoolType(req.Type)})
	respond(c, http.StatusCreated, schoolOf(sc), err)
}

func (s *Server) listSchools(c *gin.Context) {
	p, ok := page(c)
	if !ok {
		return
	}
	l, err := s.schools.ListSchools(c.Request.Context(), actor(c), service.SchoolFilter{RegionCode: c.Query("region_code"), Page: p})
	respond(c, http.StatusOK, listOf(l, schoolOf), err)
}

func (s *Server) getSchool(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	sc, err := s.schools.GetSchool(c.Request.Context(), actor(c), id)
	respond(c, http.StatusOK, schoolOf(sc), err)
}
