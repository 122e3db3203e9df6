package postgres_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestDrawTaskReferences checks what the foreign keys dropped by migration
// 00035 guaranteed, now checked once a statement: tasks name a draw and a
// lead that exist, team members a task and a bureau that exist, and none of
// these can be deleted or renumbered while rows name it. Written as the
// owner, whom row-level security lets write anything, so only these checks
// stand in the way.
func TestDrawTaskReferences(t *testing.T) {
	s := newSeeded(t)
	wl := s.bureau["140522-wl"]
	_, frozen := wallDraws(t, s)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO bureaus (code, region_code, name, kind) VALUES ('140522-ref', '140522', '测试局', 'other'),
    ('140522-ref2', '140522', '测试局二', 'other')`)
	var other, lead int64
	if err := s.Get(&other, `SELECT id FROM bureaus WHERE code = '140522-ref'`); err != nil {
		t.Fatal(err)
	}
	if err := s.Get(&lead, `SELECT id FROM bureaus WHERE code = '140522-ref2'`); err != nil {
		t.Fatal(err)
	}
	const task = `INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
VALUES ($1, $2, $3, '140522', 2026, 3, 'REFCHECK', 'A', 't')`
	const member = `INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket) VALUES ($1, $2, $3, 1, 'WL-1', 't')`
	mustExec(task, frozen, 1, wl)
	mustExec(task, frozen, 2, wl)
	mustExec(task, frozen, 3, lead) // the only row that names that bureau, and a task without members
	mustExec(member, frozen, 1, wl)
	mustExec(member, frozen, 2, other) // the only rows that name the other bureau

	for _, c := range []struct {
		name, query string
		args        []any
		says        string
	}{
		{"task of no draw", task, []any{-1, 1, wl}, "draw -1"},
		{"task of no lead", task, []any{frozen, 4, -1}, "lead bureau -1"},
		{"task moved to no draw", `UPDATE draw_tasks SET draw_id = -1 WHERE draw_id = $1 AND seq = 3`, []any{frozen}, "draw -1"},
		{"member of no task", member, []any{frozen, 9, wl}, "/9"},
		{"member of no bureau", member, []any{frozen, 1, -1}, "bureau -1"},
		{"member moved to no task", `UPDATE draw_task_members SET seq = 9 WHERE draw_id = $1 AND seq = 1`, []any{frozen}, "/9"},
		{"task with members deleted", `DELETE FROM draw_tasks WHERE draw_id = $1 AND seq = 1`, []any{frozen}, "team members"},
		{"task with members renumbered", `UPDATE draw_tasks SET seq = 7 WHERE draw_id = $1 AND seq = 1`, []any{frozen}, "team members"},
		{"bureau with members deleted", `DELETE FROM bureaus WHERE id = $1`, []any{other}, "team members"},
		{"lead of tasks deleted", `DELETE FROM bureaus WHERE id = $1`, []any{lead}, "draw tasks"},
	} {
		_, err := s.Exec(c.query, c.args...)
		if code, msg := pqCode(err); code != "23503" || !strings.Contains(msg, c.says) {
			t.Errorf("%s: got %q %s, want foreign_key_violation (23503) saying %q", c.name, code, msg, c.says)
		}
	}

	// A draw with tasks: its other references (participants, the inspectors
	// it used) are removed first, so that only the tasks keep it.
	tx := s.MustBegin()
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM draw_participants WHERE draw_id = $1`, `DELETE FROM draw_inspector_versions WHERE draw_id = $1`} {
		if _, err := tx.Exec(q, frozen); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err := tx.Exec(`DELETE FROM draws WHERE id = $1`, frozen)
	if code, msg := pqCode(err); code != "23503" || !strings.Contains(msg, "still has tasks") {
		t.Errorf("draw with tasks deleted: got %q %s, want foreign_key_violation (23503) saying it still has tasks", code, msg)
	}
	tx.Rollback()

	// Once nothing names them, they go.
	mustExec(`DELETE FROM draw_task_members WHERE draw_id = $1`, frozen)
	mustExec(`DELETE FROM bureaus WHERE id = $1`, other)
	mustExec(`DELETE FROM draw_tasks WHERE draw_id = $1`, frozen)
	mustExec(`DELETE FROM bureaus WHERE id = $1`, lead)
}

// TestTaskProgressOfNewTeams: migration 00035 writes the kept states of
// tasks without records directly (not entered, for each participant with
// a member on the task) and counts tasks with records as before. After
// each statement the kept states must equal a recount.
func TestTaskProgressOfNewTeams(t *testing.T) {
	s := newSeeded(t)
	wl, sj, lh := s.bureau["140522-wl"], s.bureau["140522-sj"], s.bureau["140522-lh"]
	_, frozen := wallDraws(t, s)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`UPDATE draw_participants SET items = '[{"code": "X-1", "version": 1}]' WHERE draw_id = $1`, frozen)
	mustExec(`INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'accepted')`, sj, frozen)
	mustExec(`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT $1, g, $2, '140522', 2026, 3, 'NEW' || g, 'A', 't' FROM generate_series(1, 4) g`, frozen, wl)
	const members = `INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
SELECT $1, seq, bureau_id, position, 'C', 't' FROM unnest($2::int[], $3::bigint[], $4::int[]) m(seq, bureau_id, position)`

	check := func(step string, want map[string]string) {
		t.Helper()
		const differ = `
WITH fresh AS (SELECT p.* FROM (SELECT array_agg(draw_id) AS d, array_agg(seq) AS s FROM draw_tasks) k, task_progress_of(k.d, k.s) p)
SELECT (SELECT count(*) FROM (SELECT * FROM task_progress EXCEPT SELECT * FROM fresh) x),
       (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM task_progress) x)`
		var stale, missing int
		if err := s.QueryRow(differ).Scan(&stale, &missing); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var rows []struct {
			Key   string `db:"key"`
			State string `db:"state"`
		}
		const kept = `SELECT p.seq || ' ' || b.code AS key, p.state FROM task_progress p JOIN bureaus b ON b.id = p.bureau_id
WHERE p.draw_id = $1 ORDER BY 1`
		if err := s.Select(&rows, kept, frozen); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			got[r.Key] = r.State
		}
		if stale != 0 || missing != 0 || len(got) != len(want) {
			t.Errorf("%s: task_progress has %d rows not counted afresh, lacks %d; kept %v, want %v", step, stale, missing, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: task %s is %q, want %q", step, k, got[k], v)
			}
		}
	}

	// New teams: tasks 1 and 2 with both participants, 3 with a bureau that
	// does not take part in the draw (no state kept for it).
	mustExec(members, frozen, "{1,1,1,2,2,3}", "{"+id(wl)+","+id(wl)+","+id(sj)+","+id(wl)+","+id(sj)+","+id(lh)+"}", "{1,2,1,1,1,1}")
	check("new teams", map[string]string{"1 140522-wl": "not_entered", "1 140522-sj": "not_entered",
		"2 140522-wl": "not_entered", "2 140522-sj": "not_entered"})

	// A record of task 1; then members added to task 1 (which has a record)
	// and to tasks 3 and 4 (which have none) in one statement.
	mustExec(`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version,
    item_name, code_version, result_codes, inspected_on, state, created_by, updated_by)
SELECT $1, '140522', $2, 1, 'NEW1', 'X-1', 1, '检查', 1, '{NO_PROBLEM}', '2026-07-15', 'submitted', u.id, u.id
FROM users u WHERE u.username = 'wl-planner'`, wl, frozen)
	check("a record", map[string]string{"1 140522-wl": "submitted", "1 140522-sj": "not_entered",
		"2 140522-wl": "not_entered", "2 140522-sj": "not_entered"})
	mustExec(members, frozen, "{1,3,4}", "{"+id(sj)+","+id(wl)+","+id(sj)+"}", "{2,1,1}")
	check("more members", map[string]string{"1 140522-wl": "submitted", "1 140522-sj": "not_entered",
		"2 140522-wl": "not_entered", "2 140522-sj": "not_entered", "3 140522-wl": "not_entered", "4 140522-sj": "not_entered"})
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
