package service

import (
	"context"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// Workbench is the 待办 of the home page for one term, as officers used to
// the national system expect it: each school's progress on each program it
// can have (roster, calculation, submission, notice, approval, payment) with
// its quota used and left, the approved aid still waiting for a batch, and
// the students whose aid a batch would hold back, by name and class, so the
// people who can fix a bank account see who needs it.
type Workbench struct {
	Term     model.Term
	Progress []SchoolProgress
	Queue    []QueuedAid
	Held     []HeldStudent
}

// SchoolProgress is one school's list for one program in the term.
type SchoolProgress struct {
	SchoolID   int64
	SchoolName string
	SchoolCode string
	Program    string
	Students   int              // enrolled in the term's school year: the roster is in
	ByStatus   map[string]Tally // the term's entitlements by status (revoked ones too)
	MaxCount   *int
	BudgetFen  *model.Fen
	Notice     string // as on the home page: notice_not_started, notice_period, notice_over
	NoticeEnds *time.Time
}

// QueuedAid is approved aid of one program and term waiting for a batch;
// Held is the part a batch would hold back for its bank account.
type QueuedAid struct {
	Program string
	Term    string
	Total   Tally
	Held    Tally
}

// HeldStudent is a student whose aid cannot be paid as things stand (on a
// list not yet approved too, so that the school hears of it at calculation
// rather than at the batch), or whose account was corrected after a failed
// payment and goes in the next batch (Corrected).
type HeldStudent struct {
	EntitlementID int64
	StudentID     int64
	Name          string
	SchoolName    string
	Grade         int
	Stage         string
	Class         string
	Program       string
	Term          string
	AmountFen     model.Fen
	Status        string // the entitlement's: a list not yet approved is warned early
	Reason        string
	Corrected     bool
}

// maxHeldStudents bounds the held list on the home page; a county with more
// works from the batch job's report.
const maxHeldStudents = 200

// Workbench reads the home page's to-do for a term (empty: the current one).
// Admin sees no students' money (least privilege), so it is refused.
func (s *Reports) Workbench(ctx context.Context, a model.Actor, term string) (Workbench, error) {
	w := Workbench{Term: model.TermOf(s.now()), Progress: []SchoolProgress{}, Queue: []QueuedAid{}, Held: []HeldStudent{}}
	if a.Is(model.RoleAdmin) {
		return w, forbidden("系统管理员不查看资助数据")
	}
	if term != "" {
		t, err := model.ParseTerm(term)
		if err != nil {
			return w, invalid("%s", err.Error())
		}
		w.Term = t
	}
	db := s.db.WithContext(ctx)
	var err error
	if a.Is(model.RoleSchoolOfficer, model.RoleCountyOfficer, model.RoleAuditor) {
		if w.Progress, err = s.schoolProgress(db, a, w.Term); err != nil {
			return w, err
		}
	}
	if w.Queue, err = s.queuedAid(db, a); err != nil {
		return w, err
	}
	w.Held, err = s.heldStudents(db, a)
	return w, err
}

// schoolProgress has a row for every school in scope and every program its
// type can have, including those with nothing yet: a school that has not
// reported is exactly what the county needs to see.
func (s *Reports) schoolProgress(db *gorm.DB, a model.Actor, term model.Term) ([]SchoolProgress, error) {
	var schools []model.School
	if err := inScopeSchools(db.Model(&model.School{}), a, "id").Order("code").Find(&schools).Error; err != nil {
		return nil, err
	}
	var enrolled []struct {
		SchoolID int64
		N        int
	}
	if err := inScopeSchools(db.Table("enrolments"), a, "school_id").Select("school_id, COUNT(*) AS n").
		Where("school_year = ?", term.SchoolYear()).Group("school_id").Scan(&enrolled).Error; err != nil {
		return nil, err
	}
	students := map[int64]int{}
	for _, e := range enrolled {
		students[e.SchoolID] = e.N
	}
	var tallies []struct {
		SchoolID int64
		Program  string
		Status   string
		N        int
		Fen      model.Fen
	}
	if err := inScopeSchools(db.Table("entitlements"), a, "school_id").
		Select("school_id, program, status, COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").
		Where("term = ?", string(term)).Group("school_id, program, status").Scan(&tallies).Error; err != nil {
		return nil, err
	}
	var lists []model.AidList
	if err := inScopeSchools(db.Model(&model.AidList{}), a, "school_id").Where("term = ?", string(term)).Find(&lists).Error; err != nil {
		return nil, err
	}
	type key struct {
		school  int64
		program string
	}
	rows := map[key]*SchoolProgress{}
	out := []SchoolProgress{}
	for _, sc := range schools {
		for _, p := range sc.Type.ProgramsFor() {
			out = append(out, SchoolProgress{SchoolID: sc.ID, SchoolName: sc.Name, SchoolCode: sc.Code, Program: p.Code,
				Students: students[sc.ID], ByStatus: map[string]Tally{}, Notice: "notice_not_started"})
		}
	}
	for i := range out {
		rows[key{out[i].SchoolID, out[i].Program}] = &out[i]
	}
	for _, t := range tallies {
		if r := rows[key{t.SchoolID, t.Program}]; r != nil {
			tl := r.ByStatus[t.Status]
			tl.add(t.N, t.Fen)
			r.ByStatus[t.Status] = tl
		}
	}
	now := s.now()
	for _, l := range lists {
		if r := rows[key{l.SchoolID, l.Program}]; r != nil {
			r.MaxCount, r.BudgetFen, r.NoticeEnds = l.MaxCount, l.BudgetFen, l.NoticeEndsAt
			r.Notice = s.noticeState(l, now)
		}
	}
	return out, nil
}

// queuedAid sums approved aid in no batch by program and term, with the part
// the batch job would hold back (the job's own payable test decides).
func (s *Reports) queuedAid(db *gorm.DB, a model.Actor) ([]QueuedAid, error) {
	var rows []struct {
		Program string
		Term    string
		N       int
		Fen     model.Fen
		HeldN   int
		HeldFen model.Fen
	}
	q := db.Table("entitlements ent").
		Joins("JOIN students s ON s.id = ent.student_id").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Select(`ent.program, ent.term, COUNT(*) AS n, COALESCE(SUM(ent.amount_fen), 0) AS fen,
			COALESCE(SUM(CASE WHEN `+payableEntitlement+` THEN 0 ELSE 1 END), 0) AS held_n,
			COALESCE(SUM(CASE WHEN `+payableEntitlement+` THEN 0 ELSE ent.amount_fen END), 0) AS held_fen`).
		Where("ent.status = ?", model.EntApproved).Group("ent.program, ent.term").Order("ent.term, ent.program")
	if err := inScopeSchools(q, a, "ent.school_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]QueuedAid, 0, len(rows))
	for _, r := range rows {
		out = append(out, QueuedAid{Program: r.Program, Term: r.Term, Total: Tally{Count: r.N, Fen: r.Fen}, Held: Tally{Count: r.HeldN, Fen: r.HeldFen}})
	}
	return out, nil
}

// heldStudents lists aid on its way to a batch that the batch would hold
// back, and approved aid whose failed account has since been corrected (it
// goes in the next batch), with the reasons the batch job itself gives.
func (s *Reports) heldStudents(db *gorm.DB, a model.Actor) ([]HeldStudent, error) {
	var rows []struct {
		HeldStudent
		Payable     bool
		NoAccount   bool
		NoGuardian  bool
		Unconfirmed bool
	}
	q := db.Table("entitlements ent").
		Joins("JOIN students s ON s.id = ent.student_id").
		Joins("JOIN schools sc ON sc.id = ent.school_id").
		Select(`ent.id AS entitlement_id, ent.student_id, s.name, sc.name AS school_name, ent.grade, ent.stage,
			COALESCE((SELECT e.class FROM enrolments e WHERE e.student_id = ent.student_id AND e.school_id = ent.school_id
			          ORDER BY e.school_year DESC LIMIT 1), '') AS class,
			ent.program, ent.term, ent.amount_fen, ent.status,
			CASE WHEN `+payableEntitlement+` THEN 1 ELSE 0 END AS payable,
			CASE WHEN s.account_enc = '' THEN 1 ELSE 0 END AS no_account,
			CASE WHEN s.holder = `+sqlGuardian+` AND s.guardian = '' THEN 1 ELSE 0 END AS no_guardian,
			CASE WHEN `+pendingAccountChange+` THEN 1 ELSE 0 END AS unconfirmed`).
		Where("ent.status IN ?", []string{model.EntDraft, model.EntReturned, model.EntSubmitted, model.EntApproved}).
		Where("NOT ("+payableEntitlement+") OR (ent.status = ? AND EXISTS (SELECT 1 FROM batch_lines bl WHERE bl.entitlement_id = ent.id AND bl.adjustment_id IS NULL AND bl.status = 'failed'))", model.EntApproved).
		Order("sc.code, ent.grade, class, s.name, ent.id").Limit(maxHeldStudents)
	if err := inScopeSchools(q, a, "ent.school_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]HeldStudent, 0, len(rows))
	for _, r := range rows {
		h := r.HeldStudent
		h.Corrected, h.Reason = r.Payable, heldReason(r.NoAccount, r.NoGuardian, r.Unconfirmed)
		if r.Payable {
			h.Reason = "已更正，待下一批次"
		}
		out = append(out, h)
	}
	return out, nil
}
