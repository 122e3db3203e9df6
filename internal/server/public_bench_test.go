package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// benchPublishedResults writes, as the schema owner, 1,000,000 published
// records: 200,000 entities of the demo county (names of a few dozen
// words and a number), each drawn by ten draws of 2025 and 2026 (five of
// each demo bureau), one record of one of ten items a task, inspected on
// days spread over the two years.
func benchPublishedResults(b testing.TB, e *env) {
	b.Helper()
	stmts := []string{
		`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		 SELECT '140522', 'R' || lpad(i::text, 17, '0'), 1, 'uscc',
		     (ARRAY['阳城','润城','北留','町店','芹池','东冶','西河','演礼','横河','河北','蟒河','凤城'])[1 + i % 12]
		     || (ARRAY['文化','旅游','商贸','演艺','网吧','酒店','书店','影院','游乐','传媒','印刷','餐饮','农家乐'])[1 + i / 12 % 13]
		     || (ARRAY['有限公司','经营部','中心','工作室','俱乐部'])[1 + i / 156 % 5] || i,
		     '2024-01-01'
		 FROM generate_series(1, 200000) i`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz, executed_at)
		 SELECT b.id, '140522', 2025 + k / 5, 1 + k % 4, '公示基准' || k, make_date(2025 + k / 5, 1 + (k % 4) * 3, 1),
		     make_date(2025 + k / 5, 3 + (k % 4) * 3, 28), 'executed', '\x00', now()
		 FROM generate_series(0, 9) k JOIN bureaus b ON b.code = CASE WHEN k % 2 = 0 THEN '140522-wl' ELSE '140522-sj' END`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 SELECT d.id, i, d.bureau_id, '140522', d.year, d.quarter, 'R' || lpad((i + d.id % 2 * 100000)::text, 17, '0'), 'A', 't'
		 FROM draws d, generate_series(1, 100000) i WHERE d.title LIKE '公示基准%'`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
		     code_version, result_codes, inspected_on, state, created_by, updated_by, published_at)
		 SELECT t.lead_id, '140522', t.draw_id, t.seq, t.entity_code, 'ITEM-' || (t.seq % 10), 1, '抽查事项' || (t.seq % 10), 1,
		     CASE WHEN t.seq % 10 < 7 THEN '{NO_PROBLEM}' WHEN t.seq % 10 < 9 THEN '{CORRECTED}' ELSE '{UNREACHABLE}' END::text[],
		     d.window_start + t.seq % 80, 'published', 1, 1, now()
		 FROM draw_tasks t JOIN draws d ON d.id = t.draw_id WHERE d.title LIKE '公示基准%'`,
		// As autovacuum leaves a table some time after a million inserts:
		// the visibility map lets the search read the results' keys from
		// the index alone.
		`VACUUM ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := e.DB.Exec(q); err != nil {
			b.Fatalf("%s: %v", q[:60], err)
		}
	}
	var n int
	e.DB.Get(&n, `SELECT count(*) FROM public_results`)
	b.Logf("%d published results", n)
}

// publicSearches are what the public asks: by code, by part of a name
// (common and rare), by bureau, item, region and dates, and nothing.
var publicSearches = []struct {
	name   string
	filter map[string]any
}{
	{"all", map[string]any{}},
	{"code", map[string]any{"query": "R00000000000012345"}},
	{"name-common", map[string]any{"query": "文化有限公司"}},
	{"name-rare", map[string]any{"query": "演艺中心1234"}},
	{"one-char-common", map[string]any{"query": "公"}},
	{"one-char-none", map[string]any{"query": "龙"}},
	{"bureau", map[string]any{"bureau": "140522-sj"}},
	{"item-dates", map[string]any{"item": "ITEM-3", "from": "2025-04-01", "to": "2025-06-30"}},
	{"region-bureau-item", map[string]any{"region": "140522", "bureau": "140522-wl", "item": "ITEM-7"}},
}

const publicSearchQuery = `query($f: PublicResultFilter) { publicResults(filter: $f, first: 20) {
  nodes { entityName entityCode bureau { name } taskName itemName inspectedOn results } pageInfo { hasNextPage endCursor } } }`

// BenchmarkPublicResults1M times the public result search and the CSV
// export over 1,000,000 published records through the whole service.
func BenchmarkPublicResults1M(b *testing.B) {
	e := newEnv(b)
	benchPublishedResults(b, e)
	b.Run("search", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			var all []time.Duration
			for _, s := range publicSearches {
				took := make([]time.Duration, 20)
				for i := range took {
					t0 := time.Now()
					e.Do(request{}, publicSearchQuery, map[string]any{"f": s.filter}).mustData(b, nil)
					took[i] = time.Since(t0)
				}
				slices.Sort(took)
				b.Logf("%-18s p50 %v p95 %v", s.name, took[10], took[18])
				all = append(all, took...)
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*95/100].Microseconds())/1000, "p95-ms")
		}
	})
	b.Run("csv", func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			exportCSV(b, e)
		}
	})
}

// exportCSV downloads /public/results.csv of every record while sampling
// the process's heap, and checks that rows arrive while the export's
// transaction still reads: the export streams.
func exportCSV(b *testing.B, e *env) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	t0 := time.Now()
	res, err := http.Get(e.Server.URL + "/public/results.csv")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReaderSize(res.Body, 64<<10)
	if _, err := r.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	first := time.Since(t0)
	var running int
	if err := e.DB.Get(&running, `SELECT count(*) FROM pg_stat_activity WHERE xact_start IS NOT NULL
		AND query LIKE '%FROM published_results r%' AND pid <> pg_backend_pid()`); err != nil {
		b.Fatal(err)
	}
	if running == 0 {
		b.Errorf("the first row arrived after the export's reading ended: it does not stream")
	}
	rows := 1
	var bytes int64
	for {
		line, err := r.ReadSlice('\n')
		bytes += int64(len(line))
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			b.Fatal(err)
		}
		if err == nil {
			rows++
		}
	}
	total := time.Since(t0)
	close(stop)
	grown := int64(peak.Load()) - int64(base.HeapInuse)
	b.ReportMetric(float64(rows-1), "rows")
	b.ReportMetric(float64(grown)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(total.Seconds(), "s")
	b.Logf("%d rows, %s, first row after %v (query still running: %d), all after %v; heap in use at most %s above the start",
		rows-1, mib(bytes), first, running, total, mib(grown))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
