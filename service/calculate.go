package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// CalcRequest is POST /entitlements/calculate.
type CalcRequest struct {
	Program  string
	Term     string
	SchoolID int64 // 0: every school in the actor's scope
}

// Ineligible is a student the calculation did not put on the list, and why.
type Ineligible struct {
	StudentID int64
	Name      string
	SchoolID  int64
	Reason    string
}

// CalcResult sums up a calculation over one or more schools.
type CalcResult struct {
	Created     int
	Updated     int
	Unchanged   int
	Removed     int
	Ineligible  []Ineligible
	Count       int       // entitlements on the lists afterwards (not revoked)
	TotalFen    model.Fen // their amount
	Adjustments int       // draft top-ups or recoveries made or changed for paid aid
}

func (r *CalcResult) add(o CalcResult) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Removed += o.Removed
	r.Ineligible = append(r.Ineligible, o.Ineligible...)
	r.Count += o.Count
	r.TotalFen += o.TotalFen
	r.Adjustments += o.Adjustments
}

// listRequest validates program and term.
func listRequest(program, term string) (model.Program, model.Term, error) {
	p, ok := model.ProgramByCode(program)
	if !ok {
		return p, "", invalid("未知资助项目 %q（boarding、nonboarding、vocational_grant、senior_grant）", program)
	}
	t, err := model.ParseTerm(term)
	if err != nil {
		return p, "", invalid("学期格式应为 2025-2026-1（秋季）或 2025-2026-2（春季）")
	}
	return p, t, nil
}

// writableSchools are the schools a list action may touch: the one named (403
// outside scope) or every school in scope.
func (s *Entitlements) writableSchools(ctx context.Context, a model.Actor, schoolID int64) ([]model.School, error) {
	db := s.db.WithContext(ctx)
	if schoolID == 0 && a.ScopeKind() == "school" {
		schoolID = a.SchoolID
	}
	if schoolID != 0 {
		var sc model.School
		if err := db.First(&sc, schoolID).Error; err != nil {
			return nil, translate(err, "学校")
		}
		if !seesSchool(a, sc) {
			return nil, forbidden("该学校不在您的管辖范围内")
		}
		return []model.School{sc}, nil
	}
	var out []model.School
	return out, inScopeSchools(db, a, "id").Order("code").Find(&out).Error
}

// CalculateEntitlements applies the eligibility rules and standards to every
// enrolment of the schools for the term's school year. It creates or updates
// draft and returned entitlements only; submitted, approved and paid ones are
// never touched (a changed file only raises a warning on them). Each school's
// list is calculated in one transaction, serialised by its list row.
func (s *Entitlements) CalculateEntitlements(ctx context.Context, a model.Actor, req CalcRequest) (CalcResult, error) {
	var total CalcResult
	if !a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer) {
		return total, errRoleForbidden
	}
	p, term, err := listRequest(req.Program, req.Term)
	if err != nil {
		return total, err
	}
	schools, err := s.writableSchools(ctx, a, req.SchoolID)
	if err != nil {
		return total, err
	}
	var all []model.Standard
	if err := s.db.WithContext(ctx).Where("program = ?", p.Code).Find(&all).Error; err != nil {
		return total, err
	}
	contiguous, err := s.contiguousAreas(ctx)
	if err != nil {
		return total, err
	}
	calc := calculation{program: p, term: term, standards: standardSet(all), contiguous: func(c string) bool { return contiguous[c] }}
	// Schools are calculated by a few workers, each school in its own
	// transaction: while one waits on the database inserting a list, another
	// judges the next. Results are added in school order, so the answer is
	// the same however the work interleaved. After a failure no new school
	// is started; those under way finish, as earlier schools had.
	results := make([]CalcResult, len(schools))
	errs := make([]error, len(schools))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(calcWorkers, len(schools)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(schools) && !failed.Load() && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				// Two schools calculating the same transferred student at once:
				// the loser of the unique key retries and then sees the other's
				// entitlement.
				for attempt := 0; ; attempt++ {
					errs[i] = safely(func() (err error) {
						results[i], err = s.calculateSchool(ctx, a, calc, schools[i])
						return err
					})
					if errs[i] == nil || !errors.Is(errs[i], gorm.ErrDuplicatedKey) || attempt == 2 {
						break
					}
				}
				if errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for i := range schools {
		if errs[i] != nil {
			return total, translate(errs[i], "资助名单")
		}
		total.add(results[i])
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	if !a.Is(model.RoleCountyOfficer) {
		for i := range total.Ineligible {
			// Only the county sees which other school pays a transferred student.
			if strings.HasPrefix(total.Ineligible[i].Reason, alreadyElsewhere) {
				total.Ineligible[i].Reason = alreadyElsewhere
			}
		}
	}
	return total, nil
}

const alreadyElsewhere = "已在其他学校享受"

// calcWorkers is how many schools are calculated at once: two keep both
// the service and the database busy on the 2-core servers counties run;
// more only queue on the database's locks.
const calcWorkers = 2

type calculation struct {
	program    model.Program
	term       model.Term
	standards  standardSet
	contiguous func(string) bool
}

func (s *Entitlements) contiguousAreas(ctx context.Context) (map[string]bool, error) {
	var codes []string
	err := s.db.WithContext(ctx).Model(&model.Region{}).Where("contiguous_hardship_area = ?", true).Pluck("code", &codes).Error
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m, err
}

// lockList makes sure the school's list row exists and takes its row lock,
// which serialises calculations and transitions of the same list.
func (s *Entitlements) lockList(tx *gorm.DB, schoolID int64, program, term string) (model.AidList, error) {
	var l model.AidList
	err := tx.Where("school_id = ? AND program = ? AND term = ?", schoolID, program, term).First(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		now := s.now()
		l = model.AidList{SchoolID: schoolID, Program: program, Term: term, CreatedAt: now, UpdatedAt: now}
		err = tx.Create(&l).Error
	}
	if err != nil {
		return l, err
	}
	if err := tx.Exec("UPDATE aid_lists SET calc_seq = calc_seq + 1 WHERE id = ?", l.ID).Error; err != nil {
		return l, err
	}
	return l, tx.First(&l, l.ID).Error
}

// existingEnt is an entitlement with the name of its school.
type existingEnt struct {
	model.Entitlement
	SchoolName string
}

func (s *Entitlements) calculateSchool(ctx context.Context, a model.Actor, c calculation, sc model.School) (CalcResult, error) {
	var res CalcResult
	defer s.counts.forget() // GET /students?program= totals, once committed
	err := s.bulkTx(ctx, func(tx *gorm.DB) error {
		res = CalcResult{}
		list, err := s.lockList(tx, sc.ID, c.program.Code, string(c.term))
		if err != nil {
			return err
		}
		year := c.term.SchoolYear()
		var cands []candidate
		if err := tx.Table("enrolments e").Select(`e.student_id, s.name, s.id_type, s.id_masked, s.id_hash, s.household,
			s.home_region, e.id AS enrolment_id, e.school_id, e.stage, e.grade, e.class, e.student_no, e.agri_major, e.boarding,
			e.status, d.level, d.categories`).
			Joins("JOIN students s ON s.id = e.student_id").
			Joins("LEFT JOIN difficulty_records d ON d.student_id = e.student_id AND d.school_year = e.school_year").
			Where("e.school_id = ? AND e.school_year = ?", sc.ID, year).
			Order("e.student_id").Scan(&cands).Error; err != nil {
			return err
		}
		// This list's entitlements, and those of its students anywhere else:
		// two indexed queries (an OR of the two would scan every entitlement).
		var onList, elsewhere []existingEnt
		if err := tx.Table("entitlements ent").Select("ent.*, sc.name AS school_name").
			Joins("JOIN schools sc ON sc.id = ent.school_id").
			Where("ent.list_id = ?", list.ID).Scan(&onList).Error; err != nil {
			return err
		}
		// By the candidates' ids in chunks, so the unique key (student,
		// program, term) drives it whatever the table's statistics say: a
		// join from enrolments let MariaDB read every entitlement of the
		// term for each school.
		for start := 0; start < len(cands); start += rosterChunk {
			ids := make([]int64, 0, rosterChunk)
			for _, cd := range cands[start:min(start+rosterChunk, len(cands))] {
				ids = append(ids, cd.StudentID)
			}
			var part []existingEnt
			if err := tx.Table("entitlements ent").Select("ent.*, sc.name AS school_name").
				Joins("JOIN schools sc ON sc.id = ent.school_id").
				Where("ent.student_id IN ? AND ent.program = ? AND ent.term = ? AND ent.list_id <> ?", ids, c.program.Code, string(c.term), list.ID).
				Scan(&part).Error; err != nil {
				return err
			}
			elsewhere = append(elsewhere, part...)
		}
		existing := append(onList, elsewhere...)
		var adjs []model.Adjustment
		if err := tx.Where("entitlement_id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&model.Entitlement{}).
			Select("id").Where("list_id = ? AND status = ?", list.ID, model.EntPaid)).Order("id").Find(&adjs).Error; err != nil {
			return err
		}
		paid, err := paidStateOf(tx, list.ID, adjs)
		if err != nil {
			return err
		}
		plan := planList(c, sc, list, cands, existing, paid)
		if err := s.fault(FaultCalcPlanned); err != nil {
			return err
		}
		res = plan.result
		return s.applyPlan(tx, a, c, list, plan)
	})
	return res, err
}

// listPlan is what a calculation will do to one school's list.
type listPlan struct {
	create    []*model.Entitlement
	update    []*model.Entitlement
	remove    []int64
	warnings  map[int64]string // entitlement id → warning ("" clears)
	adjCreate []*model.Adjustment
	adjUpdate []*model.Adjustment
	adjRemove []int64
	result    CalcResult
}

// planList decides, without touching the database, the list a school should
// have. It is deterministic: the same files give the same plan.
func planList(c calculation, sc model.School, list model.AidList, cands []candidate, existing []existingEnt, paid paidState) listPlan {
	plan := listPlan{warnings: map[int64]string{}}
	byStudent := make(map[int64]*existingEnt, len(existing))
	for i := range existing {
		byStudent[existing[i].StudentID] = &existing[i]
	}
	var fixed listTotal
	var eligible []eligibleOne
	seen := map[int64]bool{}
	for _, cd := range cands {
		seen[cd.StudentID] = true
		if e, ok := plan.consider(c, sc, cd, byStudent[cd.StudentID], paid, &fixed); ok {
			eligible = append(eligible, e)
		}
	}
	// Drafts of students no longer enrolled at this school go.
	for i := range existing {
		e := &existing[i]
		if e.ListID == list.ID && !seen[e.StudentID] && (e.Status == model.EntDraft || e.Status == model.EntReturned) {
			plan.remove = append(plan.remove, e.ID)
			plan.result.Removed++
		}
	}
	// 指标: rank by level, then by number of categories, then by a keyed hash
	// of the ID number, so the order of upload or entry never decides.
	sort.SliceStable(eligible, func(i, j int) bool {
		ci, cj := eligible[i].cand, eligible[j].cand
		if ri, rj := levelRank(ci.Level), levelRank(cj.Level); ri != rj {
			return ri < rj
		}
		if ni, nj := categoryCount(ci.Categories), categoryCount(cj.Categories); ni != nj {
			return ni > nj
		}
		return ci.IDHash < cj.IDHash
	})
	plan.admit(c, sc, list, eligible, fixed)
	return plan
}

// eligibleOne is a candidate who qualifies, before the quota decides.
type eligibleOne struct {
	cand candidate
	v    verdict
	std  model.Standard
	ent  *existingEnt // this school's draft or returned entitlement, if any
}

// listTotal counts a list's entitlements and their amounts.
type listTotal struct {
	count int
	fen   model.Fen
}

// consider plans what happens to one candidate's entitlement, except for the
// eligible whose draft the quota decides: those it returns. Entitlements
// past draft count into fixed.
func (plan *listPlan) consider(c calculation, sc model.School, cd candidate, ent *existingEnt, paid paidState,
	fixed *listTotal) (eligibleOne, bool) {
	v := judge(c.program.Code, c.term, cd, c.contiguous)
	var std model.Standard
	if v.eligible {
		var err error
		if std, err = c.standards.find(c.program.Code, cd.Stage, v.level, sc.RegionCode, c.term.Start()); err != nil {
			v = no(err.Error())
		}
	}
	switch {
	case ent != nil && ent.SchoolID != sc.ID && ent.Status != model.EntRevoked:
		plan.result.Ineligible = append(plan.result.Ineligible, Ineligible{StudentID: cd.StudentID, Name: cd.Name, SchoolID: sc.ID,
			Reason: alreadyElsewhere + "（" + ent.SchoolName + "）"})
	case ent != nil && ent.Status != model.EntDraft && ent.Status != model.EntReturned && ent.Status != model.EntRevoked:
		// Fixed: submitted, approved, batched or paid. A change in the file
		// shows as a warning for the county to act on (revoke or adjust).
		fixed.count++
		fixed.fen += ent.AmountFen
		plan.result.Unchanged++
		plan.fixedOne(c, sc, v, ent.Entitlement, paid)
	case !v.eligible:
		plan.result.Ineligible = append(plan.result.Ineligible, Ineligible{StudentID: cd.StudentID, Name: cd.Name, SchoolID: sc.ID, Reason: v.reason})
		if ent != nil && ent.Status != model.EntRevoked {
			plan.remove = append(plan.remove, ent.ID)
			plan.result.Removed++
		}
	default:
		return eligibleOne{cand: cd, v: v, std: std, ent: ent}, true
	}
	return eligibleOne{}, false
}

// fixedOne looks again at aid already submitted, approved, batched or paid.
// POLICY.md: the term's amount is fixed by the level on record at approval
// (the entitlement's level and stage, or the county's latest correction of
// them); a level changed since then applies to later terms only. Paid aid is
// never edited: a changed standard or a correction makes an adjustment,
// whatever became of the student since approval decided the term. Other
// changes show as a warning for the county to act on.
func (plan *listPlan) fixedOne(c calculation, sc model.School, v verdict, ent model.Entitlement, paid paidState) {
	rec, reason := paid.record(ent)
	std, err := c.standards.find(c.program.Code, rec.Stage, rec.Level, sc.RegionCode, c.term.Start())
	warning := ""
	if err == nil && ent.Status == model.EntPaid {
		plan.adjust(ent, std, paid.adjs[ent.ID], paid.received[ent.ID], reason)
	}
	switch {
	case !v.eligible:
		warning = "学生信息已变化，现不符合条件：" + v.reason
	case err != nil:
		warning = "现行标准中没有本学期适用的标准：" + err.Error()
	case ent.Status != model.EntPaid && std.AnnualFen/2 != ent.AmountFen:
		warning = fmt.Sprintf("标准已变化：现行标准本学期应为 %s 元", (std.AnnualFen / 2).Yuan())
	}
	if warning != ent.Warning {
		plan.warnings[ent.ID] = warning
	}
}

// admit takes the ranked eligible onto the list while the school's 指标
// (count and budget, after the fixed entitlements) allows.
func (plan *listPlan) admit(c calculation, sc model.School, list model.AidList, eligible []eligibleOne, fixed listTotal) {
	count, fen := fixed.count, fixed.fen
	for _, e := range eligible {
		amount := e.std.AnnualFen / 2
		if list.MaxCount != nil && count+1 > *list.MaxCount {
			plan.result.Ineligible = append(plan.result.Ineligible, Ineligible{StudentID: e.cand.StudentID, Name: e.cand.Name, SchoolID: sc.ID,
				Reason: fmt.Sprintf("超出学校资助名额（指标 %d 人，按困难等级排序后未入选）", *list.MaxCount)})
			if e.ent != nil {
				plan.remove = append(plan.remove, e.ent.ID)
				plan.result.Removed++
			}
			continue
		}
		if list.BudgetFen != nil && fen+amount > *list.BudgetFen {
			plan.result.Ineligible = append(plan.result.Ineligible, Ineligible{StudentID: e.cand.StudentID, Name: e.cand.Name, SchoolID: sc.ID,
				Reason: fmt.Sprintf("超出学校资助预算（%s 元，按困难等级排序后未入选）", list.BudgetFen.Yuan())})
			if e.ent != nil {
				plan.remove = append(plan.remove, e.ent.ID)
				plan.result.Removed++
			}
			continue
		}
		count++
		fen += amount
		want := model.Entitlement{StudentID: e.cand.StudentID, Program: c.program.Code, Term: string(c.term), SchoolID: sc.ID,
			ListID: list.ID, Stage: e.cand.Stage, Grade: e.cand.Grade, Level: e.cand.Level, Rule: e.v.rule,
			StandardID: e.std.ID, AnnualFen: e.std.AnnualFen, AmountFen: amount, Status: model.EntDraft}
		switch {
		case e.ent == nil:
			plan.create = append(plan.create, &want)
			plan.result.Created++
		case e.ent.Status == model.EntRevoked || e.ent.SchoolID != sc.ID || e.ent.ListID != list.ID || e.ent.Stage != want.Stage ||
			e.ent.Grade != want.Grade || e.ent.Level != want.Level || e.ent.Rule != want.Rule ||
			e.ent.StandardID != want.StandardID || e.ent.AmountFen != want.AmountFen || e.ent.Warning != "":
			upd := e.ent.Entitlement
			upd.SchoolID, upd.ListID, upd.Stage, upd.Grade, upd.Level, upd.Rule = want.SchoolID, want.ListID, want.Stage, want.Grade, want.Level, want.Rule
			upd.StandardID, upd.AnnualFen, upd.AmountFen, upd.Warning = want.StandardID, want.AnnualFen, want.AmountFen, ""
			if upd.Status == model.EntRevoked {
				upd.Status, upd.Reason = model.EntDraft, ""
			}
			plan.update = append(plan.update, &upd)
			plan.result.Updated++
		default:
			plan.result.Unchanged++
		}
	}
	plan.result.Count, plan.result.TotalFen = count, fen
}

func categoryCount(cats string) int {
	if cats == "" {
		return 0
	}
	return strings.Count(cats, "、") + 1
}

func (s *Entitlements) applyPlan(tx *gorm.DB, a model.Actor, c calculation, list model.AidList, plan listPlan) error {
	now := s.now()
	for _, e := range plan.create {
		e.CreatedAt, e.UpdatedAt = now, now
	}
	if err := insertAll(tx, plan.create); err != nil {
		return err
	}
	for _, e := range plan.update {
		e.UpdatedAt = now
		if err := tx.Save(e).Error; err != nil {
			return err
		}
	}
	if err := removeDrafts(tx, plan.remove, now); err != nil {
		return err
	}
	if err := plan.applyAdjustments(tx, a, now); err != nil {
		return err
	}
	for id, w := range plan.warnings {
		if err := tx.Model(&model.Entitlement{}).Where("id = ?", id).Update("warning", w).Error; err != nil {
			return err
		}
	}
	r := plan.result
	if r.Created+r.Updated+r.Removed+r.Adjustments+len(plan.warnings) == 0 {
		return nil // nothing changed: a repeated calculation writes nothing
	}
	return s.audit(tx, a, "calculate", "aid_list", strconv.FormatInt(list.ID, 10), nil, map[string]any{
		"program": c.program.Code, "term": string(c.term), "school_id": list.SchoolID, "created": r.Created,
		"updated": r.Updated, "removed": r.Removed, "warnings": len(plan.warnings), "adjustments": r.Adjustments, "count": r.Count, "total_fen": r.TotalFen})
}

// applyAdjustments writes the plan's draft top-ups and recoveries.
func (plan *listPlan) applyAdjustments(tx *gorm.DB, a model.Actor, now time.Time) error {
	for _, adj := range plan.adjCreate {
		adj.CreatedBy, adj.CreatedAt, adj.UpdatedAt = actorName(a), now, now
	}
	if err := insertAll(tx, plan.adjCreate); err != nil {
		return err
	}
	for _, adj := range plan.adjUpdate {
		adj.UpdatedAt = now
		if err := tx.Save(adj).Error; err != nil {
			return err
		}
	}
	if len(plan.adjRemove) == 0 {
		return nil
	}
	return tx.Where("id IN ? AND status = ?", plan.adjRemove, model.AdjDraft).Delete(&model.Adjustment{}).Error
}

// removeDrafts deletes drafts and returned aid that no longer belong on the
// list, except those a batch line refers to (their line failed, the aid was
// revoked and then taken up again): the ledger keeps naming them, so they
// go back to revoked instead.
func removeDrafts(tx *gorm.DB, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	open := []string{model.EntDraft, model.EntReturned}
	inBatches := tx.Session(&gorm.Session{NewDB: true}).Model(&model.BatchLine{}).Select("entitlement_id").Where("entitlement_id IN ?", ids)
	if err := tx.Model(&model.Entitlement{}).Where("id IN ? AND status IN ? AND id IN (?)", ids, open, inBatches).
		Updates(map[string]any{"status": model.EntRevoked, "reason": "重新计算时不再符合条件", "updated_at": now}).Error; err != nil {
		return err
	}
	return tx.Where("id IN ? AND status IN ?", ids, open).Delete(&model.Entitlement{}).Error
}
