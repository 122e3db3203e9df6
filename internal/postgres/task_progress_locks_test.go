package postgres_test

import "testing"

// TestTaskProgressKeptForALargeDraw: executing a draw writes all its teams
// in one statement. With a lock per task, the triggers that keep
// task_progress ran out of the shared lock table (sized by
// max_locks_per_transaction × max_connections, 64 × 200 here, with some
// slack) for a draw of tens of thousands of tasks: a 1,000,000-entity draw
// (53,000 tasks) could not be executed.
func TestTaskProgressKeptForALargeDraw(t *testing.T) {
	s := newSeeded(t)
	wl := s.bureau["140522-wl"]
	_, frozen := wallDraws(t, s)
	const tasks = 60_000
	for _, q := range []string{
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT $1, g, $2, '140522', 2026, 3, 'BIG' || g, 'A', 't' FROM generate_series(1, $3::int) g`,
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
SELECT $1, g, $2, 1, 'WL-1', 'x' FROM generate_series(1, $3::int) g`,
	} {
		if _, err := s.Exec(q, frozen, wl, tasks); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	var kept int
	if err := s.Get(&kept, `SELECT count(*) FROM task_progress WHERE draw_id = $1`, frozen); err != nil {
		t.Fatal(err)
	}
	if kept != tasks {
		t.Errorf("task_progress keeps %d rows of the draw, want one a task: %d", kept, tasks)
	}
}
