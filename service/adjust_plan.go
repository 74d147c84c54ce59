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

// The reasons of planned adjustments: a changed standard, or the county's
// correction of the level or stage on record (认定更正). Any other recovery
// is a late finding (RecoverEntitlements), after which nothing is due for
// the term.
const (
	standardReason   = "资助标准调整"
	correctionReason = "认定更正"
)

func adjustmentReason(diff model.Fen, why string) string {
	if diff > 0 {
		return "补发：" + why
	}
	return "扣回：" + why
}

func isFinding(adj model.Adjustment) bool {
	return adj.Status == model.AdjToRecover && !strings.HasSuffix(adj.Reason, standardReason) &&
		!strings.HasSuffix(adj.Reason, correctionReason)
}

// paidState is what a list's paid entitlements have had since approval:
// adjustments, what the bank paid, and the county's latest corrections.
type paidState struct {
	adjs        map[int64][]model.Adjustment
	received    map[int64]model.Fen
	corrections map[int64]model.Correction
}

func paidStateOf(tx *gorm.DB, listID int64, adjs []model.Adjustment) (paidState, error) {
	ps := paidState{adjs: map[int64][]model.Adjustment{}}
	for _, a := range adjs {
		ps.adjs[a.EntitlementID] = append(ps.adjs[a.EntitlementID], a)
	}
	var err error
	if ps.received, err = receivedOnList(tx, listID); err != nil {
		return ps, err
	}
	var corrs []model.Correction
	err = tx.Table("corrections c").Select("c.*").Joins("JOIN entitlements ent ON ent.id = c.entitlement_id").
		Where("ent.list_id = ? AND ent.status = ?", listID, model.EntPaid).Order("c.id").Scan(&corrs).Error
	ps.corrections = make(map[int64]model.Correction, len(corrs))
	for _, c := range corrs {
		ps.corrections[c.EntitlementID] = c // the latest wins
	}
	return ps, err
}

// record is the level and stage that decide a paid term (the latest
// correction, else the entitlement's own), and the reason an adjustment
// planned now carries: 认定更正 until an adjustment approved after the
// correction settled it, 资助标准调整 otherwise.
func (ps paidState) record(ent model.Entitlement) (model.Entitlement, string) {
	c, ok := ps.corrections[ent.ID]
	if !ok {
		return ent, standardReason
	}
	ent.Level, ent.Stage = c.Level, c.Stage
	for _, a := range ps.adjs[ent.ID] {
		if a.Status != model.AdjDraft && a.ApprovedAt != nil && a.ApprovedAt.After(c.CreatedAt) {
			return ent, standardReason
		}
	}
	return ent, correctionReason
}

// adjust plans the draft adjustment that brings a paid entitlement to what
// POLICY.md says is due: the standard now in force for its term, for the
// level on record when it was approved or as the county corrected it (std).
// A level changed in the ordinary course of the year never reaches an
// approved term. why is the adjustment's reason (a changed standard or a
// correction).
//
// Due − (received − recovered) − top-ups on their way: above zero a top-up
// (补发), below zero a recovery (扣回) of at most what was received net of
// earlier recoveries — and none while a top-up is on its way, whose result
// decides. After a late finding nothing more is planned.
//
// A standard back in force after another was paid is no different: the new
// adjustment gets the entitlement's next number (Seq), whichever standard it
// is under.
func (plan *listPlan) adjust(ent model.Entitlement, std model.Standard, adjs []model.Adjustment, received model.Fen, why string) {
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
	case draft == nil:
		plan.adjCreate = append(plan.adjCreate, &model.Adjustment{EntitlementID: ent.ID, StandardID: std.ID, Seq: nextAdjustmentSeq(adjs),
			AmountFen: diff, AnnualFen: std.AnnualFen, Reason: adjustmentReason(diff, why), Status: model.AdjDraft})
		plan.result.Adjustments++
	case draft.StandardID != std.ID || draft.AmountFen != diff || draft.Reason != adjustmentReason(diff, why):
		upd := *draft
		upd.StandardID, upd.AmountFen, upd.AnnualFen, upd.Reason = std.ID, diff, std.AnnualFen, adjustmentReason(diff, why)
		plan.adjUpdate = append(plan.adjUpdate, &upd)
		plan.result.Adjustments++
	}
}

// nextAdjustmentSeq numbers an entitlement's next adjustment after those it
// has (drafts included: they keep their number while they stand).
func nextAdjustmentSeq(adjs []model.Adjustment) int {
	n := 0
	for _, a := range adjs {
		n = max(n, a.Seq)
	}
	return n + 1
}
