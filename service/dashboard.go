package service

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
)

// Dashboard is what the home page shows a user: the school lists that still
// need someone to act, and the term's amounts by program and by school. Every
// figure is read through the same scope rules as the lists themselves, so a
// school officer's home page never counts another school.
type Dashboard struct {
	Term model.Term
	// CurrentTerm is the term in progress by the service clock.
	CurrentTerm model.Term
	Now         time.Time
	Lists       []ListStatus // lists with draft, returned or submitted entitlements, most urgent first
	ByProgram   []AmountBar
	BySchool    []AmountBar
	// Batches are the term's batches; OpenBatches those of any term still
	// waiting for finance (to approve, or for the bank's results).
	Batches     []BatchSplit
	OpenBatches []BatchSplit
	// FailedPayments are failed lines whose aid is still owed (back in the
	// queue for the next batch), newest first; FailedTotal counts them all.
	FailedPayments []FailedPayment
	FailedTotal    Tally
}

// Tally is a number of entitlements (or lines) and their amount.
type Tally struct {
	Count int
	Fen   model.Fen
}

func (t *Tally) add(n int, fen model.Fen) {
	t.Count += n
	t.Fen += fen
}

// ListStatus is one school's list for a program and term with what is still
// open on it.
type ListStatus struct {
	ListID          int64
	SchoolID        int64
	SchoolName      string
	Program         string
	Term            string
	Draft           Tally // calculated, not yet submitted
	Returned        Tally // sent back by the county, to be corrected
	Submitted       Tally // waiting for the county's approval
	Objections      int
	SubmittedAt     *time.Time
	NoticeStartedAt *time.Time
	NoticeEndsAt    *time.Time
	// Notice is where the list's 公示 stands for approval: notice_not_started,
	// notice_period (running) or notice_over (the county may approve).
	Notice string
}

// NoticeOver is the Notice of a list the county may approve now.
const NoticeOver = "notice_over"

// AmountPhase groups entitlement statuses the way the home page's charts
// colour them: what the school still holds, what waits for the county, what
// waits for payment, what is paid.
type AmountPhase struct {
	Key      string
	Label    string
	statuses []string
}

// AmountPhases are the segments of every amount bar, in drawing order.
var AmountPhases = []AmountPhase{
	{"to_submit", "待提交", []string{model.EntDraft, model.EntReturned}},
	{"submitted", "待审核", []string{model.EntSubmitted}},
	{"approved", "已审核待发放", []string{model.EntApproved, model.EntBatched}},
	{"paid", "已发放", []string{model.EntPaid}},
}

func phaseOf(status string) int {
	for i, p := range AmountPhases {
		for _, st := range p.statuses {
			if st == status {
				return i
			}
		}
	}
	return -1
}

// AmountBar is one bar of a chart: a program or a school, its total and
// its amount in each phase (indexed like AmountPhases).
type AmountBar struct {
	Key     string
	Label   string
	Total   Tally
	ByPhase []model.Fen
}

// maxChartSchools keeps the by-school chart readable for a whole city; the
// rest are summed into one bar.
const maxChartSchools = 15

// maxDashboardLists bounds the attention list; a county with more open lists
// than this works from the entitlement lists' filters anyway.
const maxDashboardLists = 200

// Dashboard builds the home page's figures for a term (empty: the latest
// term up to the one in progress that has aid in the actor's scope, else
// the one in progress: a new term is empty until its lists are calculated).
func (s *Reports) Dashboard(ctx context.Context, a model.Actor, term string) (Dashboard, error) {
	now := s.now()
	d := Dashboard{Term: model.TermOf(now), CurrentTerm: model.TermOf(now), Now: now}
	db := s.db.WithContext(ctx)
	if term != "" {
		t, err := model.ParseTerm(term)
		if err != nil {
			return d, invalid("%s", err.Error())
		}
		d.Term = t
	} else if t, err := latestTerm(db, a, d.CurrentTerm); err != nil {
		return d, err
	} else if t != "" {
		d.Term = t
	}
	var err error
	if d.Lists, err = s.openLists(db, a, now); err != nil {
		return d, err
	}
	if d.ByProgram, err = s.programBars(db, a, d.Term); err != nil {
		return d, err
	}
	if d.BySchool, err = s.schoolBars(db, a, d.Term); err != nil {
		return d, err
	}
	if d.Batches, d.OpenBatches, err = s.batchSplits(db, a, d.Term); err != nil {
		return d, err
	}
	d.FailedPayments, d.FailedTotal, err = s.failedPayments(db, a)
	return d, err
}

// openLists are the lists with entitlements still moving through the
// school → county workflow, in any term: a list returned last term still
// needs its school.
func (s *Reports) openLists(db *gorm.DB, a model.Actor, now time.Time) ([]ListStatus, error) {
	var tallies []struct {
		ListID int64
		Status string
		N      int
		Fen    model.Fen
	}
	q := inScopeSchools(db.Table("entitlements"), a, "school_id").
		Select("list_id, status, COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS fen").
		Where("status IN ?", []string{model.EntDraft, model.EntReturned, model.EntSubmitted}).
		Group("list_id, status")
	if err := q.Scan(&tallies).Error; err != nil {
		return nil, err
	}
	if len(tallies) == 0 {
		return []ListStatus{}, nil
	}
	byID := map[int64]*ListStatus{}
	ids := make([]int64, 0, len(tallies))
	for _, t := range tallies {
		ls := byID[t.ListID]
		if ls == nil {
			ls = &ListStatus{ListID: t.ListID}
			byID[t.ListID] = ls
			ids = append(ids, t.ListID)
		}
		switch t.Status {
		case model.EntDraft:
			ls.Draft.add(t.N, t.Fen)
		case model.EntReturned:
			ls.Returned.add(t.N, t.Fen)
		case model.EntSubmitted:
			ls.Submitted.add(t.N, t.Fen)
		}
	}
	var lists []struct {
		model.AidList
		SchoolName string
	}
	if err := db.Table("aid_lists l").Select("l.*, sc.name AS school_name").
		Joins("JOIN schools sc ON sc.id = l.school_id").Where("l.id IN ?", ids).Scan(&lists).Error; err != nil {
		return nil, err
	}
	var objections []struct {
		ListID int64
		N      int
	}
	if err := db.Table("objections").Select("list_id, COUNT(*) AS n").Where("list_id IN ?", ids).
		Group("list_id").Scan(&objections).Error; err != nil {
		return nil, err
	}
	for _, o := range objections {
		byID[o.ListID].Objections = o.N
	}
	out := make([]ListStatus, 0, len(lists))
	for _, l := range lists {
		ls := byID[l.ID]
		ls.SchoolID, ls.SchoolName, ls.Program, ls.Term = l.SchoolID, l.SchoolName, l.Program, l.Term
		ls.SubmittedAt, ls.NoticeStartedAt, ls.NoticeEndsAt = l.SubmittedAt, l.NoticeStartedAt, l.NoticeEndsAt
		ls.Notice = s.noticeState(l.AidList, now)
		out = append(out, *ls)
	}
	sort.Slice(out, func(i, j int) bool { return listUrgency(out[i]).less(listUrgency(out[j])) })
	if len(out) > maxDashboardLists {
		out = out[:maxDashboardLists]
	}
	return out, nil
}

// noticeState asks the approval rule itself whether the list could be
// approved now, so the home page never disagrees with the approve button.
func (s *Reports) noticeState(l model.AidList, now time.Time) string {
	var se *Error
	if err := s.noticeComplete(l, now); errors.As(err, &se) {
		return se.Reason
	}
	return NoticeOver
}

type urgency struct {
	rank int       // 0: returned, 1: ready to approve, 2: on notice, 3: submitted without notice, 4: draft
	at   time.Time // within a rank, the earliest notice end or the oldest list first
	id   int64
}

func (u urgency) less(v urgency) bool {
	if u.rank != v.rank {
		return u.rank < v.rank
	}
	if !u.at.Equal(v.at) {
		return u.at.Before(v.at)
	}
	return u.id < v.id
}

func listUrgency(l ListStatus) urgency {
	u := urgency{rank: 4, id: l.ListID}
	switch {
	case l.Returned.Count > 0:
		u.rank = 0
	case l.Submitted.Count > 0 && l.Notice == NoticeOver:
		u.rank = 1
	case l.Submitted.Count > 0 && l.NoticeEndsAt != nil && l.Notice == "notice_period":
		u.rank, u.at = 2, *l.NoticeEndsAt
	case l.Submitted.Count > 0:
		u.rank = 3
	}
	if u.at.IsZero() && l.SubmittedAt != nil {
		u.at = *l.SubmittedAt
	}
	return u
}

// phaseTally is one GROUP BY row of the amount charts.
type phaseTally struct {
	BarKey string
	Label  string
	Status string
	N      int
	Fen    model.Fen
}

// amountBars folds grouped rows into bars in first-seen order.
func amountBars(rows []phaseTally) []AmountBar {
	var out []AmountBar
	index := map[string]int{}
	for _, r := range rows {
		p := phaseOf(r.Status)
		if p < 0 {
			continue
		}
		i, ok := index[r.BarKey]
		if !ok {
			i = len(out)
			index[r.BarKey] = i
			out = append(out, AmountBar{Key: r.BarKey, Label: r.Label, ByPhase: make([]model.Fen, len(AmountPhases))})
		}
		out[i].Total.add(r.N, r.Fen)
		out[i].ByPhase[p] += r.Fen
	}
	return out
}

// latestTerm is the latest term up to current with aid in the actor's scope
// ("" when there is none); terms sort as their text does.
func latestTerm(db *gorm.DB, a model.Actor, current model.Term) (model.Term, error) {
	var t *string
	err := inScopeSchools(db.Table("entitlements ent"), a, "ent.school_id").
		Where("ent.term <= ?", string(current)).Select("MAX(ent.term)").Scan(&t).Error
	if err != nil || t == nil {
		return "", err
	}
	return model.Term(*t), nil
}

// termAmounts is the scoped query both charts group: the term's
// entitlements that are still owed or paid (revoked ones are not).
func termAmounts(db *gorm.DB, a model.Actor, term model.Term) *gorm.DB {
	return inScopeSchools(db.Table("entitlements ent"), a, "ent.school_id").
		Where("ent.term = ? AND ent.status <> ?", string(term), model.EntRevoked)
}

// programBars has one bar per program, in the programs' order, including
// programs with nothing yet so the chart's shape stays the same all term.
func (s *Reports) programBars(db *gorm.DB, a model.Actor, term model.Term) ([]AmountBar, error) {
	var rows []phaseTally
	if err := termAmounts(db, a, term).
		Select("ent.program AS bar_key, ent.status, COUNT(*) AS n, COALESCE(SUM(ent.amount_fen), 0) AS fen").
		Group("ent.program, ent.status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	got := map[string]AmountBar{}
	for _, b := range amountBars(rows) {
		got[b.Key] = b
	}
	out := make([]AmountBar, 0, len(model.Programs))
	for _, p := range model.Programs {
		b, ok := got[p.Code]
		if !ok {
			b = AmountBar{Key: p.Code, ByPhase: make([]model.Fen, len(AmountPhases))}
		}
		b.Label = p.Name
		out = append(out, b)
	}
	return out, nil
}

// schoolBars has one bar per school with aid this term, largest first; past
// maxChartSchools the smallest are summed into one bar.
func (s *Reports) schoolBars(db *gorm.DB, a model.Actor, term model.Term) ([]AmountBar, error) {
	var rows []phaseTally
	if err := termAmounts(db, a, term).Joins("JOIN schools sc ON sc.id = ent.school_id").
		Select("ent.school_id AS bar_key, sc.name AS label, ent.status, COUNT(*) AS n, COALESCE(SUM(ent.amount_fen), 0) AS fen").
		Group("ent.school_id, sc.name, ent.status").Order("ent.school_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	bars := amountBars(rows)
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Total.Fen > bars[j].Total.Fen })
	if len(bars) <= maxChartSchools {
		return bars, nil
	}
	rest := AmountBar{Key: "other", ByPhase: make([]model.Fen, len(AmountPhases))}
	for _, b := range bars[maxChartSchools-1:] {
		rest.Total.add(b.Total.Count, b.Total.Fen)
		for i, f := range b.ByPhase {
			rest.ByPhase[i] += f
		}
	}
	rest.Label = "其他 " + strconv.Itoa(len(bars)-maxChartSchools+1) + " 所学校"
	return append(bars[:maxChartSchools-1], rest), nil
}

// BatchSplit is a batch with its lines (those in the actor's scope) by
// payment status.
type BatchSplit struct {
	ID        int64
	Number    string
	Program   string
	Term      string
	Status    string
	CreatedAt time.Time
	Paid      Tally
	Failed    Tally
	Pending   Tally
}

// batchSplits reads the lines of the term's batches and of every batch still
// open for finance. Lines are scoped by their school rather than the batch by
// its county, so a school officer sees how their own pupils' payments went.
func (s *Reports) batchSplits(db *gorm.DB, a model.Actor, term model.Term) (inTerm, open []BatchSplit, err error) {
	var rows []struct {
		ID         int64
		Number     string
		Program    string
		Term       string
		Status     string
		CreatedAt  time.Time
		LineStatus string
		N          int
		Fen        model.Fen
	}
	openStatus := []string{model.BatchGenerated, model.BatchApproved}
	q := inScopeSchools(db.Table("batches b").Joins("JOIN batch_lines bl ON bl.batch_id = b.id"), a, "bl.school_id").
		Select("b.id, b.number, b.program, b.term, b.status, b.created_at, bl.status AS line_status, COUNT(*) AS n, COALESCE(SUM(bl.amount_fen), 0) AS fen").
		Where("b.term = ? OR b.status IN ?", string(term), openStatus).
		Group("b.id, b.number, b.program, b.term, b.status, b.created_at, bl.status").Order("b.created_at, b.id")
	if err := q.Scan(&rows).Error; err != nil {
		return nil, nil, err
	}
	var all []BatchSplit
	for _, r := range rows {
		if len(all) == 0 || all[len(all)-1].ID != r.ID {
			all = append(all, BatchSplit{ID: r.ID, Number: r.Number, Program: r.Program, Term: r.Term, Status: r.Status, CreatedAt: r.CreatedAt})
		}
		b := &all[len(all)-1]
		switch r.LineStatus {
		case model.LinePaid:
			b.Paid.add(r.N, r.Fen)
		case model.LineFailed:
			b.Failed.add(r.N, r.Fen)
		default:
			b.Pending.add(r.N, r.Fen)
		}
	}
	inTerm, open = []BatchSplit{}, []BatchSplit{}
	for _, b := range all {
		if b.Term == string(term) {
			inTerm = append(inTerm, b)
		}
		if b.Status == model.BatchGenerated || b.Status == model.BatchApproved {
			open = append(open, b)
		}
	}
	return inTerm, open, nil
}

// FailedPayment is a bank-rejected line as the home page lists it (account
// masked: the page is for noticing, the file is for fixing).
type FailedPayment struct {
	LineID        int64
	BatchID       int64
	Number        string
	StudentID     int64
	Name          string
	SchoolName    string
	AccountMasked string
	AmountFen     model.Fen
	FailReason    string
	ResultAt      *time.Time
	TopUp         bool // a 补发 line rather than the term's regular aid
}

// maxFailedPayments is how many failed lines the home page lists.
const maxFailedPayments = 50

// failedPayments are failed lines whose aid went back to approved and has
// not been paid since: someone must correct the account before the next
// batch. A top-up (补发) line's aid is its adjustment, not the entitlement,
// which stays paid.
func (s *Reports) failedPayments(db *gorm.DB, a model.Actor) ([]FailedPayment, Tally, error) {
	var total Tally
	unresolved := func() *gorm.DB {
		return inScopeSchools(db.Table("batch_lines bl").
			Joins("JOIN batches b ON b.id = bl.batch_id").
			Joins("JOIN entitlements ent ON ent.id = bl.entitlement_id").
			Joins("LEFT JOIN adjustments adj ON adj.id = bl.adjustment_id"), a, "bl.school_id").
			Where("bl.status = ? AND ((bl.adjustment_id IS NULL AND ent.status = ?) OR adj.status = ?)",
				model.LineFailed, model.EntApproved, model.AdjApproved)
	}
	var sum struct {
		N   int
		Fen model.Fen
	}
	if err := unresolved().Select("COUNT(*) AS n, COALESCE(SUM(bl.amount_fen), 0) AS fen").Scan(&sum).Error; err != nil {
		return nil, total, err
	}
	total.add(sum.N, sum.Fen)
	out := []FailedPayment{}
	if sum.N == 0 {
		return out, total, nil
	}
	err := unresolved().Select(`bl.id AS line_id, bl.batch_id, b.number, bl.student_id, bl.name, bl.school_name, bl.account_masked,
		bl.amount_fen, bl.fail_reason, bl.result_at, bl.adjustment_id IS NOT NULL AS top_up`).Order("bl.result_at DESC, bl.id DESC").Limit(maxFailedPayments).Scan(&out).Error
	return out, total, err
}
