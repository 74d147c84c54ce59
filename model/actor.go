// Package model holds the entities of studentaid (as gorm models) and the value
// types every layer shares: roles and scopes, money, ID numbers, terms.
package model

import "strings"

type Role string

const (
	RoleAdmin         Role = "admin"
	RoleCountyOfficer Role = "county_officer"
	RoleSchoolOfficer Role = "school_officer"
	RoleFinance       Role = "finance"
	RoleAuditor       Role = "auditor"
)

// Roles lists every role, in the order the UI and the docs show them.
var Roles = []Role{RoleAdmin, RoleCountyOfficer, RoleSchoolOfficer, RoleFinance, RoleAuditor}

func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Label is the role's name as users read it.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "系统管理员"
	case RoleCountyOfficer:
		return "县级资助中心"
	case RoleSchoolOfficer:
		return "学校资助专干"
	case RoleFinance:
		return "财政（资金发放）"
	case RoleAuditor:
		return "审计"
	}
	return string(r)
}

// Actor is who makes a request: the user, the scope they act in and where
// the request came from. Services take it as a value and filter by it.
type Actor struct {
	UserID     int64
	Username   string
	Role       Role
	RegionCode string // county or city code; empty for admin and school officers' derived scope
	SchoolID   int64  // set for school officers
	RequestID  string
	ClientIP   string
	// MustChangePassword: the session may only change the password (API.md
	// 403 password_change_required).
	MustChangePassword bool
}

// ScopeKind says how far the actor sees: all, city, county or school.
func (a Actor) ScopeKind() string {
	switch {
	case a.Role == RoleAdmin:
		return "all"
	case a.SchoolID != 0:
		return "school"
	case IsCountyCode(a.RegionCode):
		return "county"
	default:
		return "city"
	}
}

// Is reports whether the actor has one of the roles.
func (a Actor) Is(roles ...Role) bool {
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// RegionPrefix is the GB/T 2260 prefix that every region in the code's area
// shares: 430000 (province) → 43, 430900 (city) → 4309, 430921 (county) → 430921.
func RegionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// IsCountyCode reports whether a six-digit division code names a county-level
// area (区, 县, 县级市) rather than a city or province.
func IsCountyCode(code string) bool {
	return len(code) == 6 && !strings.HasSuffix(code, "00")
}

// RegionCovers reports whether the area of scope contains region code.
func RegionCovers(scope, code string) bool {
	return strings.HasPrefix(code, RegionPrefix(scope))
}

// SystemActor is who acts for the command line and the scheduler; the audit
// log shows it as "system" with the given name in the request id.
func SystemActor(what string) Actor {
	return Actor{Role: RoleAdmin, RequestID: what}
}
