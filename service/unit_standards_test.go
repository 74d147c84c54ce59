package service_test

import (
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// POLICY.md "Which row applies": for a term, the national row and the
// county's row in force at the term's start (effective_from ≤ start), the
// higher of the two; a county row below the national row in force on its
// own date is refused, naming the national figure.
func TestUnitStandardsPrecedence(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		f := newUnitFix(t, env)
		// 南县's rows, above the national figures in force on their dates.
		f.standard("vocational_grant", "vocational", "special", "430921", "2025-09-01", 360000)
		f.standard("boarding", "primary", "", "430921", "2025-09-02", 130000)
		f.standard("senior_grant", "senior", "hard", "430921", "2025-01-01", 240000)
		f.standard("vocational_grant", "vocational", "hard", "430921", "2024-12-31", 210000) // national 2000 then
		f.standard("nonboarding", "primary", "", "430921", "2024-01-01", 62500)              // equal is not below
		// A national raise after the county's row.
		f.standard("senior_grant", "senior", "hard", "", "2025-09-01", 250000)

		inForce := []struct {
			name                        string
			program, stage, level, term string
			region                      string
			annual                      model.Fen
			from                        string // the region of the row that applies
		}{
			{"a county row dated the term's first day applies, above the national", "vocational_grant", "vocational", "special", "2025-2026-1", "430921", 360000, "430921"},
			{"another county keeps the national row", "vocational_grant", "vocational", "special", "2025-2026-1", "430922", 330000, ""},
			{"a county row dated a day after the term's start is not in force", "boarding", "primary", "", "2025-2026-1", "430921", 125000, ""},
			{"that county row applies from the next term", "boarding", "primary", "", "2025-2026-2", "430921", 130000, "430921"},
			{"the county row is higher before the national raise", "senior_grant", "senior", "hard", "2024-2025-2", "430921", 240000, "430921"},
			{"a later national raise above the county row wins", "senior_grant", "senior", "hard", "2025-2026-1", "430921", 250000, ""},
			{"a county row above the national of its date loses to the national raise", "vocational_grant", "vocational", "hard", "2024-2025-2", "430921", 230000, ""},
			{"a county row equal to the national one is taken", "nonboarding", "primary", "", "2025-2026-1", "430921", 62500, "430921"},
		}
		for _, r := range inForce {
			t.Run(r.name, func(t *testing.T) {
				rows, err := env.Svc.Standards.ListStandards(f.ctx, service.StandardFilter{Program: r.program, RegionCode: r.region,
					On: model.Term(r.term).Start()})
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range rows {
					if st.Stage == r.stage && st.Level == r.level {
						if st.AnnualFen != r.annual || st.RegionCode != r.from {
							t.Fatalf("in force: %d fen of %q, want %d of %q", st.AnnualFen, st.RegionCode, r.annual, r.from)
						}
						return
					}
				}
				t.Fatalf("no row in force among %+v", rows)
			})
		}

		// The calculation pays what is in force: 南县's 特别困难 tier.
		st := f.student(pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J1", Level: "special"})
		f.calculate("vocational_grant", "2025-2026-1", nanxianVocational)
		if ent, ok := f.entitlementOf(st.ID, "vocational_grant", "2025-2026-1"); !ok || ent.AmountFen != 180000 {
			t.Fatalf("calculated %+v, want the county's 180000 fen", ent)
		}

		refused := []struct {
			name, program, stage, level, from string
			annual                            model.Fen
			says                              []string
		}{
			{"a county tier below the national tier in force", "vocational_grant", "vocational", "general", "2025-09-01", 120000,
				[]string{"不得低于国家标准", "2025-09-01", "1,300.00", "1,200.00"}},
			{"a county row below the national row of its own earlier date", "boarding", "primary", "", "2023-09-01", 90000,
				[]string{"1,000.00", "900.00"}},
			{"a county base row below the national base row", "senior_grant", "senior", "", "2025-02-01", 229998,
				[]string{"2,300.00", "2,299.98"}},
		}
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				before := f.count("SELECT COUNT(*) FROM standards")
				_, err := f.addStandard(r.program, r.stage, r.level, "430921", r.from, r.annual)
				wantErr(t, err, service.CodeInvalid, r.says...)
				if n := f.count("SELECT COUNT(*) FROM standards"); n != before {
					t.Fatalf("a refused row was stored (%d rows, %d before)", n, before)
				}
			})
		}
	})
}
