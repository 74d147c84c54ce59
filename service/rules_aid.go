package service

import (
	"fmt"
	"strings"

	"studentaid/model"
)

// Anomaly rules about the aid itself: paid twice (rule 1) and amounts off
// the standard (rule 7).

// Rule 1: one ID number with the same program twice in one term. The
// database refuses the common forms itself: uk_entitlements_once allows one
// entitlement per student, program and term, and uk_batch_lines_open one
// pending or paid line per entitlement (its open_entitlement_id). A second
// payment can therefore only hide in a line that escaped that key: pending
// or paid, not a top-up (补发 pays an adjustment, not the entitlement again),
// and without an open_entitlement_id — a hand edit or a restored dump. The
// scan reads those lines through the key's own index (normally none, or the
// failed lines) and counts the payments of their entitlements.

func (sc *anomalyScan) duplicateAid() error {
	type dup struct {
		StudentID int64
		Program   string
		Term      string
		N         int
		SchoolID  int64
	}
	var suspects []int64
	if err := sc.db.Table("batch_lines").Distinct("entitlement_id").
		Where("open_entitlement_id IS NULL AND status <> ? AND adjustment_id IS NULL", model.LineFailed).
		Pluck("entitlement_id", &suspects).Error; err != nil {
		return err
	}
	var lines []dup
	for _, chunk := range chunkIDs(sortedUniqueIDs(suspects), rosterChunk) {
		var got []dup
		if err := sc.db.Table("batch_lines bl").
			Select("ent.student_id, ent.program, ent.term, COUNT(*) AS n, MIN(bl.school_id) AS school_id").
			Joins("JOIN entitlements ent ON ent.id = bl.entitlement_id").
			Where("bl.entitlement_id IN ? AND bl.status <> ? AND bl.adjustment_id IS NULL", chunk, model.LineFailed).
			Group("ent.student_id, ent.program, ent.term").Having("COUNT(*) > 1").Scan(&got).Error; err != nil {
			return err
		}
		lines = append(lines, got...)
	}
	students, err := studentsOf(sc, lines, func(i int) int64 { return lines[i].StudentID })
	if err != nil {
		return err
	}
	for _, d := range lines {
		st, sch := students[d.StudentID], sc.school(d.SchoolID)
		det := studentDetail(st, sch)
		det["program"], det["term"], det["payment_lines"] = d.Program, d.Term, d.N
		sc.add(finding{rule: model.RuleDuplicateAid, key: fingerprint(model.RuleDuplicateAid, d.StudentID, d.Program, d.Term),
			region: sch.RegionCode, schoolYear: model.Term(d.Term).SchoolYear(), term: d.Term, schoolID: sch.ID, studentID: d.StudentID,
			summary: fmt.Sprintf("%s 在 %s 学期的%s有 %d 笔发放（待发或已发）", personOf(st), d.Term, programName(d.Program), d.N),
			details: det})
	}
	return nil
}

// Rule 7: an amount different from the standard in force for the term, level
// and region. Entitlements are grouped (school, program, term, stage, level,
// standard, amount): a few hundred groups for a million rows. Each group is
// checked against its own standard row (amount = annual / 2) and against the
// standard that applies now by POLICY.md's rule (most specific region, latest
// date on or before the term's start), unless an adjustment (补发/扣回) has
// already moved it to that standard.

// AmountGroup is a set of entitlements alike in every column rule 7 reads.
// Exported: gorm fills the fields of an embedded struct only when its type
// name is exported.
type AmountGroup struct {
	SchoolID   int64
	Program    string
	Term       string
	Stage      string
	Level      string
	StandardID int64
	AnnualFen  model.Fen
	AmountFen  model.Fen
}

const amountGroupCols = "ent.school_id, ent.program, ent.term, ent.stage, ent.level, ent.standard_id, ent.annual_fen, ent.amount_fen"

func (sc *anomalyScan) amountMismatch() error {
	var all []model.Standard
	if err := sc.db.Find(&all).Error; err != nil {
		return err
	}
	byID := make(map[int64]model.Standard, len(all))
	for _, st := range all {
		byID[st.ID] = st
	}
	var groups []struct {
		AmountGroup
		N int
	}
	if err := sc.db.Table("entitlements ent").Select(amountGroupCols+", COUNT(*) AS n").Where("ent.status <> ?", model.EntRevoked).
		Group(amountGroupCols).Scan(&groups).Error; err != nil {
		return err
	}
	adjusted, err := sc.adjustedGroups()
	if err != nil {
		return err
	}
	for _, g := range groups {
		sc.checkAmountGroup(g.AmountGroup, g.N, standardSet(all), byID, adjusted[g.AmountGroup])
	}
	return nil
}

// adjustedGroups counts, per group, the entitlements an adjustment has
// already moved to each standard. Adjustments are few (one per raised
// standard and paid entitlement).
func (sc *anomalyScan) adjustedGroups() (map[AmountGroup]map[int64]int, error) {
	var rows []struct {
		AmountGroup
		AdjStandardID int64
		N             int
	}
	if err := sc.db.Table("adjustments adj").Select(amountGroupCols+", adj.standard_id AS adj_standard_id, COUNT(*) AS n").
		Joins("JOIN entitlements ent ON ent.id = adj.entitlement_id").Where("ent.status <> ?", model.EntRevoked).
		Group(amountGroupCols + ", adj.standard_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[AmountGroup]map[int64]int{}
	for _, r := range rows {
		if out[r.AmountGroup] == nil {
			out[r.AmountGroup] = map[int64]int{}
		}
		out[r.AmountGroup][r.AdjStandardID] += r.N
	}
	return out, nil
}

// checkAmountGroup compares one group with its own standard row and with
// the standard in force now, and records a finding when either differs.
func (sc *anomalyScan) checkAmountGroup(g AmountGroup, n int, set standardSet, byID map[int64]model.Standard, adjusted map[int64]int) {
	sch := sc.school(g.SchoolID)
	p, _ := model.ProgramByCode(g.Program)
	term, err := model.ParseTerm(g.Term)
	if err != nil {
		return
	}
	own, hasOwn := byID[g.StandardID]
	lookupLevel := ""
	if p.Tiered {
		lookupLevel = g.Level
	}
	inForce, errInForce := set.find(g.Program, g.Stage, lookupLevel, sch.RegionCode, term.Start())
	var why []string
	expected := model.Fen(-1)
	switch {
	case !hasOwn:
		why = append(why, fmt.Sprintf("引用的标准（编号 %d）不存在", g.StandardID))
	case g.AmountFen != own.AnnualFen/2 || g.AnnualFen != own.AnnualFen:
		why = append(why, fmt.Sprintf("所用标准年 %s 元，本学期应为 %s 元", own.AnnualFen.Yuan(), (own.AnnualFen/2).Yuan()))
		expected = own.AnnualFen / 2
	}
	switch {
	case errInForce != nil:
		why = append(why, "没有适用于该学期、档次和地区的标准")
	case inForce.ID != g.StandardID && inForce.AnnualFen/2 != g.AmountFen && n > adjusted[inForce.ID]:
		why = append(why, fmt.Sprintf("现行标准（%s起，%s）本学期应为 %s 元", inForce.EffectiveFrom.Format("2006-01-02"),
			regionLabel(inForce.RegionCode), (inForce.AnnualFen/2).Yuan()))
		expected = inForce.AnnualFen / 2
	}
	if len(why) == 0 {
		return
	}
	d := map[string]any{"school_id": sch.ID, "school_name": sch.Name, "program": g.Program, "term": g.Term, "stage": g.Stage,
		"level": g.Level, "standard_id": g.StandardID, "amount_fen": g.AmountFen, "entitlements": n}
	if errInForce == nil {
		d["standard_in_force_id"] = inForce.ID
		if k := adjusted[inForce.ID]; k > 0 {
			d["adjusted_to_standard_in_force"] = k
		}
	}
	if expected >= 0 {
		d["expected_fen"] = expected
	}
	level := model.LevelLabel(g.Level)
	if level != "" {
		level = "（" + level + "）"
	}
	sc.add(finding{rule: model.RuleAmountMismatch,
		key:    fingerprint(model.RuleAmountMismatch, g.SchoolID, g.Program, g.Term, g.Stage, g.Level, g.StandardID, int64(g.AnnualFen), int64(g.AmountFen)),
		region: sch.RegionCode, schoolYear: term.SchoolYear(), term: g.Term, schoolID: sch.ID,
		summary: fmt.Sprintf("%s %s 学期%s%s %d 人每人 %s 元：%s", sch.Name, g.Term, programName(g.Program), level, n,
			g.AmountFen.Yuan(), strings.Join(why, "；")),
		details: d})
}

func regionLabel(code string) string {
	if code == "" {
		return "全国标准"
	}
	return "地区 " + code + " 标准"
}
