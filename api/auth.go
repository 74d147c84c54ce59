package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type scopeBody struct {
	Kind       string  `json:"kind"`
	RegionCode *string `json:"region_code"`
	SchoolID   *int64  `json:"school_id"`
}

type userBody struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	RoleLabel string    `json:"role_label"`
	Scope     scopeBody `json:"scope"`
	Disabled  bool      `json:"disabled"`
	Locked    bool      `json:"locked"`
	// PasswordChangeRequired: the next step must be POST /auth/password.
	PasswordChangeRequired bool      `json:"password_change_required"`
	CreatedAt              time.Time `json:"created_at"`
}

// usersOf renders users with whether each is locked now, asked in one query;
// when that query fails the users are shown, unlocked, and the error logged.
func (s *Server) usersOf(c *gin.Context, users ...model.User) func(model.User) userBody {
	locked, err := s.users.LockedUsers(c.Request.Context(), users...)
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "locked users", "err", err)
	}
	return func(u model.User) userBody { return userOf(u, locked[u.ID]) }
}

func userOf(u model.User, locked bool) userBody {
	kind := "all"
	switch {
	case u.SchoolID != nil:
		kind = "school"
	case u.RegionCode != nil && model.IsCountyCode(*u.RegionCode):
		kind = "county"
	case u.RegionCode != nil:
		kind = "city"
	}
	return userBody{
		ID: u.ID, Username: u.Username, Role: string(u.Role), RoleLabel: u.Role.Label(),
		Scope:    scopeBody{Kind: kind, RegionCode: u.RegionCode, SchoolID: u.SchoolID},
		Disabled: u.Disabled, Locked: locked, PasswordChangeRequired: u.MustChangePassword,
		CreatedAt: u.CreatedAt,
	}
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userBody  `json:"user"`
}

func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if !bindJSON(c, &req) {
		return
	}
	res, err := s.auth.Login(c.Request.Context(), clientOf(c), req.Username, req.Password)
	respond(c, http.StatusOK, loginResponse{Token: res.Token, ExpiresAt: res.ExpiresAt, User: userOf(res.User, false)}, err)
}

type passwordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (s *Server) changePassword(c *gin.Context) {
	var req passwordRequest
	if !bindJSON(c, &req) {
		return
	}
	err := s.auth.ChangePassword(c.Request.Context(), actor(c), bearer(c), req.OldPassword, req.NewPassword)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) logout(c *gin.Context) {
	err := s.auth.Logout(c.Request.Context(), actor(c), bearer(c))
	respond(c, http.StatusOK, gin.H{"ok": true}, err)
}

func (s *Server) me(c *gin.Context) {
	u, err := s.auth.Me(c.Request.Context(), actor(c))
	respond(c, http.StatusOK, s.usersOf(c, u)(u), err)
}
