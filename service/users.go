package service

import (
	"context"
	"regexp"
	"strconv"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"studentaid/model"
)

// UserInput creates a user or, with nil fields left alone, changes one.
type UserInput struct {
	Username   string
	Password   *string
	Role       *model.Role
	RegionCode *string
	SchoolID   *int64
	Disabled   *bool
	Unlock     bool
	// OneTime marks a password the user did not choose (generated, or set
	// from the command line): it must be changed at the first login.
	OneTime bool
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{3,64}$`)

// userView is what the audit log keeps of a user: never the password hash.
type userView struct {
	ID         int64   `json:"id"`
	Username   string  `json:"username"`
	Role       string  `json:"role"`
	RegionCode *string `json:"region_code,omitempty"`
	SchoolID   *int64  `json:"school_id,omitempty"`
	Disabled   bool    `json:"disabled"`
}

func viewUser(u model.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: string(u.Role), RegionCode: u.RegionCode, SchoolID: u.SchoolID, Disabled: u.Disabled}
}

func (s *core) hashPassword(username, p string) (string, error) {
	if err := checkPassword(username, p); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), s.opt.BcryptCost)
	return string(h), err
}

// scopeFor checks that a role has the scope it needs and fills the region of
// a school officer from their school, so every non-admin user has a region.
func scopeFor(tx *gorm.DB, u *model.User) error {
	switch u.Role {
	case model.RoleAdmin:
		u.RegionCode, u.SchoolID = nil, nil
		return nil
	case model.RoleSchoolOfficer:
		if u.SchoolID == nil {
			return invalid("学校资助专干必须选择所属学校")
		}
		var sc model.School
		if err := tx.First(&sc, *u.SchoolID).Error; err != nil {
			return translate(err, "学校")
		}
		u.RegionCode = &sc.RegionCode
		return nil
	}
	u.SchoolID = nil
	if u.RegionCode == nil || *u.RegionCode == "" {
		return invalid("该角色必须选择所属区域")
	}
	if (u.Role == model.RoleCountyOfficer || u.Role == model.RoleFinance) && !model.IsCountyCode(*u.RegionCode) {
		return invalid("县级资助中心和财政用户的区域必须是区县代码")
	}
	var n int64
	if err := tx.Model(&model.Region{}).Where("code = ?", *u.RegionCode).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return invalid("区域代码 %s 不存在", *u.RegionCode)
	}
	return nil
}

// CreateUser is for admins (also used by the command line with a system actor).
func (s *Users) CreateUser(ctx context.Context, a model.Actor, in UserInput) (model.User, error) {
	if !a.Is(model.RoleAdmin) {
		return model.User{}, errRoleForbidden
	}
	if !usernamePattern.MatchString(in.Username) {
		return model.User{}, invalid("用户名须为 3–64 个字母、数字、下划线、点或连字符")
	}
	if in.Password == nil || in.Role == nil {
		return model.User{}, invalid("需要密码和角色")
	}
	if !in.Role.Valid() {
		return model.User{}, invalid("未知角色 %q", *in.Role)
	}
	hash, err := s.hashPassword(in.Username, *in.Password)
	if err != nil {
		return model.User{}, err
	}
	now := s.now()
	// A password an admin chose for someone else is a one-time password.
	u := model.User{Username: in.Username, PasswordHash: hash, Role: *in.Role, RegionCode: in.RegionCode,
		SchoolID: in.SchoolID, PasswordChangedAt: now, MustChangePassword: in.OneTime || a.UserID != 0}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := scopeFor(tx, &u); err != nil {
			return err
		}
		if err := tx.Create(&u).Error; err != nil {
			return translate(err, "用户名 "+in.Username)
		}
		return s.audit(tx, inRegion(a, deref(u.RegionCode)), "create", "user", strconv.FormatInt(u.ID, 10), nil, viewUser(u))
	})
	return u, err
}

// UpdateUser changes a user's password, role, scope or status; Unlock clears
// a login lock.
func (s *Users) UpdateUser(ctx context.Context, a model.Actor, id int64, in UserInput) (model.User, error) {
	if !a.Is(model.RoleAdmin) {
		return model.User{}, errRoleForbidden
	}
	var u model.User
	// Once the change is committed, this instance stops trusting the tokens
	// it verified before (sessions revoked below); others within SessionCache.
	defer s.sessions.forget()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&u, id).Error; err != nil {
			return translate(err, "用户")
		}
		before := viewUser(u)
		after := map[string]any{}
		if in.Password != nil {
			hash, err := s.hashPassword(u.Username, *in.Password)
			if err != nil {
				return err
			}
			// An admin's reset is a one-time password, unless it is their own.
			u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword = hash, s.now(), u.ID != a.UserID
			after["password_changed"] = true
		}
		if in.Role != nil {
			if !in.Role.Valid() {
				return invalid("未知角色 %q", *in.Role)
			}
			u.Role = *in.Role
		}
		if in.RegionCode != nil {
			u.RegionCode = in.RegionCode
		}
		if in.SchoolID != nil {
			u.SchoolID = in.SchoolID
		}
		if in.Disabled != nil {
			u.Disabled = *in.Disabled
		}
		if in.Unlock {
			if err := s.unlockAccount(tx, u.Username); err != nil {
				return err
			}
			after["unlocked"] = true
		}
		if err := scopeFor(tx, &u); err != nil {
			return err
		}
		if before.Role == string(model.RoleAdmin) && !before.Disabled && (u.Disabled || u.Role != model.RoleAdmin) {
			if err := keepAnAdmin(tx, u.ID); err != nil {
				return err
			}
		}
		if err := tx.Save(&u).Error; err != nil {
			return translate(err, "用户")
		}
		// A changed password, role or scope, or a disabled account, must not
		// keep working through sessions opened before the change.
		if in.Password != nil || in.Role != nil || in.RegionCode != nil || in.SchoolID != nil || u.Disabled {
			if err := tx.Model(&model.Session{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).
				Update("revoked_at", s.now()).Error; err != nil {
				return err
			}
		}
		after["user"] = viewUser(u)
		return s.audit(tx, inRegion(a, deref(u.RegionCode)), "update", "user", strconv.FormatInt(u.ID, 10), before, after)
	})
	return u, err
}

// ListUsers is for admins.
func (s *Users) ListUsers(ctx context.Context, a model.Actor, p Page) (List[model.User], error) {
	if !a.Is(model.RoleAdmin) {
		return List[model.User]{}, errRoleForbidden
	}
	out := List[model.User]{Page: p.Normalize()}
	q := s.db.WithContext(ctx).Model(&model.User{})
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	return out, out.Page.apply(q.Order("id")).Find(&out.Items).Error
}

// CountUsers tells the first start whether it must create an admin.
func (s *Users) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	return n, s.db.WithContext(ctx).Model(&model.User{}).Count(&n).Error
}

// keepAnAdmin refuses to disable or demote the last active admin: nobody
// could then manage accounts. The other admins' rows are locked, so two
// admins disabling each other at once cannot both succeed.
func keepAnAdmin(tx *gorm.DB, leaving int64) error {
	var others []int64
	err := tx.Model(&model.User{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("role = ? AND disabled = ? AND id <> ?", model.RoleAdmin, false, leaving).Pluck("id", &others).Error
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return ruleErr("last_admin", "这是最后一个在用的系统管理员账号，不能停用或改为其他角色")
	}
	return nil
}
