package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// connectionCase reads one connection of the schema over the demo county:
// who asks (a demo user, "" for nobody) and the query around it, whose
// %s is the connection's name with its arguments.
type connectionCase struct {
	user  string
	query string
}

// connectionCases holds every connection the schema has, by Type.field;
// TestConnections fails on one it does not list.
var connectionCases = map[string]connectionCase{
	"Query.auditLog":             {"wl-leader", `{ c: %s }`},
	"Query.members":              {"wl-admin", `{ c: %s }`},
	"Query.draws":                {"wl-planner", `{ c: %s }`},
	"Draw.tasks":                 {"wl-planner", `query($draw: ID!) { draw(id: $draw) { c: %s } }`},
	"Query.inspectors":           {"wl-planner", `{ c: %s }`},
	"Query.expiringCertificates": {"wl-planner", `{ c: %s }`},
	"Query.conflicts":            {"wl-planner", `{ c: %s }`},
	"Query.inspectionItems":      {"wl-planner", `{ c: %s }`},
	"Query.publicPlans":          {"", `{ c: %s }`},
	"Query.publicDraws":          {"", `{ c: %s }`},
	"Query.publicResults":        {"", `{ c: %s }`},
	"Query.myTasks":              {"wl-inspector1", `{ c: %s }`},
	"Query.inspectionTasks":      {"wl-reviewer", `{ c: %s }`},
	"Query.inspectionRecords":    {"wl-reviewer", `{ c: %s }`},
	"Query.rosterEntities":       {"wl-planner", `{ c: %s }`},
	"Query.drawOverlaps":         {"lh-coordinator", `{ c: %s }`},
	"Query.jointVisits":          {"lh-coordinator", `{ c: %s }`},
	"Query.proposedConsequences": {"wl-admin", `{ c: %s }`},
	"PublicDraw.selected":        {"", `query($number: Int!) { publicDraw(number: $number) { c: %s } }`},
	"Query.entityHistory":        {"wl-planner", `query($code: String!) { c: %s }`},
	"Query.rosterEntryHistory":   {"wl-planner", `query($code: String!) { c: %s }`},
	"Query.inspectorHistory":     {"wl-planner", `query($inspector: ID!) { c: %s }`},
	"InspectionItem.versions":    {"wl-planner", `query($item: String!) { inspectionItem(code: $item) { c: %s } }`},
	"InspectionHistory.visits":   {"wl-leader", `query($visited: String!) { inspectionHistory(entityCode: $visited) { c: %s } }`},
	"Query.memberInvitations":    {"sj-admin", `{ c: %s }`},
	"Query.invitationsToMe":      {"wl-inspector1", `{ c: %s }`},
}

// connectionArgs are arguments a connection needs besides the page's.
var connectionArgs = map[string]string{
	"Query.expiringCertificates": "within: 3660, ",
	"Query.drawOverlaps":         "year: 2026, quarter: 1, ",
	"Query.jointVisits":          "year: 2026, quarter: 1, ",
	"Query.entityHistory":        "code: $code, ",
	"Query.rosterEntryHistory":   "code: $code, ",
	"Query.inspectorHistory":     "id: $inspector, ",
}

// schemaConnections lists every field of the schema that returns a
// connection, as Type.field, from introspection.
func schemaConnections(t *testing.T, e *env) []string {
	t.Helper()
	var d struct {
		Schema struct {
			Types []struct {
				Name   string
				Fields []struct {
					Name string
					Type struct {
						Name   string
						OfType struct{ Name string }
					}
				}
			}
		} `json:"__schema"`
	}
	e.Do(request{}, `{ __schema { types { name fields { name type { name ofType { name } } } } } }`, nil).mustData(t, &d)
	var out []string
	for _, ty := range d.Schema.Types {
		for _, f := range ty.Fields {
			if name := f.Type.Name + f.Type.OfType.Name; strings.HasSuffix(name, "Connection") {
				out = append(out, ty.Name+"."+f.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// pageOf is a connection's answer, as the test reads it.
type pageOf struct {
	TotalCount int
	Edges      []struct{ Cursor string }
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

func (p pageOf) cursors() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Cursor
	}
	return out
}

// connectionReader asks one connection for pages.
type connectionReader struct {
	t    *testing.T
	e    *env
	rq   request
	name string
	c    connectionCase
	vars map[string]any
}

func (r connectionReader) query() string {
	call := strings.Split(r.name, ".")[1] + "(" + connectionArgs[r.name] +
		`first: $first, after: $after, last: $last, before: $before) {
  totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`
	q := fmt.Sprintf(r.c.query, call)
	vars := "$first: Int, $after: String, $last: Int, $before: String"
	if strings.HasPrefix(q, "query(") {
		return strings.Replace(q, "query(", "query("+vars+", ", 1)
	}
	return "query(" + vars + ") " + q
}

// do asks for a page; page arguments left 0 or "" are not sent.
func (r connectionReader) do(first int, after string, last int, before string) response {
	vars := map[string]any{}
	for k, v := range r.vars {
		vars[k] = v
	}
	if first > 0 {
		vars["first"] = first
	}
	if last > 0 {
		vars["last"] = last
	}
	if after != "" {
		vars["after"] = after
	}
	if before != "" {
		vars["before"] = before
	}
	return r.e.Do(r.rq, r.query(), vars)
}

func (r connectionReader) page(first int, after string, last int, before string) pageOf {
	r.t.Helper()
	var d map[string]json.RawMessage
	r.do(first, after, last, before).mustData(r.t, &d)
	raw := d["c"]
	if raw == nil { // nested one level: draw(id:) { c: tasks }
		for _, v := range d {
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(v, &inner); err == nil {
				raw = inner["c"]
			}
		}
	}
	var p pageOf
	if err := json.Unmarshal(raw, &p); err != nil {
		r.t.Fatalf("decode %s: %v", raw, err)
	}
	return p
}

// TestConnections pages every connection of the schema forward with
// first/after and backward with last/before over the demo county, and
// checks that both ways give the same rows, that totalCount counts them,
// that pageInfo says where more rows lie, and that a tampered cursor or
// first with last is BAD_USER_INPUT naming the argument.
func TestConnections(t *testing.T) {
	e := newEnv(t)
	publicDraw, _ := publishedFixture(t, e) // a roster, a draw, records in every state, published results
	seedManyTasks(t, e, 6)                  // an inspector's tasks and records awaiting review
	for _, q := range []string{
		// The market-supervision bureau draws three of the same entities
		// in the same quarter: overlaps, and the joint office's proposals.
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
SELECT id, '140522', 2026, 1, '重叠', '2026-03-01', '2026-03-31', 'executed', '\x00' FROM bureaus WHERE code = '140522-sj'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, s, d.bureau_id, '140522', 2026, 1, 'E' || s, 'B', 't' FROM draws d, generate_series(1, 3) s WHERE d.title = '重叠'`,
		`INSERT INTO joint_visits (bureau_id, region_code, year, quarter, entity_code, draw_ids, bureau_ids)
SELECT lh.id, '140522', 2026, 1, t.entity_code, ARRAY[t.draw_id], ARRAY[t.lead_id]
FROM bureaus lh, draw_tasks t JOIN draws d ON d.id = t.draw_id WHERE lh.code = '140522-lh' AND d.title = '重叠'`,
		// E1 drawn again twice in the second quarter, in the same window:
		// three visits in its history, two tied on their window.
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
SELECT id, '140522', 2026, 2, t, '2026-04-01', '2026-04-30', 'executed', '\x00' FROM bureaus, unnest(ARRAY['再次', '再三']) t WHERE code = '140522-sj'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, 1, d.bureau_id, '140522', 2026, 2, 'E1', 'B', 't' FROM draws d WHERE d.title IN ('再次', '再三')`,
		// Plans of other years and bureaus: the public list runs by year
		// descending, then by bureau code ascending.
		`INSERT INTO plans (bureau_id, year, strata)
SELECT b.id, y, '{}' FROM bureaus b, generate_series(2025, 2027) y WHERE b.code IN ('140522-wl', '140522-sj') ON CONFLICT DO NOTHING`,
		// Published records' proposals awaiting the admin.
		`INSERT INTO record_consequences (bureau_id, record_id, kind, entity_code, state)
SELECT bureau_id, id, 'abnormal_operations', entity_code, 'proposed' FROM inspection_records WHERE state = 'published'`,
	} {
		if _, err := e.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := e.DB.Exec(`INSERT INTO conflicts (bureau_id, inspector_id, entity_code, reason, declared_by, recorded_by)
SELECT i.bureau_id, i.id, 'E' || i.id, '亲属', 'admin', u.id FROM inspectors i JOIN bureaus b ON b.id = i.bureau_id, users u
WHERE b.code = '140522-wl' AND u.username = 'wl-admin'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Exec(`INSERT INTO inspection_items (bureau_id, code, version, name, valid_from)
SELECT id, 'WL-CHK-' || n, 1, '检查事项' || n, now() FROM bureaus, generate_series(2, 3) n WHERE code = '140522-wl'`); err != nil {
		t.Fatal(err)
	}
	// Versions: an entity, its entry, an inspector and an item changed
	// three times each.
	planner := e.As("wl-planner")
	code := usccs(1)[0]
	var inspector string
	for i := range 3 {
		e.Do(planner, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": fmt.Sprintf("改名%d", i), "unit": fmt.Sprintf("中队%d", i)}}).mustData(t, nil)
		inspector = e.saveInspector(t, planner, inspectorIn("WL-9001", "版本", testNow().AddDate(1, 0, 0), map[string]any{"unit": fmt.Sprintf("中队%d", i)}))
		e.Do(planner, saveItemMutation, map[string]any{"in": map[string]any{"code": "WL-VER", "name": fmt.Sprintf("事项%d", i)}}).mustData(t, nil)
	}
	// Invitations: the market-supervision bureau's admin invites five
	// names, and the culture bureau's inspector is invited by both
	// bureaus that are not its own (one withdrawn, still listed to admins).
	sjAdmin, lhAdmin := e.As("sj-admin"), e.As("lh-admin")
	for _, name := range []string{"wl-inspector1", "wl-reviewer", "nobody-1", "nobody-2"} {
		invite(t, e, sjAdmin, name, "INSPECTOR")
	}
	e.Do(sjAdmin, withdrawInvite, withdrawVars(invite(t, e, sjAdmin, "nobody-3", "LEADER"))).mustData(t, nil)
	invite(t, e, lhAdmin, "wl-inspector1", "LEADER")
	vars := map[string]any{"code": code, "inspector": inspector, "item": "WL-VER", "visited": "E1"}

	var drawID string
	{
		var d struct {
			Draws struct{ Nodes []struct{ ID, Status string } }
		}
		e.Do(e.As("wl-planner"), `{ draws(filter: {status: EXECUTED}) { nodes { id status } } }`, nil).mustData(t, &d)
		if len(d.Draws.Nodes) == 0 {
			t.Fatal("the demo county has no executed draw")
		}
		drawID = d.Draws.Nodes[0].ID
	}
	tokens := map[string]request{"": {}}
	for _, name := range schemaConnections(t, e) {
		t.Run(name, func(t *testing.T) {
			c, ok := connectionCases[name]
			if !ok {
				t.Fatalf("%s returns a connection this test does not read: add it to connectionCases", name)
			}
			if _, ok := tokens[c.user]; !ok {
				tokens[c.user] = e.As(c.user)
			}
			r := connectionReader{t: t, e: e, rq: tokens[c.user], name: name, c: c, vars: map[string]any{}}
			if strings.Contains(c.query, "$draw") {
				r.vars["draw"] = drawID
			}
			for k, v := range vars {
				if strings.Contains(c.query, "$"+k+":") {
					r.vars[k] = v
				}
			}
			if strings.Contains(c.query, "$number") {
				r.vars["number"], _ = strconv.Atoi(publicDraw)
			}
			checkConnection(t, r)
		})
	}
}

func checkConnection(t *testing.T, r connectionReader) {
	total := r.page(1, "", 0, "").TotalCount
	if total < 2 {
		t.Fatalf("totalCount %d: the demo county should hold at least two rows here to page through", total)
	}
	size := total/3 + 1 // three or four pages each way

	var forward []string
	after := ""
	for pages := 0; ; pages++ {
		p := r.page(size, after, 0, "")
		if p.TotalCount != total {
			t.Errorf("forward page %d: totalCount %d, the first said %d", pages, p.TotalCount, total)
		}
		if p.PageInfo.HasPreviousPage != (pages > 0) {
			t.Errorf("forward page %d: hasPreviousPage %v", pages, p.PageInfo.HasPreviousPage)
		}
		forward = append(forward, p.cursors()...)
		if !p.PageInfo.HasNextPage || pages > total {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	if len(forward) != total {
		t.Fatalf("forward: %d rows, totalCount %d", len(forward), total)
	}

	var backward []string
	before := ""
	for pages := 0; ; pages++ {
		p := r.page(0, "", size, before)
		if p.PageInfo.HasNextPage != (pages > 0) {
			t.Errorf("backward page %d: hasNextPage %v", pages, p.PageInfo.HasNextPage)
		}
		if n := len(p.Edges); n > 0 && (*p.PageInfo.StartCursor != p.Edges[0].Cursor || *p.PageInfo.EndCursor != p.Edges[n-1].Cursor) {
			t.Errorf("backward page %d: start and end cursors are not its first and last rows'", pages)
		}
		backward = append(p.cursors(), backward...)
		if !p.PageInfo.HasPreviousPage || pages > total {
			break
		}
		before = *p.PageInfo.StartCursor
	}
	if !slices.Equal(backward, forward) {
		t.Fatalf("backward gives\n%v\nforward\n%v", backward, forward)
	}

	// Between two cursors, from either end.
	between := forward[1 : len(forward)-1]
	if got := r.page(0, forward[0], 0, forward[len(forward)-1]).cursors(); !slices.Equal(got, between) {
		t.Errorf("after the first and before the last: %v, want %v", got, between)
	}
	if len(between) > 0 {
		if got := r.page(0, forward[0], 1, forward[len(forward)-1]).cursors(); !slices.Equal(got, between[len(between)-1:]) {
			t.Errorf("last 1 between: %v, want %v", got, between[len(between)-1:])
		}
	}

	tampered := []byte(forward[0])
	tampered[len(tampered)/2] ^= 0x01
	for _, bad := range []struct {
		field         string
		first, last   int
		after, before string
	}{
		{field: "after", first: 2, after: string(tampered)},
		{field: "before", last: 2, before: string(tampered)},
		{field: "after", first: 2, after: "bm90IGEgY3Vyc29y"}, // base64 of "not a cursor"
		{field: "last", first: 2, last: 2},
	} {
		res := r.do(bad.first, bad.after, bad.last, bad.before)
		if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions.Field != bad.field {
			t.Errorf("%+v: %+v, want BAD_USER_INPUT naming %s", bad, res.Errors, bad.field)
		}
	}
}
