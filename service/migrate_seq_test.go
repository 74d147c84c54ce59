package service_test

import (
	"context"
	"testing"

	"studentaid/model"
	"studentaid/service"
	"studentaid/service/servicetest"
)

// Migration 0062 on a database with adjustments: every row, id and batch
// line's reference kept, the adjustments numbered by id per entitlement,
// the id sequence not restarted (a deleted draft's id is not used again),
// and the migration safe to run again. On MySQL the table is first put back
// as it was before 0062 (the key by standard, seq all 0).
func TestMigrationNumbersAdjustments(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, env *servicetest.Env) {
		f := newUnitFix(t, env)
		e := f.paidOne(boarderAtNanzhou, "boarding")
		county := f.standard("boarding", "primary", "", "430921", "2025-08-01", 130000)
		paid := f.adjustment(e, county, 2500, model.AdjPaid)
		f.line(f.batch("430921", "boarding", autumn, model.BatchPaid, servicetest.Start), e, payment{Status: model.LinePaid, Adj: &paid, Fen: 2500})
		kept := f.adjustment(e, f.standard("boarding", "primary", "", "", "2025-08-15", 135000), 2500, model.AdjApproved)
		gone := f.adjustment(e, f.standard("boarding", "primary", "", "", "2025-08-20", 140000), 2500, model.AdjDraft)
		f.exec("DELETE FROM adjustments WHERE id = ?", gone.ID)
		if service.EngineOf(env.DB) == service.EngineMySQL {
			f.exec("CREATE UNIQUE INDEX uk_adjustments ON adjustments (entitlement_id, standard_id)")
			f.exec("ALTER TABLE adjustments DROP INDEX uk_adjustments_seq")
			f.exec("UPDATE adjustments SET seq = 0")
		} else {
			f.exec("UPDATE adjustments SET seq = seq + 10")
		}
		for run := range 2 {
			f.exec("DELETE FROM schema_migrations WHERE version = 62")
			if err := service.Migrate(context.Background(), env.DB); err != nil {
				t.Fatalf("run %d: %v", run+1, err)
			}
			got := f.adjustments(e.ID)
			if len(got) != 2 || got[0].ID != paid.ID || got[0].Seq != 1 || got[1].ID != kept.ID || got[1].Seq != 2 ||
				got[0].AmountFen != 2500 || got[1].Status != model.AdjApproved {
				t.Fatalf("run %d: adjustments %+v", run+1, got)
			}
			if n := f.count("SELECT COUNT(*) FROM batch_lines l JOIN adjustments a ON a.id = l.adjustment_id"); n != 1 {
				t.Fatalf("run %d: %d batch lines reach their adjustment", run+1, n)
			}
		}
		next := f.adjustment(e, county, -2500, model.AdjDraft)
		if next.ID <= gone.ID || next.Seq != 3 {
			t.Fatalf("the next adjustment is id %d seq %d (a deleted draft had id %d)", next.ID, next.Seq, gone.ID)
		}
		if service.EngineOf(env.DB) != service.EngineMySQL {
			if n := f.count("SELECT COUNT(*) FROM pragma_foreign_key_check"); n != 0 {
				t.Fatalf("%d foreign key violations after the rebuild", n)
			}
		}
	})
}
