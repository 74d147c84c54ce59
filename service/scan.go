package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

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
	sc := &anomalyScan{db: s.reader(ctx), keys: s.keys, th: th, now: res.At}
	if err := sc.run(); err != nil {
		return res, err
	}
	res.StepMillis = sc.took
	apply := func(tx *gorm.DB) error {
		// A retried attempt counts afresh.
		res.Found, res.Opened, res.Resolved, res.ByRule = 0, 0, 0, map[string]int{}
		if !opt.DryRun {
			if err := tx.Exec("UPDATE anomaly_scan_head SET scans = scans + 1, last_scan_at = ? WHERE id = 1", res.At).Error; err != nil {
				return err
			}
		}
		diff, err := s.diffFindings(tx, sc.found, res.At)
		if err != nil {
			return err
		}
		res.count(a, sc.found, diff)
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

// count adds up what the scan found, opened and resolved in the caller's
// area.
func (res *ScanResult) count(a model.Actor, found []finding, diff findingDiff) {
	for _, f := range found {
		if seesRegion(a, f.region) {
			res.Found++
			res.ByRule[f.rule]++
		}
	}
	inArea := func(list []model.Anomaly) (n int) {
		for _, e := range list {
			if seesRegion(a, e.RegionCode) {
				n++
			}
		}
		return n
	}
	res.Opened += inArea(diff.inserts) + inArea(diff.reopen)
	res.Resolved += inArea(diff.resolve)
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
