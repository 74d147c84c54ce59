package service

import (
	"gorm.io/gorm"

	"studentaid/model"
)

// The scope rules live here and nowhere else (DESIGN.md: the API enforces scope
// on every read and write). Reads outside scope answer 404 so that they do not
// reveal what exists; writes outside scope answer 403.

// inScopeSchools restricts q to rows whose column col holds a school id the
// actor may see.
func inScopeSchools(q *gorm.DB, a model.Actor, col string) *gorm.DB {
	switch a.ScopeKind() {
	case "all":
		return q
	case "school":
		return q.Where(col+" = ?", a.SchoolID)
	}
	return q.Where(col+" IN (?)", q.Session(&gorm.Session{NewDB: true}).
		Table("schools").Select("id").Where("region_code LIKE ?", model.RegionPrefix(a.RegionCode)+"%"))
}

// inScopeRegions restricts q to rows whose column col holds a region code in
// the actor's area. A school officer's area is their school's county.
func inScopeRegions(q *gorm.DB, a model.Actor, col string) *gorm.DB {
	if a.ScopeKind() == "all" {
		return q
	}
	return q.Where(col+" LIKE ?", model.RegionPrefix(a.RegionCode)+"%")
}

// seesSchool reports whether the actor may read the school's data.
func seesSchool(a model.Actor, sc model.School) bool {
	switch a.ScopeKind() {
	case "all":
		return true
	case "school":
		return a.SchoolID == sc.ID
	}
	return model.RegionCovers(a.RegionCode, sc.RegionCode)
}

// seesRegion reports whether a region code lies in the actor's area.
func seesRegion(a model.Actor, code string) bool {
	return a.ScopeKind() == "all" || model.RegionCovers(a.RegionCode, code)
}
