package service_test

import (
	"testing"
	"time"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// 认定更正: the county corrects the level a paid term was approved with; the
// difference becomes a draft adjustment, the paid entitlement stays as it
// was, and later calculations keep to the corrected record.
func TestUnitCorrectEntitlement(t *testing.T) {
	const topUp, recovery = "补发：认定更正", "扣回：认定更正"
	senior := func(level string) pupil {
		return pupil{School: nanxianSenior, Stage: "senior", Grade: 11, Level: level}
	}
	cases := []struct {
		name    string
		level   string // paid at: a senior grant, or boarding at 困难 when boarder
		boarder bool
		to      string // the level corrected to
		stage   string // the stage corrected to
		then    func(f *unitFix, e model.Entitlement)
		want    []adjWant
	}{
		{"an upgraded level makes a 补发 of the difference", "general", false, "困难", "", nil,
			[]adjWant{{50000, model.AdjDraft, topUp}}},
		{"a downgraded level makes a 扣回 of the difference", "special", false, "general", "", nil,
			[]adjWant{{-100000, model.AdjDraft, recovery}}},
		{"a level changed later in the year does not reach the corrected term", "general", false, "hard", "",
			func(f *unitFix, e model.Entitlement) {
				f.exec("UPDATE difficulty_records SET level = 'special' WHERE student_id = ?", e.StudentID)
			},
			[]adjWant{{50000, model.AdjDraft, topUp}}},
		{"once settled, a raised standard tops up at the corrected level", "general", false, "hard", "",
			func(f *unitFix, e model.Entitlement) {
				ids := []int64{f.adjustments(e.ID)[0].ID}
				f.env.Clock.Advance(time.Hour) // approved an hour after the correction
				if _, err := f.env.Svc.Entitlements.ApproveAdjustments(f.ctx, f.county, ids, ""); err != nil {
					f.t.Fatal(err)
				}
				f.standard("senior_grant", "senior", "hard", "430921", "2025-09-01", 240000)
			},
			[]adjWant{{50000, model.AdjApproved, topUp}, {5000, model.AdjDraft, "补发：资助标准调整"}}},
		{"a boarder's stage corrected to junior tops up to the junior rate", "hard", true, "", "junior", nil,
			[]adjWant{{12500, model.AdjDraft, topUp}}},
		{"a boarder's level corrected changes no amount: the subsidy has no tiers", "hard", true, "special", "", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
				f := newUnitFix(t, env)
				p, program := senior(c.level), "senior_grant"
				if c.boarder {
					p, program = boarderAtNanzhou, "boarding"
				}
				e := f.paidOne(p, program)
				out, err := env.Svc.Entitlements.CorrectEntitlement(f.ctx, f.county, e.ID,
					service.CorrectRequest{Level: c.to, Stage: c.stage, Reason: "认定时录入错误"})
				if err != nil {
					t.Fatal(err)
				}
				if out.Before.Level != c.level || (len(c.want) > 0) != (out.Adjustment != nil) ||
					(out.Adjustment != nil && out.Adjustment.AmountFen != c.want[0].fen) {
					t.Fatalf("corrected: %+v", out)
				}
				if c.then != nil {
					c.then(f, e)
				}
				f.calculate(program, autumn, p.School)
				wantAdjustments(t, f.adjustments(e.ID), c.want)
				if now, _ := f.entitlementOf(e.StudentID, program, autumn); now.Level != c.level || now.AmountFen != e.AmountFen {
					t.Fatalf("the paid entitlement was edited: %+v → %+v", e, now)
				}
			})
		})
	}
	refused := []struct {
		name     string
		to       string
		inFlight bool
		code     service.Code
		says     string
	}{
		{"the record as it is needs no correction", "hard", false, service.CodeInvalid, "无需更正"},
		{"an unknown level", "很困难", false, service.CodeInvalid, "困难等级应为"},
		{"a top-up awaiting the bank", "special", true, service.CodeConflict, "正在发放中"},
	}
	for _, r := range refused {
		t.Run("refused: "+r.name, func(t *testing.T) {
			servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
				f := newUnitFix(t, env)
				e := f.paidOne(senior("hard"), "senior_grant")
				var want []adjWant
				if r.inFlight {
					f.inFlight(e, f.standard("senior_grant", "senior", "hard", "430921", "2025-08-01", 240000), 5000)
					want = []adjWant{{5000, model.AdjBatched, ""}}
				}
				_, err := env.Svc.Entitlements.CorrectEntitlement(f.ctx, f.county, e.ID, service.CorrectRequest{Level: r.to, Reason: "更正"})
				wantErr(t, err, r.code, r.says)
				wantAdjustments(t, f.adjustments(e.ID), want)
				if n := f.count("SELECT COUNT(*) FROM corrections"); n != 0 {
					t.Fatalf("%d corrections stored", n)
				}
			})
		})
	}
}
