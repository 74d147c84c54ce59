package model

import "time"

// WorkdayCalendar says which dates are working days for counting the public
// notice period (POLICY.md: at least 5 working days; Saturdays and Sundays
// do not count). Dates are "2006-01-02" in Shanghai. Holidays are the State
// Council's public holidays; ExtraWorkdays are the weekend days that the
// same notice turns into working days (调休). A date in both maps counts as a
// holiday: the notice period then comes out longer, never shorter.
type WorkdayCalendar struct {
	Holidays      map[string]bool
	ExtraWorkdays map[string]bool
}

// IsWorkingDay reports whether the Shanghai date of day is a working day.
func (c WorkdayCalendar) IsWorkingDay(day time.Time) bool {
	day = day.In(shanghai)
	key := day.Format(time.DateOnly)
	if c.Holidays[key] {
		return false
	}
	if c.ExtraWorkdays[key] {
		return true
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the instant at which a notice period that started
// at start has run for days working days.
//
// The day the notice goes up does not count (it is rarely a full day):
// counting starts on the next calendar day in Shanghai, and the period ends
// at 00:00 Shanghai of the day after the last counted working day, so the
// whole of that day belongs to the notice. days ≤ 0 returns start itself,
// which is how trials run with STUDENTAID_NOTICE_WORKING_DAYS=0.
func (c WorkdayCalendar) AddWorkingDays(start time.Time, days int) time.Time {
	if days <= 0 {
		return start
	}
	local := start.In(shanghai)
	// time.Date normalises day overflow, so stepping the day field walks
	// calendar days without any 24-hour arithmetic.
	y, m, d := local.Date()
	for counted := 0; ; {
		d++
		day := time.Date(y, m, d, 0, 0, 0, 0, shanghai)
		if c.IsWorkingDay(day) {
			counted++
			if counted == days {
				return day.AddDate(0, 0, 1)
			}
		}
	}
}

// AddWorkingDays is WorkdayCalendar.AddWorkingDays with public holidays
// only, for callers that keep no 调休 list.
func AddWorkingDays(start time.Time, days int, holidays map[string]bool) time.Time {
	return WorkdayCalendar{Holidays: holidays}.AddWorkingDays(start, days)
}
