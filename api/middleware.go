package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"studentaid/model"
)

const (
	ctxRequestID = "request_id"
	ctxActor     = "actor"
	ctxLog       = "log"
)

// withLog hands the server's logger to writeError, which answers from
// handlers that are plain functions.
func withLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxLog, log)
		c.Next()
	}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._\-]{1,64}$`)

// requestID keeps a sane caller-supplied X-Request-ID (so a proxy's id
// follows the request) or makes one, and echoes it on every response.
func requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// securityHeaders are on every response; the CSP allows only our own page.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	c.Next()
}

// accessLog writes one line per request. It logs the route pattern, never
// the raw URL: a search query may hold a full ID number.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		attrs := []any{
			"method", c.Request.Method,
			"route", c.FullPath(),
			"status", c.Writer.Status(),
			"ms", time.Since(start).Milliseconds(),
			"bytes", c.Writer.Size(),
			"request_id", c.GetString(ctxRequestID),
			"ip", c.ClientIP(),
		}
		if a, ok := c.Get(ctxActor); ok {
			actor := a.(model.Actor)
			attrs = append(attrs, "user_id", actor.UserID, "role", string(actor.Role))
		}
		log.InfoContext(c.Request.Context(), "request", attrs...)
	}
}

// recovery answers a panic with a plain 500 and logs the stack, never
// sending internals to the client.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic", "request_id", c.GetString(ctxRequestID), "panic", err)
		fail(c, http.StatusInternalServerError, "internal_error", "服务器内部错误，请联系管理员（请求编号 "+c.GetString(ctxRequestID)+"）")
	})
}

// limitBody caps what a handler can read; reading past it fails, and the
// handlers answer 413.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			fail(c, http.StatusRequestEntityTooLarge, "body_too_large", "请求内容过大（上限 "+strconv.FormatInt(n, 10)+" 字节）")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// clientOf is the anonymous actor of a request, before authentication.
func clientOf(c *gin.Context) model.Actor {
	return model.Actor{RequestID: c.GetString(ctxRequestID), ClientIP: c.ClientIP()}
}

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate puts the acting user on the context or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	a, err := s.auth.Authenticate(c.Request.Context(), bearer(c), clientOf(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Set(ctxActor, a)
	if a.MustChangePassword && !duringPasswordChange[c.Request.Method+" "+c.FullPath()] {
		fail(c, http.StatusForbidden, "password_change_required", "这是一次性密码或管理员重置的密码，请先修改密码")
		return
	}
	c.Next()
}

// duringPasswordChange are the routes a session may use before its
// one-time password is changed (API.md: every other one answers 403).
var duringPasswordChange = map[string]bool{
	"POST /api/v1/auth/password": true,
	"POST /api/v1/auth/logout":   true,
	"GET /api/v1/me":             true,
}

func actor(c *gin.Context) model.Actor {
	return c.MustGet(ctxActor).(model.Actor)
}
