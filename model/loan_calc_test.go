package model

import (
	"testing"
	"time"
)

func TestLoanGrantPaysTuitionAndAccommodationFirst(t *testing.T) {
	for _, c := range []struct {
		cap, tuition, accommodation, living, school, forLiving Fen
	}{
		{2000000, 550000, 120000, 1000000, 670000, 1000000},
		{2000000, 550000, 120000, 2000000, 670000, 1330000}, // living takes what is left
		{1200000, 1000000, 300000, 500000, 1200000, 0},      // tuition alone passes the cap
		{0, 100, 100, 100, 0, 0},
	} {
		s, l := LoanGrant(c.cap, c.tuition, c.accommodation, c.living)
		if s != c.school || l != c.forLiving {
			t.Errorf("LoanGrant(%d, %d, %d, %d) = %d, %d; want %d, %d", c.cap, c.tuition, c.accommodation, c.living, s, l, c.school, c.forLiving)
		}
	}
}

func TestLoanTermIsCappedAtTheMaximum(t *testing.T) {
	if got := LoanTerm(4, 15, 22); got != 19 {
		t.Errorf("4+15 = %d", got)
	}
	if got := LoanTerm(8, 15, 22); got != 22 {
		t.Errorf("8+15 capped at 22 = %d", got)
	}
}

func TestSubsidyOfALoanDisbursedMidYear(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2025, 1, 1), RateBP: 300}, {EffectiveFrom: Civil(2026, 1, 1), RateBP: 290}}
	disbursed := Civil(2025, time.October, 15)
	end := StudyEnd(2025, 4) // 2029-09-01
	// 15 October to 31 December: 78 days; 10,000 yuan × 3.00% × 78 / 360 = 65.00 yuan.
	if got := YearSubsidy(1_000_000, disbursed, end, 2025, rates, nil); got != 6500 {
		t.Errorf("2025 subsidy = %d fen, want 6500", got)
	}
	// A whole year at the next year's rate: 365 days × 2.90%.
	if got := YearSubsidy(1_000_000, disbursed, end, 2026, rates, nil); got != 29403 {
		t.Errorf("2026 subsidy = %d fen, want 29403", got)
	}
	// The graduation year stops at 31 August: 243 days.
	if got := YearSubsidy(1_000_000, disbursed, end, 2029, rates, nil); got != 19575 {
		t.Errorf("2029 subsidy = %d fen, want 19575", got)
	}
	if got := YearSubsidy(1_000_000, disbursed, end, 2030, rates, nil); got != 0 {
		t.Errorf("after graduation the state pays nothing, got %d", got)
	}
	if got := YearSubsidy(1_000_000, disbursed, end, 2024, rates, nil); got != 0 {
		t.Errorf("before disbursement nothing, got %d", got)
	}
}

func TestRepaymentPlanGraceThenEqualPrincipal(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2020, 1, 1), RateBP: 300}}
	plan := RepaymentPlan(PlanInput{Principal: 8_000_000, FirstYear: 2025, StudyEnd: Civil(2029, 9, 1), TermYears: 19,
		GraceYears: 5, DueMonth: time.December, DueDay: 20, Rates: rates})
	// Due each 20 December from 2029 to 2044: five interest-only years, then eleven shares.
	if len(plan) != 16 {
		t.Fatalf("%d instalments, want 16", len(plan))
	}
	var principal Fen
	for i, it := range plan {
		if it.InterestOnly != (i < 5) {
			t.Errorf("instalment %d (%s) interest-only = %v", i, it.DueOn.Format("2006-01-02"), it.InterestOnly)
		}
		principal += it.Principal
	}
	if principal != 8_000_000 {
		t.Errorf("principal repaid %d, want 8000000", principal)
	}
	if plan[5].Principal != 727272 || plan[15].Principal != 8_000_000-10*727272 {
		t.Errorf("shares %d … %d", plan[5].Principal, plan[15].Principal)
	}
	// 1 September to 20 December 2029: 110 days on the whole principal.
	if plan[0].DueOn != Civil(2029, 12, 20) || plan[0].Interest != LoanInterest(8_000_000, 300, 110) {
		t.Errorf("first instalment %+v", plan[0])
	}
}

// Rates are repriced each 1 January: a rate from 1 June 2030 leaves the
// plan's 2030 instalment alone and prices 2031's days, and the 12 days of
// December 2030 in the 2031 instalment keep the 2030 rate.
func TestRepaymentPlanReprices1January(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2020, 1, 1), RateBP: 300}, {EffectiveFrom: Civil(2030, 6, 1), RateBP: 250}}
	plan := RepaymentPlan(PlanInput{Principal: 8_000_000, FirstYear: 2025, StudyEnd: Civil(2029, 9, 1), TermYears: 19,
		GraceYears: 5, DueMonth: time.December, DueDay: 20, Rates: rates})
	if it := plan[1]; it.DueOn != Civil(2030, 12, 20) || it.RateBP != 300 || it.Interest != LoanInterest(8_000_000, 300, 365) {
		t.Errorf("2030 instalment %+v, want 365 days at 3.00%%", it)
	}
	// 20–31 December 2030 at 3.00 %, 1 January–20 December 2031 at 2.50 %.
	want := Fen((8_000_000*(300*12+250*353) + 1_800_000) / 3_600_000)
	if it := plan[2]; it.DueOn != Civil(2031, 12, 20) || it.RateBP != 250 || it.Interest != want {
		t.Errorf("2031 instalment %+v, want interest %d", it, want)
	}
	// The subsidy follows the same rule: the whole of 2030 at 3.00 %.
	if got := YearSubsidy(1_000_000, Civil(2027, 10, 15), Civil(2031, 9, 1), 2030, rates, nil); got != LoanInterest(1_000_000, 300, 365) {
		t.Errorf("2030 subsidy %d", got)
	}
}

// A 提前还款 lowers the principal from its day only: the instalments due
// before it are unchanged, its own period's interest is on the balance
// before it up to that day and after it from then, and the principal left
// is shared again over the instalments still to come.
func TestRepaymentPlanPrepaymentFromItsDay(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2020, 1, 1), RateBP: 300}}
	in := PlanInput{Principal: 8_000_000, FirstYear: 2025, StudyEnd: Civil(2029, 9, 1), TermYears: 19,
		GraceYears: 5, DueMonth: time.December, DueDay: 20, Rates: rates}
	before := RepaymentPlan(in)
	on := Civil(2035, 3, 1) // after the 2034-12-20 instalment, the first with principal
	in.Prepayments = []Prepayment{{On: on, Fen: 1_000_000}}
	after := RepaymentPlan(in)
	if len(after) != len(before) {
		t.Fatalf("%d instalments, want %d", len(after), len(before))
	}
	for i, it := range after {
		if it.DueOn.Before(on) && it != before[i] {
			t.Errorf("instalment due %s changed: %+v → %+v", it.DueOn.Format("2006-01-02"), before[i], it)
		}
	}
	// 2034-12-20 to 2035-03-01 (71 days) on 7,272,728, then 294 days on 6,272,728.
	left := Fen(8_000_000 - 727272)
	want := Fen((int64(left)*300*71 + int64(left-1_000_000)*300*294 + 1_800_000) / 3_600_000)
	if it := after[6]; it.DueOn != Civil(2035, 12, 20) || it.Interest != want {
		t.Errorf("2035 instalment %+v, want interest %d", it, want)
	}
	var principal Fen
	for _, it := range after {
		principal += it.Principal
	}
	if principal != 7_000_000 {
		t.Errorf("principal in the plan %d, want 7000000 (8,000,000 less the prepaid 1,000,000)", principal)
	}
	if share := (left - 1_000_000) / 10; after[6].Principal != share {
		t.Errorf("2035 share %d, want %d (what is left over the ten instalments to come)", after[6].Principal, share)
	}
}

// The state's subsidy stops on a prepaid amount from the prepayment's day.
func TestSubsidyLessWhatWasPrepaid(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2020, 1, 1), RateBP: 300}}
	pre := []Prepayment{{On: Civil(2026, 7, 1), Fen: 400_000}}
	got := YearSubsidy(1_000_000, Civil(2025, 10, 15), Civil(2029, 9, 1), 2026, rates, pre)
	if want := Fen((1_000_000*300*181 + 600_000*300*184 + 1_800_000) / 3_600_000); got != want {
		t.Errorf("2026 subsidy %d, want %d (181 days on 10,000, 184 on 6,000)", got, want)
	}
}

// The study ends on 1 September after an early graduation or a leaving,
// never after the course's end.
func TestStudyEndOfAnEarlyGraduation(t *testing.T) {
	day := func(y int, m time.Month, d int) *time.Time { t := Civil(y, m, d); return &t }
	for _, c := range []struct {
		graduated *time.Time
		want      time.Time
	}{
		{nil, Civil(2029, 9, 1)},
		{day(2027, 6, 30), Civil(2027, 9, 1)},
		{day(2027, 10, 15), Civil(2028, 9, 1)},
		{day(2030, 6, 30), Civil(2029, 9, 1)},
	} {
		if got := StudyEndOf(2025, 4, c.graduated); !got.Equal(c.want) {
			t.Errorf("graduated %v: study ends %s, want %s", c.graduated, got.Format("2006-01-02"), c.want.Format("2006-01-02"))
		}
	}
}

// 等额本息: after the grace period each year's payment (principal and
// interest) is level — within a day's interest on the principal (667 fen),
// what a 366-day year moves it — and the principal is repaid in full; the
// interest-only years are as in 等额本金.
func TestRepaymentPlanEqualInstalments(t *testing.T) {
	rates := RateTable{{EffectiveFrom: Civil(2020, 1, 1), RateBP: 300}}
	in := PlanInput{Principal: 8_000_000, FirstYear: 2025, StudyEnd: Civil(2029, 9, 1), TermYears: 19,
		GraceYears: 5, DueMonth: time.December, DueDay: 20, Rates: rates}
	shares := RepaymentPlan(in)
	in.EqualInstalments = true
	level := RepaymentPlan(in)
	if len(level) != len(shares) {
		t.Fatalf("%d instalments, want %d", len(level), len(shares))
	}
	var principal Fen
	for i, it := range level {
		principal += it.Principal
		if i < 5 && it != shares[i] {
			t.Errorf("grace year %d differs: %+v vs %+v", i, it, shares[i])
		}
	}
	if principal != 8_000_000 {
		t.Errorf("principal repaid %d, want 8000000", principal)
	}
	first := level[5].Principal + level[5].Interest
	for _, it := range level[6:15] {
		if d := it.Principal + it.Interest - first; d < -667 || d > 667 {
			t.Errorf("instalment due %s pays %d, the first %d: not level", it.DueOn.Format("2006-01-02"), it.Principal+it.Interest, first)
		}
	}
	// 80,000 yuan over 11 years at 3.00 % (365/360 a year): about 8,667 yuan a year.
	if first < 860_000 || first > 875_000 {
		t.Errorf("first level payment %d fen", first)
	}
	if level[5].Principal >= shares[5].Principal {
		t.Errorf("the first 等额本息 instalment repays %d, not less principal than 等额本金's %d", level[5].Principal, shares[5].Principal)
	}
}
