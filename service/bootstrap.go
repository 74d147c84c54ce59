package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"studentaid/model"
)

// EnsureAdmin creates the first admin when the database has no users. It
// returns the password only when it generated one, so main can print it once.
func (s *Users) EnsureAdmin(ctx context.Context, password string) (generated string, err error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if password == "" {
		if password, err = RandomPassword(); err != nil {
			return "", err
		}
		generated = password
	}
	role := model.RoleAdmin
	_, err = s.CreateUser(ctx, model.SystemActor("first-start"), UserInput{Username: "admin", Password: &password, Role: &role,
		OneTime: generated != ""})
	return generated, err
}

// RandomPassword makes a 16-character password for first starts and the CLI.
func RandomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DemoPassword is the password of every demo user; the demo is for trying
// the system out, never for real data.
const DemoPassword = "demo-password-2026"

// DemoUser is one account the demo created, and the actor it acts as when
// the demo plays a term through the service.
type DemoUser struct {
	Username string
	Role     model.Role
	Scope    string
	Actor    model.Actor
}

// LoadDemo adds Yiyang's real division codes, a few schools of 南县 and 安化县
// and a user for every role. It is safe to run again: what exists is kept.
func (s *Service) LoadDemo(ctx context.Context) ([]DemoUser, error) {
	sys := model.SystemActor("demo")
	str := func(v string) *string { return &v }
	regions := []model.Region{
		{Code: "430000", Name: "湖南省"},
		{Code: "430900", Name: "益阳市", ParentCode: str("430000")},
		{Code: "430902", Name: "资阳区", ParentCode: str("430900")},
		{Code: "430903", Name: "赫山区", ParentCode: str("430900")},
		{Code: "430921", Name: "南县", ParentCode: str("430900")},
		{Code: "430922", Name: "桃江县", ParentCode: str("430900")},
		// 安化县 lies in the 武陵山 contiguous special-hardship area (POLICY.md).
		{Code: "430923", Name: "安化县", ParentCode: str("430900"), ContiguousHardshipArea: true},
		{Code: "430981", Name: "沅江市", ParentCode: str("430900")},
	}
	for _, r := range regions {
		if _, err := s.Schools.CreateRegion(ctx, sys, r); err != nil && !isConflict(err) {
			return nil, err
		}
	}
	ids, err := s.demoSchools(ctx, sys)
	if err != nil {
		return nil, err
	}
	return s.demoUsers(ctx, sys, ids)
}

// demoSchools creates the demo's schools (or finds them) by code.
func (s *Service) demoSchools(ctx context.Context, sys model.Actor) (map[string]int64, error) {
	schools := []model.School{
		{Code: "2143092101", Name: "南县南洲镇中心小学", RegionCode: "430921", Type: model.SchoolPrimary},
		{Code: "2143092102", Name: "南县茅草街镇九年制学校", RegionCode: "430921", Type: model.SchoolNineYear},
		{Code: "2143092103", Name: "南县第一中学", RegionCode: "430921", Type: model.SchoolSenior},
		{Code: "2143092104", Name: "南县职业中等专业学校", RegionCode: "430921", Type: model.SchoolVocational},
		{Code: "2143092301", Name: "安化县东坪镇中心小学", RegionCode: "430923", Type: model.SchoolPrimary},
		{Code: "2143092302", Name: "安化县梅城镇中学", RegionCode: "430923", Type: model.SchoolJunior},
		{Code: "2143092303", Name: "安化县职业中专学校", RegionCode: "430923", Type: model.SchoolVocational},
	}
	ids := map[string]int64{}
	for _, sc := range schools {
		created, err := s.Schools.CreateSchool(ctx, sys, sc)
		if err != nil && !isConflict(err) {
			return nil, err
		}
		if err != nil {
			if err := s.core.db.WithContext(ctx).Where("code = ?", sc.Code).First(&created).Error; err != nil {
				return nil, err
			}
		}
		ids[sc.Code] = created.ID
	}
	return ids, nil
}

// demoUsers creates the demo's accounts, one per role and scope, with the
// demo password.
func (s *Service) demoUsers(ctx context.Context, sys model.Actor, ids map[string]int64) ([]DemoUser, error) {
	str := func(v string) *string { return &v }
	users := []struct {
		name   string
		role   model.Role
		region string
		school string
		scope  string
	}{
		{"county_nanxian", model.RoleCountyOfficer, "430921", "", "南县"},
		{"school_nanzhou", model.RoleSchoolOfficer, "", "2143092101", "南县南洲镇中心小学"},
		{"school_maocaojie", model.RoleSchoolOfficer, "", "2143092102", "南县茅草街镇九年制学校"},
		{"school_yizhong", model.RoleSchoolOfficer, "", "2143092103", "南县第一中学"},
		{"school_zhizhuan", model.RoleSchoolOfficer, "", "2143092104", "南县职业中等专业学校"},
		{"county_anhua", model.RoleCountyOfficer, "430923", "", "安化县"},
		{"school_dongping", model.RoleSchoolOfficer, "", "2143092301", "安化县东坪镇中心小学"},
		{"school_meicheng", model.RoleSchoolOfficer, "", "2143092302", "安化县梅城镇中学"},
		{"school_anhuazhizhuan", model.RoleSchoolOfficer, "", "2143092303", "安化县职业中专学校"},
		{"finance_nanxian", model.RoleFinance, "430921", "", "南县"},
		{"auditor_yiyang", model.RoleAuditor, "430900", "", "益阳市"},
	}
	var out []DemoUser
	for _, u := range users {
		in := UserInput{Username: u.name, Password: str(DemoPassword), Role: &u.role}
		if u.region != "" {
			in.RegionCode = str(u.region)
		}
		if u.school != "" {
			id := ids[u.school]
			in.SchoolID = &id
		}
		// Looked up first: hashing a password only to hear it exists would
		// make every later start with --demo pay for bcrypt eleven times.
		var created model.User
		err := s.core.db.WithContext(ctx).Where("username = ?", u.name).Limit(1).Find(&created).Error
		if err == nil && created.ID == 0 {
			created, err = s.Users.CreateUser(ctx, sys, in)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, DemoUser{Username: u.name, Role: u.role, Scope: u.scope, Actor: actorOf(created, model.Actor{RequestID: "demo"})})
	}
	return out, nil
}

func isConflict(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.Code == CodeConflict
}
