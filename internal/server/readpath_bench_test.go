package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/server"
)

// The read path's load benchmark (issue 13): the three queries of a
// bureau's front end, each driven by readClients clients at once through
// the whole service for a fixed time, beside pgbench running the
// equivalent single SQL statement on the same database, as the serving
// login under row-level security, in the same run. The service is driven
// twice: as serve runs it (GraphQL requests queued to execute a few at a
// time, admission.go) and with every request executing at once.
//
//	go test ./internal/server -run '^$' -bench ReadPath -benchtime 1x -timeout 20m
//
// READPATH_SECONDS sets each run's length (default 10); READPATH_ONLY runs
// only the queries whose name holds it (for a CPU profile of one);
// READPATH_POSTGRAPHILE adds PostGraphile v4 beside them
// (readpath_postgraphile_test.go says how to install it).

const readClients = 16

// readPathData is the data: entities entities on the bureau's
// roster, 4 executed draws of tasks tasks, each task with a team of two of
// 40 inspectors.
func readPathData(t testing.TB, e *env, entities, tasks int) {
	t.Helper()
	code := `'R' || lpad(i::text, 17, '0')`
	steps := []string{
		`INSERT INTO entities (region_code, code, version, code_kind, name, legal_representative, address, valid_from)
		 SELECT '140522', ` + code + `, 1, 'uscc', '读路企业' || i, '法人' || i, '阳城县凤城镇' || i || '号', '2025-01-01'
		 FROM generate_series(1, $1) i`,
		`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, entity_type, unit, status, status_since,
		     risk_class, valid_from)
		 SELECT b.id, '140522', ` + code + `, 1, 'entertainment', '凤城所', 'active', '2025-01-01',
		     CASE WHEN i % 10 < 7 THEN 'A' ELSE 'B' END, '2025-01-01'
		 FROM bureaus b, generate_series(1, $1) i WHERE b.code = '140522-wl'`,
		`INSERT INTO inspectors (bureau_id, certificate_number, name, expires_on)
		 SELECT b.id, 'RP-' || p, '读路检查员' || p, '2030-12-31' FROM bureaus b, generate_series(1, 40) p WHERE b.code = '140522-wl'`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
		 SELECT id, '140522', 2026, q, '读路' || q, make_date(2026, q * 3, 1), make_date(2026, q * 3, 28), 'executed', '\x00'
		 FROM bureaus, generate_series(1, 4) q WHERE code = '140522-wl'`,
		`INSERT INTO draw_participants (bureau_id, draw_id, items) SELECT bureau_id, id, '[]' FROM draws WHERE title LIKE '读路_'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 SELECT d.id, k, d.bureau_id, '140522', 2026, d.quarter, 'R' || lpad((1 + (d.quarter * 7919 + k * 13) % $1)::text, 17, '0'), 'A', 't'
		 FROM draws d, generate_series(1, $2) k WHERE d.title LIKE '读路_'`,
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
		 SELECT t.draw_id, t.seq, t.lead_id, p, 'RP-' || (1 + (t.seq + p * 7) % 40), 't'
		 FROM draw_tasks t JOIN draws d ON d.id = t.draw_id, generate_series(1, 2) p WHERE d.title LIKE '读路_'`,
		`ANALYZE`,
	}
	for _, q := range steps {
		var args []any
		switch {
		case strings.Contains(q, "$2"):
			args = []any{entities, tasks}
		case strings.Contains(q, "$1"):
			args = []any{entities}
		}
		if _, err := e.DB.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
}

// readQuery is one query of the benchmark: its GraphQL, the single SQL
// statement that answers the same rows, and the same in PostGraphile's
// schema (with a variable $bureau more).
type readQuery struct {
	name         string
	gql          string
	vars         map[string]any
	sql          string
	postgraphile string
}

// drawsPageSQL answers drawsPageQuery in one statement: the latest 4 draws,
// each with its first %d tasks, their entities, teams and substitutions.
const drawsPageSQL = `SELECT json_agg(d ORDER BY d.id DESC) FROM (
  SELECT d.id, d.title, d.status, b.name AS lead,
    (SELECT json_agg(t ORDER BY t.seq) FROM (
       SELECT t.seq, t.entity_code, e.name,
         (SELECT json_agg(json_build_object('name', i.name, 'certificate', m.certificate) ORDER BY m.position)
            FROM draw_task_members m JOIN inspectors i ON i.bureau_id = m.bureau_id AND i.certificate_number = m.certificate
            WHERE m.draw_id = t.draw_id AND m.seq = t.seq) AS team,
         (SELECT json_agg(s.in_certificate ORDER BY s.id) FROM draw_substitutions s
            WHERE s.draw_id = t.draw_id AND s.seq = t.seq) AS substitutions
       FROM draw_tasks t JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
       WHERE t.draw_id = d.id ORDER BY t.seq LIMIT %d) t) AS tasks
  FROM draws d JOIN bureaus b ON b.id = d.bureau_id ORDER BY d.id DESC LIMIT 4) d;`

const rosterPageQuery = `query($n: Int) { rosterEntities(first: $n) { nodes {
	entity { code name legalRepresentative address } entry { status riskClass unit entityType } } pageInfo { hasNextPage endCursor } } }`

const rosterPageSQL = `SELECT json_agg(x ORDER BY x.entity_code) FROM (
  SELECT r.entity_code, e.name, e.legal_representative, e.address, r.status, r.risk_class, r.unit, r.entity_type
  FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code AND e.valid_to IS NULL
  WHERE r.bureau_id = (SELECT app_bureau()) AND r.valid_to IS NULL ORDER BY r.entity_code LIMIT 50) x;`

func readQueries() []readQuery {
	return []readQuery{
		{"4 draws × 50 tasks × team", drawsPageQuery, map[string]any{"draws": 4, "tasks": 50}, fmt.Sprintf(drawsPageSQL, 50), postgraphileDrawsPage},
		{"4 draws × 5 tasks × team", drawsPageQuery, map[string]any{"draws": 4, "tasks": 5}, fmt.Sprintf(drawsPageSQL, 5), postgraphileDrawsPage},
		{"roster page, 50 rows", rosterPageQuery, map[string]any{"n": 50}, rosterPageSQL, postgraphileRosterPage},
	}
}

// loadResult is what a run measured.
type loadResult struct {
	requests  int
	errors    int
	perSecond float64
	p50, p99  time.Duration
}

func (r loadResult) String() string {
	return fmt.Sprintf("%8.0f/s  p50 %7.2f ms  p99 %7.2f ms  (%d, %d errors)", r.perSecond,
		float64(r.p50.Microseconds())/1000, float64(r.p99.Microseconds())/1000, r.requests, r.errors)
}

// summarize computes the rate and quantiles of latencies over d.
func summarize(latencies []time.Duration, errors int, d time.Duration) loadResult {
	slices.Sort(latencies)
	r := loadResult{requests: len(latencies), errors: errors, perSecond: float64(len(latencies)) / d.Seconds()}
	if n := len(latencies); n > 0 {
		r.p50, r.p99 = latencies[n/2], latencies[min(n-1, n*99/100)]
	}
	return r
}

// driveGraphQL sends q to the service at url from readClients clients at
// once for d.
func driveGraphQL(t testing.TB, url string, rq request, q readQuery, d time.Duration) loadResult {
	t.Helper()
	return drive(d, func() bool {
		r := doGraphQL(t, url, rq, q.gql, q.vars)
		return len(r.Errors) == 0 && r.Status == 200
	})
}

// warmGraphQL sends q a few times from readClients clients at once, so
// that the serving pool holds the connections a run uses (each prepares
// its statements at first use) before any request is timed: opening them
// is a cold start, not the run's tail.
func warmGraphQL(t testing.TB, url string, rq request, q readQuery) {
	t.Helper()
	var wg sync.WaitGroup
	for range readClients {
		wg.Go(func() {
			for range 3 {
				doGraphQL(t, url, rq, q.gql, q.vars).mustData(t, nil)
			}
		})
	}
	wg.Wait()
}

// withoutAdmission starts one more instance of the service over e's
// database that executes every request at once (no admission queue), to
// measure beside the default in the same run.
func withoutAdmission(t testing.TB, e *env) string {
	t.Helper()
	h, err := server.App(t.Context(), slog.New(slog.NewTextHandler(io.Discard, nil)), e.DB, e.URL, server.WithClock(testNow),
		server.WithDeps(func(d *server.Deps) { d.MaxExecuting = -1 }))
	if err != nil {
		t.Fatalf("server.App: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// drive calls request from readClients clients at once for d and times
// every call that answers without error. Each client makes at least one
// call, so a short run on a loaded machine still exercises every client.
func drive(d time.Duration, request func() (ok bool)) loadResult {
	var mu sync.Mutex
	var all []time.Duration
	errors := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range readClients {
		wg.Go(func() {
			var mine []time.Duration
			failed := 0
			for first := true; first || time.Now().Before(deadline); first = false {
				start := time.Now()
				if !request() {
					failed++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all, errors = append(all, mine...), errors+failed
			mu.Unlock()
		})
	}
	wg.Wait()
	return summarize(all, errors, d)
}

// pgbenchBinary is pgbench of the PostgreSQL the tests run, or "".
func pgbenchBinary() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(matches) == 0 {
		return ""
	}
	slices.Sort(matches)
	return matches[len(matches)-1]
}

// drivePgbench runs sql from readClients pgbench clients for d as the
// serving login, in the bureau's tenant settings, and reads the latencies
// from pgbench's per-transaction log.
func drivePgbench(t testing.TB, e *env, bin string, bureauID int64, sql string, d time.Duration) loadResult {
	t.Helper()
	conn, err := e.DB.ServingConnString()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "query.sql")
	if err := os.WriteFile(script, []byte(sql+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// pgbench counts whole seconds. A run shorter than one (the harness
	// test's) asks for a few transactions per client instead: under load,
	// starting sixteen clients can take the whole second, and a timed run
	// would then end having run none.
	length := []string{"-T", strconv.Itoa(int(d.Seconds()))}
	if d < time.Second {
		length = []string{"-t", "3"}
	}
	args := append([]string{"-n", "-M", "prepared", "-c", strconv.Itoa(readClients), "-j", "2"}, length...)
	cmd := exec.Command(bin, append(args, "-f", script, "-l", "--log-prefix", filepath.Join(dir, "tx"), conn)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("PGOPTIONS=-c app.bureau_id=%d", bureauID))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "tx.*"))
	var latencies []time.Duration
	for _, name := range logs {
		latencies = append(latencies, readPgbenchLog(t, name)...)
	}
	return summarize(latencies, 0, time.Duration(max(1, int(d.Seconds())))*time.Second)
}

// readPgbenchLog reads the latency (third field, µs) of each transaction.
func readPgbenchLog(t testing.TB, name string) []time.Duration {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
			out = append(out, time.Duration(us)*time.Microsecond)
		}
	}
	return out
}

// readResult is what one query measured on each side.
type readResult struct {
	service, unqueued, postgraphile, sql loadResult
}

// runReadPath measures every query for d each and writes the table to w:
// the service, PostGraphile when READPATH_POSTGRAPHILE names it (after
// checking once that it answers the service's rows), and pgbench.
func runReadPath(t testing.TB, e *env, d time.Duration, w io.Writer) map[string]readResult {
	t.Helper()
	rq := e.As("wl-leader")
	var bureauID int64
	if err := e.DB.Get(&bureauID, `SELECT id FROM bureaus WHERE code = '140522-wl'`); err != nil {
		t.Fatal(err)
	}
	bin := pgbenchBinary()
	pg := startPostGraphile(t, e, bureauID)
	unqueued := withoutAdmission(t, e)
	out := map[string]readResult{}
	fmt.Fprintf(w, "%-28s %-58s %-58s %s\n", "query", "this service", "PostGraphile v4 (as superuser)", "one SQL statement (pgbench)")
	only := os.Getenv("READPATH_ONLY")
	for _, q := range readQueries() {
		if !strings.Contains(q.name, only) {
			continue
		}
		warmGraphQL(t, e.Server.URL, rq, q) // the pool, the statements, the caches
		warmGraphQL(t, unqueued, rq, q)
		var r readResult
		r.service = driveGraphQL(t, e.Server.URL, rq, q, d)
		r.unqueued = driveGraphQL(t, unqueued, rq, q, d)
		if pg != nil {
			pg.mustMatchService(t, e, rq, q) // and warms PostGraphile
			r.postgraphile = pg.drive(q, d)
		}
		if bin != "" {
			r.sql = drivePgbench(t, e, bin, bureauID, q.sql, d)
		}
		out[q.name] = r
		postgraphileColumn := fmt.Sprintf("%-56s", "(not measured: "+postgraphileEnv+" unset)")
		if pg != nil {
			postgraphileColumn = r.postgraphile.String()
		}
		fmt.Fprintf(w, "%-28s %s  %s  %s\n", q.name, r.service, postgraphileColumn, r.sql)
		fmt.Fprintf(w, "%-28s %s  (admission off: every request executes at once)\n", "", r.unqueued)
	}
	return out
}

func BenchmarkReadPath(b *testing.B) {
	d := 10 * time.Second
	if s, err := strconv.Atoi(os.Getenv("READPATH_SECONDS")); err == nil && s > 0 {
		d = time.Duration(s) * time.Second
	}
	server.TuneGC() // as serve does
	// Keep a connection per client between requests: the default
	// transport keeps two, and the others would be dialled again and again.
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = readClients
	e := newEnv(b)
	readPathData(b, e, 100_000, 1_500)
	for range b.N {
		runReadPath(b, e, d, os.Stdout)
	}
}

// TestReadPathHarness runs the benchmark's harness on little data for a
// moment: every query answers without error on both sides, and the SQL
// statement returns the rows the GraphQL query does.
func TestReadPathHarness(t *testing.T) {
	e := newEnv(t)
	readPathData(t, e, 500, 60)
	ctx := context.Background()
	serving, err := e.DB.Serving(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range readQueries() {
		var rows int
		tx := serving.MustBegin()
		tx.MustExec(`SELECT set_config('app.bureau_id', (SELECT id::text FROM bureaus WHERE code = '140522-wl'), true)`)
		err := tx.Get(&rows, `SELECT coalesce(sum(CASE WHEN j ? 'tasks' THEN json_array_length((j->'tasks')::json) ELSE 1 END), 0)
			FROM jsonb_array_elements((`+strings.TrimSuffix(q.sql, ";")+`)::jsonb) j`)
		tx.Rollback()
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		want := 4 * 50
		switch q.name {
		case "4 draws × 5 tasks × team":
			want = 4 * 5
		case "roster page, 50 rows":
			want = 50
		}
		if rows != want {
			t.Errorf("%s: the SQL statement answers %d rows, want %d", q.name, rows, want)
		}
	}
	var table strings.Builder
	results := runReadPath(t, e, 300*time.Millisecond, &table)
	t.Log("\n" + table.String())
	for name, r := range results {
		if r.service.requests == 0 || r.service.errors > 0 {
			t.Errorf("%s: the service answered %d requests, %d with errors", name, r.service.requests, r.service.errors)
		}
		if r.unqueued.requests == 0 || r.unqueued.errors > 0 {
			t.Errorf("%s: the service without admission answered %d requests, %d with errors", name, r.unqueued.requests, r.unqueued.errors)
		}
		if os.Getenv(postgraphileEnv) != "" && (r.postgraphile.requests == 0 || r.postgraphile.errors > 0) {
			t.Errorf("%s: PostGraphile answered %d requests, %d with errors", name, r.postgraphile.requests, r.postgraphile.errors)
		}
		if pgbenchBinary() != "" && r.sql.requests == 0 {
			t.Errorf("%s: pgbench ran no transaction", name)
		}
	}
}
