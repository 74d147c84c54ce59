package service

import (
	"context"
	"errors"
	"strconv"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/model"
)

// ChangePassword sets the acting user's own password (POST /auth/password)
// and ends the forced change. A wrong old password counts as a failed login
// of that account from that address, so a stolen session cannot be used to
// guess the password faster than the login page allows. Every other session
// of the user is revoked; the one that made the change goes on.
func (s *Auth) ChangePassword(ctx context.Context, a model.Actor, token, oldPassword, newPassword string) error {
	var u model.User
	if err := s.db.WithContext(ctx).First(&u, a.UserID).Error; err != nil {
		return translate(err, "用户")
	}
	rules := s.throttleRules(u.Username, a.ClientIP)
	if until, err := s.lockedUntil(s.db.WithContext(ctx), rules); err != nil || until != nil {
		if err != nil {
			return err
		}
		return lockedErr(*until)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(oldPassword)) != nil {
		if err := s.loginFailed(ctx, a, rules, u, u.Username); err != nil && !isReason(err, "bad_credentials") {
			return err
		}
		return newErr(CodeInvalid, "wrong_password", "原密码不正确")
	}
	if newPassword == oldPassword {
		return weakPassword("新密码不能与原密码相同")
	}
	hash, err := s.hashPassword(u.Username, newPassword)
	if err != nil {
		return err
	}
	defer s.sessions.forget()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&model.User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"password_hash": hash, "password_changed_at": s.now(), "must_change_password": false}).Error; err != nil {
			return err
		}
		if err := tx.Model(&model.Session{}).Where("user_id = ? AND token_hash <> ? AND revoked_at IS NULL", u.ID, tokenHash(token)).
			Update("revoked_at", s.now()).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "change_password", "user", strconv.FormatInt(u.ID, 10), nil, map[string]any{"forced": u.MustChangePassword})
	})
}

// isReason reports whether err is a service error with the reason.
func isReason(err error, reason string) bool {
	var se *Error
	return errors.As(err, &se) && se.Reason == reason
}
