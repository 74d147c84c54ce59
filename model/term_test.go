package model_test

import (
	"testing"
	"time"

	"studentaid/model"
)

func TestParseTerm(t *testing.T) {
	for _, s := range []string{"2025-2026-1", "2025-2026-2", " 2019-2020-1 "} {
		if _, err := model.ParseTerm(s); err != nil {
			t.Errorf("ParseTerm(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "2025-2026", "2025-2026-3", "2025-2027-1", "2026-2025-1",
		"2025-2026-0", "25-26-1", "2025–2026-1", "2025-2026-11", "abcd-abce-1", "2025/2026-1", "1800-1801-1"} {
		if term, err := model.ParseTerm(s); err == nil {
			t.Errorf("ParseTerm(%q) = %q, want an error", s, term)
		}
	}
}

func TestParseSchoolYear(t *testing.T) {
	if err := model.ParseSchoolYear("2025-2026"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"2025-2025", "2025", "2025-2026-1", "２０２５-2026", "2025-20266"} {
		if model.ParseSchoolYear(s) == nil {
			t.Errorf("ParseSchoolYear(%q) accepted", s)
		}
	}
}

func TestTermParts(t *testing.T) {
	tests := []struct {
		term       model.Term
		schoolYear string
		start      string
		label      string
		next       model.Term
	}{
		{"2025-2026-1", "2025-2026", "2025-09-01", "2025-2026学年第一学期", "2025-2026-2"},
		{"2025-2026-2", "2025-2026", "2026-02-01", "2025-2026学年第二学期", "2026-2027-1"},
		{"1999-2000-2", "1999-2000", "2000-02-01", "1999-2000学年第二学期", "2000-2001-1"},
	}
	for _, tt := range tests {
		if got := tt.term.SchoolYear(); got != tt.schoolYear {
			t.Errorf("%s SchoolYear = %q", tt.term, got)
		}
		start := tt.term.Start()
		if start.Location() != model.Shanghai() || start.Format(time.DateTime) != tt.start+" 00:00:00" {
			t.Errorf("%s Start = %v", tt.term, start)
		}
		if got := tt.term.Label(); got != tt.label {
			t.Errorf("%s Label = %q", tt.term, got)
		}
		if got := tt.term.Next(); got != tt.next {
			t.Errorf("%s Next = %q", tt.term, got)
		}
		if _, err := model.ParseTerm(string(tt.term.Next())); err != nil {
			t.Errorf("%s Next is not a valid term: %v", tt.term, err)
		}
		if got := tt.term.Next().Previous(); got != tt.term {
			t.Errorf("%s Next.Previous = %q", tt.term, got)
		}
	}
}

func TestTermStartIsShanghaiMidnight(t *testing.T) {
	// 2025-08-31T16:00Z is the first instant of 1 September in Shanghai.
	want := time.Date(2025, 8, 31, 16, 0, 0, 0, time.UTC)
	if got := model.Term("2025-2026-1").Start(); !got.Equal(want) {
		t.Errorf("Start = %v, want %v", got.UTC(), want)
	}
}

func TestTermOf(t *testing.T) {
	sh := model.Shanghai()
	tests := []struct {
		at   time.Time
		want model.Term
	}{
		{time.Date(2025, 9, 1, 0, 0, 0, 0, sh), "2025-2026-1"},
		{time.Date(2025, 12, 31, 23, 59, 0, 0, sh), "2025-2026-1"},
		{time.Date(2026, 1, 31, 23, 59, 59, 0, sh), "2025-2026-1"},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, sh), "2025-2026-2"},
		{time.Date(2026, 8, 31, 23, 59, 59, 0, sh), "2025-2026-2"},
		// 16:30 UTC on 31 August is already 1 September in Shanghai.
		{time.Date(2025, 8, 31, 16, 30, 0, 0, time.UTC), "2025-2026-1"},
		{time.Date(2025, 8, 31, 15, 59, 0, 0, time.UTC), "2024-2025-2"},
		{time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC), "2025-2026-2"},
	}
	for _, tt := range tests {
		if got := model.TermOf(tt.at); got != tt.want {
			t.Errorf("TermOf(%v) = %q, want %q", tt.at, got, tt.want)
		}
		if !tt.want.Start().After(tt.at) && !tt.want.Next().Start().After(tt.at) {
			t.Errorf("%v is not inside %s", tt.at, tt.want)
		}
	}
}

func TestShanghaiIsCached(t *testing.T) {
	if model.Shanghai() != model.Shanghai() {
		t.Error("Shanghai() builds a new zone on each call")
	}
	_, offset := time.Date(2025, 7, 1, 0, 0, 0, 0, model.Shanghai()).Zone()
	if offset != 8*3600 {
		t.Errorf("offset = %d", offset)
	}
}
