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
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"studentaid/model"
)

// dummyHashes holds, per bcrypt cost, the hash compared against when the
// username is unknown or disabled, so such a login costs as much time as a
// wrong password and names cannot be probed by timing.
var dummyHashes sync.Map

func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("studentaid-no-such-user"), cost)
	dummyHashes.Store(cost, h)
	return h
}

// LoginResult is a new session.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      model.User
}

func errBadCredentials() *Error {
	return newErr(CodeUnauth, "bad_credentials", "用户名或密码错误")
}

// Login checks a password. Failures are counted and locked per account, per
// address and per pair in the database (login_throttle.go); an unknown or
// disabled name takes the same path, time and answers as a wrong password.
// Every outcome is audited.
func (s *Auth) Login(ctx context.Context, client model.Actor, username, password string) (LoginResult, error) {
	rules := s.throttleRules(username, client.ClientIP)
	if until, err := s.lockedUntil(s.db.WithContext(ctx), rules); err != nil || until != nil {
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, lockedErr(*until)
	}
	var u model.User
	err := s.db.WithContext(ctx).Where("username = ?", username).First(&u).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return LoginResult{}, err
	}
	known := err == nil && !u.Disabled
	hash := dummyHash(s.opt.BcryptCost)
	if known {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		return LoginResult{}, s.loginFailed(ctx, client, rules, u, username)
	}
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	res := LoginResult{Token: base64.RawURLEncoding.EncodeToString(token), ExpiresAt: now.Add(s.opt.TokenTTL), User: u}
	actor := actorOf(u, client)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// A parallel wrong guess may have set a lock while bcrypt ran: the
		// lock wins, so no guess in a parallel burst gets through after it.
		if until, err := s.lockedUntil(tx, rules); err != nil || until != nil {
			if err != nil {
				return err
			}
			return lockedErr(*until)
		}
		if err := clearPair(tx, rules); err != nil {
			return err
		}
		sess := model.Session{TokenHash: tokenHash(res.Token), UserID: u.ID, ClientIP: client.ClientIP, CreatedAt: now, ExpiresAt: res.ExpiresAt}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "login", "session", strconv.FormatInt(sess.ID, 10), nil, map[string]any{"expires_at": res.ExpiresAt})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

func lockedErr(until time.Time) *Error {
	return newErr(CodeLocked, "account_locked", "登录失败次数过多，已暂时锁定，请于 %s 后再试",
		until.In(model.Shanghai()).Format("15:04"))
}

// loginFailed counts the failure against every throttle row, answers 429 once
// a lock is in force, and delays the answer from the pair's fifth try on.
// The audit entry names a real user by id and an unknown one by a hint only:
// what was typed may be a password entered in the wrong box.
func (s *Auth) loginFailed(ctx context.Context, client model.Actor, rules []throttleRule, u model.User, typed string) error {
	var failures int
	var until *time.Time
	err := s.bulkTx(ctx, func(tx *gorm.DB) error {
		var err error
		if failures, until, err = s.countFailure(tx, rules); err != nil {
			return err
		}
		after := map[string]any{"failures": failures}
		if until != nil {
			after["locked_until"] = *until
		}
		id := ""
		if u.ID != 0 {
			id, after["username"] = strconv.FormatInt(u.ID, 10), u.Username
		} else {
			after["username"], after["reason"] = typedHint(typed), "unknown_user"
		}
		return s.audit(tx, inRegion(client, deref(u.RegionCode)), "login_failed", "user", id, nil, after)
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
	a := model.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RequestID: client.RequestID, ClientIP: client.ClientIP,
		MustChangePassword: u.MustChangePassword}
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
