package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/model"
)

// dummyHash is compared against when the username is unknown, so a wrong
// username costs as much time as a wrong password and names cannot be probed.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("studentaid-no-such-user"), bcrypt.MinCost)

// LoginResult is a new session.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      model.User
}

func errBadCredentials() *Error {
	return newErr(CodeUnauth, "bad_credentials", "用户名或密码错误")
}

// Login checks a password, slowing repeated failures and locking the account
// for a while after MaxFailures in a row. Every outcome is audited.
func (s *Auth) Login(ctx context.Context, client model.Actor, username, password string) (LoginResult, error) {
	var u model.User
	err := s.db.WithContext(ctx).Where("username = ?", username).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		// What was typed may be a password entered in the wrong box: keep a hint only.
		s.auditAlone(ctx, client, "login_failed", "user", "", nil, map[string]string{"username": typedHint(username), "reason": "unknown_user"})
		return LoginResult{}, errBadCredentials()
	}
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return LoginResult{}, lockedErr(*u.LockedUntil)
	}
	if u.Disabled {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return LoginResult{}, errBadCredentials()
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return LoginResult{}, s.loginFailed(ctx, client, u)
	}
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return LoginResult{}, err
	}
	res := LoginResult{Token: base64.RawURLEncoding.EncodeToString(token), ExpiresAt: now.Add(s.opt.TokenTTL), User: u}
	actor := actorOf(u, client)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"failed_logins": 0, "locked_until": nil}).Error; err != nil {
			return err
		}
		sess := model.Session{TokenHash: tokenHash(res.Token), UserID: u.ID, ClientIP: client.ClientIP, CreatedAt: now, ExpiresAt: res.ExpiresAt}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "login", "session", strconv.FormatInt(sess.ID, 10), nil, map[string]any{"expires_at": res.ExpiresAt})
	})
	return res, err
}

// Locked reports whether a user's account is locked now (service clock).
func (s *Auth) Locked(u model.User) bool {
	return u.LockedUntil != nil && s.now().Before(*u.LockedUntil)
}

func lockedErr(until time.Time) *Error {
	return newErr(CodeLocked, "account_locked", "登录失败次数过多，账号已锁定，请于 %s 后再试",
		until.In(model.Shanghai()).Format("15:04"))
}

// loginFailed counts the failure in the database (so every instance sees it),
// locks the account at the limit, and delays the answer from the fifth try on.
func (s *Auth) loginFailed(ctx context.Context, client model.Actor, u model.User) error {
	now := s.now()
	failures := u.FailedLogins + 1
	var until *time.Time
	if failures >= s.opt.MaxFailures {
		t := now.Add(s.opt.LockDuration)
		until = &t
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&model.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"failed_logins": gorm.Expr("failed_logins + 1"), "locked_until": until}).Error; err != nil {
			return err
		}
		after := map[string]any{"username": u.Username, "failures": failures}
		if until != nil {
			after["locked_until"] = *until
		}
		return s.audit(tx, client, "login_failed", "user", strconv.FormatInt(u.ID, 10), nil, after)
	})
	if err != nil {
		return err
	}
	if until != nil {
		return lockedErr(*until)
	}
	if failures > 4 && s.opt.FailureDelay > 0 {
		s.opt.Sleep(ctx, min(s.opt.FailureDelay*time.Duration(failures-4), 5*time.Second))
	}
	return errBadCredentials()
}

// typedHint keeps the first two characters of an unknown username.
func typedHint(s string) string {
	r := []rune(s)
	if len(r) <= 2 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", min(len(r)-2, 8))
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func actorOf(u model.User, client model.Actor) model.Actor {
	a := model.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RequestID: client.RequestID, ClientIP: client.ClientIP}
	if u.RegionCode != nil {
		a.RegionCode = *u.RegionCode
	}
	if u.SchoolID != nil {
		a.SchoolID = *u.SchoolID
	}
	return a
}

// Authenticate turns a bearer token into the acting user; client carries the
// request id and address to be kept on the actor.
func (s *Auth) Authenticate(ctx context.Context, token string, client model.Actor) (model.Actor, error) {
	if token == "" {
		return model.Actor{}, newErr(CodeUnauth, "no_token", "请先登录")
	}
	hash, now := tokenHash(token), s.now()
	if c, ok := s.sessions.get(hash, now, s.opt.SessionCache); ok && now.Before(c.expiresAt) {
		return actorOf(c.user, client), nil
	}
	var row struct {
		model.User
		SessionExpiresAt time.Time
	}
	err := s.db.WithContext(ctx).Model(&model.User{}).Select("users.*, sessions.expires_at AS session_expires_at").
		Joins("JOIN sessions ON sessions.user_id = users.id").
		Where("sessions.token_hash = ? AND sessions.revoked_at IS NULL AND sessions.expires_at > ? AND users.disabled = ?",
			hash, now, false).
		Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return model.Actor{}, newErr(CodeUnauth, "invalid_token", "登录已过期或已退出，请重新登录")
	}
	if err != nil {
		return model.Actor{}, err
	}
	s.sessions.put(hash, cachedSession{user: row.User, expiresAt: row.SessionExpiresAt}, now, s.opt.SessionCache)
	return actorOf(row.User, client), nil
}

// Logout revokes the token; a second logout with it is a no-op.
func (s *Auth) Logout(ctx context.Context, a model.Actor, token string) error {
	defer s.sessions.forget()
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&model.Session{}).Where("token_hash = ? AND revoked_at IS NULL", tokenHash(token)).
			Update("revoked_at", s.now())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.audit(tx, a, "logout", "user", strconv.FormatInt(a.UserID, 10), nil, nil)
	})
}

// Me returns the acting user's record.
func (s *Auth) Me(ctx context.Context, a model.Actor) (model.User, error) {
	var u model.User
	err := s.db.WithContext(ctx).First(&u, a.UserID).Error
	return u, translate(err, "用户")
}
