package service

import (
	"context"
	"time"

	"studentaid/model"
)

// EntitlementFilter narrows GET /entitlements.
type EntitlementFilter struct {
	Program  string
	Term     string
	SchoolID int64
	Status   string
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
	out := List[EntitlementRow]{Page: f.Page.Normalize()}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err := out.Page.apply(q.Select(`ent.*, s.name, s.id_masked, sc.name AS school_name, l.notice_ends_at,
		(SELECT COUNT(*) FROM objections o WHERE o.list_id = ent.list_id AND o.student_id = ent.student_id) AS objections,
		(SELECT e.class FROM enrolments e WHERE e.student_id = ent.student_id AND e.school_id = ent.school_id
		   AND e.school_year = SUBSTR(ent.term, 1, 9) LIMIT 1) AS class`).
		Order("sc.code, ent.grade, s.name, ent.id")).Scan(&out.Items).Error
	return out, err
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
