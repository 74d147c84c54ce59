package service

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"studentaid/model"
)

// CorrectRequest is POST /entitlements/{id}/correct: the level or stage that
// decided a paid term, as it should have been recorded ("" keeps it).
type CorrectRequest struct {
	Level  string
	Stage  string
	Reason string
}

// Corrected is what a correction did: the record before and after, and the
// draft adjustment it planned (nil when the amount due did not change).
type Corrected struct {
	Correction model.Correction
	Before     model.Entitlement
	Adjustment *model.Adjustment
}

// CorrectEntitlement records the county's correction (认定更正) of the
// difficulty level or stage a paid term was approved with, when that record
// was an error (POLICY.md: only a correction makes an adjustment for a level
// change; a level that changes in the ordinary course of the year never
// reaches an approved term). The paid entitlement is not edited: the
// correction is a row of its own, and the difference between what is due on
// the corrected record and what was received becomes a draft 补发 or 扣回
// (reason 认定更正) for the county to approve like any other adjustment.
func (s *Entitlements) CorrectEntitlement(ctx context.Context, a model.Actor, id int64, req CorrectRequest) (Corrected, error) {
	var out Corrected
	if !a.Is(model.RoleCountyOfficer) {
		return out, errRoleForbidden
	}
	reason := strings.TrimSpace(req.Reason)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = Corrected{}
		// The list's row is the lock calculations take: two corrections, or
		// a correction and a calculation, must not each plan a draft. Taken
		// first, so that on MySQL every read below sees what the holder
		// before committed.
		if err := tx.Exec("UPDATE aid_lists SET calc_seq = calc_seq WHERE id = (SELECT list_id FROM entitlements WHERE id = ?)", id).Error; err != nil {
			return err
		}
		// Whose record it is comes before what is wrong with the request.
		ents, err := s.selectEntitlements(tx, a, []int64{id}, ListRef{}, model.EntPaid)
		if err != nil {
			return err
		}
		if reason == "" {
			return invalid("请填写更正原因")
		}
		ent := ents[0]
		var sc model.School
		if err := tx.First(&sc, ent.SchoolID).Error; err != nil {
			return err
		}
		var adjs []model.Adjustment
		if err := tx.Where("entitlement_id = ?", ent.ID).Order("id").Find(&adjs).Error; err != nil {
			return err
		}
		var corrs []model.Correction
		if err := tx.Where("entitlement_id = ?", ent.ID).Order("id").Find(&corrs).Error; err != nil {
			return err
		}
		state := paidState{adjs: map[int64][]model.Adjustment{ent.ID: adjs}, corrections: map[int64]model.Correction{}}
		if len(corrs) > 0 {
			state.corrections[ent.ID] = corrs[len(corrs)-1]
		}
		out.Before, _ = state.record(ent)
		c, err := correctionOf(ent, out.Before, req, reason)
		if err != nil {
			return err
		}
		c.CreatedBy, c.CreatedAt = a.Username, s.now()
		for _, adj := range adjs {
			if adj.Status == model.AdjBatched {
				return conflict("资助记录 %d 有补发正在发放中，请在银行结果登记后再更正", ent.ID)
			}
		}
		var received model.Fen
		if err := tx.Model(&model.BatchLine{}).Select("COALESCE(SUM(amount_fen), 0)").
			Where("entitlement_id = ? AND status = ?", ent.ID, model.LinePaid).Scan(&received).Error; err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		out.Correction = c
		state.corrections[ent.ID] = c
		if err := s.planCorrection(tx, a, ent, sc, state, received, &out); err != nil {
			return err
		}
		return s.audit(tx, a, "correct", "entitlement", strconv.FormatInt(ent.ID, 10),
			map[string]any{"level": out.Before.Level, "stage": out.Before.Stage},
			map[string]any{"level": c.Level, "stage": c.Stage, "reason": reason, "adjustment_fen": adjustmentFen(out.Adjustment)})
	})
	return out, err
}

// correctionOf validates the request against the program and the record it
// corrects.
func correctionOf(ent, before model.Entitlement, req CorrectRequest, reason string) (model.Correction, error) {
	c := model.Correction{EntitlementID: ent.ID, Level: before.Level, Stage: before.Stage, Reason: truncateRunes(reason, 250)}
	if l := strings.TrimSpace(req.Level); l != "" {
		level, ok := model.ParseLevel(l)
		if !ok {
			return c, invalid("困难等级应为 特别困难、困难 或 一般困难")
		}
		c.Level = level
	}
	if st := strings.TrimSpace(req.Stage); st != "" {
		p, _ := model.ProgramByCode(ent.Program)
		if !slices.Contains(p.Stages, st) {
			return c, invalid("学段 %s 不属于该资助项目", st)
		}
		c.Stage = st
	}
	if c.Level == before.Level && c.Stage == before.Stage {
		return c, invalid("更正后的困难等级和学段与现有记录相同，无需更正")
	}
	return c, nil
}

// planCorrection plans and writes the draft adjustment the corrected record
// makes. received is what the bank paid on the entitlement's lines.
func (s *Entitlements) planCorrection(tx *gorm.DB, a model.Actor, ent model.Entitlement, sc model.School, state paidState,
	received model.Fen, out *Corrected) error {
	var all []model.Standard
	if err := tx.Where("program = ?", ent.Program).Find(&all).Error; err != nil {
		return err
	}
	rec, why := state.record(ent)
	std, err := standardSet(all).find(ent.Program, rec.Stage, rec.Level, sc.RegionCode, model.Term(ent.Term).Start())
	if err != nil {
		return invalid("更正后的认定没有本学期适用的资助标准")
	}
	plan := listPlan{warnings: map[int64]string{}}
	plan.adjust(ent, std, state.adjs[ent.ID], received, why)
	if err := plan.applyAdjustments(tx, a, s.now()); err != nil {
		return translate(err, "资助记录 "+strconv.FormatInt(ent.ID, 10)+" 的更正")
	}
	for _, adj := range append(plan.adjCreate, plan.adjUpdate...) {
		out.Adjustment = adj
	}
	return nil
}

func adjustmentFen(adj *model.Adjustment) model.Fen {
	if adj == nil {
		return 0
	}
	return adj.AmountFen
}
