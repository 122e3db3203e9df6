package server_test

import (
	"strings"
	"testing"
)

// seedManyTasks puts, behind the service's back, an executed wl draw of n
// tasks whose teams all hold wl-inspector1, each with a submitted record:
// enough rows to page through.
func seedManyTasks(t *testing.T, e *env, n int) {
	t.Helper()
	steps := []string{
		`INSERT INTO inspectors (bureau_id, certificate_number, name, expires_on, user_id)
SELECT b.id, c, '执法员' || c, '2030-12-31', u.id FROM bureaus b
CROSS JOIN (VALUES ('C-1', 'wl-inspector1'), ('C-2', 'wl-inspector2')) v(c, username)
JOIN users u ON u.username = v.username WHERE b.code = '140522-wl'`,
		`INSERT INTO inspection_items (bureau_id, code, version, name, valid_from)
SELECT id, 'WL-CHK-1', 1, '营业性演出场所检查', now() FROM bureaus WHERE code = '140522-wl'`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
SELECT id, '140522', 2026, 1, '计数', '2026-03-01', '2026-03-31', 'executed', '\x00' FROM bureaus WHERE code = '140522-wl'`,
		`INSERT INTO draw_participants (bureau_id, draw_id, items)
SELECT bureau_id, id, '[{"code": "WL-CHK-1", "version": 1}]' FROM draws WHERE title = '计数'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, s, d.bureau_id, '140522', 2026, 1, 'E' || s, 'B', 't' FROM draws d, generate_series(1, $1) s WHERE d.title = '计数'`,
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
SELECT t.draw_id, t.seq, t.lead_id, p, 'C-' || p, 't' FROM draw_tasks t JOIN draws d ON d.id = t.draw_id, generate_series(1, 2) p
WHERE d.title = '计数' AND $1 > 0`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
    code_version, result_codes, inspected_on, state, created_by, updated_by, submitted_at)
SELECT t.lead_id, '140522', t.draw_id, t.seq, t.entity_code, 'WL-CHK-1', 1, '营业性演出场所检查', 1, '{FOLLOW_UP}', '2026-03-10',
    'submitted', u.id, u.id, now()
FROM draw_tasks t JOIN draws d ON d.id = t.draw_id JOIN users u ON u.username = 'wl-inspector1'
WHERE d.title = '计数' AND $1 > 0`,
	}
	for _, q := range steps {
		var err error
		if strings.Contains(q, "$1") {
			_, err = e.DB.Exec(q, n)
		} else {
			_, err = e.DB.Exec(q)
		}
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestRecordPagesCostFixedStatements: a page of an inspector's tasks and a
// page of records awaiting review cost as many statements for 50 rows as
// for 5, nested fields included.
func TestRecordPagesCostFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	seedManyTasks(t, e, 60)
	pages := []struct {
		name, who, query string
		rows             func(d map[string]any) int
	}{
		{"myTasks", "wl-inspector1", `query($n: Int) { myTasks(first: $n) { nodes { id entityName state deadline { due overdue }
			items { code name record { id state results { label } } } team { name certificate substitutedIn } records { id } } } }`,
			func(d map[string]any) int { return len(d["myTasks"].(map[string]any)["nodes"].([]any)) }},
		{"recordsAwaitingReview", "wl-reviewer", `query($n: Int) { inspectionRecords(first: $n, filter: {states: [SUBMITTED]}) { nodes {
			id entityName itemName state results { code label } methods evidence { id sha256 } consequences { kind } correctedBy } } }`,
			func(d map[string]any) int { return len(d["inspectionRecords"].(map[string]any)["nodes"].([]any)) }},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			cost := func(n int) []string {
				before := stmts.Count()
				var d map[string]any
				e.Do(e.As(p.who), p.query, map[string]any{"n": n}).mustData(t, &d)
				if got := p.rows(d); got != n {
					t.Fatalf("page of %d has %d rows", n, got)
				}
				return stmts.Since(before)
			}
			cost(5) // the first request of a user signs in
			small, large := cost(5), cost(50)
			if len(small) != len(large) {
				t.Fatalf("a page of 5 took %d statements, a page of 50 took %d: the cost must not grow with the page\n5:\n%s\n50:\n%s",
					len(small), len(large), strings.Join(small, "\n"), strings.Join(large, "\n"))
			}
			t.Logf("%s: a page costs %d statements whatever its size", p.name, len(large))
		})
	}
}
