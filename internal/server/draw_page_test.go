package server_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// drawsWithTasksQuery asks a page of draws for every field of a draw the
// list reads, and each draw for a page of tasks; %s is more fields of
// each draw.
const drawsWithTasksQuery = `query($draws: Int, $after: String, $filter: DrawFilter, $tasks: Int, $tasksAfter: String) {
  draws(first: $draws, after: $after, filter: $filter) {
    nodes { id title year quarter joint status crossUnit maxTasksPerInspector windowStart windowEnd redrawOf
      redrawReason supersededBy cancelReason frameSize frozenAt executedAt ceremony seed failure { code reason }
      scope { undirected entityTypes units } lead { name }
      tasks(first: $tasks, after: $tasksAfter) {
        nodes { seq entityCode entityName ticket team { name certificate } substitutions { bureau out in reason at } id }
        pageInfo { hasNextPage hasPreviousPage endCursor } }
      %s }
    pageInfo { hasNextPage endCursor } } }`

// TestDrawsWithTheirTasksAnswerAsApart: a page of draws that asks each
// for one page of tasks reads both in one statement; asked for a second
// page of tasks as well, the draws and each page are read apart (List,
// then TasksOfDraws per page). Both must answer the same, for the lead
// bureau and for a bureau that sees none of its draws, with filters and
// cursors on both lists.
func TestDrawsWithTheirTasksAnswerAsApart(t *testing.T) {
	e := newEnv(t)
	seedPageOfDraws(t, e, 7, 12)
	if _, err := e.DB.Exec(`INSERT INTO draw_substitutions (draw_id, seq, bureau_id, out_certificate, in_certificate, reason)
SELECT t.draw_id, t.seq, t.lead_id, 'K-1', 'K-3', '病假' FROM draw_tasks t JOIN draws d ON d.id = t.draw_id
WHERE d.title LIKE '看板%' AND t.seq IN (2, 7)`); err != nil {
		t.Fatal(err)
	}
	together := strings.Replace(drawsWithTasksQuery, "%s", "", 1)
	apart := strings.Replace(drawsWithTasksQuery, "%s", "other: tasks(first: 1) { nodes { seq } }", 1)
	answer := func(user, query string, vars map[string]any) map[string]any {
		t.Helper()
		var d map[string]any
		e.Do(e.As(user), query, vars).mustData(t, &d)
		for _, n := range d["draws"].(map[string]any)["nodes"].([]any) {
			delete(n.(map[string]any), "other")
		}
		return d
	}
	cases := []struct {
		name, user string
		vars       map[string]any
		draws      int // at least
	}{
		{"first page", "wl-leader", map[string]any{"draws": 4, "tasks": 5}, 4},
		{"all at once", "wl-leader", map[string]any{"draws": 50, "tasks": 50}, 7},
		{"filtered", "wl-leader", map[string]any{"draws": 3, "tasks": 3, "filter": map[string]any{"quarter": 2, "status": "EXECUTED"}}, 1},
		{"tasks after a cursor", "wl-leader", map[string]any{"draws": 2, "tasks": 4, "tasksAfter": cursorOf(t, e, 5)}, 2},
		{"another bureau", "sj-planner", map[string]any{"draws": 4, "tasks": 5}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := answer(c.user, together, c.vars)
			want := answer(c.user, apart, c.vars)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("read together:\n%s\nread apart:\n%s", g, w)
			}
			nodes := got["draws"].(map[string]any)["nodes"].([]any)
			if len(nodes) < c.draws {
				t.Fatalf("%d draws, want at least %d", len(nodes), c.draws)
			}
			if c.user == "sj-planner" {
				for _, n := range nodes {
					if strings.HasPrefix(n.(map[string]any)["title"].(string), "看板") {
						t.Fatalf("another bureau's draw listed: %v", n)
					}
				}
			}
			next := got["draws"].(map[string]any)["pageInfo"].(map[string]any)
			if c.name != "first page" || next["hasNextPage"] != true {
				return
			}
			// The next page of draws, from the first page's cursor.
			vars := map[string]any{"draws": 4, "tasks": 5, "after": next["endCursor"]}
			if g, w := answer(c.user, together, vars), answer(c.user, apart, vars); !reflect.DeepEqual(g, w) {
				t.Fatalf("second page: read together %v, apart %v", g, w)
			}
		})
	}
}

// cursorOf returns the cursor of the task seq on any draw's page of
// tasks: the cursor holds the task's number only.
func cursorOf(t *testing.T, e *env, seq int) string {
	t.Helper()
	var d struct {
		Draws struct {
			Nodes []struct {
				Tasks struct {
					Edges []struct {
						Cursor string
						Node   struct{ Seq int }
					}
				}
			}
		}
	}
	e.Do(e.As("wl-leader"), `{ draws(first: 1) { nodes { tasks(first: 20) { edges { cursor node { seq } } } } } }`, nil).mustData(t, &d)
	for _, n := range d.Draws.Nodes {
		for _, edge := range n.Tasks.Edges {
			if edge.Node.Seq == seq {
				return edge.Cursor
			}
		}
	}
	t.Fatalf("no task %d on the first draw's page", seq)
	return ""
}
