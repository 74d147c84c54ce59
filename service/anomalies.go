package service

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"studentaid/model"
)

// The anomaly scan looks for what audits of student aid keep finding
// (POLICY.md "Anomalies"): repeat payments, 代领 through one bank card,
// payments after graduation or dropout, amounts off the standard, money
// stuck between approval and payment (滞留). Every rule is one or two
// set-based queries over the whole database (GROUP BY and joins, never a
// query per student), so a million entitlements take minutes, not hours.
// Findings are stored with a fingerprint of the records involved: a finding
// found again is the same row (its first_seen stays), and one no longer found
// is resolved at the end of the scan.

// AnomalyThresholds are the figures the rules compare against. They are
// configuration (anomalies.* in the config file); zero fields take the
// defaults of DefaultAnomalyThresholds.
type AnomalyThresholds struct {
	// AccountMaxStudents: an account receiving aid for more students than
	// this is flagged (POLICY.md rule 2: more than 3).
	AccountMaxStudents int `json:"account_max_students"`
	// MinAge: a student younger than this on 1 September of the school
	// year is flagged (rule 4: any student under 5).
	MinAge int `json:"min_age"`
	// MaxAgeOverGrade: a primary, junior or senior student older than
	// grade + this on 1 September is flagged (rule 4: 8, so a first grader
	// older than 9). Vocational students are not checked: adults enrol.
	MaxAgeOverGrade int `json:"max_age_over_grade"`
	// FailedPayments: this many failed lines to the same account (rule 8: 2).
	FailedPayments int `json:"failed_payments"`
	// StaleDays: approved aid not batched, or an approved batch not paid,
	// this many days after approval (rule 9: 30).
	StaleDays int `json:"stale_days"`
}

// DefaultAnomalyThresholds are POLICY.md's figures.
func DefaultAnomalyThresholds() AnomalyThresholds {
	return AnomalyThresholds{AccountMaxStudents: 3, MinAge: 5, MaxAgeOverGrade: 8, FailedPayments: 2, StaleDays: 30}
}

func (t AnomalyThresholds) withDefaults() AnomalyThresholds {
	d := DefaultAnomalyThresholds()
	for _, f := range []struct{ dst, def *int }{
		{&t.AccountMaxStudents, &d.AccountMaxStudents}, {&t.MinAge, &d.MinAge}, {&t.MaxAgeOverGrade, &d.MaxAgeOverGrade},
		{&t.FailedPayments, &d.FailedPayments}, {&t.StaleDays, &d.StaleDays},
	} {
		if *f.dst <= 0 {
			*f.dst = *f.def
		}
	}
	return t
}

// anomalyThresholds are the configured thresholds. Options does not carry
// them yet (configs/ wires anomalies.* into Options.Anomaly); until then the
// policy defaults apply.
func (s *Anomalies) anomalyThresholds() AnomalyThresholds {
	return s.opt.Anomaly.withDefaults()
}

// ScanOptions tune one scan.
type ScanOptions struct {
	DryRun bool // find and compare, write nothing
	// OnDemand marks a user's scan (POST /anomalies/scan): one runs at a
	// time, across instances, so repeated clicks do not pile up full scans
	// of the database. The nightly job holds its own lease.
	OnDemand bool
	// Thresholds replace the configured ones for this scan (tests, what-if runs).
	Thresholds *AnomalyThresholds
}

// ScanResult is what a scan found, counted within the caller's area.
type ScanResult struct {
	DryRun   bool           `json:"dry_run"`
	At       time.Time      `json:"at"`
	Found    int            `json:"found"`    // findings that hold now
	Opened   int            `json:"opened"`   // new, or back after being resolved
	Resolved int            `json:"resolved"` // held before, no longer
	ByRule   map[string]int `json:"by_rule"`  // findings that hold now, per rule
	Millis   int64          `json:"ms"`
	// StepMillis is the time each rule's queries took, for whoever has to
	// find out why a scan got slow.
	StepMillis map[string]int64 `json:"step_ms"`
}

// anomalyScanners may start a scan. The scan always covers the whole
// database, because whether a finding still holds (and so whether to resolve
// it) cannot be decided from one county's rows when the records involved span
// counties; the counts reported back are those of the caller's area.
var anomalyScanners = []model.Role{model.RoleAdmin, model.RoleAuditor, model.RoleCountyOfficer}

// onDemandScanLease is the lease a user's scan holds (a job_leases row).
const onDemandScanLease = "anomaly_scan_on_demand"

// anomalyReaders may read findings (API.md: auditor, county_officer).
var anomalyReaders = []model.Role{model.RoleAuditor, model.RoleCountyOfficer}

// ScanAnomalies runs every rule, stores new findings, refreshes those found
// again and resolves those no longer found, in one transaction with its
// audit entry. Scans are serialised by the scan head row.
func (s *Anomalies) ScanAnomalies(ctx context.Context, a model.Actor, opt ScanOptions) (ScanResult, error) {
	res := ScanResult{DryRun: opt.DryRun, ByRule: map[string]int{}}
	if !a.Is(anomalyScanners...) {
		return res, errRoleForbidden
	}
	th := s.anomalyThresholds()
	if opt.Thresholds != nil {
		th = opt.Thresholds.withDefaults()
	}
	if opt.OnDemand {
		holder := actorName(a) + "/" + a.RequestID
		ok, err := s.jobs.AcquireLease(ctx, onDemandScanLease, holder, 30*time.Minute)
		if err != nil {
			return res, err
		}
		if !ok {
			return res, conflict("另一次异常扫描正在进行，请稍后再查看结果")
		}
		defer func() { _ = s.jobs.ReleaseLease(context.WithoutCancel(ctx), onDemandScanLease, holder) }()
	}
	started := time.Now()
	res.At = s.now()
	// Detection reads may go to a read replica: a scan a few seconds behind
	// the primary finds the same things; what is stored is decided below, on
	// the primary, inside the transaction.
	sc := &anomalyScan{db: s.reader(ctx), th: th, now: res.At}
	if err := sc.run(); err != nil {
		return res, err
	}
	res.StepMillis = sc.took
	apply := func(tx *gorm.DB) error {
		if !opt.DryRun {
			if err := tx.Exec("UPDATE anomaly_scan_head SET scans = scans + 1, last_scan_at = ? WHERE id = 1", res.At).Error; err != nil {
				return err
			}
		}
		diff, err := s.diffFindings(tx, sc.found, res.At)
		if err != nil {
			return err
		}
		for _, f := range sc.found {
			if seesRegion(a, f.region) {
				res.Found++
				res.ByRule[f.rule]++
			}
		}
		for _, f := range diff.inserts {
			if seesRegion(a, f.RegionCode) {
				res.Opened++
			}
		}
		for _, e := range diff.reopen {
			if seesRegion(a, e.RegionCode) {
				res.Opened++
			}
		}
		for _, e := range diff.resolve {
			if seesRegion(a, e.RegionCode) {
				res.Resolved++
			}
		}
		if opt.DryRun {
			return nil
		}
		if err := diff.write(tx, res.At); err != nil {
			return err
		}
		// Matching findings are not the scan's, but whether they still hold
		// is: a student on a death list whose pending aid has since been
		// revoked is no longer a finding.
		if _, err := resolveMatchingDeath(tx, res.At); err != nil {
			return err
		}
		return s.audit(tx, a, "scan", "anomaly", "", nil, map[string]any{
			"found": len(sc.found), "opened": len(diff.inserts) + len(diff.reopen), "resolved": len(diff.resolve),
			"by_rule": countByRule(sc.found), "thresholds": th})
	}
	var err error
	if opt.DryRun {
		err = apply(s.db.WithContext(ctx))
	} else {
		err = s.tx(ctx, apply)
	}
	res.Millis = time.Since(started).Milliseconds()
	return res, err
}

func countByRule(fs []finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.rule]++
	}
	return m
}

// finding is one anomaly as a rule reports it, before it is stored.
type finding struct {
	rule       string
	key        string // fingerprint of the records involved
	region     string
	schoolYear string
	term       string
	schoolID   int64 // 0: none (the records span schools)
	studentID  int64 // 0: none (several students)
	summary    string
	details    map[string]any
}

// fingerprint hashes the rule and the records that make a finding, so the
// same records give the same key on every scan and on every engine.
func fingerprint(rule string, parts ...any) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%v", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (f finding) row(now time.Time) model.Anomaly {
	r, _ := model.AnomalyRuleByCode(f.rule)
	an := model.Anomaly{Rule: f.rule, Severity: r.Severity, Fingerprint: f.key, RegionCode: f.region,
		SchoolYear: f.schoolYear, Term: f.term, Summary: truncateRunes(f.summary, 480), DetailsJSON: auditJSON(f.details),
		FirstSeen: now, LastSeen: now, Status: model.AnomalyOpen, UpdatedAt: now}
	if f.schoolID != 0 {
		id := f.schoolID
		an.SchoolID = &id
	}
	if f.studentID != 0 {
		id := f.studentID
		an.StudentID = &id
	}
	return an
}

// scanRules are the rules the scan owns: it resolves their findings when it
// no longer finds them. Matching rules belong to their uploads.
func scanRules() []string {
	var out []string
	for _, r := range model.AnomalyRules {
		if !r.Matching {
			out = append(out, r.Code)
		}
	}
	return out
}

// findingDiff is what storing a scan's findings changes.
type findingDiff struct {
	inserts []model.Anomaly
	refresh []int64         // found again as they were: last_seen only
	changed []model.Anomaly // found again with other details (a count moved)
	reopen  []model.Anomaly // resolved before, found again
	resolve []model.Anomaly // open or explained, no longer found
}

// diffFindings compares the findings with the stored ones of the same rules.
func (s *Anomalies) diffFindings(tx *gorm.DB, found []finding, now time.Time) (findingDiff, error) {
	var d findingDiff
	rules := map[string]bool{}
	for _, r := range scanRules() {
		rules[r] = true
	}
	return d, compareFindings(tx, found, rules, now, &d)
}

func compareFindings(tx *gorm.DB, found []finding, rules map[string]bool, now time.Time, d *findingDiff) error {
	ruleList := make([]string, 0, len(rules))
	for r := range rules {
		ruleList = append(ruleList, r)
	}
	sort.Strings(ruleList)
	var existing []model.Anomaly
	if err := tx.Where("rule IN ?", ruleList).Find(&existing).Error; err != nil {
		return err
	}
	byKey := make(map[string]*model.Anomaly, len(existing))
	for i := range existing {
		byKey[existing[i].Rule+"|"+existing[i].Fingerprint] = &existing[i]
	}
	seen := make(map[int64]bool, len(found))
	for _, f := range found {
		want := f.row(now)
		old := byKey[f.rule+"|"+f.key]
		if old == nil {
			d.inserts = append(d.inserts, want)
			// Two findings with one key in one scan would break the unique key.
			byKey[f.rule+"|"+f.key] = &want
			continue
		}
		if old.ID == 0 || seen[old.ID] {
			continue
		}
		seen[old.ID] = true
		same := old.Summary == want.Summary && old.DetailsJSON == want.DetailsJSON && old.RegionCode == want.RegionCode &&
			old.Term == want.Term && old.SchoolYear == want.SchoolYear && eqID(old.SchoolID, want.SchoolID) && eqID(old.StudentID, want.StudentID)
		want.ID, want.FirstSeen, want.Note, want.UpdatedBy, want.UpdatedAt = old.ID, old.FirstSeen, old.Note, old.UpdatedBy, old.UpdatedAt
		switch {
		case old.Status == model.AnomalyResolved:
			want.Status = model.AnomalyOpen
			d.reopen = append(d.reopen, want)
		case !same:
			want.Status = old.Status
			d.changed = append(d.changed, want)
		default:
			d.refresh = append(d.refresh, old.ID)
		}
	}
	for i := range existing {
		e := existing[i]
		if !seen[e.ID] && e.Status != model.AnomalyResolved {
			d.resolve = append(d.resolve, e)
		}
	}
	return nil
}

func eqID(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// write applies the diff: inserts in batches, last_seen and resolutions by
// id lists, the few changed rows one by one.
func (d findingDiff) write(tx *gorm.DB, now time.Time) error {
	if err := insertAll(tx, d.inserts); err != nil {
		return translate(err, "异常记录")
	}
	for _, ids := range chunkIDs(d.refresh, rosterChunk) {
		if err := tx.Model(&model.Anomaly{}).Where("id IN ?", ids).Update("last_seen", now).Error; err != nil {
			return err
		}
	}
	for _, an := range append(append([]model.Anomaly{}, d.changed...), d.reopen...) {
		if err := tx.Model(&model.Anomaly{}).Where("id = ?", an.ID).Updates(map[string]any{
			"status": an.Status, "summary": an.Summary, "details_json": an.DetailsJSON, "region_code": an.RegionCode,
			"school_year": an.SchoolYear, "term": an.Term, "school_id": an.SchoolID, "student_id": an.StudentID,
			"last_seen": now, "resolved_at": nil}).Error; err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(d.resolve))
	for _, e := range d.resolve {
		ids = append(ids, e.ID)
	}
	for _, chunk := range chunkIDs(ids, rosterChunk) {
		if err := tx.Model(&model.Anomaly{}).Where("id IN ?", chunk).
			Updates(map[string]any{"status": model.AnomalyResolved, "resolved_at": now}).Error; err != nil {
			return err
		}
	}
	return nil
}

func chunkIDs(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// anomalyScan holds what every rule needs: the database, the thresholds, the
// scan's clock and the schools (a small table, read once).
type anomalyScan struct {
	db      *gorm.DB
	th      AnomalyThresholds
	now     time.Time
	schools map[int64]scanSchool
	found   []finding
	took    map[string]int64 // milliseconds per rule
}

type scanSchool struct {
	ID         int64
	Code       string
	Name       string
	RegionCode string
}

// scanStudent is what a summary says of a student: never the full number.
type scanStudent struct {
	ID            int64
	Name          string
	IDMasked      string
	Guardian      string
	AccountMasked string
}

func (sc *anomalyScan) run() error {
	var schools []scanSchool
	if err := sc.db.Table("schools").Select("id, code, name, region_code").Scan(&schools).Error; err != nil {
		return err
	}
	sc.schools = make(map[int64]scanSchool, len(schools))
	for _, x := range schools {
		sc.schools[x.ID] = x
	}
	sc.took = map[string]int64{}
	for _, rule := range []struct {
		code string
		run  func() error
	}{
		{model.RuleDuplicateAid, sc.duplicateAid}, {model.RuleSharedAccount, sc.sharedAccounts},
		{model.RuleHolderMismatch, sc.holderMismatch}, {model.RuleAgeGrade, sc.ageGrade},
		{model.RuleDoubleEnrolment, sc.doubleEnrolment}, {model.RuleAidAfterExit, sc.aidAfterExit},
		{model.RuleAmountMismatch, sc.amountMismatch}, {model.RuleRepeatedFailure, sc.repeatedFailures},
		{model.RuleStaleApproved, sc.staleApproved}, {model.RuleStaleBatch, sc.staleBatches},
	} {
		start := time.Now()
		if err := rule.run(); err != nil {
			return fmt.Errorf("%s: %w", rule.code, err)
		}
		sc.took[rule.code] = time.Since(start).Milliseconds()
	}
	return nil
}

func (sc *anomalyScan) add(f finding) { sc.found = append(sc.found, f) }

func (sc *anomalyScan) school(id int64) scanSchool { return sc.schools[id] }

// students loads the named students, a chunk of ids per query.
func (sc *anomalyScan) students(ids []int64) (map[int64]scanStudent, error) {
	out := make(map[int64]scanStudent, len(ids))
	ids = sortedUniqueIDs(ids)
	for _, chunk := range chunkIDs(ids, rosterChunk) {
		var rows []scanStudent
		if err := sc.db.Table("students").Select("id, name, id_masked, guardian, account_masked").
			Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// studentsOf loads the students the rows name; id(i) is row i's student.
func studentsOf[T any](sc *anomalyScan, rows []T, id func(i int) int64) (map[int64]scanStudent, error) {
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = id(i)
	}
	return sc.students(ids)
}

// latestSchools is each student's school in their latest school year, for
// findings that are about a person rather than an enrolment.
func (sc *anomalyScan) latestSchools(ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	years := map[int64]string{}
	for _, chunk := range chunkIDs(sortedUniqueIDs(ids), rosterChunk) {
		var rows []struct {
			StudentID  int64
			SchoolID   int64
			SchoolYear string
		}
		if err := sc.db.Table("enrolments").Select("student_id, school_id, school_year").
			Where("student_id IN ?", chunk).Order("id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.SchoolYear >= years[r.StudentID] {
				years[r.StudentID], out[r.StudentID] = r.SchoolYear, r.SchoolID
			}
		}
	}
	return out, nil
}

func sortedUniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// commonRegion is the smallest area holding every code: the county when they
// agree, else their city, else their province. A finding spanning counties
// is for the city's auditors; a county officer sees their own county's only.
func commonRegion(codes ...string) string {
	var out string
	for _, c := range codes {
		switch {
		case c == "":
			continue
		case out == "":
			out = c
		case out == c:
		case len(out) == 6 && len(c) == 6 && out[:4] == c[:4]:
			out = out[:4] + "00"
		case len(out) == 6 && len(c) == 6 && out[:2] == c[:2]:
			out = out[:2] + "0000"
		default:
			out = "000000"
		}
	}
	return out
}

func personOf(st scanStudent) string {
	if st.IDMasked == "" {
		return st.Name
	}
	return st.Name + "（" + st.IDMasked + "）"
}

func studentDetail(st scanStudent, sch scanSchool) map[string]any {
	return map[string]any{"student_id": st.ID, "name": st.Name, "id_number": st.IDMasked,
		"school_id": sch.ID, "school_name": sch.Name}
}

func programName(code string) string {
	if p, ok := model.ProgramByCode(code); ok {
		return p.Name
	}
	return code
}

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// Rule 2: one bank account receiving aid for more than N students, or for
// students with different guardians (代领). "Receiving" covers the accounts on
// file (what the next batch would pay to) and the lines of every batch that
// did not fail (what was paid or is being paid).

func (sc *anomalyScan) sharedAccounts() error {
	// Candidates first. A use of an account is a student's file or a line
	// paid to it. Most lines go to the account their student's file still
	// has, so they add no use the files do not show: the candidates are the
	// accounts on more than one file, and the accounts of the few lines paid
	// to an account their student's file no longer has. A line is made from
	// the file's account, so only a student whose account changed since (a
	// 银行卡号 entry in the file's history) can have such a line: those
	// students' lines are compared, not every line. A UNION of every use
	// grouped with COUNT(DISTINCT …) is several times slower on both engines,
	// and comparing every line with its student a million key lookups.
	seen := map[string]bool{}
	var hashes []string
	collect := func(q *gorm.DB) error {
		var got []string
		if err := q.Scan(&got).Error; err != nil {
			return err
		}
		for _, h := range got {
			if !seen[h] {
				seen[h] = true
				hashes = append(hashes, h)
			}
		}
		return nil
	}
	if err := collect(sc.db.Table("students").Select("account_hash").Where("account_hash <> ''").
		Group("account_hash").Having("COUNT(*) > 1")); err != nil {
		return err
	}
	var changed []int64
	if err := sc.db.Table("student_changes").Distinct("student_id").Where("field = ?", "银行卡号").
		Pluck("student_id", &changed).Error; err != nil {
		return err
	}
	for _, chunk := range chunkIDs(sortedUniqueIDs(changed), rosterChunk) {
		// No DISTINCT here: SQLite would read the lines in account-index order
		// to avoid a sort, a random read per line; the rows are few.
		if err := collect(sc.db.Table("batch_lines bl").Select("bl.account_hash").
			Joins("JOIN students s ON s.id = bl.student_id").
			Where("bl.student_id IN ? AND bl.account_hash <> s.account_hash AND bl.status <> ? AND bl.account_hash <> ''",
				chunk, model.LineFailed)); err != nil {
			return err
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	sort.Strings(hashes)
	// Every use of each candidate, with the filter inside each arm of the
	// union so both use their account index; counted here.
	holderOnFile := "CASE WHEN holder = ? THEN guardian ELSE name END"
	members := map[string]map[int64][]string{} // account → student → holder names
	masked := map[string]string{}
	var ids []int64
	for start := 0; start < len(hashes); start += rosterChunk {
		chunk := hashes[start:min(start+rosterChunk, len(hashes))]
		var rows []struct {
			AccountHash   string
			StudentID     int64
			HolderName    string
			AccountMasked string
		}
		if err := sc.db.Raw(`SELECT account_hash, id AS student_id, `+holderOnFile+` AS holder_name, account_masked FROM students WHERE account_hash IN ?
			UNION
			SELECT account_hash, student_id, holder_name, account_masked FROM batch_lines WHERE status <> ? AND account_hash IN ?`,
			"监护人", chunk, model.LineFailed, chunk).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if members[r.AccountHash] == nil {
				members[r.AccountHash] = map[int64][]string{}
			}
			m := members[r.AccountHash]
			if !slices.Contains(m[r.StudentID], r.HolderName) {
				m[r.StudentID] = append(m[r.StudentID], r.HolderName)
			}
			masked[r.AccountHash] = r.AccountMasked
			ids = append(ids, r.StudentID)
		}
	}
	students, err := sc.students(ids)
	if err != nil {
		return err
	}
	schoolOf, err := sc.latestSchools(ids)
	if err != nil {
		return err
	}
	for _, hash := range hashes {
		m := members[hash]
		if len(m) < 2 {
			continue
		}
		sids := make([]int64, 0, len(m))
		for id := range m {
			sids = append(sids, id)
		}
		slices.Sort(sids)
		var regions, guardians, holders []string
		var list []map[string]any
		schoolIDs := map[int64]bool{}
		for _, id := range sids {
			st, sch := students[id], sc.school(schoolOf[id])
			regions = append(regions, sch.RegionCode)
			schoolIDs[sch.ID] = true
			if st.Guardian != "" && !slices.Contains(guardians, st.Guardian) {
				guardians = append(guardians, st.Guardian)
			}
			names := slices.Clone(m[id])
			slices.Sort(names)
			for _, h := range names {
				if !slices.Contains(holders, h) {
					holders = append(holders, h)
				}
			}
			d := studentDetail(st, sch)
			d["guardian"], d["holder_names"] = st.Guardian, names
			list = append(list, d)
		}
		var why []string
		if len(sids) > sc.th.AccountMaxStudents {
			why = append(why, fmt.Sprintf("为 %d 名学生领取资助（超过 %d 名）", len(sids), sc.th.AccountMaxStudents))
		}
		// Siblings under one guardian may share the guardian's card; students
		// with different guardians, or one card under different holders'
		// names, is what 代领 looks like.
		if len(guardians) > 1 {
			why = append(why, fmt.Sprintf("学生的监护人不同（%s）", strings.Join(guardians, "、")))
		} else if len(holders) > 1 {
			why = append(why, fmt.Sprintf("持卡人姓名不一致（%s）", strings.Join(holders, "、")))
		}
		if len(why) == 0 {
			continue
		}
		var school int64
		if len(schoolIDs) == 1 {
			for id := range schoolIDs {
				school = id
			}
		}
		sc.add(finding{rule: model.RuleSharedAccount, key: fingerprint(model.RuleSharedAccount, hash, sids),
			region: commonRegion(regions...), schoolID: school,
			summary: fmt.Sprintf("银行账户 %s %s", masked[hash], strings.Join(why, "；")),
			details: map[string]any{"account": masked[hash], "students": list, "student_count": len(sids),
				"guardians": guardians, "holder_names": holders}})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rule 3: an account holder who is neither the student nor the guardian: a
// line whose 户名 is neither the student's name nor the guardian on file, and
// a file whose 持卡人 is something other than 本人 or 监护人 (or 监护人 with no
// guardian named), which no batch can pay correctly.

func (sc *anomalyScan) holderMismatch() error {
	var lines []struct {
		StudentID     int64
		HolderName    string
		LineCount     int
		SchoolID      int64
		Term          string
		AccountMasked string
		Guardian      string
	}
	if err := sc.db.Table("batch_lines bl").Select(`bl.student_id, bl.holder_name, COUNT(*) AS line_count, MAX(bl.school_id) AS school_id,
			MAX(b.term) AS term, MAX(bl.account_masked) AS account_masked, MAX(s.guardian) AS guardian`).
		Joins("JOIN students s ON s.id = bl.student_id").
		Joins("JOIN batches b ON b.id = bl.batch_id").
		Where("bl.holder_name <> bl.name AND bl.holder_name <> s.guardian").
		Group("bl.student_id, bl.holder_name").Scan(&lines).Error; err != nil {
		return err
	}
	var files []struct {
		ID     int64
		Holder string
	}
	if err := sc.db.Table("students").Select("id, holder").
		Where("account_hash <> '' AND (holder NOT IN ? OR (holder = ? AND guardian = ''))", []string{"", "本人", "监护人"}, "监护人").
		Scan(&files).Error; err != nil {
		return err
	}
	var ids []int64
	for _, l := range lines {
		ids = append(ids, l.StudentID)
	}
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	students, err := sc.students(ids)
	if err != nil {
		return err
	}
	schoolOf, err := sc.latestSchools(ids)
	if err != nil {
		return err
	}
	for _, l := range lines {
		st, sch := students[l.StudentID], sc.school(l.SchoolID)
		guardian := l.Guardian
		if guardian == "" {
			guardian = "未登记"
		}
		d := studentDetail(st, sch)
		d["holder_name"], d["guardian"], d["lines"], d["account"], d["source"] = l.HolderName, l.Guardian, l.LineCount, l.AccountMasked, "batch_lines"
		sc.add(finding{rule: model.RuleHolderMismatch, key: fingerprint(model.RuleHolderMismatch, "line", l.StudentID, l.HolderName),
			region: sch.RegionCode, schoolYear: model.Term(l.Term).SchoolYear(), term: l.Term, schoolID: sch.ID, studentID: l.StudentID,
			summary: fmt.Sprintf("%s 的 %d 笔发放户名为“%s”，既不是学生本人，也不是登记的监护人（%s）", personOf(st), l.LineCount, l.HolderName, guardian),
			details: d})
	}
	for _, f := range files {
		st, sch := students[f.ID], sc.school(schoolOf[f.ID])
		what := fmt.Sprintf("持卡人登记为“%s”", f.Holder)
		if f.Holder == "监护人" {
			what = "持卡人为监护人，但档案中没有监护人姓名"
		}
		d := studentDetail(st, sch)
		d["holder"], d["account"], d["source"] = f.Holder, st.AccountMasked, "student_file"
		sc.add(finding{rule: model.RuleHolderMismatch, key: fingerprint(model.RuleHolderMismatch, "file", f.ID, f.Holder),
			region: sch.RegionCode, schoolID: sch.ID, studentID: f.ID,
			summary: fmt.Sprintf("%s 的银行账户%s，无法确认账户属于学生本人或监护人", personOf(st), what), details: d})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rule 4: age that does not fit the grade, on 1 September of the school
// year. The cut-off birth dates are computed here for every school year and
// grade and joined as a small derived table, so the comparison is a plain
// date comparison on both engines.

func (sc *anomalyScan) ageGrade() error {
	var years []string
	if err := sc.db.Table("enrolments").Distinct("school_year").Pluck("school_year", &years).Error; err != nil {
		return err
	}
	// SQLite keeps CROSS JOIN's order (enrolments outside, the few cut-off
	// rows inside), so enrolments are read once; MySQL plans it as any join.
	var parts []string
	var args []any
	for _, y := range years {
		first, err := strconv.Atoi(y[:min(4, len(y))])
		if err != nil || model.ParseSchoolYear(y) != nil {
			continue
		}
		for grade := 1; grade <= 12; grade++ {
			// Older than grade+k years on 1 September: born on or before
			// 1 September of (first - grade - k - 1). Younger than MinAge:
			// born after 1 September of (first - MinAge).
			oldBy := time.Date(first-grade-sc.th.MaxAgeOverGrade-1, time.September, 1, 0, 0, 0, 0, time.UTC)
			youngAfter := time.Date(first-sc.th.MinAge, time.September, 1, 0, 0, 0, 0, time.UTC)
			parts = append(parts, "SELECT ? AS school_year, ? AS grade, ? AS old_by, ? AS young_after")
			args = append(args, y, grade, oldBy, youngAfter)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	var rows []struct {
		EnrolmentID int64
		StudentID   int64
		SchoolID    int64
		SchoolYear  string
		Stage       string
		Grade       int
		BirthDate   time.Time
	}
	args = append(args, []string{model.StagePrimary, model.StageJunior, model.StageSenior})
	if err := sc.db.Raw(`SELECT e.id AS enrolment_id, e.student_id, e.school_id, e.school_year, e.stage, e.grade, s.birth_date
		FROM enrolments e
		JOIN students s ON s.id = e.student_id
		CROSS JOIN (`+strings.Join(parts, " UNION ALL ")+`) t
		WHERE t.school_year = e.school_year AND t.grade = e.grade
			AND s.birth_date IS NOT NULL AND (s.birth_date > t.young_after OR (e.stage IN ? AND s.birth_date <= t.old_by))`,
		args...).Scan(&rows).Error; err != nil {
		return err
	}
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	for _, r := range rows {
		first, _ := strconv.Atoi(r.SchoolYear[:4])
		age := ageOn(r.BirthDate, time.Date(first, time.September, 1, 0, 0, 0, 0, time.UTC))
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		why := fmt.Sprintf("不满 %d 周岁", sc.th.MinAge)
		if age >= sc.th.MinAge {
			// Grade 1 starts at 6 (义务教育法), so grade g is normally g+5.
			why = fmt.Sprintf("年龄偏大，该年级一般为 %d 岁", r.Grade+5)
		}
		d := studentDetail(st, sch)
		d["school_year"], d["grade"], d["grade_text"], d["age"], d["birth_year"] = r.SchoolYear, r.Grade, model.GradeText(r.Stage, r.Grade), age, r.BirthDate.Year()
		sc.add(finding{rule: model.RuleAgeGrade, key: fingerprint(model.RuleAgeGrade, r.EnrolmentID, r.Grade, r.BirthDate.Format("2006-01-02")),
			region: sch.RegionCode, schoolYear: r.SchoolYear, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s %s学年在%s读%s，9月1日时 %d 岁（%s）", personOf(st), r.SchoolYear, sch.Name, model.GradeText(r.Stage, r.Grade), age, why),
			details: d})
	}
	return nil
}

// ageOn is the age in full years on a day.
func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

// ---------------------------------------------------------------------------
// Rule 5: one ID number enrolled in two schools in the same school year. A
// transfer leaves the old school's record as 转出, which is not a finding;
// two records that both say the student is there (在读 or 休学) are.

var activeStatuses = []string{model.StatusEnrolled, "休学"}

func (sc *anomalyScan) doubleEnrolment() error {
	var pairs []struct {
		StudentID  int64
		SchoolYear string
	}
	if err := sc.db.Table("enrolments").Select("student_id, school_year").Where("status IN ?", activeStatuses).
		Group("student_id, school_year").Having("COUNT(*) > 1").Scan(&pairs).Error; err != nil {
		return err
	}
	if len(pairs) == 0 {
		return nil
	}
	ids := make([]int64, len(pairs))
	want := map[string]bool{}
	for i, p := range pairs {
		ids[i] = p.StudentID
		want[strconv.FormatInt(p.StudentID, 10)+"|"+p.SchoolYear] = true
	}
	type enrol struct {
		StudentID  int64
		SchoolYear string
		SchoolID   int64
		Stage      string
		Grade      int
		Status     string
	}
	byPair := map[string][]enrol{}
	for _, chunk := range chunkIDs(sortedUniqueIDs(ids), rosterChunk) {
		var es []enrol
		if err := sc.db.Table("enrolments").Select("student_id, school_year, school_id, stage, grade, status").
			Where("student_id IN ? AND status IN ?", chunk, activeStatuses).Order("school_id").Scan(&es).Error; err != nil {
			return err
		}
		for _, e := range es {
			k := strconv.FormatInt(e.StudentID, 10) + "|" + e.SchoolYear
			if want[k] {
				byPair[k] = append(byPair[k], e)
			}
		}
	}
	students, err := sc.students(ids)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		es := byPair[strconv.FormatInt(p.StudentID, 10)+"|"+p.SchoolYear]
		var regions, names []string
		var schoolIDs []int64
		var list []map[string]any
		for _, e := range es {
			sch := sc.school(e.SchoolID)
			regions = append(regions, sch.RegionCode)
			names = append(names, sch.Name+"（"+model.GradeText(e.Stage, e.Grade)+"，"+e.Status+"）")
			schoolIDs = append(schoolIDs, e.SchoolID)
			list = append(list, map[string]any{"school_id": sch.ID, "school_name": sch.Name, "grade_text": model.GradeText(e.Stage, e.Grade), "status": e.Status})
		}
		st := students[p.StudentID]
		sc.add(finding{rule: model.RuleDoubleEnrolment, key: fingerprint(model.RuleDoubleEnrolment, p.StudentID, p.SchoolYear, schoolIDs),
			region: commonRegion(regions...), schoolYear: p.SchoolYear, studentID: p.StudentID,
			summary: fmt.Sprintf("%s %s学年同时在 %d 所学校有在籍记录：%s", personOf(st), p.SchoolYear, len(es), strings.Join(names, "；")),
			details: map[string]any{"student_id": st.ID, "name": st.Name, "id_number": st.IDMasked, "school_year": p.SchoolYear, "enrolments": list}})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rule 6: entitlements in a term after the student's status became 毕业, 辍学,
// 转出 or 死亡: the school's record for the term's school year says the student
// left, or an earlier year's record says the student died; and the
// entitlement was not revoked. The query starts from the enrolments that
// record a leaving, a few among many, and looks up only their students'
// entitlements.

var exitStatuses = []string{"毕业", "辍学", "转出", "死亡"}

// exitRow is an entitlement with an enrolment that records a leaving.
type exitRow struct {
	EntitlementID int64
	StudentID     int64
	SchoolID      int64
	Program       string
	Term          string
	Status        string
	AmountFen     model.Fen
	ExitStatus    string
	ExitYear      string
	ExitSchoolID  int64
}

func (sc *anomalyScan) aidAfterExit() error {
	var rows []exitRow
	if err := sc.db.Raw(`SELECT ent.id AS entitlement_id, ent.student_id, ent.school_id, ent.program, ent.term, ent.status,
			ent.amount_fen, e.status AS exit_status, e.school_year AS exit_year, e.school_id AS exit_school_id
		FROM enrolments e
		JOIN entitlements ent ON ent.student_id = e.student_id
		WHERE e.status IN ? AND ent.status <> ? AND (
			(e.school_id = ent.school_id AND e.school_year = SUBSTR(ent.term, 1, 9))
			OR (e.status = ? AND e.school_year < SUBSTR(ent.term, 1, 9)))`,
		exitStatuses, model.EntRevoked, "死亡").Scan(&rows).Error; err != nil {
		return err
	}
	// Sorted here: an ORDER BY ent.id would tempt the planner to walk every
	// entitlement in key order instead of starting from the few leavers.
	slices.SortFunc(rows, func(x, y exitRow) int {
		return cmp.Or(cmp.Compare(x.EntitlementID, y.EntitlementID), strings.Compare(x.ExitYear, y.ExitYear))
	})
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	for _, r := range rows {
		if done[r.EntitlementID] {
			continue
		}
		done[r.EntitlementID] = true
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		d := studentDetail(st, sch)
		d["entitlement_id"], d["program"], d["term"], d["entitlement_status"], d["amount_fen"] = r.EntitlementID, r.Program, r.Term, r.Status, r.AmountFen
		d["exit_status"], d["exit_school_year"], d["exit_school_name"] = r.ExitStatus, r.ExitYear, sc.school(r.ExitSchoolID).Name
		sc.add(finding{rule: model.RuleAidAfterExit, key: fingerprint(model.RuleAidAfterExit, r.EntitlementID),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s %s学年学籍状态为“%s”，仍有 %s 学期%s %s 元（%s）", personOf(st), r.ExitYear, r.ExitStatus,
				r.Term, programName(r.Program), r.AmountFen.Yuan(), statusLabel[r.Status]),
			details: d})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rule 7: an amount different from the standard in force for the term, level
// and region. Entitlements are grouped (school, program, term, stage, level,
// standard, amount): a few hundred groups for a million rows. Each group is
// checked against its own standard row (amount = annual / 2) and against the
// standard that applies now by POLICY.md's rule (most specific region, latest
// date on or before the term's start), unless an adjustment (补发/扣回) has
// already moved it to that standard.

func (sc *anomalyScan) amountMismatch() error {
	var all []model.Standard
	if err := sc.db.Find(&all).Error; err != nil {
		return err
	}
	set := standardSet(all)
	byID := make(map[int64]model.Standard, len(all))
	for _, st := range all {
		byID[st.ID] = st
	}
	// Exported: gorm fills the fields of an embedded struct only when its
	// type name is exported.
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
	const groupCols = "ent.school_id, ent.program, ent.term, ent.stage, ent.level, ent.standard_id, ent.annual_fen, ent.amount_fen"
	var groups []struct {
		AmountGroup
		N int
	}
	if err := sc.db.Table("entitlements ent").Select(groupCols+", COUNT(*) AS n").Where("ent.status <> ?", model.EntRevoked).
		Group(groupCols).Scan(&groups).Error; err != nil {
		return err
	}
	// Adjustments are few (one per raised standard and paid entitlement):
	// per group, how many entitlements an adjustment has already moved to
	// which standard.
	var adjRows []struct {
		AmountGroup
		AdjStandardID int64
		N             int
	}
	if err := sc.db.Table("adjustments adj").Select(groupCols+", adj.standard_id AS adj_standard_id, COUNT(*) AS n").
		Joins("JOIN entitlements ent ON ent.id = adj.entitlement_id").Where("ent.status <> ?", model.EntRevoked).
		Group(groupCols + ", adj.standard_id").Scan(&adjRows).Error; err != nil {
		return err
	}
	adjusted := map[AmountGroup]map[int64]int{}
	for _, r := range adjRows {
		if adjusted[r.AmountGroup] == nil {
			adjusted[r.AmountGroup] = map[int64]int{}
		}
		adjusted[r.AmountGroup][r.AdjStandardID] += r.N
	}
	for _, g := range groups {
		sch := sc.school(g.SchoolID)
		p, _ := model.ProgramByCode(g.Program)
		term, err := model.ParseTerm(g.Term)
		if err != nil {
			continue
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
		case inForce.ID != g.StandardID && inForce.AnnualFen/2 != g.AmountFen && g.N > adjusted[g.AmountGroup][inForce.ID]:
			why = append(why, fmt.Sprintf("现行标准（%s起，%s）本学期应为 %s 元", inForce.EffectiveFrom.Format("2006-01-02"),
				regionLabel(inForce.RegionCode), (inForce.AnnualFen/2).Yuan()))
			expected = inForce.AnnualFen / 2
		}
		if len(why) == 0 {
			continue
		}
		d := map[string]any{"school_id": sch.ID, "school_name": sch.Name, "program": g.Program, "term": g.Term, "stage": g.Stage,
			"level": g.Level, "standard_id": g.StandardID, "amount_fen": g.AmountFen, "entitlements": g.N}
		if n := adjusted[g.AmountGroup][inForce.ID]; n > 0 && errInForce == nil {
			d["adjusted_to_standard_in_force"] = n
		}
		if expected >= 0 {
			d["expected_fen"] = expected
		}
		if errInForce == nil {
			d["standard_in_force_id"] = inForce.ID
		}
		level := model.LevelLabel(g.Level)
		if level != "" {
			level = "（" + level + "）"
		}
		sc.add(finding{rule: model.RuleAmountMismatch,
			key:    fingerprint(model.RuleAmountMismatch, g.SchoolID, g.Program, g.Term, g.Stage, g.Level, g.StandardID, int64(g.AnnualFen), int64(g.AmountFen)),
			region: sch.RegionCode, schoolYear: term.SchoolYear(), term: g.Term, schoolID: sch.ID,
			summary: fmt.Sprintf("%s %s 学期%s%s %d 人每人 %s 元：%s", sch.Name, g.Term, programName(g.Program), level, g.N,
				g.AmountFen.Yuan(), strings.Join(why, "；")),
			details: d})
	}
	return nil
}

func regionLabel(code string) string {
	if code == "" {
		return "全国标准"
	}
	return "地区 " + code + " 标准"
}

// ---------------------------------------------------------------------------
// Rule 8: payments that failed two or more times to the same account, for
// the same student.

func (sc *anomalyScan) repeatedFailures() error {
	var rows []struct {
		StudentID     int64
		AccountHash   string
		AccountMasked string
		N             int
		SchoolID      int64
		Term          string
		LastReason    string
	}
	if err := sc.db.Table("batch_lines bl").Select(`bl.student_id, bl.account_hash, MAX(bl.account_masked) AS account_masked,
			COUNT(*) AS n, MAX(bl.school_id) AS school_id, MAX(b.term) AS term, MAX(bl.fail_reason) AS last_reason`).
		Joins("JOIN batches b ON b.id = bl.batch_id").
		// A failed line gives up its open_entitlement_id: the NULL range of
		// that unique key holds the failed lines and the top-ups, a few
		// among all the lines.
		Where("bl.open_entitlement_id IS NULL AND bl.status = ?", model.LineFailed).
		Group("bl.student_id, bl.account_hash").Having("COUNT(*) >= ?", sc.th.FailedPayments).Scan(&rows).Error; err != nil {
		return err
	}
	students, err := studentsOf(sc, rows, func(i int) int64 { return rows[i].StudentID })
	if err != nil {
		return err
	}
	for _, r := range rows {
		st, sch := students[r.StudentID], sc.school(r.SchoolID)
		d := studentDetail(st, sch)
		d["account"], d["failures"], d["fail_reason"] = r.AccountMasked, r.N, r.LastReason
		sc.add(finding{rule: model.RuleRepeatedFailure, key: fingerprint(model.RuleRepeatedFailure, r.StudentID, r.AccountHash),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID, studentID: r.StudentID,
			summary: fmt.Sprintf("%s 的资助向账户 %s 发放失败 %d 次（%s），请核实账户", personOf(st), r.AccountMasked, r.N, r.LastReason),
			details: d})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rule 9: 滞留. Approved aid not in a batch N days after approval, per school
// list; and approved batches not paid N days after approval. The cut-off is
// computed from the service clock and passed as a parameter.

func (sc *anomalyScan) staleApproved() error {
	cutoff := sc.now.AddDate(0, 0, -sc.th.StaleDays)
	var rows []struct {
		ListID   int64
		SchoolID int64
		Program  string
		Term     string
		N        int
		TotalFen model.Fen
		Oldest   string // MIN of a time: SQLite answers text, MySQL a time
	}
	if err := sc.db.Table("entitlements").Select(`list_id, school_id, program, term, COUNT(*) AS n, SUM(amount_fen) AS total_fen,
			MIN(approved_at) AS oldest`).
		Where("status = ? AND approved_at < ?", model.EntApproved, cutoff).
		Group("list_id, school_id, program, term").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		sch := sc.school(r.SchoolID)
		oldest := parseDBTime(r.Oldest).In(model.Shanghai()).Format("2006-01-02")
		sc.add(finding{rule: model.RuleStaleApproved, key: fingerprint(model.RuleStaleApproved, r.ListID),
			region: sch.RegionCode, schoolYear: model.Term(r.Term).SchoolYear(), term: r.Term, schoolID: sch.ID,
			summary: fmt.Sprintf("%s %s 学期%s有 %d 人 %s 元自 %s 审核通过后超过 %d 天未纳入发放批次", sch.Name, r.Term,
				programName(r.Program), r.N, r.TotalFen.Yuan(), oldest, sc.th.StaleDays),
			details: map[string]any{"school_id": sch.ID, "school_name": sch.Name, "program": r.Program, "term": r.Term,
				"entitlements": r.N, "total_fen": r.TotalFen, "approved_since": oldest, "list_id": r.ListID}})
	}
	return nil
}

// parseDBTime reads an aggregate of a time column, which SQLite returns as
// the text it stores and database/sql renders from MySQL's time as RFC 3339.
func parseDBTime(v string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (sc *anomalyScan) staleBatches() error {
	cutoff := sc.now.AddDate(0, 0, -sc.th.StaleDays)
	var rows []model.Batch
	if err := sc.db.Where("status = ? AND approved_at < ?", model.BatchApproved, cutoff).
		Order("id").Find(&rows).Error; err != nil {
		return err
	}
	for _, b := range rows {
		approved := b.ApprovedAt.In(model.Shanghai()).Format("2006-01-02")
		sc.add(finding{rule: model.RuleStaleBatch, key: fingerprint(model.RuleStaleBatch, b.ID),
			region: b.RegionCode, schoolYear: model.Term(b.Term).SchoolYear(), term: b.Term,
			summary: fmt.Sprintf("批次 %s（%d 人，%s 元）于 %s 审核，超过 %d 天仍未发放", b.Number, b.LineCount, b.TotalFen.Yuan(),
				approved, sc.th.StaleDays),
			details: map[string]any{"batch_id": b.ID, "number": b.Number, "program": b.Program, "term": b.Term,
				"lines": b.LineCount, "total_fen": b.TotalFen, "approved_at": approved}})
	}
	return nil
}

// ---------------------------------------------------------------------------
// Reading and explaining findings.

// AnomalyFilter narrows GET /anomalies; zero values do not filter.
type AnomalyFilter struct {
	RegionCode string
	SchoolYear string
	Term       string
	Rule       string
	Status     string
	Page       Page
}

// AnomalyRow is a finding with its school's name.
type AnomalyRow struct {
	model.Anomaly
	SchoolName string
}

// anomalyQuery validates the filter (every value is checked against what it
// can be, so nothing a caller sends reaches SQL as a pattern) and scopes it.
func (s *Anomalies) anomalyQuery(ctx context.Context, a model.Actor, f AnomalyFilter) (*gorm.DB, error) {
	if !a.Is(anomalyReaders...) {
		return nil, errRoleForbidden
	}
	q := s.reader(ctx).Table("anomalies an").Joins("LEFT JOIN schools sc ON sc.id = an.school_id")
	q = inScopeRegions(q, a, "an.region_code")
	if f.RegionCode != "" {
		if !regionCodePattern.MatchString(f.RegionCode) {
			return nil, invalid("region_code 须为 6 位区域代码")
		}
		q = q.Where("an.region_code LIKE ?", model.RegionPrefix(f.RegionCode)+"%")
	}
	if f.SchoolYear != "" {
		if model.ParseSchoolYear(f.SchoolYear) != nil {
			return nil, invalid("school_year 格式应为 2025-2026")
		}
		q = q.Where("an.school_year = ?", f.SchoolYear)
	}
	if f.Term != "" {
		t, err := model.ParseTerm(f.Term)
		if err != nil {
			return nil, invalid("term 格式应为 2025-2026-1")
		}
		// A finding about a whole school year (an enrolment, an age) shows
		// under both of its terms.
		q = q.Where("(an.term = ? OR (an.term = '' AND an.school_year = ?))", string(t), t.SchoolYear())
	}
	if f.Rule != "" {
		if _, ok := model.AnomalyRuleByCode(f.Rule); !ok {
			return nil, invalid("未知规则 %q", truncateRunes(f.Rule, 32))
		}
		q = q.Where("an.rule = ?", f.Rule)
	}
	if f.Status != "" {
		switch f.Status {
		case model.AnomalyOpen, model.AnomalyExplained, model.AnomalyResolved:
		default:
			return nil, invalid("status 须为 open、explained 或 resolved")
		}
		q = q.Where("an.status = ?", f.Status)
	}
	return q, nil
}

const anomalyOrder = "CASE an.status WHEN 'open' THEN 0 WHEN 'explained' THEN 1 ELSE 2 END, an.id DESC"

// ListAnomalies lists findings in the actor's area, open ones first.
func (s *Anomalies) ListAnomalies(ctx context.Context, a model.Actor, f AnomalyFilter) (List[AnomalyRow], error) {
	out := List[AnomalyRow]{Page: f.Page.Normalize()}
	q, err := s.anomalyQuery(ctx, a, f)
	if err != nil {
		return out, err
	}
	if err := q.Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = out.Page.apply(q.Select("an.*, sc.name AS school_name").Order(anomalyOrder)).Scan(&out.Items).Error
	return out, err
}

// LastAnomalyScan is when the last scan ran (nil before the first).
func (s *Anomalies) LastAnomalyScan(ctx context.Context) (*time.Time, error) {
	var head struct{ LastScanAt *time.Time }
	err := s.db.WithContext(ctx).Raw("SELECT last_scan_at FROM anomaly_scan_head WHERE id = 1").Scan(&head).Error
	return head.LastScanAt, err
}

// GetAnomaly returns one finding the actor may read (404 otherwise).
func (s *Anomalies) GetAnomaly(ctx context.Context, a model.Actor, id int64) (AnomalyRow, error) {
	var row AnomalyRow
	if !a.Is(anomalyReaders...) {
		return row, errRoleForbidden
	}
	err := s.db.WithContext(ctx).Table("anomalies an").Select("an.*, sc.name AS school_name").
		Joins("LEFT JOIN schools sc ON sc.id = an.school_id").Where("an.id = ?", id).Take(&row).Error
	if err != nil {
		return AnomalyRow{}, translate(err, "异常记录")
	}
	if !seesRegion(a, row.RegionCode) {
		return AnomalyRow{}, notFound("异常记录")
	}
	return row, nil
}

// AnomalyUpdate explains a finding (status explained, with a note) or
// reopens one that was explained.
type AnomalyUpdate struct {
	Status string
	Note   string
}

// UpdateAnomaly records the county's explanation of a finding or an
// auditor's reopening of it, audited in the same transaction. The note is
// free text: digit runs that could be ID or account numbers are masked.
func (s *Anomalies) UpdateAnomaly(ctx context.Context, a model.Actor, id int64, u AnomalyUpdate) (AnomalyRow, error) {
	if !a.Is(anomalyReaders...) {
		return AnomalyRow{}, errRoleForbidden
	}
	note := strings.TrimSpace(u.Note)
	note = digitRuns.ReplaceAllStringFunc(note, func(m string) string { return m[:4] + "****" + m[len(m)-4:] })
	switch u.Status {
	case model.AnomalyExplained:
		if note == "" {
			return AnomalyRow{}, invalid("说明异常时须填写说明（note）")
		}
	case model.AnomalyOpen:
	default:
		return AnomalyRow{}, invalid("status 须为 explained（说明）或 open（重新打开）")
	}
	if utf8.RuneCountInString(note) > 1000 {
		return AnomalyRow{}, invalid("说明不能超过 1000 字")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var an model.Anomaly
		if err := tx.First(&an, id).Error; err != nil {
			return translate(err, "异常记录")
		}
		if !seesRegion(a, an.RegionCode) {
			return forbidden("该异常记录不在您的管辖范围内")
		}
		switch {
		case an.Status == model.AnomalyResolved:
			return conflict("该异常已在最近一次扫描中消除，无需说明或重新打开")
		case u.Status == model.AnomalyOpen && an.Status == model.AnomalyOpen:
			return conflict("该异常已是“待核实”状态")
		}
		if u.Status == model.AnomalyOpen && note == "" {
			note = an.Note // reopening keeps the explanation it did not accept
		}
		before := map[string]any{"status": an.Status, "note": an.Note}
		now := s.now()
		res := tx.Model(&model.Anomaly{}).Where("id = ? AND status = ?", id, an.Status).
			Updates(map[string]any{"status": u.Status, "note": note, "updated_by": a.Username, "updated_at": now})
		if res.Error != nil || res.RowsAffected != 1 {
			return firstErr(res.Error, conflict("该异常记录已被他人修改，请刷新"))
		}
		action := "explain"
		if u.Status == model.AnomalyOpen {
			action = "reopen"
		}
		return s.audit(tx, a, action, "anomaly", strconv.FormatInt(id, 10), before,
			map[string]any{"status": u.Status, "note": note, "rule": an.Rule})
	})
	if err != nil {
		return AnomalyRow{}, err
	}
	return s.GetAnomaly(ctx, a, id)
}

// maxExportRows bounds one export; a filter narrows a larger set.
const maxExportRows = 100000

var anomalyExportHeaders = []string{"编号", "规则", "政策条目", "严重程度", "区域代码", "学年", "学期", "学校", "摘要",
	"状态", "首次发现", "最近发现", "消除时间", "说明", "说明人"}

// AnomalyWorkbook exports the filtered findings as .xlsx; every cell is a
// text cell (a name typed as "=…" stays text). The download is audited.
func (s *Anomalies) AnomalyWorkbook(ctx context.Context, a model.Actor, f AnomalyFilter) ([]byte, error) {
	q, err := s.anomalyQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, err
	}
	if total > maxExportRows {
		return nil, ruleErr("too_many_rows", "共 %d 条，超过单次导出上限 %d 条：请按区域、学期或规则筛选后导出", total, maxExportRows)
	}
	var rows []AnomalyRow
	if err := q.Select("an.*, sc.name AS school_name").Order(anomalyOrder).Scan(&rows).Error; err != nil {
		return nil, err
	}
	b, err := writeAnomalyWorkbook(rows, s.now())
	if err != nil {
		return nil, err
	}
	s.auditAlone(ctx, a, "download", "anomalies", "", nil, map[string]any{"rows": len(rows), "region_code": f.RegionCode,
		"term": f.Term, "rule": f.Rule, "status": f.Status})
	return b, nil
}

func writeAnomalyWorkbook(rows []AnomalyRow, at time.Time) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "异常情况"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	// NumFmt 49 is "@": a cell stays text even when someone edits it later.
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	for col, w := range []float64{8, 30, 8, 8, 10, 11, 12, 24, 60, 8, 17, 17, 17, 40, 14} {
		if err := sw.SetColWidth(col+1, col+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(anomalyExportHeaders))
	for i, h := range anomalyExportHeaders {
		head[i] = excelize.Cell{StyleID: header, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(model.Shanghai()).Format("2006-01-02 15:04")
	}
	for i, r := range rows {
		rule, _ := model.AnomalyRuleByCode(r.Rule)
		policy := ""
		if rule.PolicyNo > 0 {
			policy = strconv.Itoa(rule.PolicyNo)
		}
		first, last := r.FirstSeen, r.LastSeen
		vals := []string{strconv.FormatInt(r.ID, 10), rule.Title, policy, model.SeverityLabel(r.Severity), r.RegionCode,
			r.SchoolYear, r.Term, r.SchoolName, r.Summary, model.AnomalyStatusLabel(r.Status), day(&first), day(&last),
			day(r.ResolvedAt), r.Note, r.UpdatedBy}
		cells := make([]any, len(vals))
		for j, v := range vals {
			// A string value is written as a string cell, never as a formula.
			cells[j] = excelize.Cell{StyleID: text, Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	_ = f.SetDocProps(&excelize.DocProperties{Creator: "studentaid", Title: "异常情况清单",
		Created: at.UTC().Format(time.RFC3339)})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// AnomalyDetails decodes a finding's stored details for the API.
func AnomalyDetails(an model.Anomaly) json.RawMessage {
	if !json.Valid([]byte(an.DetailsJSON)) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(an.DetailsJSON)
}
