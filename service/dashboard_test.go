package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// dashFixture writes lists, entitlements, batches and lines straight into
// the database, so the dashboard's sums and scoping are checked against
// figures the test knows exactly.
type dashFixture struct {
	t        *testing.T
	db       *gorm.DB
	standard int64
	seq      int
}

func (f *dashFixture) schoolID(code string) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Raw("SELECT id FROM schools WHERE code = ?", code).Scan(&id).Error; err != nil || id == 0 {
		f.t.Fatalf("school %s: %v", code, err)
	}
	return id
}

func (f *dashFixture) create(v any) {
	f.t.Helper()
	if err := f.db.Create(v).Error; err != nil {
		f.t.Fatal(err)
	}
}

func (f *dashFixture) list(school int64, program string, mod func(*model.AidList)) model.AidList {
	l := model.AidList{SchoolID: school, Program: program, Term: "2025-2026-1", CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	if mod != nil {
		mod(&l)
	}
	f.create(&l)
	return l
}

// ent adds a student with one entitlement on the list.
func (f *dashFixture) ent(l model.AidList, status string, fen model.Fen) model.Entitlement {
	f.seq++
	st := model.Student{IDType: "居民身份证", IDHash: fmt.Sprintf("%064d", f.seq), IDEnc: "sealed", IDMasked: "430921********0000",
		Name: fmt.Sprintf("学生%d", f.seq), CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	f.create(&st)
	e := model.Entitlement{StudentID: st.ID, Program: l.Program, Term: l.Term, SchoolID: l.SchoolID, ListID: l.ID,
		Stage: model.StagePrimary, Grade: 3, Rule: "test", StandardID: f.standard, AnnualFen: 2 * fen, AmountFen: fen,
		Status: status, CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	f.create(&e)
	return e
}

func (f *dashFixture) batch(number, program, status string) model.Batch {
	f.seq++
	b := model.Batch{Number: number, RegionCode: "430921", Program: program, Term: "2025-2026-1", Seq: f.seq, Status: status,
		LinesSHA256: "x", LedgerSHA256: "x", CreatedBy: "test", CreatedAt: servicetest.Start}
	f.create(&b)
	return b
}

func (f *dashFixture) line(b model.Batch, e model.Entitlement, status, reason string) {
	f.seq++
	l := model.BatchLine{BatchID: b.ID, Seq: f.seq, EntitlementID: e.ID, StudentID: e.StudentID, SchoolID: e.SchoolID,
		Name: "x", AmountFen: e.AmountFen, AccountMasked: "6217 **** **** 0123", Status: status, FailReason: reason}
	if status != model.LineFailed {
		l.OpenEntitlementID = &l.EntitlementID
	}
	f.create(&l)
}

// topUp adds a 补发 line for a paid entitlement whose adjustment is in the
// given status.
func (f *dashFixture) topUp(b model.Batch, e model.Entitlement, adjStatus, lineStatus string, fen model.Fen) {
	f.seq++
	adj := model.Adjustment{EntitlementID: e.ID, StandardID: f.standard, Seq: f.seq, AmountFen: fen, AnnualFen: 4 * fen, Reason: "标准提高",
		Status: adjStatus, CreatedBy: "test", CreatedAt: servicetest.Start, UpdatedAt: servicetest.Start}
	f.create(&adj)
	f.create(&model.BatchLine{BatchID: b.ID, Seq: f.seq, EntitlementID: e.ID, AdjustmentID: &adj.ID, StudentID: e.StudentID,
		SchoolID: e.SchoolID, Name: "x", AmountFen: fen, Status: lineStatus, FailReason: "账户冻结"})
}

// actor logs a demo user in, so the scope is the one the API would use.
func actorOf(t *testing.T, svc *service.Service, user string) model.Actor {
	t.Helper()
	ctx := context.Background()
	res, err := svc.Auth.Login(ctx, model.Actor{}, user, service.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.Auth.Authenticate(ctx, res.Token, model.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDashboardScopesEveryFigure(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		if _, err := env.Svc.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		f := &dashFixture{t: t, db: env.DB}
		if err := env.DB.Raw("SELECT MIN(id) FROM standards").Scan(&f.standard).Error; err != nil {
			t.Fatal(err)
		}
		nanzhou, maocaojie, dongping := f.schoolID("2143092101"), f.schoolID("2143092102"), f.schoolID("2143092301")
		submitted := servicetest.Start.Add(-10 * 24 * time.Hour)
		noticeFrom, noticeTo := submitted.Add(time.Hour), submitted.Add(8*24*time.Hour)

		ready := f.list(nanzhou, "boarding", func(l *model.AidList) {
			l.SubmittedAt, l.NoticeStartedAt, l.NoticeEndsAt = &submitted, &noticeFrom, &noticeTo
		})
		f.ent(ready, model.EntSubmitted, 62500)
		objected := f.ent(ready, model.EntSubmitted, 62500)
		f.create(&model.Objection{ListID: ready.ID, StudentID: objected.StudentID, Content: "x", RecordedBy: "x", CreatedAt: servicetest.Start})
		returned := f.list(maocaojie, "boarding", nil)
		f.ent(returned, model.EntReturned, 75000)
		f.ent(returned, model.EntApproved, 75000)
		draft := f.list(dongping, "boarding", nil)
		f.ent(draft, model.EntDraft, 62500)
		f.ent(draft, model.EntRevoked, 62500)

		day := f.list(nanzhou, "nonboarding", nil)
		paid := f.ent(day, model.EntPaid, 31250)
		failed := f.ent(day, model.EntApproved, 31250)
		batched := f.ent(day, model.EntBatched, 31250)
		done := f.batch("430921-NONBOARDING-2025-2026-1-001", "nonboarding", model.BatchPartiallyPaid)
		f.line(done, paid, model.LinePaid, "")
		f.line(done, failed, model.LineFailed, "账户已销户")
		// A failed top-up of a paid entitlement is still owed; a failure paid
		// since (the old account, then the new one) is not.
		f.topUp(done, paid, model.AdjApproved, model.LineFailed, 5000)
		f.line(done, paid, model.LineFailed, "旧卡已挂失")
		next := f.batch("430921-NONBOARDING-2025-2026-1-002", "nonboarding", model.BatchGenerated)
		f.line(next, batched, model.LinePending, "")

		dash := func(user string) service.Dashboard {
			t.Helper()
			d, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, user), "")
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		listIDs := func(d service.Dashboard) []int64 {
			var ids []int64
			for _, l := range d.Lists {
				ids = append(ids, l.ListID)
			}
			return ids
		}
		schools := func(d service.Dashboard) map[string]model.Fen {
			m := map[string]model.Fen{}
			for _, b := range d.BySchool {
				m[b.Label] = b.Total.Fen
			}
			return m
		}

		school := dash("school_nanzhou")
		if school.Term != "2025-2026-1" {
			t.Fatalf("term %s", school.Term)
		}
		if got := listIDs(school); len(got) != 1 || got[0] != ready.ID {
			t.Fatalf("school lists %v", got)
		}
		if l := school.Lists[0]; l.Submitted != (service.Tally{Count: 2, Fen: 125000}) || l.Objections != 1 || l.Notice != service.NoticeOver {
			t.Fatalf("ready list %+v", l)
		}
		if got := schools(school); len(got) != 1 || got["南县南洲镇中心小学"] != 125000+3*31250 {
			t.Fatalf("school chart %v", got)
		}
		for _, b := range school.ByProgram {
			if b.Key == "boarding" && (b.Total.Fen != 125000 || b.ByPhase[1] != 125000) {
				t.Fatalf("boarding bar %+v", b)
			}
			if b.Key == "nonboarding" && (b.Total.Count != 3 || b.ByPhase[2] != 62500 || b.ByPhase[3] != 31250) {
				t.Fatalf("nonboarding bar %+v", b)
			}
		}
		if len(school.ByProgram) != len(model.Programs) {
			t.Fatalf("every program has a bar: %+v", school.ByProgram)
		}
		if len(school.Batches) != 2 || school.Batches[0].Paid.Fen != 31250 || school.Batches[0].Failed != (service.Tally{Count: 3, Fen: 67500}) || school.Batches[1].Pending.Count != 1 {
			t.Fatalf("school batches %+v", school.Batches)
		}
		if len(school.OpenBatches) != 1 || school.OpenBatches[0].ID != next.ID {
			t.Fatalf("open batches %+v", school.OpenBatches)
		}
		if school.FailedTotal != (service.Tally{Count: 2, Fen: 36250}) || len(school.FailedPayments) != 2 ||
			school.FailedPayments[0].TopUp == school.FailedPayments[1].TopUp {
			t.Fatalf("failed payments %+v", school.FailedPayments)
		}

		// Another school of the same county sees none of it but its own list.
		other := dash("school_maocaojie")
		if got := listIDs(other); len(got) != 1 || got[0] != returned.ID {
			t.Fatalf("maocaojie lists %v", got)
		}
		if len(other.Batches)+len(other.OpenBatches)+len(other.FailedPayments) != 0 {
			t.Fatalf("maocaojie sees batches of another school: %+v", other)
		}
		if got := schools(other); len(got) != 1 || got["南县茅草街镇九年制学校"] != 150000 {
			t.Fatalf("maocaojie chart %v", got)
		}

		// The county: returned lists first, then those ready to approve.
		county := dash("county_nanxian")
		if got := listIDs(county); len(got) != 2 || got[0] != returned.ID || got[1] != ready.ID {
			t.Fatalf("county lists %v", got)
		}
		if got := schools(county); len(got) != 2 || got["南县南洲镇中心小学"] == 0 || got["南县茅草街镇九年制学校"] == 0 {
			t.Fatalf("county chart %v", got)
		}
		anhua := dash("county_anhua")
		if got := listIDs(anhua); len(got) != 1 || got[0] != draft.ID || anhua.Lists[0].Draft.Fen != 62500 {
			t.Fatalf("anhua lists %+v", anhua.Lists)
		}
		if len(anhua.Batches) != 0 || anhua.FailedTotal.Count != 0 {
			t.Fatal("anhua sees 南县's batches")
		}
		if city := dash("auditor_yiyang"); len(city.Lists) != 3 || len(schools(city)) != 3 || len(city.Batches) != 2 {
			t.Fatalf("city: %+v", city)
		}

		// Before the notice has run its course the list is not ready.
		env.Clock.Set(noticeTo.Add(-time.Minute))
		if l := dash("county_nanxian").Lists; l[1].Notice != "notice_period" {
			t.Fatalf("notice state %+v", l[1])
		}
		if _, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, "county_nanxian"), "2025-2026-3"); err == nil {
			t.Fatal("accepted a bad term")
		}
		if d, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, "county_nanxian"), "2024-2025-2"); err != nil || len(d.BySchool) != 0 || len(d.Batches) != 0 || len(d.OpenBatches) != 1 {
			t.Fatalf("another term: %+v %v", d, err)
		}
	})
}

func TestDashboardFoldsSmallSchools(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		if _, err := env.Svc.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		f := &dashFixture{t: t, db: env.DB}
		env.DB.Raw("SELECT MIN(id) FROM standards").Scan(&f.standard)
		for i := 1; i <= 20; i++ {
			sc, err := env.Svc.Schools.CreateSchool(ctx, model.SystemActor("test"), model.School{Code: fmt.Sprintf("21430921%02d", 50+i),
				Name: fmt.Sprintf("测试学校%02d", i), RegionCode: "430921", Type: model.SchoolPrimary})
			if err != nil {
				t.Fatal(err)
			}
			f.ent(f.list(sc.ID, "boarding", nil), model.EntDraft, model.Fen(i*1000))
		}
		d, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, "county_nanxian"), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.BySchool) != 15 || d.BySchool[0].Label != "测试学校20" {
			t.Fatalf("bars %+v", d.BySchool)
		}
		rest := d.BySchool[14]
		// Schools 1..6 are the smallest: 21,000 fen in six schools.
		if rest.Label != "其他 6 所学校" || rest.Total != (service.Tally{Count: 6, Fen: 21000}) || rest.ByPhase[0] != 21000 {
			t.Fatalf("folded bar %+v", rest)
		}
	})
}

// A new term is empty until its lists are calculated: the home page's
// figures default to the latest term with aid in the user's scope.
func TestDashboardDefaultsToTheLatestTermWithData(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		ctx := context.Background()
		if _, err := env.Svc.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		f := &dashFixture{t: t, db: env.DB}
		env.DB.Raw("SELECT MIN(id) FROM standards").Scan(&f.standard)
		inTerm := func(term string) func(*model.AidList) { return func(l *model.AidList) { l.Term = term } }
		nanzhou := f.schoolID("2143092101")
		f.ent(f.list(nanzhou, "boarding", inTerm("2024-2025-1")), model.EntPaid, 62500)
		f.ent(f.list(nanzhou, "nonboarding", inTerm("2024-2025-2")), model.EntApproved, 31250)
		// Calculated ahead of its term: not yet the one to show.
		f.ent(f.list(nanzhou, "boarding", inTerm("2025-2026-2")), model.EntDraft, 62500)
		for user, want := range map[string]model.Term{
			"county_nanxian": "2024-2025-2", "school_nanzhou": "2024-2025-2", "auditor_yiyang": "2024-2025-2",
			"county_anhua": "2025-2026-1", "school_maocaojie": "2025-2026-1",
		} {
			d, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, user), "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Term != want || d.CurrentTerm != "2025-2026-1" {
				t.Errorf("%s: term %s, current %s; want %s", user, d.Term, d.CurrentTerm, want)
			}
		}
		if d, err := env.Svc.Reports.Dashboard(ctx, actorOf(t, env.Svc, "county_nanxian"), "2025-2026-1"); err != nil || d.Term != "2025-2026-1" {
			t.Errorf("asked for the current term: %s %v", d.Term, err)
		}
	})
}
