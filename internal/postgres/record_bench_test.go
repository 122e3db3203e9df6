package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"shuangsuiji/internal/postgres"
)

// approvedRecords writes, as the owner, an executed draw of n tasks of
// entities on the bureau's roster, each with an approved record: one in
// five found problems (a focus consequence and a roster entry version),
// one in fifty 已注销 (a status change), one in a hundred 无法联系 (a
// proposal). It returns the records' ids.
func approvedRecords(b testing.TB, s seededDB, bureau int64, n, round int) []int64 {
	b.Helper()
	title := fmt.Sprintf("publish-%d", round)
	stmts := []string{
		fmt.Sprintf(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
SELECT '140522', 'P%d-' || i, 1, 'uscc', '企业' || i, now() FROM generate_series(1, %d) i`, round, n),
		fmt.Sprintf(`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, status, status_since, valid_from)
SELECT %d, '140522', 'P%d-' || i, 1, 'active', current_date, now() FROM generate_series(1, %d) i`, bureau, round, n),
		fmt.Sprintf(`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
VALUES (%d, '140522', 2026, 1, '%s', '2026-03-01', '2026-03-31', 'executed', '\x00')`, bureau, title),
		fmt.Sprintf(`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, i, d.bureau_id, '140522', 2026, 1, 'P%d-' || i, 'B', 't' FROM draws d, generate_series(1, %d) i WHERE d.title = '%s'`, round, n, title),
		fmt.Sprintf(`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
    code_version, result_codes, inspected_on, state, created_by, updated_by)
SELECT t.lead_id, '140522', t.draw_id, t.seq, t.entity_code, 'X', 1, '检查', 1,
    CASE WHEN t.seq %% 100 = 0 THEN '{UNREACHABLE}' WHEN t.seq %% 50 = 1 THEN '{DEREGISTERED}'
         WHEN t.seq %% 5 = 2 THEN '{FOLLOW_UP}' ELSE '{NO_PROBLEM}' END::text[],
    '2026-03-10', 'approved', 1, 1
FROM draw_tasks t JOIN draws d ON d.id = t.draw_id WHERE d.title = '%s'`, title),
		`ANALYZE entities, roster_entries, draw_tasks, inspection_records, record_consequences`,
	}
	for _, q := range stmts {
		if _, err := s.Exec(q); err != nil {
			b.Fatalf("%s: %v", q[:40], err)
		}
	}
	var ids []int64
	if err := s.Select(&ids, `SELECT r.id FROM inspection_records r JOIN draws d ON d.id = r.draw_id WHERE d.title = $1 ORDER BY r.id`, title); err != nil {
		b.Fatal(err)
	}
	return ids
}

// BenchmarkPublish5000 publishes 5,000 approved records at once, with
// their credit feedback, through the store.
func BenchmarkPublish5000(b *testing.B) {
	s := newSeeded(b)
	actor := actingAs(b, s, "wl-reviewer")
	store := postgres.RecordStore{DB: s.DB}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ids := approvedRecords(b, s, s.bureau["140522-wl"], 5000, i)
		b.StartTimer()
		recs, err := store.Publish(ctx, actor, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != 5000 || recs[0].State != "published" {
			b.Fatalf("published %d records, first %s", len(recs), recs[0].State)
		}
	}
	b.StopTimer()
	var versions int
	s.Get(&versions, `SELECT count(*) FROM roster_entries WHERE source_record_id IS NOT NULL`)
	b.ReportMetric(float64(versions)/float64(b.N), "entry-versions/op")
}
