package graph

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
)

// A page of draws is answered in a fixed handful of statements: the list
// resolver looks ahead at what the query asks of each draw (its lead, its
// participants, its page of tasks) and loads it for every draw of the page
// at once, before the draws' own fields run. The fields then find their
// answer waiting, however many draws there are and however the field
// goroutines are scheduled; a field the look-ahead did not cover loads on
// its own, as before.

// taskPageKey names one draw's page of tasks as a query asks for it.
type taskPageKey struct {
	Draw int64
	Page page.Request
}

// taskPages holds the pages of tasks prefetched for a request.
type taskPages struct {
	mu    sync.Mutex
	pages map[taskPageKey]*page.Connection[draw.TaskRow]
}

func (t *taskPages) put(p page.Request, pages map[int64]*page.Connection[draw.TaskRow]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pages == nil {
		t.pages = map[taskPageKey]*page.Connection[draw.TaskRow]{}
	}
	for id, c := range pages {
		t.pages[taskPageKey{id, p}] = c
	}
}

func (t *taskPages) get(id int64, p page.Request) (*page.Connection[draw.TaskRow], bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.pages[taskPageKey{id, p}]
	return c, ok
}

// prefetchDrawPage loads, one statement per kind, what the current
// selection asks of the draws: the bureaus they name (leads and
// participants) and each distinct page of tasks (with teams and
// substitutions) of every draw.
func (r *Resolver) prefetchDrawPage(ctx context.Context, draws []draw.Draw) {
	if len(draws) == 0 {
		return
	}
	l := loaders(ctx)
	ids := make([]int64, len(draws))
	bureaus := make([]int64, 0, len(draws))
	for i, d := range draws {
		ids[i] = d.ID
		bureaus = append(bureaus, d.BureauID)
	}
	if selects(ctx, "participants") {
		for _, ps := range l.Participants.Prefetch(ctx, ids) {
			for _, p := range ps {
				bureaus = append(bureaus, p.BureauID)
			}
		}
	}
	if selects(ctx, "lead") || selects(ctx, "bureau") {
		l.Bureaus.Prefetch(ctx, bureaus)
	}
	for _, p := range taskPagesAsked(ctx) {
		if pages, err := r.Draws.TasksOfDraws(ctx, ids, p); err == nil {
			l.TaskPages.put(p, pages)
		}
	}
}

// taskPagesAsked returns the distinct pages of tasks (first, after) that
// the current field, a connection of draws, asks of its draws, through
// nodes or edges, fragments included.
func taskPagesAsked(ctx context.Context) []page.Request {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	var drawSets []ast.SelectionSet
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, []string{"DrawConnection"}) {
		switch f.Name {
		case "nodes":
			drawSets = append(drawSets, f.Selections)
		case "edges":
			for _, g := range graphql.CollectFields(op, f.Selections, []string{"DrawEdge"}) {
				if g.Name == "node" {
					drawSets = append(drawSets, g.Selections)
				}
			}
		}
	}
	seen := map[page.Request]bool{}
	var out []page.Request
	for _, set := range drawSets {
		for _, f := range graphql.CollectFields(op, set, []string{"Draw", "Node"}) {
			if f.Name != "tasks" {
				continue
			}
			args := f.ArgumentMap(op.Variables)
			p := page.Request{First: intArg(args["first"]), After: stringArg(args["after"]),
				Last: intArg(args["last"]), Before: stringArg(args["before"])}
			if p.Backward() || p.Before != "" {
				continue // the batch pages forward; such a page is read per draw
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// intArg reads an Int argument as parsed from a literal or a variable (0
// when absent or null, as the resolver's nil *int reads).
func intArg(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int32:
		return int(n)
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func stringArg(v any) string {
	s, _ := v.(string)
	return s
}
