package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
)

// TestRLSDraws shows that the database alone keeps a bureau's draws, their
// tasks and teams from other bureaus, while the region's joint office reads
// them.
func TestRLSDraws(t *testing.T) {
	s := newSeeded(t)
	fillBenchRoster(t, s, "140522-wl", 200)
	ctx := context.Background()
	store := postgres.DrawStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	d, err := store.CreateDraw(ctx, planner, draw.NewDraw{Year: 2026, Quarter: 1, Title: "RLS", TeamSize: 2,
		WindowStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), WindowEnd: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Freeze(ctx, planner, d.ID, draw.Seal); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Execute(ctx, planner, d.ID, "rls", draw.RunCeremony); err != nil {
		t.Fatal(err)
	}
	count := func(t *testing.T, bureau string) (draws, tasks, members int) {
		t.Helper()
		scope := postgres.Scope{BureauID: s.bureau[bureau]}
		err := s.InScope(ctx, scope, func(tx *sqlx.Tx) error {
			for q, into := range map[string]*int{
				`SELECT count(*) FROM draws WHERE id = $1`:                  &draws,
				`SELECT count(*) FROM draw_tasks WHERE draw_id = $1`:        &tasks,
				`SELECT count(*) FROM draw_task_members WHERE draw_id = $1`: &members,
			} {
				if err := tx.GetContext(ctx, into, q, d.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return draws, tasks, members
	}
	lead, leadTasks, leadMembers := count(t, "140522-wl")
	if lead != 1 || leadTasks == 0 || leadMembers != 2*leadTasks {
		t.Fatalf("the lead sees %d draws, %d tasks, %d members", lead, leadTasks, leadMembers)
	}
	if d, ts, ms := count(t, "140522-sj"); d+ts+ms != 0 {
		t.Fatalf("another bureau sees %d draws, %d tasks, %d members", d, ts, ms)
	}
	if d, ts, ms := count(t, "140522-lh"); d != 1 || ts != leadTasks || ms != leadMembers {
		t.Fatalf("the joint office sees %d draws, %d tasks, %d members; want all of its region's", d, ts, ms)
	}
	t.Run("ErrOtherBureauCannotWrite", func(t *testing.T) {
		err := s.InScope(ctx, postgres.Scope{BureauID: s.bureau["140522-sj"]}, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
VALUES ($1, 999, $2, '140522', 2026, 1, 'X', 'A', 'x')`, d.ID, s.bureau["140522-wl"])
			return err
		})
		if err == nil {
			t.Fatal("another bureau inserted a task into the draw")
		}
		var n int
		err = s.InScope(ctx, postgres.Scope{BureauID: s.bureau["140522-sj"]}, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE draws SET title = 'x' WHERE id = $1`, d.ID)
			if err == nil {
				affected, _ := res.RowsAffected()
				n = int(affected)
			}
			return err
		})
		if err != nil || n != 0 {
			t.Fatalf("another bureau's update of the draw: %d rows, %v", n, err)
		}
	})
}
