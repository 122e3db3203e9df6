package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/server"
)

// benchDashboardData fills the demo culture-and-tourism bureau, as the
// schema owner, with the dashboard workload: 100,000 roster
// entries (strata A 70%, B 20%, C 5%, D 5%, 1% on the abnormal list, 2%
// deregistered), four executed draws of 2026 (one a quarter, 4,000 tasks
// each, 500 of them drawn again the next quarter), two inspectors a task,
// and 10,000 records of their first 2,500 tasks each: 60% published, 10%
// approved, 15% submitted, 5% returned, 10% drafts.
func benchDashboardData(b testing.TB, e *env) {
	b.Helper()
	code := `'B' || lpad(i::text, 17, '0')`
	stmts := []string{
		`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		 SELECT '140522', ` + code + `, 1, 'uscc', '基准企业' || i, '2025-01-01' FROM generate_series(1, 100000) i`,
		`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, unit, status, status_since, risk_class,
		     abnormal_operations, complaints, valid_from)
		 SELECT b.id, '140522', ` + code + `, 1, '第' || (i % 7) || '中队', CASE WHEN i % 50 = 0 THEN 'deregistered' ELSE 'active' END,
		     '2025-01-01', CASE WHEN i % 100 < 70 THEN 'A' WHEN i % 100 < 90 THEN 'B' WHEN i % 100 < 95 THEN 'C' ELSE 'D' END,
		     i % 100 = 99, i % 3, '2025-01-01'
		 FROM bureaus b, generate_series(1, 100000) i WHERE b.code = '140522-wl'`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz, executed_at)
		 SELECT b.id, '140522', 2026, q, '基准' || q, make_date(2026, q * 3, 1), make_date(2026, q * 3, 28), 'executed', '\x00',
		     make_date(2026, q * 3 - 1, 1)
		 FROM bureaus b, generate_series(1, 4) q WHERE b.code = '140522-wl'`,
		`INSERT INTO draw_participants (bureau_id, draw_id, items)
		 SELECT bureau_id, id, '[{"code": "WL-BENCH", "version": 1}]' FROM draws WHERE title LIKE '基准_'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 SELECT d.id, k, d.bureau_id, '140522', 2026, d.quarter, 'B' || lpad(i::text, 17, '0'),
		     CASE WHEN i % 100 = 99 THEN 'F' WHEN i % 100 < 70 THEN 'A' WHEN i % 100 < 90 THEN 'B' WHEN i % 100 < 95 THEN 'C' ELSE 'D' END, 't'
		 FROM draws d, generate_series(1, 4000) k, LATERAL (SELECT 1 + ((d.quarter - 1) * 3500 + k) * 7 % 100000 AS i) e
		 WHERE d.title LIKE '基准_'`,
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
		 SELECT t.draw_id, t.seq, t.lead_id, p, 'WL-B-' || ((t.seq + p) % 40), 't'
		 FROM draw_tasks t JOIN draws d ON d.id = t.draw_id, generate_series(1, 2) p WHERE d.title LIKE '基准_'`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
		     code_version, result_codes, inspected_on, state, created_by, updated_by, published_at)
		 SELECT t.lead_id, '140522', t.draw_id, t.seq, t.entity_code, 'WL-BENCH', 1, '基准检查', 1,
		     CASE WHEN t.seq % 10 < 7 THEN '{NO_PROBLEM}' WHEN t.seq % 10 < 9 THEN '{CORRECTED,FOLLOW_UP}' ELSE '{UNREACHABLE}' END::text[],
		     d.window_start + t.seq % 20, s.state, u.id, u.id, CASE WHEN s.state = 'published' THEN now() END
		 FROM draw_tasks t JOIN draws d ON d.id = t.draw_id JOIN users u ON u.username = 'wl-inspector1',
		 LATERAL (SELECT CASE WHEN t.seq % 20 < 12 THEN 'published' WHEN t.seq % 20 < 14 THEN 'approved'
		     WHEN t.seq % 20 < 17 THEN 'submitted' WHEN t.seq % 20 < 18 THEN 'returned' ELSE 'draft' END AS state) s
		 WHERE d.title LIKE '基准_' AND t.seq <= 2500`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := e.DB.Exec(q); err != nil {
			b.Fatalf("%s: %v", q[:60], err)
		}
	}
}

// BenchmarkDashboardConcurrent asks for the bureau's dashboard of 2026
// from 20 clients at once, each 25 times in a row, through the whole
// service (HTTP, GraphQL, the store), and reports the latency quantiles:
// "count" counts every dashboard afresh (NoCache), "kept" is the service
// as it runs, counting again only when the region's data moved.
func BenchmarkDashboardConcurrent(b *testing.B) {
	e := newEnv(b)
	benchDashboardData(b, e)
	leader := e.As("wl-leader")
	var d dashboardData
	e.Do(leader, dashboardQuery, map[string]any{"y": 2026}).mustData(b, &d)
	f := d.Dashboard.Bureaus[0]
	b.Logf("roster %d, covered %d, tasks %+v, awaiting review %d", f.RosterSize, f.Covered, f.Tasks, f.RecordsAwaitingReview)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counting, err := server.App(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), e.DB, e.URL, server.WithClock(testNow),
		server.WithDeps(func(d *server.Deps) { d.Resolver.Dashboards.NoCache = true }))
	if err != nil {
		b.Fatal(err)
	}
	countingServer := httptest.NewServer(counting)
	defer countingServer.Close()
	for _, c := range []struct{ name, url string }{{"count", countingServer.URL}, {"kept", e.Server.URL}} {
		b.Run(c.name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				loadDashboard(b, c.url, leader)
			}
		})
	}
}

// loadDashboard runs 20 clients of 25 dashboards each against url.
func loadDashboard(b *testing.B, url string, leader request) {
	const clients, each = 20, 25
	var mu sync.Mutex
	var took []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				t0 := time.Now()
				doGraphQL(b, url, leader, dashboardQuery, map[string]any{"y": 2026}).mustData(b, nil)
				mu.Lock()
				took = append(took, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	slices.Sort(took)
	q := func(p float64) time.Duration { return took[int(p*float64(len(took)-1))] }
	b.ReportMetric(float64(q(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(q(0.95).Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(took))/wall.Seconds(), "req/s")
	b.Logf("%d requests from %d clients in %v: p50 %v, p95 %v, max %v", len(took), clients, wall, q(0.5), q(0.95), took[len(took)-1])
}
