package model

import (
	"sort"
	"time"
)

// The loan calculations of POLICY.md, all in fen and integer arithmetic, on
// civil dates (midnight UTC stands for the day in Asia/Shanghai).

// Civil is the day y-m-d as the loan tables store it.
func Civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// LoanGrant splits the year's amount asked under the cap: tuition and
// accommodation first (the bank pays them to the university), what is left
// of the cap for living costs.
func LoanGrant(capFen, tuition, accommodation, living Fen) (school, forLiving Fen) {
	capFen = max(capFen, 0)
	school = min(tuition+accommodation, capFen)
	forLiving = min(living, capFen-school)
	return school, forLiving
}

// LoanTerm is 学制 (the years left) plus the configured years, at most the
// configured maximum.
func LoanTerm(years, extra, maxYears int) int { return min(years+extra, maxYears) }

// LoanInterest is principal × annual rate × days / 360, the rate in basis
// points, rounded half up to the fen.
func LoanInterest(principal Fen, rateBP, days int) Fen {
	if principal <= 0 || rateBP <= 0 || days <= 0 {
		return 0
	}
	const den = 10000 * 360
	n := int64(principal) * int64(rateBP) * int64(days)
	return Fen((n + den/2) / den)
}

// Days counts the days from a (inclusive) to b (exclusive), 0 when b is not after a.
func Days(a, b time.Time) int {
	if !b.After(a) {
		return 0
	}
	return int(b.Sub(a).Hours()+12) / 24
}

// RateTable is the dated rates, any order.
type RateTable []LoanRate

// At is the rate in force on a day (the latest effective_from ≤ day), 0 when none.
func (t RateTable) At(day time.Time) int {
	best, bp := time.Time{}, 0
	for _, r := range t {
		if !r.EffectiveFrom.After(day) && !r.EffectiveFrom.Before(best) {
			best, bp = r.EffectiveFrom, r.RateBP
		}
	}
	return bp
}

// StudyEnd is the first day the borrower pays interest himself: the state
// pays (财政贴息) up to 31 August of the graduation year.
func StudyEnd(entryYear, years int) time.Time { return Civil(entryYear+years, time.September, 1) }

// YearRate is the rate a loan disbursed on started pays in a calendar year.
// Loan rates are repriced each 1 January (a loan of more than a year follows
// a change of rate from the next 1 January), so it is the rate in force on
// the year's 1 January, or on the disbursement day in the loan's first year.
func (t RateTable) YearRate(year int, started time.Time) int {
	return t.At(maxTime(started, Civil(year, time.January, 1)))
}

// PeriodInterest is principal × rate × days / 360 from from (inclusive) to
// to (exclusive), each calendar year's days at that year's YearRate,
// rounded half up to the fen once.
func PeriodInterest(principal Fen, from, to, started time.Time, rates RateTable) Fen {
	if principal <= 0 {
		return 0
	}
	var bpDays int64
	for day := from; day.Before(to); {
		next := minTime(to, Civil(day.Year()+1, time.January, 1))
		bpDays += int64(rates.YearRate(day.Year(), started)) * int64(Days(day, next))
		day = next
	}
	const den = 10000 * 360
	n := int64(principal) * bpDays
	return Fen((n + den/2) / den)
}

// YearSubsidy is the interest the state pays on one disbursement for the days
// of the calendar year the student studies (财政贴息): principal × rate ×
// days / 360 at the year's rate (YearRate).
func YearSubsidy(principal Fen, disbursed, studyEnd time.Time, year int, rates RateTable) Fen {
	from := maxTime(disbursed, Civil(year, time.January, 1))
	to := minTime(studyEnd, Civil(year+1, time.January, 1))
	return PeriodInterest(principal, from, to, disbursed, rates)
}

// Instalment is one yearly repayment of a plan.
type Instalment struct {
	DueOn        time.Time
	Principal    Fen
	Interest     Fen
	RateBP       int
	InterestOnly bool // within the grace period after graduation
}

// PlanInput is what a repayment plan is made from.
type PlanInput struct {
	Principal  Fen
	FirstYear  int // the start year of the first school year of the contract
	StudyEnd   time.Time
	TermYears  int
	GraceYears int
	DueMonth   time.Month
	DueDay     int
	Rates      RateTable
}

// RepaymentPlan is the yearly instalments from graduation to maturity: due on
// the configured day each year, interest only during the grace period, then
// equal shares of the principal (the last one takes the odd fen) plus the
// interest on what is outstanding since the previous due date, each calendar
// year's days at that year's rate (YearRate, as the subsidy).
func RepaymentPlan(in PlanInput) []Instalment {
	if in.Principal <= 0 || in.TermYears <= 0 {
		return nil
	}
	first, last := in.StudyEnd.Year(), in.FirstYear+in.TermYears
	if Civil(first, in.DueMonth, in.DueDay).Before(in.StudyEnd) {
		first++
	}
	last = max(last, first)
	principalFrom := min(in.StudyEnd.Year()+in.GraceYears, last)
	principalFrom = max(principalFrom, first)
	shares := last - principalFrom + 1
	share := in.Principal / Fen(shares)
	outstanding := in.Principal
	periodStart := in.StudyEnd
	var out []Instalment
	for y := first; y <= last; y++ {
		due := Civil(y, in.DueMonth, in.DueDay)
		it := Instalment{DueOn: due, RateBP: in.Rates.YearRate(y, time.Time{}),
			Interest: PeriodInterest(outstanding, periodStart, due, time.Time{}, in.Rates)}
		switch {
		case y < principalFrom:
			it.InterestOnly = true
		case y == last:
			it.Principal = outstanding
		default:
			it.Principal = share
		}
		outstanding -= it.Principal
		out = append(out, it)
		periodStart = due
	}
	return out
}

// SortRates orders a rate table by date, for display.
func SortRates(t []LoanRate) {
	sort.Slice(t, func(i, j int) bool { return t[i].EffectiveFrom.Before(t[j].EffectiveFrom) })
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
