package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"studentaid/service"
)

// statusOf is the one map from service error codes to HTTP status.
var statusOf = map[service.Code]int{
	service.CodeInvalid:     http.StatusBadRequest,
	service.CodeUnauth:      http.StatusUnauthorized,
	service.CodeForbidden:   http.StatusForbidden,
	service.CodeNotFound:    http.StatusNotFound,
	service.CodeConflict:    http.StatusConflict,
	service.CodeTooLarge:    http.StatusRequestEntityTooLarge,
	service.CodeRule:        http.StatusUnprocessableEntity,
	service.CodeLocked:      http.StatusTooManyRequests,
	service.CodeUnavailable: http.StatusServiceUnavailable,
	service.CodeNoSpace:     http.StatusInsufficientStorage,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// writeError answers with the service error's status and message; anything
// else is logged with the request id and answered without internals.
func writeError(c *gin.Context, err error) {
	var se *service.Error
	if errors.As(err, &se) {
		status, ok := statusOf[se.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: se.Reason, Message: se.Message, Details: se.Details}})
		return
	}
	if service.IsUnavailable(err) {
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, errorBody{Error: errorDetail{Code: "database_unavailable", Message: "数据库暂时无法访问，请稍后重试", Details: nil}})
		return
	}
	log, ok := c.Value(ctxLog).(*slog.Logger)
	if !ok {
		log = slog.Default()
	}
	log.ErrorContext(c.Request.Context(), "internal error", "request_id", c.GetString(ctxRequestID), "err", err)
	c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorDetail{Code: "internal_error", Message: "服务器内部错误，请联系管理员（请求编号 " + c.GetString(ctxRequestID) + "）", Details: nil}})
}

func fail(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message, Details: nil}})
}
