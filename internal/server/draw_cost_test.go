package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// seedPageOfDraws puts, behind the service's back, n executed wl draws
// of tasks tasks each, every task with a team of two of the bureau's
// inspectors and an entity of its own: a bureau dashboard's worth.
func seedPageOfDraws(t *testing.T, e *env, n, tasks int) {
	t.Helper()
	steps := []string{
		`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
SELECT '140522', 'KB' || lpad(s::text, 8, '0'), 1, 'registration_number', '看板企业' || s, now() FROM generate_series(1, $1) s`,
		`INSERT INTO inspectors (bureau_id, certificate_number, name, expires_on)
SELECT b.id, 'K-' || p, '看板检查员' || p, '2030-12-31' FROM bureaus b, generate_series(1, 2) p WHERE b.code = '140522-wl'`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
SELECT id, '140522', 2026, 1 + q % 4, '看板' || q, '2026-03-01', '2026-03-31', 'executed', '\x00'
FROM bureaus, generate_series(1, $1) q WHERE code = '140522-wl'`,
		`INSERT INTO draw_participants (bureau_id, draw_id, items) SELECT bureau_id, id, '[]' FROM draws WHERE title LIKE '看板%'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, s, d.bureau_id, '140522', 2026, d.quarter, e.code, 'B', 't'
FROM draws d CROSS JOIN LATERAL (SELECT code, row_number() OVER (ORDER BY code) AS s FROM entities
    WHERE region_code = '140522' AND code LIKE 'KB%' AND valid_to IS NULL ORDER BY code LIMIT $1) e
WHERE d.title LIKE '看板%'`,
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
SELECT t.draw_id, t.seq, t.lead_id, p, 'K-' || p, 't' FROM draw_tasks t JOIN draws d ON d.id = t.draw_id, generate_series(1, 2) p
WHERE d.title LIKE '看板%'`,
	}
	tx := e.DB.MustBegin()
	defer tx.Rollback()
	for i, q := range steps {
		args := []any{}
		switch i {
		case 0, 4:
			args = append(args, tasks)
		case 2:
			args = append(args, n)
		}
		if _, err := tx.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// drawsPageQuery is a bureau dashboard: its latest draws, each with a page
// of tasks, each task's entity and team.
const drawsPageQuery = `query($draws: Int, $tasks: Int) { draws(first: $draws) { nodes { id title status lead { name }
	tasks(first: $tasks) { nodes { seq entityCode entityName team { name certificate } substitutions { in } } pageInfo { hasNextPage endCursor } } } } }`

// TestDrawsPageCostsFixedStatements: the dashboard costs the same handful
// of statements whatever the number of draws (1, 4, 10) and the size of
// their task pages (5, 50), because each nesting level is one statement
// across all its parents, all in the request's one transaction, after
// one statement for the session, the bureau and the roles.
func TestDrawsPageCostsFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	seedPageOfDraws(t, e, 10, 60)
	as := e.As("wl-leader")
	// The lead bureaus come from the instance's cache once it hears of
	// changes to them, and the page has been read once.
	waitFor(t, 10*time.Second, "the listener up", func() bool { return listenerUp(t, e.Server.URL) })
	e.Do(as, drawsPageQuery, map[string]any{"draws": 10, "tasks": 5}).mustData(t, nil)
	// What the session alone costs: a request that asks the database
	// nothing else.
	var none map[string]any
	e.Do(as, `{ __typename }`, nil).mustData(t, &none)
	before := stmts.Count()
	e.Do(as, `{ __typename }`, nil).mustData(t, &none)
	session := stmts.Count() - before
	if session != 1 {
		t.Errorf("the session cost %d statements, want 1 (request_identity): %q", session, stmts.Since(before))
	}

	cost := func(draws, tasks int) int64 {
		t.Helper()
		var d struct {
			Draws struct {
				Nodes []struct {
					Title string
					Lead  struct{ Name string }
					Tasks struct {
						Nodes []struct {
							EntityName string
							Team       []struct{ Name string }
						}
					}
				}
			}
		}
		before, begins := stmts.Count(), stmts.Begins()
		e.Do(as, drawsPageQuery, map[string]any{"draws": draws, "tasks": tasks}).mustData(t, &d)
		n := stmts.Count() - before
		if b := stmts.Begins() - begins; b != 1 {
			t.Errorf("the request began %d transactions, want its one", b)
		}
		// The draws with their pages of tasks, each task's entity, team
		// and substitutions, in one statement; their lead bureaus from
		// the cache.
		if n-session > 1 {
			t.Errorf("%d statements after the session, want 1: %q", n-session, stmts.Since(before))
		}
		if len(d.Draws.Nodes) != draws {
			t.Fatalf("asked %d draws, got %d", draws, len(d.Draws.Nodes))
		}
		for _, dr := range d.Draws.Nodes {
			if len(dr.Tasks.Nodes) != tasks || dr.Lead.Name == "" {
				t.Fatalf("draw %s: asked %d tasks, got %d (lead %q)", dr.Title, tasks, len(dr.Tasks.Nodes), dr.Lead.Name)
			}
			for _, task := range dr.Tasks.Nodes {
				if task.EntityName == "" || len(task.Team) != 2 || task.Team[0].Name == "" {
					t.Fatalf("draw %s: task without its entity or team: %+v", dr.Title, task)
				}
			}
		}
		return n
	}
	sameCostAtEverySize(t, "tasks", session, cost)
}

// sameCostAtEverySize runs cost (statements sent for a page of draws,
// each with a page of rows) at 1, 4 and 10 draws and pages of 5 and 50
// rows, and fails unless every run costs what the first did.
func sameCostAtEverySize(t *testing.T, rows string, session int64, cost func(draws, rows int) int64) {
	var first int64
	for _, draws := range []int{1, 4, 10} {
		for _, n := range []int{5, 50} {
			t.Run(fmt.Sprintf("%d draws × %d %s", draws, n, rows), func(t *testing.T) {
				got := cost(draws, n)
				if first == 0 {
					first = got
				}
				if got != first {
					t.Fatalf("%d statements; 1 draw × 5 %s took %d: the cost must not grow with draws or pages", got, rows, first)
				}
				t.Logf("%d statements (the session alone: %d)", got, session)
			})
		}
	}
}

// publicDrawsPageQuery is the public list of draws, each with a page of
// its selected entities.
const publicDrawsPageQuery = `query($draws: Int, $selected: Int) { publicDraws(filter: {bureau: "140522-wl"}, first: $draws) {
	nodes { title selected(first: $selected) { totalCount nodes { code name } pageInfo { hasNextPage endCursor } } } } }`

// TestPublicDrawsPageCostsFixedStatements: a page of public draws with a
// page of each one's selected entities and their count costs the same
// statements at 1, 4 or 10 draws and pages of 5 or 50 entities: the pages
// are read in SQL, one statement for every draw, never a draw's whole
// list (TestConnections pages them both ways). The list page shows the
// first entities of each draw and links to the draw's page for the rest.
func TestPublicDrawsPageCostsFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	seedPageOfDraws(t, e, 10, 60)
	cost := func(draws, selected int) int64 {
		t.Helper()
		var d struct {
			PublicDraws struct {
				Nodes []struct {
					Title    string
					Selected struct {
						TotalCount int
						Nodes      []struct{ Code, Name string }
						PageInfo   struct{ HasNextPage bool }
					}
				}
			}
		}
		before := stmts.Count()
		e.Do(request{}, publicDrawsPageQuery, map[string]any{"draws": draws, "selected": selected}).mustData(t, &d)
		n := stmts.Count() - before
		if len(d.PublicDraws.Nodes) != draws {
			t.Fatalf("asked %d draws, got %d", draws, len(d.PublicDraws.Nodes))
		}
		for _, dr := range d.PublicDraws.Nodes {
			s := dr.Selected
			if len(s.Nodes) != selected || s.TotalCount != 60 || !s.PageInfo.HasNextPage ||
				s.Nodes[0].Code != "KB00000001" || s.Nodes[0].Name != "看板企业1" {
				t.Fatalf("draw %s: asked %d of 60 selected, got %d (totalCount %d, first %+v)", dr.Title, selected, len(s.Nodes), s.TotalCount, s.Nodes)
			}
		}
		return n
	}
	sameCostAtEverySize(t, "selected", 0, cost)

	status, body := getPage(t, e.Server.URL+"/public/draws?bureau=140522-wl")
	if status != http.StatusOK || !strings.Contains(body, "抽取结果：60 户检查对象") || !strings.Contains(body, "全部 60 户") ||
		strings.Contains(body, "KB00000021") {
		t.Errorf("GET /public/draws: %d; want each draw's first 20 of 60 selected and a link to the rest", status)
	}
}
