package service

import (
	"errors"
	"fmt"
	"syscall"

	"gorm.io/gorm"
)

// Code classifies an Error; api maps each code to one HTTP status.
type Code string

const (
	CodeInvalid     Code = "invalid"      // 400: the request is malformed
	CodeUnauth      Code = "unauthorized" // 401
	CodeForbidden   Code = "forbidden"    // 403: outside the caller's role or scope
	CodeNotFound    Code = "not_found"    // 404: absent, or outside the caller's read scope
	CodeConflict    Code = "conflict"     // 409: the state does not allow it
	CodeTooLarge    Code = "too_large"    // 413
	CodeRule        Code = "rule"         // 422: a business rule refuses it
	CodeLocked      Code = "locked"       // 429: too many failed logins
	CodeUnavailable Code = "unavailable"  // 503: the database does not answer
	CodeNoSpace     Code = "no_space"     // 507: the data directory's disk is full
)

// Error is the one error type services return to callers. Message is shown to
// users as it is, so it is written in Chinese and says what to do.
type Error struct {
	Code    Code
	Reason  string // snake_case detail for clients, e.g. "account_locked"
	Message string
	Details any // extra JSON for the client, e.g. a roster's row errors
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

func newErr(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Error {
	return newErr(CodeInvalid, "invalid_input", format, args...)
}

func notFound(what string) *Error {
	return newErr(CodeNotFound, "not_found", "%s不存在或不在您的权限范围内", what)
}

func forbidden(format string, args ...any) *Error {
	return newErr(CodeForbidden, "forbidden", format, args...)
}

func conflict(format string, args ...any) *Error {
	return newErr(CodeConflict, "conflict", format, args...)
}

func ruleErr(reason, format string, args ...any) *Error {
	return newErr(CodeRule, reason, format, args...)
}

// errRoleForbidden is the answer when a role may not use an operation at all.
var errRoleForbidden = forbidden("您的角色无权执行此操作")

// errStudentData refuses the system administrator children's files, batches,
// ledgers and reports: it manages accounts, regions, schools, standards and
// jobs, and reads the audit log (DESIGN.md, least privilege).
var errStudentData = forbidden("系统管理员不能查看学生档案、发放批次、台账和报表")

// storageErr names a full disk for the user; other file errors stay
// internal.
func storageErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return newErr(CodeNoSpace, "disk_full", "服务器磁盘空间不足，未保存上传的文件，请联系管理员清理后重试")
	}
	return err
}

// The same errors for callers outside service that refuse on their own
// (jobs), so every refusal reads alike.

// ErrRoleForbidden is errRoleForbidden.
var ErrRoleForbidden = errRoleForbidden

// NotFound says what does not exist, in a full sentence.
func NotFound(format string, args ...any) *Error {
	return newErr(CodeNotFound, "not_found", format, args...)
}

// Conflict refuses what the current state does not allow, with its reason.
func Conflict(reason, format string, args ...any) *Error {
	return newErr(CodeConflict, reason, format, args...)
}

// translate turns gorm's portable errors into service errors; what stays
// unknown is returned as is and becomes a logged 500.
func translate(err error, what string) error {
	var se *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return notFound(what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return conflict("%s已存在", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return invalid("%s引用的数据不存在", what)
	}
	return err
}
