package graph

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/public"
)

// A page of draws is answered in a fixed handful of statements: the list
// resolver looks ahead at what the query asks of each draw (its lead, its
// participants, its page of tasks) and loads it for every draw of the page
// at once, before the draws' own fields run. The fields then find their
// answer waiting, however many draws there are and however the field
// goroutines are scheduled; a field the look-ahead did not cover loads on
// its own, as before.

// pageKey names one parent's page of a nested connection (a draw's page
// of tasks) as a query asks for it.
type pageKey struct {
	Parent int64
	Page   page.Request
}

// pageCache holds the pages of a nested connection prefetched for a
// request, by parent and page.
type pageCache[T any] struct {
	mu    sync.Mutex
	pages map[pageKey]*page.Connection[T]
}

func (c *pageCache[T]) put(p page.Request, pages map[int64]*page.Connection[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[pageKey]*page.Connection[T]{}
	}
	for id, conn := range pages {
		c.pages[pageKey{id, p}] = conn
	}
}

func (c *pageCache[T]) get(id int64, p page.Request) (*page.Connection[T], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, ok := c.pages[pageKey{id, p}]
	return conn, ok
}

// listDraws answers a page of draws and prefetches what the current
// selection asks of them. When it asks each draw for one forward page of
// tasks, the draws and those pages are read in one statement
// (draw.Service.ListWithTasks); a page of tasks it cannot batch (backward,
// or a cursor that is not one) is left to the tasks field, which reports
// its error.
func (r *Resolver) listDraws(ctx context.Context, f draw.Filter, p page.Request) (*page.Connection[draw.Draw], error) {
	asked := taskPagesAsked(ctx)
	if len(asked) != 1 || p.Backward() || p.Before != "" || asked[0].CheckKeys(page.IsNumber) != nil {
		draws, err := r.Draws.List(ctx, f, p)
		if err == nil {
			r.prefetchDrawPage(ctx, draws.Nodes(), asked)
		}
		return draws, err
	}
	draws, pages, err := r.Draws.ListWithTasks(ctx, f, p, asked[0])
	if err != nil {
		return nil, err
	}
	loaders(ctx).TaskPages.put(asked[0], pages)
	r.prefetchDrawPage(ctx, draws.Nodes(), nil)
	return draws, nil
}

// prefetchDrawPage loads, one statement per kind, what the current
// selection asks of the draws: the bureaus they name (leads and
// participants) and each of the pages of tasks (with teams and
// substitutions) of every draw.
func (r *Resolver) prefetchDrawPage(ctx context.Context, draws []draw.Draw, taskPages []page.Request) {
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
	for _, p := range taskPages {
		if pages, err := r.Draws.TasksOfDraws(ctx, ids, p); err == nil {
			l.TaskPages.put(p, pages)
		}
	}
}

// prefetchSelected loads, one statement per distinct page asked, the
// pages of selected entities the current selection asks of a page of
// public draws. A page it could not read is left to the field, which
// reads it alone and reports the error.
func (r *Resolver) prefetchSelected(ctx context.Context, draws []public.Draw) {
	if len(draws) == 0 {
		return
	}
	numbers := make([]int64, len(draws))
	for i, d := range draws {
		numbers[i] = d.Number
	}
	for _, p := range pagesAsked(ctx, "PublicDrawConnection", "PublicDrawEdge", []string{"PublicDraw"}, "selected") {
		if pages, err := r.Public.Selected(ctx, numbers, p); err == nil {
			loaders(ctx).SelectedPages.put(p, pages)
		}
	}
}

// taskPagesAsked returns the distinct forward pages of tasks that the
// current field, a connection of draws, asks of its draws: the batch
// pages forward, so a backward page is read per draw.
func taskPagesAsked(ctx context.Context) []page.Request {
	var out []page.Request
	for _, p := range pagesAsked(ctx, "DrawConnection", "DrawEdge", []string{"Draw", "Node"}, "tasks") {
		if !p.Backward() && p.Before == "" {
			out = append(out, p)
		}
	}
	return out
}

// pagesAsked returns the distinct pages (first, after, last, before) of
// the connection field that the current field, a connection conn (of
// edges edge), asks of each of its nodes (of the types nodeTypes), through
// nodes or edges, fragments included.
func pagesAsked(ctx context.Context, conn, edge string, nodeTypes []string, field string) []page.Request {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	var nodeSets []ast.SelectionSet
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, []string{conn}) {
		switch f.Name {
		case "nodes":
			nodeSets = append(nodeSets, f.Selections)
		case "edges":
			for _, g := range graphql.CollectFields(op, f.Selections, []string{edge}) {
				if g.Name == "node" {
					nodeSets = append(nodeSets, g.Selections)
				}
			}
		}
	}
	seen := map[page.Request]bool{}
	var out []page.Request
	for _, set := range nodeSets {
		for _, f := range graphql.CollectFields(op, set, nodeTypes) {
			if f.Name != field {
				continue
			}
			args := f.ArgumentMap(op.Variables)
			p := page.Request{First: intArg(args["first"]), After: stringArg(args["after"]),
				Last: intArg(args["last"]), Before: stringArg(args["before"])}
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
