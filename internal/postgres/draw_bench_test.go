package postgres_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
)

// fillBenchRoster writes, as the schema owner, a roster of n entities for
// the bureau (strata A 70%, B 20%, C 5%, D 4%, F 1%), 2,000 inspectors and
// 10,000 conflicts: the figures for a province-sized draw.
func fillBenchRoster(b testing.TB, s seededDB, bureau string, n int) {
	b.Helper()
	id := s.bureau[bureau]
	stmts := []string{
		fmt.Sprintf(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
SELECT '140522', '91140522' || lpad(i::text, 10, '0'), 1, 'uscc', '企业' || i, now() FROM generate_series(1, %d) i`, n),
		fmt.Sprintf(`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, unit, status, status_since,
    risk_class, abnormal_operations, valid_from)
SELECT %d, '140522', '91140522' || lpad(i::text, 10, '0'), 1, '第' || (i %% 7) || '中队', 'active', current_date,
    CASE WHEN i %% 100 < 70 THEN 'A' WHEN i %% 100 < 90 THEN 'B' WHEN i %% 100 < 95 THEN 'C' ELSE 'D' END,
    i %% 100 = 99, now()
FROM generate_series(1, %d) i`, id, n),
		fmt.Sprintf(`INSERT INTO inspectors (bureau_id, certificate_number, name, unit, expires_on, qualifications)
SELECT %d, 'CERT' || lpad(i::text, 5, '0'), '执法员' || i, '第' || (i %% 7) || '中队', '2030-12-31', '{WL-01}'
FROM generate_series(1, 2000) i`, id),
		fmt.Sprintf(`INSERT INTO conflicts (bureau_id, inspector_id, entity_code, reason, declared_by, recorded_by)
SELECT %d, i.id, '91140522' || lpad((1 + (g * 7919) %% %d)::text, 10, '0'), '亲属', 'admin', 1
FROM generate_series(0, 9999) g JOIN inspectors i ON i.bureau_id = %d AND i.certificate_number = 'CERT' || lpad((1 + g %% 2000)::text, 5, '0')
ON CONFLICT DO NOTHING`, id, n, id),
		`ANALYZE entities, roster_entries, inspectors, conflicts`,
	}
	for _, q := range stmts {
		if _, err := s.Exec(q); err != nil {
			b.Fatalf("%s: %v", q[:40], err)
		}
	}
}

// BenchmarkFreezeExecute times a draw end to end through the store:
// gathering and committing the inputs from the roster (freeze), then the
// ceremony: the algorithm and storing the tasks (execute).
func BenchmarkFreezeExecute(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := newSeeded(b)
			fillBenchRoster(b, s, "140522-wl", n)
			actor := actingAs(b, s, "wl-planner")
			store := postgres.DrawStore{DB: s.DB}
			ctx := context.Background()
			var freeze, execute time.Duration
			var tasks int
			for i := 0; i < b.N; i++ {
				d, err := store.CreateDraw(ctx, actor, draw.NewDraw{Year: 2026, Quarter: 1 + i%4, Title: "bench", TeamSize: 2,
					WindowStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), WindowEnd: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := store.Freeze(ctx, actor, d.ID, draw.Seal); err != nil {
					b.Fatal(err)
				}
				freeze += time.Since(start)
				start = time.Now()
				if _, err := store.Execute(ctx, actor, d.ID, fmt.Sprint("bench ", i), draw.RunCeremony); err != nil {
					b.Fatal(err)
				}
				execute += time.Since(start)
				s.Get(&tasks, `SELECT count(*) FROM draw_tasks WHERE draw_id = $1`, d.ID)
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(freeze.Seconds()/float64(b.N), "freeze-s")
			b.ReportMetric(execute.Seconds()/float64(b.N), "execute-s")
			b.ReportMetric(float64(tasks), "tasks")
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
		})
	}
}
