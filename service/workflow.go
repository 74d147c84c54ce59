package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// ListRef names one school's list.
type ListRef struct {
	Program  string
	Term     string
	SchoolID int64
}

// Transition is the outcome of submit, approve, return or revoke.
type Transition struct {
	Count    int
	TotalFen model.Fen
	IDs      []int64
}

var statusLabel = map[string]string{
	model.EntDraft: "草稿", model.EntSubmitted: "已提交", model.EntReturned: "已退回", model.EntApproved: "已审核",
	model.EntBatched: "已纳入发放批次", model.EntPaid: "已发放", model.EntRevoked: "已撤销",
}

// SubmitList sends a school's draft and returned entitlements to the county.
func (s *Entitlements) SubmitList(ctx context.Context, a model.Actor, ref ListRef) (Transition, error) {
	var out Transition
	if !a.Is(model.RoleSchoolOfficer) {
		return out, errRoleForbidden
	}
	if _, _, err := listRequest(ref.Program, ref.Term); err != nil {
		return out, err
	}
	schools, err := s.writableSchools(ctx, a, ref.SchoolID)
	if err != nil {
		return out, err
	}
	sc := schools[0]
	err = s.tx(ctx, func(tx *gorm.DB) error {
		list, err := s.lockList(tx, sc.ID, ref.Program, ref.Term)
		if err != nil {
			return err
		}
		var ents []model.Entitlement
		if err := tx.Where("list_id = ? AND status IN ?", list.ID, []string{model.EntDraft, model.EntReturned}).
			Find(&ents).Error; err != nil {
			return err
		}
		if len(ents) == 0 {
			return conflict("没有可提交的名单：请先计算资助名单（已提交或已审核的不能重复提交）")
		}
		now := s.now()
		out = transitionOf(ents)
		if err := tx.Model(&model.Entitlement{}).Where("id IN ?", out.IDs).
			Updates(map[string]any{"status": model.EntSubmitted, "submitted_at": now, "reason": "", "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&list).Updates(map[string]any{"submitted_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "submit", "aid_list", strconv.FormatInt(list.ID, 10), nil, transitionAudit(ref, out))
	})
	return out, err
}

func transitionOf(ents []model.Entitlement) Transition {
	t := Transition{Count: len(ents)}
	for _, e := range ents {
		t.IDs = append(t.IDs, e.ID)
		t.TotalFen += e.AmountFen
	}
	return t
}

// transitionAudit keeps the ids (up to a thousand) with the counts.
func transitionAudit(ref ListRef, t Transition) map[string]any {
	ids := t.IDs
	if len(ids) > 1000 {
		ids = ids[:1000]
	}
	return map[string]any{"program": ref.Program, "term": ref.Term, "school_id": ref.SchoolID, "count": t.Count,
		"total_fen": t.TotalFen, "entitlement_ids": ids}
}

// ApproveRequest names entitlements by id or a whole school list.
type ApproveRequest struct {
	IDs []int64
	ListRef
}

// ApproveEntitlements moves submitted entitlements to approved once the
// school's public notice has run its full period (POLICY.md: ≥ 5 working
// days) and within the school's quota.
func (s *Entitlements) ApproveEntitlements(ctx context.Context, a model.Actor, req ApproveRequest) (Transition, error) {
	var out Transition
	if !a.Is(model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ents, err := s.selectEntitlements(tx, a, req.IDs, req.ListRef, model.EntSubmitted)
		if err != nil {
			return err
		}
		now := s.now()
		for listID, group := range groupByList(ents) {
			var list model.AidList
			if err := tx.First(&list, listID).Error; err != nil {
				return err
			}
			if err := s.noticeComplete(list, now); err != nil {
				return err
			}
			if err := s.withinQuota(tx, list, group); err != nil {
				return err
			}
		}
		out = transitionOf(ents)
		if err := tx.Model(&model.Entitlement{}).Where("id IN ?", out.IDs).Updates(map[string]any{
			"status": model.EntApproved, "approved_at": now, "approved_by": a.Username, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "approve", "entitlement", "", nil, transitionAudit(req.ListRef, out))
	})
	return out, err
}

func groupByList(ents []model.Entitlement) map[int64][]model.Entitlement {
	m := map[int64][]model.Entitlement{}
	for _, e := range ents {
		m[e.ListID] = append(m[e.ListID], e)
	}
	return m
}

// withinQuota refuses approvals that would take the school past its 指标.
func (s *Entitlements) withinQuota(tx *gorm.DB, list model.AidList, adding []model.Entitlement) error {
	if list.MaxCount == nil && list.BudgetFen == nil {
		return nil
	}
	var have struct {
		N   int
		Fen model.Fen
	}
	if err := tx.Model(&model.Entitlement{}).Select("COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").
		Where("list_id = ? AND status IN ?", list.ID, []string{model.EntApproved, model.EntBatched, model.EntPaid}).
		Scan(&have).Error; err != nil {
		return err
	}
	add := transitionOf(adding)
	if list.MaxCount != nil && have.N+add.Count > *list.MaxCount {
		return ruleErr("over_quota", "超出该校资助名额：指标 %d 人，已审核 %d 人，本次 %d 人", *list.MaxCount, have.N, add.Count)
	}
	if list.BudgetFen != nil && have.Fen+add.TotalFen > *list.BudgetFen {
		return ruleErr("over_budget", "超出该校资助预算：预算 %s 元，已审核 %s 元，本次 %s 元",
			list.BudgetFen.Yuan(), have.Fen.Yuan(), add.TotalFen.Yuan())
	}
	return nil
}

// selectEntitlements loads the named entitlements in the actor's scope and
// checks each is in the status the transition starts from: one that is not
// makes the whole request a 409 that says where it stands.
func (s *Entitlements) selectEntitlements(tx *gorm.DB, a model.Actor, ids []int64, ref ListRef, from string) ([]model.Entitlement, error) {
	q := inScopeSchools(tx.Model(&model.Entitlement{}), a, "school_id")
	switch {
	case len(ids) > 0:
		if len(ids) > 100000 {
			return nil, invalid("一次最多处理 100000 条")
		}
		q = q.Where("id IN ?", ids)
	case ref.Program != "" && ref.Term != "" && ref.SchoolID != 0:
		// Another county's school is not found, not a list in the wrong state.
		if _, err := s.readableSchool(tx, a, ref.SchoolID); err != nil {
			return nil, err
		}
		q = q.Where("program = ? AND term = ? AND school_id = ? AND status = ?", ref.Program, ref.Term, ref.SchoolID, from)
	default:
		return nil, invalid("请指定 ids，或 program、term 和 school_id")
	}
	var ents []model.Entitlement
	if err := q.Order("id").Find(&ents).Error; err != nil {
		return nil, err
	}
	if len(ids) > 0 && len(ents) != len(uniqueIDs(ids)) {
		return nil, notFound("部分资助记录")
	}
	if len(ents) == 0 {
		return nil, conflict("没有处于“%s”状态的资助记录", statusLabel[from])
	}
	var wrong []string
	for _, e := range ents {
		if e.Status != from {
			wrong = append(wrong, fmt.Sprintf("%d（%s）", e.ID, statusLabel[e.Status]))
		}
	}
	if len(wrong) > 0 {
		if len(wrong) > 10 {
			wrong = append(wrong[:10], "…")
		}
		return nil, conflict("只能处理“%s”状态的记录，以下记录当前状态不符：%s", statusLabel[from], strings.Join(wrong, "、"))
	}
	return ents, nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// ReturnEntitlements sends submitted entitlements back to the school with a reason.
func (s *Entitlements) ReturnEntitlements(ctx context.Context, a model.Actor, ids []int64, reason string) (Transition, error) {
	return s.reject(ctx, a, ids, reason, model.EntSubmitted, model.EntReturned, "return")
}

// RevokeEntitlements withdraws approved, unpaid entitlements after a late
// finding (辍学, level removed …); the reason stays on the record.
func (s *Entitlements) RevokeEntitlements(ctx context.Context, a model.Actor, ids []int64, reason string) (Transition, error) {
	return s.reject(ctx, a, ids, reason, model.EntApproved, model.EntRevoked, "revoke")
}

// countyDecision checks a county officer's decision on entitlements
// (return, revoke, recover): the role, the ids, and a reason, which what
// names. It returns the reason trimmed.
func countyDecision(a model.Actor, ids []int64, reason, what string) (string, error) {
	if !a.Is(model.RoleCountyOfficer) {
		return "", errRoleForbidden
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(ids) == 0 {
		return "", invalid("请指定 ids 并填写%s", what)
	}
	return reason, nil
}

func (s *Entitlements) reject(ctx context.Context, a model.Actor, ids []int64, reason, from, to, action string) (Transition, error) {
	var out Transition
	reason, err := countyDecision(a, ids, reason, "原因")
	if err != nil {
		return out, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		ents, err := s.selectEntitlements(tx, a, ids, ListRef{}, from)
		if err != nil {
			return err
		}
		out = transitionOf(ents)
		if err := tx.Model(&model.Entitlement{}).Where("id IN ?", out.IDs).
			Updates(map[string]any{"status": to, "reason": truncateRunes(reason, 250), "updated_at": s.now()}).Error; err != nil {
			return err
		}
		after := transitionAudit(ListRef{}, out)
		after["reason"] = reason
		return s.audit(tx, a, action, "entitlement", "", nil, after)
	})
	return out, err
}
