package service

import (
	"context"
	"strconv"

	"gorm.io/gorm"

	"studentaid/model"
)

// AdjustmentRow is an adjustment with the student and entitlement it corrects.
type AdjustmentRow struct {
	model.Adjustment
	StudentID  int64
	Name       string
	IDMasked   string
	SchoolID   int64
	SchoolName string
	Program    string
	Term       string
	PaidFen    model.Fen // the entitlement's own amount
}

// AdjustmentFilter narrows GET /adjustments.
type AdjustmentFilter struct {
	Program, Term, Status string
	Page                  Page
}

// ListAdjustments lists top-ups and recoveries in scope.
func (s *Entitlements) ListAdjustments(ctx context.Context, a model.Actor, f AdjustmentFilter) (List[AdjustmentRow], error) {
	out := List[AdjustmentRow]{Page: f.Page.Normalize()}
	q := s.reader(ctx).Table("adjustments adj").
		Joins("JOIN entitlements ent ON ent.id = adj.entitlement_id").
		Joins("JOIN students s ON s.id = ent.student_id").
		Joins("JOIN schools sc ON sc.id = ent.school_id")
	q = inScopeSchools(q, a, "ent.school_id")
	for col, v := range map[string]string{"ent.program": f.Program, "ent.term": f.Term, "adj.status": f.Status} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err := out.Page.apply(q.Select(`adj.*, ent.student_id, s.name, s.id_masked, ent.school_id, sc.name AS school_name,
		ent.program, ent.term, ent.amount_fen AS paid_fen`).Order("adj.id")).Scan(&out.Items).Error
	return out, err
}

// ApproveAdjustments approves draft adjustments: a top-up joins the queue of
// the next batch; a recovery is recorded for recovery, never paid out.
// The reason is not used: approval needs none.
func (s *Entitlements) ApproveAdjustments(ctx context.Context, a model.Actor, ids []int64, _ string) (Transition, error) {
	var out Transition
	if !a.Is(model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	if len(ids) == 0 {
		return out, invalid("请指定 ids")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = Transition{} // a retried attempt counts afresh
		var adjs []model.Adjustment
		if err := inScopeSchools(tx.Table("adjustments adj").Select("adj.*").
			Joins("JOIN entitlements ent ON ent.id = adj.entitlement_id").Where("adj.id IN ?", ids), a, "ent.school_id").
			Scan(&adjs).Error; err != nil {
			return err
		}
		if len(adjs) != len(uniqueIDs(ids)) {
			return notFound("部分调整记录")
		}
		now := s.now()
		for _, adj := range adjs {
			if adj.Status != model.AdjDraft {
				return conflict("调整记录 %d 已处理（状态：%s），不能重复审核", adj.ID, adj.Status)
			}
			to := model.AdjApproved
			if adj.AmountFen < 0 {
				to = model.AdjToRecover
			}
			if err := tx.Model(&model.Adjustment{}).Where("id = ?", adj.ID).Updates(map[string]any{
				"status": to, "approved_by": a.Username, "approved_at": now, "updated_at": now}).Error; err != nil {
				return err
			}
			out.Count++
			out.TotalFen += adj.AmountFen
			out.IDs = append(out.IDs, adj.ID)
		}
		return s.audit(tx, a, "approve", "adjustment", "", nil, map[string]any{"ids": out.IDs, "total_fen": out.TotalFen})
	})
	return out, err
}

// RecoverEntitlements records that paid aid must be recovered after a late
// finding (扣回): nothing is due for the term any more. The paid entitlement
// is never edited; per POLICY.md "Recoveries" the recovery is what the bank
// paid (received) less recoveries already recorded, never more, and the
// entitlement's top-ups not yet paid are cancelled. While a top-up is in a
// batch awaiting the bank's result it is refused: what was received is not
// known yet.
func (s *Entitlements) RecoverEntitlements(ctx context.Context, a model.Actor, ids []int64, reason string) (Transition, error) {
	var out Transition
	reason, err := countyDecision(a, ids, reason, "追回原因")
	if err != nil {
		return out, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		out = Transition{} // a retried attempt counts afresh
		ents, err := s.selectEntitlements(tx, a, ids, ListRef{}, model.EntPaid)
		if err != nil {
			return err
		}
		now := s.now()
		for _, e := range ents {
			amount, err := recoverable(tx, e.ID)
			if err != nil {
				return err
			}
			// Drafts are moot and approved top-ups are not paid once it is being recovered.
			if err := tx.Where("entitlement_id = ? AND status = ?", e.ID, model.AdjDraft).Delete(&model.Adjustment{}).Error; err != nil {
				return err
			}
			var kept []model.Adjustment
			if err := tx.Select("seq").Where("entitlement_id = ?", e.ID).Find(&kept).Error; err != nil {
				return err
			}
			adj := model.Adjustment{EntitlementID: e.ID, StandardID: e.StandardID, Seq: nextAdjustmentSeq(kept), AmountFen: -amount,
				AnnualFen: e.AnnualFen, Reason: truncateRunes("扣回："+reason, 250), Status: model.AdjToRecover,
				CreatedBy: a.Username, ApprovedBy: a.Username, ApprovedAt: &now, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&adj).Error; err != nil {
				return translate(err, "资助记录 "+strconv.FormatInt(e.ID, 10)+" 的追回登记")
			}
			if err := tx.Model(&model.Adjustment{}).Where("entitlement_id = ? AND status = ? AND amount_fen > 0", e.ID, model.AdjApproved).
				Updates(map[string]any{"status": model.AdjCancelled, "updated_at": now}).Error; err != nil {
				return err
			}
			out.Count++
			out.TotalFen += adj.AmountFen
			out.IDs = append(out.IDs, adj.ID)
		}
		return s.audit(tx, a, "recover", "entitlement", "", nil, map[string]any{"entitlement_ids": ids, "adjustment_ids": out.IDs,
			"total_fen": out.TotalFen, "reason": reason})
	})
	return out, err
}

// recoverable is received − recoveries already recorded for a paid
// entitlement; a conflict when a top-up is in a batch or nothing is left.
func recoverable(tx *gorm.DB, entID int64) (model.Fen, error) {
	var m struct {
		Received, Recovered model.Fen
		InFlight            int
	}
	err := tx.Raw(`SELECT
		(SELECT COALESCE(SUM(amount_fen), 0) FROM batch_lines WHERE entitlement_id = ? AND status = ?) AS received,
		(SELECT COALESCE(-SUM(amount_fen), 0) FROM adjustments WHERE entitlement_id = ? AND status = ?) AS recovered,
		(SELECT COUNT(*) FROM adjustments WHERE entitlement_id = ? AND status = ?) AS in_flight`,
		entID, model.LinePaid, entID, model.AdjToRecover, entID, model.AdjBatched).Scan(&m).Error
	switch {
	case err != nil:
		return 0, err
	case m.InFlight > 0:
		return 0, conflict("资助记录 %d 有补发正在发放中，请在银行结果登记后再登记扣回", entID)
	case m.Received-m.Recovered <= 0:
		return 0, conflict("资助记录 %d 已全部扣回，没有可扣回的金额", entID)
	}
	return m.Received - m.Recovered, nil
}
