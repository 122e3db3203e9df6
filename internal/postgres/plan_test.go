package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/plan"
	"shuangsuiji/internal/postgres"
)

func accept(plan.Counts) error { return nil }

// TestRLSPlans: row-level security alone keeps one bureau's plans from
// another, with every privilege granted to the serving role.
func TestRLSPlans(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.PlanStore{DB: s.DB}
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	for _, who := range []string{"wl-planner", "sj-planner"} {
		if _, _, err := store.SavePlan(ctx, actingAs(t, s, who), plan.Defaults(2026), time.Now(), accept); err != nil {
			t.Fatalf("save as %s: %v", who, err)
		}
	}
	grant := `GRANT SELECT, INSERT, UPDATE, DELETE ON plans TO ` + postgres.ServingRole

	t.Run("OwnVisibleOtherInvisible", func(t *testing.T) {
		servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
			if got := count(t, tx, `SELECT count(*) FROM plans`); got != 1 {
				t.Errorf("visible plans = %d, want sj's 1", got)
			}
			if got := count(t, tx, `SELECT count(*) FROM plans WHERE bureau_id = $1`, wl); got != 0 {
				t.Errorf("wl plans visible to sj = %d, want 0", got)
			}
		})
	})
	t.Run("UpdateAndDeleteAffectNothing", func(t *testing.T) {
		for _, q := range []string{
			`UPDATE plans SET draws_per_year = 1 WHERE bureau_id = $1`,
			`DELETE FROM plans WHERE bureau_id = $1`,
		} {
			servingTx(t, s.DB, &sj, []string{grant}, func(tx *sqlx.Tx) {
				res, err := tx.Exec(q, wl)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if n, _ := res.RowsAffected(); n != 0 {
					t.Errorf("%s: %d rows affected, want 0", q, n)
				}
			})
		}
		if got := count(t, s, `SELECT count(*) FROM plans WHERE bureau_id = $1 AND draws_per_year = 4`, wl); got != 1 {
			t.Errorf("wl's plan afterwards: %d rows as saved, want 1", got)
		}
	})
	t.Run("WritesIntoOtherBureauRefused", func(t *testing.T) {
		for _, q := range []string{
			`INSERT INTO plans (bureau_id, year, strata) VALUES ($1, 2030, '{}')`,
			`UPDATE plans SET bureau_id = $1`,
		} {
			servingTx(t, s.DB, &sj, []string{grant}, func(tx *sqlx.Tx) {
				_, err := tx.Exec(q, wl)
				if code, msg := pqCode(err); code != "42501" || !strings.Contains(msg, "row-level security") {
					t.Errorf("%s: err = %v, want 42501 row-level security violation", q, err)
				}
			})
		}
	})
	t.Run("NoBureauSeesNothing", func(t *testing.T) {
		servingTx(t, s.DB, nil, nil, func(tx *sqlx.Tx) {
			if got := count(t, tx, `SELECT count(*) FROM plans`); got != 0 {
				t.Errorf("visible plans without a bureau = %d, want 0", got)
			}
		})
	})
}

func TestPlanStore(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.PlanStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")

	t.Run("DefaultsWhenNone", func(t *testing.T) {
		p, err := store.Plan(ctx, planner, 2026)
		if err != nil || !p.IsDefault() || p.BureauID != planner.BureauID || p.DrawsPerYear != 4 {
			t.Fatalf("Plan = %+v, %v; want the defaults of wl", p, err)
		}
	})
	t.Run("RefusedByCheckWritesNothing", func(t *testing.T) {
		refuse := func(plan.Counts) error { return errs.InvalidField("input.strata", "no") }
		_, _, err := store.SavePlan(ctx, planner, plan.Defaults(2026), time.Now(), refuse)
		wantErrKind(t, err, errs.Invalid)
		if n := count(t, s, `SELECT count(*) FROM plans`); n != 0 {
			t.Errorf("plans = %d, want 0", n)
		}
		if n := auditEntries(t, s, planner.BureauID, "plan.create"); n != 0 {
			t.Errorf("plan.create audit entries = %d, want 0", n)
		}
	})
	t.Run("CreateThenSameChangesNothing", func(t *testing.T) {
		p := plan.Defaults(2026)
		p.Strata["C"] = plan.StratumRule{RatioBP: 1500, Min: 2, Cap: 3}
		saved, changed, err := store.SavePlan(ctx, planner, p, time.Now(), accept)
		if err != nil || !changed || saved.ID == 0 || saved.Strata["C"] != p.Strata["C"] {
			t.Fatalf("first save = %+v, %v, %v", saved, changed, err)
		}
		again, changed, err := store.SavePlan(ctx, planner, p, time.Now(), accept)
		if err != nil || changed || again.ID != saved.ID {
			t.Fatalf("second save = %+v, changed %v, %v; want unchanged", again, changed, err)
		}
		if n := auditEntries(t, s, planner.BureauID, "plan.create"); n != 1 {
			t.Errorf("plan.create audit entries = %d, want 1", n)
		}
	})
	t.Run("ConcurrentFirstSavesConflict", func(t *testing.T) {
		// Both transactions find no plan of 2027 and pass their check
		// before either inserts: the second insert is a CONFLICT.
		arrived, release := make(chan struct{}, 4), make(chan struct{})
		barrier := func(plan.Counts) error { arrived <- struct{}{}; <-release; return nil }
		errc := make(chan error, 2)
		for range 2 {
			go func() {
				_, _, err := store.SavePlan(ctx, planner, plan.Defaults(2027), time.Now(), barrier)
				errc <- err
			}()
		}
		for range 2 {
			select {
			case <-arrived:
			case err := <-errc:
				close(release)
				t.Fatalf("a save ended before its check: %v", err)
			case <-time.After(10 * time.Second):
				close(release)
				t.Fatal("the saves never both reached their check")
			}
		}
		close(release)
		kinds := map[errs.Kind]int{}
		for range 2 {
			if err := <-errc; err != nil {
				kinds[errs.KindOf(err)]++
			}
		}
		if kinds[errs.Conflict] != 1 || len(kinds) != 1 {
			t.Errorf("error kinds %v, want one CONFLICT", kinds)
		}
	})
}
