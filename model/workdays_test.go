package model_test

import (
	"testing"
	"time"

	"studentaid/model"
)

func TestAddWorkingDays(t *testing.T) {
	sh := model.Shanghai()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 国务院办公厅 2025 arrangement: 1–8 October off, Sunday 28 September and
	// Saturday 11 October worked.
	holidays := map[string]bool{}
	for d := 1; d <= 8; d++ {
		holidays[time.Date(2025, 10, d, 0, 0, 0, 0, sh).Format(time.DateOnly)] = true
	}
	extra := map[string]bool{"2025-09-28": true, "2025-10-11": true}

	tests := []struct {
		name  string
		start string
		days  int
		cal   model.WorkdayCalendar
		want  string
	}{
		{"zero days is the start itself", "2025-09-03 10:17", 0, model.WorkdayCalendar{}, "2025-09-03 10:17"},
		{"negative days is the start itself", "2025-09-03 10:17", -2, model.WorkdayCalendar{}, "2025-09-03 10:17"},
		{"one day: the next working day is counted whole", "2025-09-01 09:00", 1, model.WorkdayCalendar{}, "2025-09-03 00:00"},
		{"Monday + 5 crosses one weekend", "2025-09-01 09:00", 5, model.WorkdayCalendar{}, "2025-09-09 00:00"},
		{"Friday + 5 skips the weekend", "2025-09-05 17:30", 5, model.WorkdayCalendar{}, "2025-09-13 00:00"},
		{"posted on Saturday counts from Monday", "2025-09-06 11:00", 5, model.WorkdayCalendar{}, "2025-09-13 00:00"},
		{"late evening start still excludes that day", "2025-09-01 23:59", 1, model.WorkdayCalendar{}, "2025-09-03 00:00"},
		{"National Day without 调休", "2025-09-29 09:00", 5, model.WorkdayCalendar{Holidays: holidays}, "2025-10-15 00:00"},
		{"National Day with 调休 Saturday", "2025-09-29 09:00", 5, model.WorkdayCalendar{Holidays: holidays, ExtraWorkdays: extra}, "2025-10-14 00:00"},
		{"调休 Sunday counts", "2025-09-26 09:00", 2, model.WorkdayCalendar{ExtraWorkdays: extra}, "2025-09-30 00:00"},
		{"holiday wins over an extra working day", "2025-09-26 09:00", 2, model.WorkdayCalendar{Holidays: map[string]bool{"2025-09-28": true}, ExtraWorkdays: extra}, "2025-10-01 00:00"},
		{"across the new year", "2025-12-30 10:00", 3, model.WorkdayCalendar{Holidays: map[string]bool{"2026-01-01": true}}, "2026-01-06 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddWorkingDays(at(tt.start), tt.days)
			if want := at(tt.want); !got.Equal(want) {
				t.Errorf("got %v, want %v", got.In(sh), want)
			}
		})
	}
}

func TestAddWorkingDaysReadsStartInShanghai(t *testing.T) {
	// 2025-09-05 17:00 UTC is already Saturday 6 September 01:00 in Shanghai.
	start := time.Date(2025, 9, 5, 17, 0, 0, 0, time.UTC)
	got := model.AddWorkingDays(start, 1, nil)
	want := time.Date(2025, 9, 9, 0, 0, 0, 0, model.Shanghai())
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIsWorkingDay(t *testing.T) {
	cal := model.WorkdayCalendar{Holidays: map[string]bool{"2025-10-01": true}, ExtraWorkdays: map[string]bool{"2025-09-28": true}}
	sh := model.Shanghai()
	for day, want := range map[string]bool{"2025-09-26": true, "2025-09-27": false, "2025-09-28": true, "2025-10-01": false, "2025-10-02": true} {
		d, _ := time.ParseInLocation(time.DateOnly, day, sh)
		if got := cal.IsWorkingDay(d); got != want {
			t.Errorf("%s: IsWorkingDay = %v", day, got)
		}
	}
}
