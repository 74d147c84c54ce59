package service_test

import (
	"strings"
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// Eligibility per program as the calculation reads it from the files: the
// enrolment, the difficulty record of the school year, the household and
// home county (连片), and the standard in force for the term's start.
func TestUnitCalculationEligibilityPerProgram(t *testing.T) {
	rows := []struct {
		name    string
		program string
		p       pupil
		fen     model.Fen // the term's amount; 0: not eligible
		want    string    // the rule (eligible) or the reason (not)
	}{
		{"boarder with a difficulty record of any level gets the primary rate", "boarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: "general"}, 62500, "寄宿生·一般困难"},
		{"junior boarder at a nine-year school gets the junior rate", "boarding",
			pupil{School: "2143092102", Stage: "junior", Grade: 8, Boarding: flag(true), Level: "hard"}, 75000, "寄宿生·困难"},
		{"boarder without a difficulty record is refused", "boarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true)}, 0, "未认定"},
		{"day pupil is not a boarder", "boarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(false), Level: "hard"}, 0, "非寄宿生"},
		{"a pupil who dropped out is refused with the status named", "boarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: "hard", Status: "辍学"}, 0, "学籍状态为辍学"},
		{"day pupil in 农村低保 gets half the boarder rate", "nonboarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(false), Level: "hard", Categories: "孤儿、农村低保"}, 31250, "非寄宿生·农村低保"},
		{"day pupil in 城镇低保 only is refused", "nonboarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(false), Level: "hard", Categories: "城镇低保"}, 0, "困难类型不属于"},
		{"a boarder is refused the day-pupil subsidy", "nonboarding",
			pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: "hard", Categories: "农村低保"}, 0, "寄宿生"},
		{"vocational 特别困难 gets the special tier", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J1", Level: "special"}, 165000, "家庭经济困难·特别困难"},
		{"vocational 涉农 without a level gets the base amount", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 2, StudentNo: "J2", AgriMajor: true}, 115000, "涉农专业"},
		{"vocational rural with 户籍 in 安化县 (连片) gets the base amount", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J3", Household: "农村", HomeRegion: "430923"}, 115000, "连片特困地区农村户籍"},
		{"vocational rural, 连片 by the ID number's county", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J4", Household: "农村", ID: residentID("430923", "20090301", 4)}, 115000, "连片特困地区农村户籍"},
		{"vocational rural outside the area is refused", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J5", Household: "农村", HomeRegion: "430922"}, 0, "未认定家庭经济困难"},
		{"vocational urban in the area is refused", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, StudentNo: "J6", Household: "城镇", HomeRegion: "430923"}, 0, "未认定家庭经济困难"},
		{"vocational without 学籍号 is refused", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 1, Level: "hard"}, 0, "无学籍号"},
		{"vocational grade 3 is eligible from 2025", "vocational_grant",
			pupil{School: nanxianVocational, Stage: "vocational", Grade: 3, StudentNo: "J7", Level: "general"}, 65000, "家庭经济困难·一般困难"},
		{"senior 特别困难 tier", "senior_grant", pupil{School: nanxianSenior, Stage: "senior", Grade: 10, Level: "special"}, 165000, "特别困难"},
		{"senior 困难 tier", "senior_grant", pupil{School: nanxianSenior, Stage: "senior", Grade: 11, Level: "hard"}, 115000, "家庭经济困难·困难"},
		{"senior 一般困难 tier", "senior_grant", pupil{School: nanxianSenior, Stage: "senior", Grade: 12, Level: "general"}, 65000, "一般困难"},
		{"senior without a difficulty record is refused", "senior_grant", pupil{School: nanxianSenior, Stage: "senior", Grade: 10}, 0, "未认定"},
		{"a senior who graduated is refused", "senior_grant",
			pupil{School: nanxianSenior, Stage: "senior", Grade: 12, Level: "hard", Status: "毕业"}, 0, "学籍状态为毕业"},
	}
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		f := newUnitFix(t, env)
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = f.student(r.p).ID
		}
		type list struct{ program, school string }
		results := map[list]service.CalcResult{}
		for _, r := range rows {
			l := list{r.program, r.p.School}
			if _, done := results[l]; !done {
				results[l] = f.calculate(r.program, autumn, r.p.School)
			}
		}
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				ent, ok := f.entitlementOf(ids[i], r.program, autumn)
				if r.fen > 0 {
					if !ok || ent.AmountFen != r.fen || ent.AnnualFen != 2*r.fen || !strings.Contains(ent.Rule, r.want) || ent.Status != model.EntDraft {
						t.Fatalf("want a draft of %d fen by %q, got %+v (found %v)", r.fen, r.want, ent, ok)
					}
					return
				}
				if ok {
					t.Fatalf("not eligible, yet on the list: %+v", ent)
				}
				reason := ""
				for _, in := range results[list{r.program, r.p.School}].Ineligible {
					if in.StudentID == ids[i] {
						reason = in.Reason
					}
				}
				if !strings.Contains(reason, r.want) {
					t.Fatalf("reason %q, want one saying %q", reason, r.want)
				}
			})
		}

		// A second calculation of the same files writes nothing: no row
		// changes and no audit entry.
		var before []model.Entitlement
		env.DB.Order("id").Find(&before)
		audits := f.count("SELECT COUNT(*) FROM audit_entries")
		env.Clock.Advance(time.Hour)
		for l, first := range results {
			again := f.calculate(l.program, autumn, l.school)
			if again.Created+again.Updated+again.Removed+again.Adjustments != 0 || again.Unchanged != first.Created ||
				again.TotalFen != first.TotalFen {
				t.Errorf("%s at %s: second calculation %+v after %+v", l.program, l.school, again, first)
			}
		}
		var after []model.Entitlement
		env.DB.Order("id").Find(&after)
		if len(after) != len(before) {
			t.Fatalf("%d entitlements after the second calculation, %d before", len(after), len(before))
		}
		for i := range before {
			if !before[i].UpdatedAt.Equal(after[i].UpdatedAt) || before[i].AmountFen != after[i].AmountFen {
				t.Errorf("entitlement %d rewritten: %+v → %+v", before[i].ID, before[i], after[i])
			}
		}
		if n := f.count("SELECT COUNT(*) FROM audit_entries"); n != audits {
			t.Errorf("the second calculation wrote %d audit entries", n-audits)
		}
	})
}

// 指标: a school's quota admits by difficulty level first, then by the number
// of difficulty categories, then by a keyed hash of the ID number, never by
// the order of upload.
func TestUnitCalculationQuotaRanking(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		f := newUnitFix(t, env)
		boarder := func(level, cats string) pupil {
			return pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: level, Categories: cats}
		}
		// Uploaded in this order; the tie of the last two goes by the hash,
		// so the one uploaded first is given the higher hash.
		idA, idB := residentID("430921", "20150301", 901), residentID("430921", "20150301", 902)
		if env.Keys.Lookup("id", "居民身份证:"+idA) < env.Keys.Lookup("id", "居民身份证:"+idB) {
			idA, idB = idB, idA
		}
		tieLate, tieEarly := boarder("hard", "孤儿、残疾"), boarder("hard", "农村低保、残疾")
		tieEarly.ID, tieLate.ID = idA, idB
		rows := []struct {
			name  string
			p     pupil
			admit bool
		}{
			{"一般困难 with three categories is ranked after every 困难", boarder("general", "孤儿、农村低保、残疾"), false},
			{"困难 with one category is ranked after 困难 with two", boarder("hard", "孤儿"), false},
			{"困难 with two categories, uploaded first, loses the tie by hash", tieEarly, false},
			{"特别困难 without categories comes first", boarder("special", ""), true},
			{"困难 with two categories, uploaded last, wins the tie by its lower hash", tieLate, true},
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = f.student(r.p).ID
		}
		two := 2
		if _, err := env.Svc.Entitlements.SetQuota(f.ctx, f.county, service.QuotaInput{
			ListRef: service.ListRef{Program: "boarding", Term: autumn, SchoolID: f.school(nanzhouPrimary).ID}, MaxCount: &two}); err != nil {
			t.Fatal(err)
		}
		res := f.calculate("boarding", autumn, nanzhouPrimary)
		if res.Count != 2 || res.TotalFen != 2*62500 {
			t.Fatalf("quota of 2: %+v", res)
		}
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				_, on := f.entitlementOf(ids[i], "boarding", autumn)
				if on != r.admit {
					t.Fatalf("on the list: %v, want %v", on, r.admit)
				}
				if r.admit {
					return
				}
				for _, in := range res.Ineligible {
					if in.StudentID == ids[i] && strings.Contains(in.Reason, "超出学校资助名额（指标 2 人") {
						return
					}
				}
				t.Fatalf("no quota reason for the student in %+v", res.Ineligible)
			})
		}
	})
}

// A student gets one program once per term across every school: the second
// school's calculation leaves them out, and only the county is told which
// school pays them.
func TestUnitCalculationOncePerTermAcrossSchools(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		f := newUnitFix(t, env)
		p := pupil{School: nanzhouPrimary, Stage: "primary", Boarding: flag(true), Level: "hard"}
		st := f.student(p)
		p.School, p.Level = "2143092102", "" // the difficulty record is the student's, once a year
		f.enrol(st, p)
		f.calculate("boarding", autumn, nanzhouPrimary)
		second := f.school("2143092102")
		school := model.Actor{Username: "school_maocaojie", Role: model.RoleSchoolOfficer, SchoolID: second.ID}
		for _, r := range []struct {
			name   string
			actor  model.Actor
			reason string
		}{
			{"the county is told the school that pays", f.county, "已在其他学校享受（南县南洲镇中心小学）"},
			{"the other school is not told which", school, "已在其他学校享受"},
		} {
			t.Run(r.name, func(t *testing.T) {
				res, err := env.Svc.Entitlements.CalculateEntitlements(f.ctx, r.actor,
					service.CalcRequest{Program: "boarding", Term: autumn, SchoolID: second.ID})
				if err != nil {
					t.Fatal(err)
				}
				if res.Created != 0 || len(res.Ineligible) != 1 || res.Ineligible[0].Reason != r.reason {
					t.Fatalf("second school: %+v", res)
				}
				if ent, _ := f.entitlementOf(st.ID, "boarding", autumn); ent.SchoolID != f.school(nanzhouPrimary).ID {
					t.Fatalf("the entitlement moved: %+v", ent)
				}
			})
		}
	})
}
