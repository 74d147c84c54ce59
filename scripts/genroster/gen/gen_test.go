package gen_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/scripts/genroster/gen"
	"studentaid/service/roster"
)

func generate(t testing.TB, opt gen.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gen.Write(&buf, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseAs(t testing.TB, data []byte, schoolType string) *roster.Result {
	t.Helper()
	return parseAsCode(t, data, schoolType, "1430903001")
}

func parseAsCode(t testing.TB, data []byte, schoolType, code string) *roster.Result {
	t.Helper()
	school := roster.School{ID: 1, Code: code, Name: "测试学校", Type: schoolType}
	res, err := roster.Parse(bytes.NewReader(data), int64(len(data)), roster.Options{
		SchoolYear:    "2025-2026",
		Now:           time.Date(2025, 9, 1, 8, 0, 0, 0, model.Shanghai()),
		DefaultSchool: &school,
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func TestGeneratedRosterIsValid(t *testing.T) {
	for _, typ := range []string{roster.SchoolPrimary, roster.SchoolJunior, roster.SchoolNineYear, roster.SchoolSenior,
		roster.SchoolCompleteSecondary, roster.SchoolVocational} {
		t.Run(typ, func(t *testing.T) {
			data := generate(t, gen.Options{Rows: 500, SchoolCode: "1430903001", SchoolType: typ, SchoolYear: "2025-2026", Seed: 7})
			res := parseAs(t, data, typ)
			if res.Total != 500 || len(res.Rows) != 500 || len(res.Errors) != 0 {
				for _, e := range res.Errors[:min(5, len(res.Errors))] {
					t.Logf("row %d %s [%s]: %s", e.Row, e.Column, e.Value, e.Message)
				}
				t.Fatalf("total %d, valid %d, %d errors", res.Total, len(res.Rows), len(res.Errors))
			}
			withLevel := 0
			for _, r := range res.Rows {
				if r.Level != "" {
					withLevel++
				}
				birth, _ := r.IDNumber.BirthDate()
				age := 2025 - birth.Year()
				if grade := r.Grade + map[bool]int{true: 9}[r.Stage == roster.StageVocational]; age < grade+4 || age > grade+7 {
					t.Errorf("row %d: age %d in grade %d", r.Line, age, r.Grade)
				}
			}
			if withLevel < 250 || withLevel > 350 {
				t.Errorf("%d of 500 have a difficulty level, want about 60%%", withLevel)
			}
		})
	}
}

func TestGeneratedMistakesAreReported(t *testing.T) {
	data := generate(t, gen.Options{Rows: 500, SchoolCode: "1430903001", SchoolType: roster.SchoolPrimary, SchoolYear: "2025-2026", ErrorRate: 0.1, Seed: 3})
	res := parseAs(t, data, roster.SchoolPrimary)
	if res.Total != 500 || len(res.Errors) == 0 || len(res.Failed) > 100 {
		t.Fatalf("total %d, %d failed rows, %d errors", res.Total, len(res.Failed), len(res.Errors))
	}
	kinds := map[string]bool{}
	for _, e := range res.Errors {
		kinds[e.Column] = true
	}
	for _, col := range []string{roster.ColIDNumber, roster.ColName, roster.ColGrade} {
		if !kinds[col] {
			t.Errorf("no error in %s among:%v", col, kinds)
		}
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	opt := gen.Options{Rows: 50, SchoolCode: "1430903001", SchoolType: roster.SchoolVocational, SchoolYear: "2025-2026", ErrorRate: 0.2, Seed: 42}
	a, b := parseAs(t, generate(t, opt), roster.SchoolVocational), parseAs(t, generate(t, opt), roster.SchoolVocational)
	if fmt.Sprint(a.Rows, a.Errors) != fmt.Sprint(b.Rows, b.Errors) {
		t.Fatalf("the same seed gave different rosters")
	}
}

func TestWriteRejectsBadOptions(t *testing.T) {
	for _, opt := range []gen.Options{
		{Rows: 1, SchoolCode: "1430903001", SchoolType: "kindergarten", SchoolYear: "2025-2026"},
		{Rows: 1, SchoolCode: "1430903001", SchoolType: "primary", SchoolYear: "2025"},
		{Rows: 1, SchoolCode: "143", SchoolType: "primary", SchoolYear: "2025-2026"},
		{Rows: 1, SchoolCode: "1430903001", SchoolType: "primary", SchoolYear: "2025-2026", ErrorRate: 2},
	} {
		if err := gen.Write(&bytes.Buffer{}, opt); err == nil {
			t.Errorf("%+v was accepted", opt)
		}
	}
}

func BenchmarkWrite10k(b *testing.B) {
	opt := gen.Options{Rows: 10000, SchoolCode: "1430903001", SchoolType: roster.SchoolNineYear, SchoolYear: "2025-2026", Seed: 1}
	for b.Loop() {
		generate(b, opt)
	}
}

func BenchmarkParse10k(b *testing.B) {
	data := generate(b, gen.Options{Rows: 10000, SchoolCode: "1430903001", SchoolType: roster.SchoolNineYear, SchoolYear: "2025-2026", ErrorRate: 0.02, Seed: 1})
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		parseAs(b, data, roster.SchoolNineYear)
	}
}

// The demo's county mix: a home county, leavers, and pupils who moved from
// one school to another within the year.
func TestHomeStatusesAndTransfers(t *testing.T) {
	from := gen.Options{Rows: 40, SchoolCode: "1430903002", SchoolType: roster.SchoolPrimary, SchoolYear: "2025-2026", Seed: 3,
		Home: "430923", Statuses: map[int]string{4: "转出", 9: "转出", 12: "辍学"}}
	old := generate(t, from)
	oldRows := map[int]roster.Row{}
	homes := 0
	for i, r := range parseAsCode(t, old, roster.SchoolPrimary, from.SchoolCode).Rows {
		oldRows[i] = r
		if r.IDNumber.String()[:6] == "430923" {
			homes++
		}
	}
	if homes < 30 {
		t.Errorf("%d of 40 born in the home county", homes)
	}
	for i, want := range from.Statuses {
		if got := oldRows[i].Status; got != want {
			t.Errorf("row %d status %q, want %q", i, got, want)
		}
	}
	res := parseAs(t, generate(t, gen.Options{Rows: 10, SchoolCode: "1430903001", SchoolType: roster.SchoolNineYear,
		SchoolYear: "2025-2026", Seed: 4, TransfersIn: &gen.Transfer{From: from, Rows: []int{4, 9}}}), roster.SchoolNineYear)
	if len(res.Rows) != 12 || len(res.Errors) != 0 {
		t.Fatalf("%d rows, %d errors", len(res.Rows), len(res.Errors))
	}
	for i, src := range []int{4, 9} {
		got, was := res.Rows[i], oldRows[src]
		if got.IDNumber != was.IDNumber || got.Grade != was.Grade || got.Status != model.StatusEnrolled {
			t.Errorf("transfer %d: %s grade %d %s, was %s grade %d", i, got.IDNumber, got.Grade, got.Status, was.IDNumber, was.Grade)
		}
	}
}
