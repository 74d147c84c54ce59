package service

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// EntitlementFilter narrows GET /entitlements.
type EntitlementFilter struct {
	Program  string
	Term     string
	SchoolID int64
	Status   string
	Q        string // any part of a name, the last digits or the whole of an ID number
	Sort     string // one of entitlementSorts; empty: school, grade, name
	Page     Page
}

// EntitlementRow is an entitlement as lists show it (ID masked).
type EntitlementRow struct {
	model.Entitlement
	Name         string
	IDMasked     string
	SchoolName   string
	Class        string
	Objections   int
	NoticeEndsAt *time.Time
}

// ListEntitlements lists entitlements in scope with the objections raised
// against each during its notice.
func (s *Entitlements) ListEntitlements(ctx context.Context, a model.Actor, f EntitlementFilter) (List[EntitlementRow], error) {
	q, err := s.entitlementQuery(ctx, a, f)
	out := List[EntitlementRow]{Page: f.Page.Normalize()}
	if err != nil {
		return out, err
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = out.Page.apply(entitlementRows(q, f)).Scan(&out.Items).Error
	return out, err
}

// entitlementSorts are the orders a list can be sorted in, each ending on
// the id so that pages never overlap.
var entitlementSorts = map[string]string{
	"":        "sc.code, ent.grade, s.name, ent.id",
	"name":    "s.name, ent.id",
	"amount":  "ent.amount_fen, ent.id",
	"-amount": "ent.amount_fen DESC, ent.id",
	"grade":   "ent.grade, sc.code, s.name, ent.id",
	"status":  "ent.status, sc.code, ent.grade, s.name, ent.id",
	"school":  "sc.name, ent.grade, s.name, ent.id",
	"level":   "ent.level, sc.code, s.name, ent.id",
	"-grade":  "ent.grade DESC, sc.code, s.name, ent.id",
	"-name":   "s.name DESC, ent.id",
	"-school": "sc.name DESC, ent.grade, s.name, ent.id",
	"-status": "ent.status DESC, sc.code, s.name, ent.id",
	"-level":  "ent.level DESC, sc.code, s.name, ent.id",
}

// entitlementQuery is the filtered, scoped list of entitlements.
func (s *Entitlements) entitlementQuery(ctx context.Context, a model.Actor, f EntitlementFilter) (*gorm.DB, error) {
	if _, ok := entitlementSorts[f.Sort]; !ok {
		return nil, invalid("排序方式 %q 无效", truncateRunes(f.Sort, 16))
	}
	q := s.reader(ctx).Table("entitlements ent").
		Joins("JOIN students s ON s.id = ent.student_id").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Joins("JOIN aid_lists l ON l.id = ent.list_id")
	q = inScopeSchools(q, a, "ent.school_id")
	if f.Program != "" {
		q = q.Where("ent.program = ?", f.Program)
	}
	if f.Term != "" {
		q = q.Where("ent.term = ?", f.Term)
	}
	if f.SchoolID != 0 {
		q = q.Where("ent.school_id = ?", f.SchoolID)
	}
	if f.Status != "" {
		q = q.Where("ent.status = ?", f.Status)
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		q = s.searchStudents(q, "s", qs)
	}
	return q, nil
}

// entitlementRows selects a list's columns in the filter's order.
func entitlementRows(q *gorm.DB, f EntitlementFilter) *gorm.DB {
	return q.Select(`ent.*, s.name, s.id_masked, sc.name AS school_name, l.notice_ends_at,
		(SELECT COUNT(*) FROM objections o WHERE o.list_id = ent.list_id AND o.student_id = ent.student_id) AS objections,
		(SELECT e.class FROM enrolments e WHERE e.student_id = ent.student_id AND e.school_id = ent.school_id
		   AND e.school_year = SUBSTR(ent.term, 1, 9) LIMIT 1) AS class`).
		Order(entitlementSorts[f.Sort])
}

// EntitlementTotal is the head count and amount of the whole filtered list,
// for its 合计 row.
func (s *Entitlements) EntitlementTotal(ctx context.Context, a model.Actor, f EntitlementFilter) (Tally, error) {
	var t Tally
	q, err := s.entitlementQuery(ctx, a, f)
	if err != nil {
		return t, err
	}
	var r struct {
		N   int
		Fen model.Fen
	}
	err = q.Select("COUNT(*) AS n, COALESCE(SUM(ent.amount_fen), 0) AS fen").Scan(&r).Error
	return Tally{Count: r.N, Fen: r.Fen}, err
}

// Payment is one batch line of a student: what was (to be) paid, in which
// batch, and how it went.
type Payment struct {
	EntitlementID int64
	BatchID       int64
	BatchNumber   string
	Program       string
	Term          string
	AmountFen     model.Fen
	AccountMasked string
	Status        string
	FailReason    string
	ResultAt      *time.Time
}
