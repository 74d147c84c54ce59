package model

import (
	"math"
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

// StudyEndOf is StudyEnd, or earlier for a borrower who graduated or left
// before the course's end: the 1 September after the day confirmed, so the
// state pays to 31 August of the year the study really ended.
func StudyEndOf(entryYear, years int, graduated *time.Time) time.Time {
	end := StudyEnd(entryYear, years)
	if graduated == nil {
		return end
	}
	y := graduated.Year()
	if graduated.Month() >= time.September {
		y++
	}
	return minTime(end, Civil(y, time.September, 1))
}

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
	return roundInterest(int64(principal) * rateDays(from, to, started, rates))
}

// rateDays is Σ rate (bp) × days over the calendar years from from to to.
func rateDays(from, to, started time.Time, rates RateTable) int64 {
	var bpDays int64
	for day := from; day.Before(to); {
		next := minTime(to, Civil(day.Year()+1, time.January, 1))
		bpDays += int64(rates.YearRate(day.Year(), started)) * int64(Days(day, next))
		day = next
	}
	return bpDays
}

// roundInterest divides fen × bp × days by 10,000 × 360, half up.
func roundInterest(n int64) Fen {
	const den = 10000 * 360
	return Fen((n + den/2) / den)
}

// YearSubsidy is the interest the state pays on one disbursement for the days
// of the calendar year the student studies (财政贴息): principal × rate ×
// days / 360 at the year's rate (YearRate), less the interest on what was
// prepaid from the prepayment's day.
func YearSubsidy(principal Fen, disbursed, studyEnd time.Time, year int, rates RateTable, prepaid []Prepayment) Fen {
	from := maxTime(disbursed, Civil(year, time.January, 1))
	to := minTime(studyEnd, Civil(year+1, time.January, 1))
	if principal <= 0 || !from.Before(to) {
		return 0
	}
	n := int64(principal) * rateDays(from, to, disbursed, rates)
	for _, p := range prepaid {
		n -= int64(min(p.Fen, principal)) * rateDays(maxTime(from, p.On), to, disbursed, rates)
	}
	return roundInterest(max(n, 0))
}

// Instalment is one yearly repayment of a plan.
type Instalment struct {
	DueOn        time.Time
	Principal    Fen
	Interest     Fen
	RateBP       int
	InterestOnly bool // within the grace period after graduation
}

// Prepayment is a 提前还款: principal repaid on a day, outside the plan.
type Prepayment struct {
	On  time.Time
	Fen Fen
}

// PlanInput is what a repayment plan is made from.
type PlanInput struct {
	Principal   Fen // disbursed; prepayments come off from their day
	Prepayments []Prepayment
	// EqualInstalments: the contract's 等额本息 — after the grace period each
	// year's principal and interest together are level — instead of equal
	// shares of the principal.
	EqualInstalments bool
	FirstYear        int // the start year of the first school year of the contract
	StudyEnd         time.Time
	TermYears        int
	GraceYears       int
	DueMonth         time.Month
	DueDay           int
	Rates            RateTable
}

// RepaymentPlan is the yearly instalments from graduation to maturity: due on
// the configured day each year, interest only during the grace period, then
// equal shares of the principal (the last one takes the odd fen) plus the
// interest on what is outstanding since the previous due date, each calendar
// year's days at that year's rate (YearRate, as the subsidy).
//
// A prepayment lowers what is outstanding from its day on: the interest of
// its period is on the balance before it up to that day and on the balance
// after it from then, and the principal left is shared again over the
// instalments still to come. Instalments due before it are as they were.
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
	pre := append([]Prepayment(nil), in.Prepayments...)
	sort.SliceStable(pre, func(i, j int) bool { return pre[i].On.Before(pre[j].On) })
	outstanding := in.Principal
	for len(pre) > 0 && pre[0].On.Before(in.StudyEnd) { // repaid while studying
		outstanding -= min(pre[0].Fen, outstanding)
		pre = pre[1:]
	}
	share := outstanding / Fen(last-principalFrom+1)
	periodStart := in.StudyEnd
	var out []Instalment
	for y := first; y <= last; y++ {
		due := Civil(y, in.DueMonth, in.DueDay)
		var n int64
		from := periodStart
		for len(pre) > 0 && pre[0].On.Before(due) {
			n += int64(outstanding) * rateDays(from, pre[0].On, time.Time{}, in.Rates)
			outstanding -= min(pre[0].Fen, outstanding)
			from = pre[0].On
			pre = pre[1:]
			share = outstanding / Fen(last-max(y, principalFrom)+1)
		}
		n += int64(outstanding) * rateDays(from, due, time.Time{}, in.Rates)
		it := Instalment{DueOn: due, RateBP: in.Rates.YearRate(y, time.Time{}), Interest: roundInterest(n)}
		switch {
		case y < principalFrom:
			it.InterestOnly = true
		case y == last:
			it.Principal = outstanding
		case in.EqualInstalments:
			it.Principal = levelPrincipal(outstanding, it.Interest, last-y+1)
		default:
			it.Principal = min(share, outstanding)
		}
		outstanding -= it.Principal
		out = append(out, it)
		periodStart = due
	}
	return out
}

// levelPrincipal is the principal of an equal (annuity) instalment over n
// years left, at the rate this year's interest is of what is outstanding:
// payment = outstanding × i / (1 − (1 + i)^−n), the interest taken out. The
// factor is computed in floating point and the payment rounded to the fen;
// the last instalment takes what is left.
func levelPrincipal(outstanding, interest Fen, n int) Fen {
	if outstanding <= 0 || n <= 1 {
		return max(outstanding, 0)
	}
	if interest <= 0 {
		return outstanding / Fen(n)
	}
	i := float64(interest) / float64(outstanding)
	payment := Fen(math.Round(float64(outstanding) * i / (1 - math.Pow(1+i, -float64(n)))))
	return min(max(payment-interest, 0), outstanding)
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
