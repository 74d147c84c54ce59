package model

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// shanghai is a fixed UTC+8 zone rather than time.LoadLocation("Asia/Shanghai")
// so that minimal servers without tzdata behave the same; China has had no
// daylight saving since 1991, so the two agree for every date we handle.
var shanghai = time.FixedZone("CST", 8*3600)

// Shanghai is the zone every date in the policy (term starts, notice
// periods, ledger timestamps) is read in.
func Shanghai() *time.Location { return shanghai }

// Term is one half of a school year: "2025-2026-1" is the autumn term that
// starts 1 September 2025, "2025-2026-2" the spring term that starts
// 1 February 2026. Aid is calculated and paid per term.
type Term string

// ParseTerm validates a term such as "2025-2026-1": two consecutive years
// and part 1 (autumn) or 2 (spring).
func ParseTerm(s string) (Term, error) {
	s = strings.TrimSpace(s)
	if len(s) != 11 || s[9] != '-' || (s[10] != '1' && s[10] != '2') {
		return "", errors.New("学期格式应为 2025-2026-1（秋季）或 2025-2026-2（春季）")
	}
	if err := ParseSchoolYear(s[:9]); err != nil {
		return "", err
	}
	return Term(s), nil
}

// ParseSchoolYear validates a school year such as "2025-2026".
func ParseSchoolYear(s string) error {
	_, err := parseSchoolYear(s)
	return err
}

// parseSchoolYear returns the first calendar year of a school year.
func parseSchoolYear(s string) (int, error) {
	first, second, ok := strings.Cut(s, "-")
	if !ok || len(first) != 4 || len(second) != 4 || !yuanDigitsOnly(first) || !yuanDigitsOnly(second) {
		return 0, errors.New("学年格式应为 2025-2026")
	}
	y1, _ := strconv.Atoi(first)
	y2, _ := strconv.Atoi(second)
	if y1 < 1900 || y2 != y1+1 {
		return 0, errors.New("学年的两个年份应相邻，如 2025-2026")
	}
	return y1, nil
}

// firstYear and part assume a term that came from ParseTerm, TermOf or Next.
func (t Term) firstYear() int {
	y, _ := strconv.Atoi(string(t)[:min(len(t), 4)])
	return y
}

func (t Term) autumn() bool { return strings.HasSuffix(string(t), "-1") }

// SchoolYear is "2025-2026" for "2025-2026-1".
func (t Term) SchoolYear() string { return string(t)[:min(len(t), 9)] }

// Start is midnight in Shanghai of the term's first day; POLICY.md: a
// standard applies to a term when its effective_from ≤ this date.
func (t Term) Start() time.Time {
	if t.autumn() {
		return time.Date(t.firstYear(), time.September, 1, 0, 0, 0, 0, shanghai)
	}
	return time.Date(t.firstYear()+1, time.February, 1, 0, 0, 0, 0, shanghai)
}

// Label is the wording used in ledgers and bank memos:
// "2025-2026学年第一学期".
func (t Term) Label() string {
	if t.autumn() {
		return t.SchoolYear() + "学年第一学期"
	}
	return t.SchoolYear() + "学年第二学期"
}

// Next is the term after t: autumn → spring of the same school year,
// spring → autumn of the next one.
func (t Term) Next() Term {
	y := t.firstYear()
	if t.autumn() {
		return Term(strconv.Itoa(y) + "-" + strconv.Itoa(y+1) + "-2")
	}
	return Term(strconv.Itoa(y+1) + "-" + strconv.Itoa(y+2) + "-1")
}

// Previous is the term before t: spring → autumn of the same school year,
// autumn → spring of the year before.
func (t Term) Previous() Term {
	y := t.firstYear()
	if t.autumn() {
		return Term(strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-2")
	}
	return Term(strconv.Itoa(y) + "-" + strconv.Itoa(y+1) + "-1")
}

// TermOf is the term in progress at an instant, read in Shanghai: September
// to January is the autumn term, February to August the spring term (the
// summer holiday belongs to the spring term it follows).
func TermOf(at time.Time) Term {
	at = at.In(shanghai)
	y, m := at.Year(), at.Month()
	switch {
	case m >= time.September:
		return Term(strconv.Itoa(y) + "-" + strconv.Itoa(y+1) + "-1")
	case m == time.January:
		return Term(strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-1")
	default:
		return Term(strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-2")
	}
}
