package service

import (
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// receivedOnList is what the bank paid on each paid entitlement of a list:
// its regular line and its top-up lines. POLICY.md "Recoveries": lines in a
// batch not yet paid, or failed, are not received.
func receivedOnList(tx *gorm.DB, listID int64) (map[int64]model.Fen, error) {
	var rows []struct {
		EntitlementID int64
		Fen           model.Fen
	}
	err := tx.Table("batch_lines bl").Select("bl.entitlement_id, SUM(bl.amount_fen) AS fen").
		Joins("JOIN entitlements ent ON ent.id = bl.entitlement_id").
		Where("ent.list_id = ? AND ent.status = ? AND bl.status = ?", listID, model.EntPaid, model.LinePaid).
		Group("bl.entitlement_id").Scan(&rows).Error
	out := make(map[int64]model.Fen, len(rows))
	for _, r := range rows {
		out[r.EntitlementID] = r.Fen
	}
	return out, err
}

// standardReason marks the adjustments a changed standard makes; any other
// recovery is a late finding (RecoverEntitlements), after which nothing is
// due for the term.
const standardReason = "资助标准调整"

func adjustmentReason(diff model.Fen) string {
	if diff > 0 {
		return "补发：" + standardReason
	}
	return "扣回：" + standardReason
}

func isFinding(adj model.Adjustment) bool {
	return adj.Status == model.AdjToRecover && !strings.HasSuffix(adj.Reason, standardReason)
}

// adjust plans the draft adjustment that brings a paid entitlement to what
// POLICY.md says is due: the standard now in force for its term, for the
// level on record when it was approved (std). A level changed in the
// ordinary course of the year never reaches an approved term; a correction
// of an error (认定更正) has no route yet and is made by the county by hand.
//
// Due − (received − recovered) − top-ups on their way: above zero a top-up
// (补发), below zero a recovery (扣回) of at most what was received net of
// earlier recoveries — and none while a top-up is on its way, whose result
// decides. After a late finding nothing more is planned.
//
// It returns a warning for the county when it cannot plan one.
func (plan *listPlan) adjust(ent model.Entitlement, std model.Standard, adjs []model.Adjustment, received model.Fen) (warning string) {
	var recovered, pending model.Fen
	var draft *model.Adjustment
	finding := false
	for i := range adjs {
		switch a := adjs[i]; {
		case isFinding(a):
			finding = true
		case a.Status == model.AdjToRecover:
			recovered -= a.AmountFen
		case a.Status == model.AdjDraft:
			draft = &adjs[i]
		case a.Status == model.AdjApproved, a.Status == model.AdjBatched:
			pending += a.AmountFen
		}
	}
	diff := std.AnnualFen/2 - (received - recovered) - pending
	switch {
	case finding:
		diff = 0
	case diff < 0 && pending > 0:
		diff = 0
	case diff < 0:
		diff = max(diff, -(received - recovered))
	}
	switch {
	case diff == 0 && draft != nil:
		plan.adjRemove = append(plan.adjRemove, draft.ID)
		plan.result.Adjustments++
	case diff == 0:
	case usedStandard(adjs, std.ID):
		// The standard in force went back to one an earlier adjustment of
		// this entitlement used (a county row above a national one that
		// rose and fell): one adjustment per standard is the database's
		// key, so the county settles it by hand.
		warning = manualAdjustment
		if draft != nil {
			plan.adjRemove = append(plan.adjRemove, draft.ID)
			plan.result.Adjustments++
		}
	case draft == nil:
		plan.adjCreate = append(plan.adjCreate, &model.Adjustment{EntitlementID: ent.ID, StandardID: std.ID, AmountFen: diff,
			AnnualFen: std.AnnualFen, Reason: adjustmentReason(diff), Status: model.AdjDraft})
		plan.result.Adjustments++
	case draft.StandardID != std.ID || draft.AmountFen != diff:
		upd := *draft
		upd.StandardID, upd.AmountFen, upd.AnnualFen, upd.Reason = std.ID, diff, std.AnnualFen, adjustmentReason(diff)
		plan.adjUpdate = append(plan.adjUpdate, &upd)
		plan.result.Adjustments++
	}
	return warning
}

// manualAdjustment is the warning on paid aid whose adjustment the
// calculation cannot record.
const manualAdjustment = "资助标准先后多次变化并回到先前的标准，系统无法自动生成补发或扣回，请县级资助中心人工核对"

// usedStandard: an adjustment other than the draft already used the standard.
func usedStandard(adjs []model.Adjustment, stdID int64) bool {
	for _, a := range adjs {
		if a.StandardID == stdID && a.Status != model.AdjDraft {
			return true
		}
	}
	return false
}
