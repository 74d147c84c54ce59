package service_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// The fixtures of the TestUnit* tests: the demo's regions and schools (安化县
// is the contiguous special-hardship area), students written with sealed
// and hashed numbers as a roster import would write them, and payments
// written straight into batches and lines, since only the bank's result file
// makes them through the service.

// Demo schools the tests use.
const (
	nanzhouPrimary    = "2143092101" // 南县, primary
	nanxianSenior     = "2143092103"
	nanxianVocational = "2143092104"
	dongpingPrimary   = "2143092301" // 安化县, primary
)

const autumn = "2025-2026-1"

type unitFix struct {
	t                    *testing.T
	env                  *servicetest.Env
	ctx                  context.Context
	county, anhua, admin model.Actor
	seq                  int
}

func newUnitFix(t *testing.T, env *servicetest.Env) *unitFix {
	t.Helper()
	if _, err := env.Svc.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &unitFix{t: t, env: env, ctx: context.Background(),
		county: model.Actor{Username: "county_nanxian", Role: model.RoleCountyOfficer, RegionCode: "430921"},
		anhua:  model.Actor{Username: "county_anhua", Role: model.RoleCountyOfficer, RegionCode: "430923"},
		admin:  model.Actor{Username: "admin", Role: model.RoleAdmin}}
}

func (f *unitFix) create(v any) {
	f.t.Helper()
	if err := f.env.DB.Create(v).Error; err != nil {
		f.t.Fatal(err)
	}
}

func (f *unitFix) exec(sql string, args ...any) {
	f.t.Helper()
	if err := f.env.DB.Exec(sql, args...).Error; err != nil {
		f.t.Fatal(err)
	}
}

func (f *unitFix) school(code string) model.School {
	f.t.Helper()
	var sc model.School
	if err := f.env.DB.Where("code = ?", code).First(&sc).Error; err != nil {
		f.t.Fatalf("school %s: %v", code, err)
	}
	return sc
}

func flag(b bool) *bool { return &b }

// pupil is a student file with its 2025-2026 enrolment and, when Level or
// Categories is set, its difficulty record. Zero fields take the defaults
// of student.
type pupil struct {
	School            string
	Stage             string
	Grade             int
	Boarding          *bool
	Status            string
	Level, Categories string
	StudentNo         string
	AgriMajor         bool
	Household         string
	HomeRegion        string
	IDType            string // "" 居民身份证
	ID                string // "" a fresh resident ID of 南县 born 2015-03-01
	Guardian          string
	Account, Holder   string
}

// student writes the file, enrolment and difficulty record of p.
func (f *unitFix) student(p pupil) model.Student {
	f.t.Helper()
	f.seq++
	keys := f.env.Keys
	if p.ID == "" {
		p.ID = residentID("430921", "20150301", f.seq)
	}
	if p.IDType == "" {
		p.IDType = string(model.IDTypeResident)
	}
	masked := model.IDNumber{Type: model.IDType(p.IDType), Value: p.ID}.Masked()
	st := model.Student{IDType: p.IDType, IDHash: keys.Lookup("id", p.IDType+":"+p.ID), IDEnc: keys.Seal(p.ID),
		IDMasked: masked, Name: fmt.Sprintf("学生%d", f.seq), Household: p.Household, HomeRegion: p.HomeRegion,
		Guardian: p.Guardian, Holder: p.Holder, CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	if b, err := time.Parse("20060102", p.ID[6:min(14, len(p.ID))]); err == nil && p.IDType == string(model.IDTypeResident) {
		st.BirthDate = &b
	}
	if p.Account != "" {
		st.AccountEnc, st.AccountHash, st.AccountMasked = keys.Seal(p.Account), keys.Lookup("account", p.Account), model.MaskBankAccount(p.Account)
		st.BankName = "农业银行"
		if st.Holder == "" {
			st.Holder = model.HolderGuardian
		}
	}
	f.create(&st)
	if p.School != "" {
		f.enrol(st, p)
	}
	return st
}

// enrol adds the 2025-2026 enrolment (and difficulty record) of p.
func (f *unitFix) enrol(st model.Student, p pupil) model.Enrolment {
	f.t.Helper()
	sc := f.school(p.School)
	if p.Status == "" {
		p.Status = model.StatusEnrolled
	}
	if p.Grade == 0 {
		p.Grade = 3
	}
	e := model.Enrolment{StudentID: st.ID, SchoolYear: "2025-2026", SchoolID: sc.ID, Stage: p.Stage, Grade: p.Grade,
		StudentNo: p.StudentNo, AgriMajor: p.AgriMajor, Boarding: p.Boarding, Status: p.Status,
		CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	f.create(&e)
	if p.Level != "" || p.Categories != "" {
		f.create(&model.DifficultyRecord{StudentID: st.ID, SchoolYear: "2025-2026", Level: p.Level, Categories: p.Categories,
			SchoolID: sc.ID, IdentifiedAt: servicetest.Start, UpdatedAt: servicetest.Start})
	}
	return e
}

// calculate runs the county's calculation of one school's list.
func (f *unitFix) calculate(program, term, school string) service.CalcResult {
	f.t.Helper()
	res, err := f.env.Svc.Entitlements.CalculateEntitlements(f.ctx, f.county,
		service.CalcRequest{Program: program, Term: term, SchoolID: f.school(school).ID})
	if err != nil {
		f.t.Fatalf("calculate %s %s: %v", program, school, err)
	}
	return res
}

// entitlementOf is the student's entitlement for the program and term; ok
// is false when there is none.
func (f *unitFix) entitlementOf(studentID int64, program, term string) (model.Entitlement, bool) {
	f.t.Helper()
	var ents []model.Entitlement
	if err := f.env.DB.Where("student_id = ? AND program = ? AND term = ?", studentID, program, term).Find(&ents).Error; err != nil {
		f.t.Fatal(err)
	}
	if len(ents) == 0 {
		return model.Entitlement{}, false
	}
	return ents[0], true
}

// standard adds a standard as the region's county officer (admin for the
// national row) and fails the test when it is refused.
func (f *unitFix) standard(program, stage, level, region, from string, annual model.Fen) model.Standard {
	f.t.Helper()
	st, err := f.addStandard(program, stage, level, region, from, annual)
	if err != nil {
		f.t.Fatalf("standard %s %s %s from %s: %v", program, region, level, from, err)
	}
	return st
}

func (f *unitFix) addStandard(program, stage, level, region, from string, annual model.Fen) (model.Standard, error) {
	day, err := time.Parse("2006-01-02", from)
	if err != nil {
		f.t.Fatal(err)
	}
	a := f.admin
	if region != "" {
		a = model.Actor{Username: "county_" + region, Role: model.RoleCountyOfficer, RegionCode: region}
	}
	return f.env.Svc.Standards.CreateStandard(f.ctx, a, model.Standard{Program: program, Stage: stage, Level: level,
		RegionCode: region, AnnualFen: annual, EffectiveFrom: day})
}

// batch writes a batch of the region in a status, approved at the time given.
func (f *unitFix) batch(region, program, term, status string, approved time.Time) model.Batch {
	f.t.Helper()
	f.seq++
	b := model.Batch{Number: fmt.Sprintf("%s-%s-%s-%03d", region, strings.ToUpper(program), term, f.seq), RegionCode: region,
		Program: program, Term: term, Seq: f.seq, Status: status, LinesSHA256: "x", LedgerSHA256: "x", CreatedBy: "test",
		CreatedAt: approved, ApprovedAt: &approved, ApprovedBy: "finance"}
	if status == model.BatchPaid {
		b.PaidAt = &approved
	}
	f.create(&b)
	return b
}

// payment is one line of a batch: the entitlement's own payment, or a
// top-up's when Adj is set. Account "" pays to the student's file.
type payment struct {
	Status     string
	Adj        *model.Adjustment
	Fen        model.Fen // 0: the entitlement's amount
	Account    string
	HolderName string // "" the guardian on file
	ResultAt   time.Time
	// Unkeyed: a pending or paid line without its open-entitlement key, as
	// a hand edit or a restored dump leaves one (anomaly rule 1).
	Unkeyed bool
}

func (f *unitFix) line(b model.Batch, e model.Entitlement, p payment) model.BatchLine {
	f.t.Helper()
	f.seq++
	var st model.Student
	if err := f.env.DB.First(&st, e.StudentID).Error; err != nil {
		f.t.Fatal(err)
	}
	l := model.BatchLine{BatchID: b.ID, Seq: f.seq, EntitlementID: e.ID, StudentID: e.StudentID, SchoolID: e.SchoolID,
		Stage: e.Stage, Grade: e.Grade, Name: st.Name, IDType: st.IDType, IDEnc: st.IDEnc, IDMasked: st.IDMasked,
		AnnualFen: e.AnnualFen, AmountFen: e.AmountFen, BankName: st.BankName, AccountEnc: st.AccountEnc,
		AccountHash: st.AccountHash, AccountMasked: st.AccountMasked, Holder: st.Holder, HolderName: st.Guardian, Status: p.Status}
	if p.Account != "" {
		keys := f.env.Keys
		l.AccountEnc, l.AccountHash, l.AccountMasked = keys.Seal(p.Account), keys.Lookup("account", p.Account), model.MaskBankAccount(p.Account)
	}
	if p.HolderName != "" {
		l.HolderName = p.HolderName
	}
	if p.Fen != 0 {
		l.AmountFen = p.Fen
	}
	switch {
	case p.Adj != nil:
		l.AdjustmentID = &p.Adj.ID
		if p.Status != model.LineFailed {
			l.OpenAdjustmentID = &p.Adj.ID
		}
	case p.Status != model.LineFailed && !p.Unkeyed:
		l.OpenEntitlementID = &l.EntitlementID
	}
	if p.Status == model.LineFailed {
		l.FailReason = "账户已冻结"
	}
	if p.Status != model.LinePending {
		at := p.ResultAt
		if at.IsZero() {
			at = b.CreatedAt
		}
		l.ResultAt = &at
	}
	f.create(&l)
	return l
}

// approve marks entitlements approved at the time given, as the county's
// approval after the notice would.
func (f *unitFix) approve(at time.Time, ids ...int64) {
	f.t.Helper()
	f.exec("UPDATE entitlements SET status = ?, approved_at = ?, approved_by = 'county_nanxian' WHERE id IN ?", model.EntApproved, at, ids)
}

// paid takes an approved or draft entitlement through a batch the bank paid
// in full, and returns it as it is now.
func (f *unitFix) paid(e model.Entitlement) model.Entitlement {
	f.t.Helper()
	at := servicetest.Start.Add(-time.Hour)
	f.approve(at, e.ID)
	b := f.batch(f.regionOf(e.SchoolID), e.Program, e.Term, model.BatchPaid, at)
	f.line(b, e, payment{Status: model.LinePaid})
	f.exec("UPDATE entitlements SET status = ? WHERE id = ?", model.EntPaid, e.ID)
	if err := f.env.DB.First(&e, e.ID).Error; err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *unitFix) regionOf(schoolID int64) string {
	f.t.Helper()
	var sc model.School
	if err := f.env.DB.First(&sc, schoolID).Error; err != nil {
		f.t.Fatal(err)
	}
	return sc.RegionCode
}

// adjustments are the entitlement's adjustments, oldest first.
func (f *unitFix) adjustments(entID int64) []model.Adjustment {
	f.t.Helper()
	var out []model.Adjustment
	if err := f.env.DB.Where("entitlement_id = ?", entID).Order("id").Find(&out).Error; err != nil {
		f.t.Fatal(err)
	}
	return out
}

// adjustment writes an adjustment of the entitlement in a status.
func (f *unitFix) adjustment(e model.Entitlement, std model.Standard, fen model.Fen, status string) model.Adjustment {
	f.t.Helper()
	at := servicetest.Start
	adj := model.Adjustment{EntitlementID: e.ID, StandardID: std.ID, Seq: len(f.adjustments(e.ID)) + 1, AmountFen: fen, AnnualFen: std.AnnualFen,
		Reason: "补发：资助标准调整", Status: status, CreatedBy: "test", CreatedAt: at, UpdatedAt: at}
	if status != model.AdjDraft {
		adj.ApprovedBy, adj.ApprovedAt = "county_nanxian", &at
	}
	f.create(&adj)
	return adj
}

func (f *unitFix) count(sql string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.env.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

// wantErr fails unless err is the service's error of the code and its
// message says every fragment.
func wantErr(t *testing.T, err error, code service.Code, fragments ...string) {
	t.Helper()
	var se *service.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	for _, s := range fragments {
		if !strings.Contains(se.Message, s) {
			t.Fatalf("message %q does not say %q", se.Message, s)
		}
	}
}

// adjWant is one adjustment an entitlement should have, in id order.
type adjWant struct {
	fen            model.Fen
	status, reason string
}

func wantAdjustments(t *testing.T, got []model.Adjustment, want []adjWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d adjustments %+v, want %+v", len(got), got, want)
	}
	for i, w := range want {
		if g := got[i]; g.AmountFen != w.fen || g.Status != w.status || (w.reason != "" && g.Reason != w.reason) {
			t.Fatalf("adjustment %d: %d fen %s %q, want %d fen %s %q", i, g.AmountFen, g.Status, g.Reason, w.fen, w.status, w.reason)
		}
	}
}

// paidOne is a student's entitlement calculated on the school's list and
// paid in full by the bank.
func (f *unitFix) paidOne(p pupil, program string) model.Entitlement {
	f.t.Helper()
	st := f.student(p)
	f.calculate(program, autumn, p.School)
	e, ok := f.entitlementOf(st.ID, program, autumn)
	if !ok {
		f.t.Fatalf("%s: not calculated", program)
	}
	return f.paid(e)
}

var boarderAtNanzhou = pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: "hard"}

// inFlight writes an approved top-up of the entitlement to the standard
// and puts it in a batch the bank has not paid yet.
func (f *unitFix) inFlight(e model.Entitlement, std model.Standard, fen model.Fen) model.Adjustment {
	f.t.Helper()
	adj := f.adjustment(e, std, fen, model.AdjBatched)
	f.line(f.batch("430921", e.Program, e.Term, model.BatchApproved, servicetest.Start), e, payment{Status: model.LinePending, Adj: &adj, Fen: fen})
	return adj
}

// cardOf is a 南县 (or other school's) boarder with a difficulty record
// whose aid goes to the guardian's card.
func cardOf(school, account, guardian string) pupil {
	return pupil{School: school, Stage: "primary", Boarding: flag(true), Level: "hard", Account: account, Guardian: guardian}
}

// leftAt records that the student dropped out, as a roster change at the
// time given.
func (f *unitFix) leftAt(e model.Entitlement, at time.Time) {
	f.t.Helper()
	f.exec("UPDATE enrolments SET status = ? WHERE student_id = ?", model.StatusDroppedOut, e.StudentID)
	f.create(&model.StudentChange{StudentID: e.StudentID, At: at, ActorName: "school", Source: "roster", SchoolYear: "2025-2026",
		Field: "学籍状态", OldValue: model.StatusEnrolled, NewValue: model.StatusDroppedOut})
}

// earlierYear adds the student's 2024-2025 record at the same school, in
// the status given.
func (f *unitFix) earlierYear(e model.Entitlement, status string) {
	f.t.Helper()
	f.create(&model.Enrolment{StudentID: e.StudentID, SchoolYear: "2024-2025", SchoolID: e.SchoolID, Stage: e.Stage,
		Grade: e.Grade - 1, Status: status, CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start})
}

// person is how a summary names the entitlement's student: the name and
// the masked ID number.
func (f *unitFix) person(e model.Entitlement) string {
	f.t.Helper()
	var st model.Student
	if err := f.env.DB.First(&st, e.StudentID).Error; err != nil {
		f.t.Fatal(err)
	}
	return who(st)
}

func who(st model.Student) string { return st.Name + "（" + st.IDMasked + "）" }

// fullNumber is any run of digits as long as an account or ID number.
var fullNumber = regexp.MustCompile(`[0-9]{12,}`)
