package service_test

import (
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// A standard changed for a paid term makes a draft 补发 or 扣回 of the
// difference between what is due and what was received, less top-ups on
// their way; the paid entitlement itself is never edited.
func TestUnitAdjustmentsAfterPayment(t *testing.T) {
	const topUp, recovery = "补发：资助标准调整", "扣回：资助标准调整"
	cases := []struct {
		name   string
		before func(f *unitFix)                      // before the list is calculated
		after  func(f *unitFix, e model.Entitlement) // once it is paid, before the recalculation
		want   []adjWant
	}{
		{"a raised standard makes a 补发 of the difference", nil,
			func(f *unitFix, e model.Entitlement) {
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			},
			[]adjWant{{2500, model.AdjDraft, topUp}}},
		{"a lowered standard makes a 扣回 of the difference",
			func(f *unitFix) { f.standard("boarding", "primary", "", "430921", "2025-08-01", 140000) },
			func(f *unitFix, e model.Entitlement) {
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			},
			[]adjWant{{-5000, model.AdjDraft, recovery}}},
		{"a raise dated after the term's start changes nothing", nil,
			func(f *unitFix, e model.Entitlement) {
				f.standard("boarding", "primary", "", "430921", "2025-09-02", 130000)
			},
			nil},
		{"no recovery while a top-up is in a batch awaiting the bank", nil,
			func(f *unitFix, e model.Entitlement) {
				f.inFlight(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500)
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 126000)
			},
			[]adjWant{{2500, model.AdjBatched, ""}}},
		{"a top-up in an unpaid batch is not received: a further raise tops up the rest", nil,
			func(f *unitFix, e model.Entitlement) {
				f.inFlight(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500)
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 132000)
			},
			[]adjWant{{2500, model.AdjBatched, ""}, {1000, model.AdjDraft, topUp}}},
		{"a failed line is not received", nil,
			func(f *unitFix, e model.Entitlement) {
				f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed})
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			},
			[]adjWant{{2500, model.AdjDraft, topUp}}},
		{"a paid top-up is received: a lower standard recovers the excess", nil,
			func(f *unitFix, e model.Entitlement) {
				adj := f.adjustment(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500, model.AdjPaid)
				f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Adj: &adj, Fen: 2500})
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 126000)
			},
			[]adjWant{{2500, model.AdjPaid, ""}, {-2000, model.AdjDraft, recovery}}},
		{"after an approved 扣回, a national raise tops up from what is kept",
			func(f *unitFix) { f.standard("boarding", "primary", "", "430921", "2025-08-01", 140000) },
			func(f *unitFix, e model.Entitlement) {
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
				f.calculate("boarding", autumn, nanzhouPrimary)
				ids := []int64{f.adjustments(e.ID)[0].ID}
				if _, err := f.env.Svc.Entitlements.ApproveAdjustments(f.ctx, f.county, ids, ""); err != nil {
					f.t.Fatal(err)
				}
				f.standard("boarding", "primary", "", "", "2025-09-01", 135000) // above the county's 1300
			},
			[]adjWant{{-5000, model.AdjToRecover, recovery}, {2500, model.AdjDraft, topUp}}},
		{"a standard back in force after another was paid recovers the excess under it again", nil,
			func(f *unitFix, e model.Entitlement) {
				// The county's 1300 tops up and is paid; a national 1350 tops
				// up and is paid; a national 1200 puts the county's 1300 back
				// in force: 25.00 was paid too much.
				county := f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000)
				adj := f.adjustment(e, county, 2500, model.AdjPaid)
				f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Adj: &adj, Fen: 2500})
				raised := f.adjustment(e, f.standard("boarding", "primary", "", "", "2025-08-15", 135000), 2500, model.AdjPaid)
				f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Adj: &raised, Fen: 2500})
				f.standard("boarding", "primary", "", "", "2025-08-20", 120000)
			},
			[]adjWant{{2500, model.AdjPaid, ""}, {2500, model.AdjPaid, ""}, {-2500, model.AdjDraft, recovery}}},
		{"after a late finding's recovery a raise plans nothing", nil,
			func(f *unitFix, e model.Entitlement) {
				if _, err := f.env.Svc.Entitlements.RecoverEntitlements(f.ctx, f.county, []int64{e.ID}, "重复享受"); err != nil {
					f.t.Fatal(err)
				}
				f.standard("boarding", "primary", "", "430921", "2025-09-01", 130000)
			},
			[]adjWant{{-62500, model.AdjToRecover, "扣回：重复享受"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
				f := newUnitFix(t, env)
				if c.before != nil {
					c.before(f)
				}
				e := f.paidOne(boarderAtNanzhou, "boarding")
				c.after(f, e)
				res := f.calculate("boarding", autumn, nanzhouPrimary)
				wantAdjustments(t, f.adjustments(e.ID), c.want)
				if now, _ := f.entitlementOf(e.StudentID, "boarding", autumn); now.AmountFen != e.AmountFen || now.Status != model.EntPaid ||
					now.StandardID != e.StandardID {
					t.Fatalf("the paid entitlement was edited: %+v → %+v", e, now)
				}
				// Calculating again finds the plan made: nothing more.
				if again := f.calculate("boarding", autumn, nanzhouPrimary); again.Adjustments != 0 {
					t.Fatalf("second calculation made %d adjustments (first %d)", again.Adjustments, res.Adjustments)
				}
				wantAdjustments(t, f.adjustments(e.ID), c.want)
			})
		})
	}
}

// POLICY.md "Recoveries": received is what the bank paid (paid lines only);
// a recovery is received less recoveries already recorded, never more; the
// entitlement's pending top-ups are cancelled.
func TestUnitRecoveries(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *unitFix, e model.Entitlement)
		fen   model.Fen // the recovery recorded
		want  []adjWant // the entitlement's adjustments afterwards, the recovery last
	}{
		{"received is the paid lines: a failed line and a paid top-up", func(f *unitFix, e model.Entitlement) {
			f.line(f.batch("430921", "boarding", autumn, model.BatchFailed, servicetest.Start), e, payment{Status: model.LineFailed})
			adj := f.adjustment(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500, model.AdjPaid)
			f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Adj: &adj, Fen: 2500})
		}, -65000, []adjWant{{2500, model.AdjPaid, ""}, {-65000, model.AdjToRecover, "扣回：发现重复享受"}}},
		{"a recovery already recorded is deducted", func(f *unitFix, e model.Entitlement) {
			f.adjustment(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), -5000, model.AdjToRecover)
		}, -57500, []adjWant{{-5000, model.AdjToRecover, ""}, {-57500, model.AdjToRecover, ""}}},
		{"pending top-ups are cancelled, drafts dropped", func(f *unitFix, e model.Entitlement) {
			f.adjustment(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500, model.AdjApproved)
			f.adjustment(e, f.standard("boarding", "primary", "", "430921", "2025-08-15", 132000), 1000, model.AdjDraft)
		}, -62500, []adjWant{{2500, model.AdjCancelled, ""}, {-62500, model.AdjToRecover, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
				f := newUnitFix(t, env)
				e := f.paidOne(boarderAtNanzhou, "boarding")
				c.setup(f, e)
				out, err := env.Svc.Entitlements.RecoverEntitlements(f.ctx, f.county, []int64{e.ID}, "发现重复享受")
				if err != nil || out.Count != 1 || out.TotalFen != c.fen {
					t.Fatalf("recovered %+v (%v), want %d fen", out, err, c.fen)
				}
				wantAdjustments(t, f.adjustments(e.ID), c.want)
				// Everything received is recovered now: nothing more can be.
				_, err = env.Svc.Entitlements.RecoverEntitlements(f.ctx, f.county, []int64{e.ID}, "再次追回")
				wantErr(t, err, service.CodeConflict, "已全部扣回")
				wantAdjustments(t, f.adjustments(e.ID), c.want)
			})
		})
	}
	t.Run("refused while a top-up awaits the bank", func(t *testing.T) {
		servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
			f := newUnitFix(t, env)
			e := f.paidOne(boarderAtNanzhou, "boarding")
			f.inFlight(e, f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000), 2500)
			_, err := env.Svc.Entitlements.RecoverEntitlements(f.ctx, f.county, []int64{e.ID}, "发现重复享受")
			wantErr(t, err, service.CodeConflict, "补发正在发放中")
			wantAdjustments(t, f.adjustments(e.ID), []adjWant{{2500, model.AdjBatched, ""}})
		})
	})
}
