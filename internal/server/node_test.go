package server_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// nodeFixture is one object of every Node type of 140522-wl, as clients
// first meet it: its __typename and global id.
type nodeFixture struct {
	typename, id string
}

// collectNodes reads, as wl-planner, the id of one object of each type
// through the queries clients use.
func collectNodes(t *testing.T, e *env) []nodeFixture {
	t.Helper()
	f := newRosterFixture(t, e)
	drawVars := executedDraw(t, e)
	const q = `query($draw: ID!, $code: String!) {
  me { user { id } actingBureau { id } }
  members(first: 1) { nodes { id } }
  draw(id: $draw) { id tasks(first: 1) { nodes { id } } }
  plan(year: 2026) { id }
  inspectors(first: 1) { nodes { id } }
  conflicts(first: 1) { nodes { id } }
  inspectionItems(first: 1) { nodes { id } }
  entity(code: $code) { id }
}`
	type ids struct{ Nodes []struct{ ID string } }
	var d struct {
		Me struct {
			User         struct{ ID string }
			ActingBureau struct{ ID string }
		}
		Members struct{ Nodes []struct{ ID string } }
		Draw    struct {
			ID    string
			Tasks ids
		}
		Plan            struct{ ID string }
		Inspectors      ids
		Conflicts       ids
		InspectionItems ids
		Entity          struct{ ID string }
	}
	e.Do(e.As("wl-planner"), q, map[string]any{"draw": drawVars["id"], "code": f.Entity}).mustData(t, &d)
	first := func(name string, l ids) string {
		if len(l.Nodes) == 0 {
			t.Fatalf("no %s to refetch", name)
		}
		return l.Nodes[0].ID
	}
	return []nodeFixture{
		{"User", d.Me.User.ID},
		{"Bureau", d.Me.ActingBureau.ID},
		{"Member", first("members", d.Members)},
		{"Draw", d.Draw.ID},
		{"DrawTask", first("tasks", d.Draw.Tasks)},
		{"Plan", d.Plan.ID},
		{"Inspector", first("inspectors", d.Inspectors)},
		{"Conflict", first("conflicts", d.Conflicts)},
		{"InspectionItem", first("inspection items", d.InspectionItems)},
		{"Entity", d.Entity.ID},
	}
}

// regionShared tells the types whose objects every bureau of the region
// sees: bureaus, which name each other, and entities (检查对象), which the
// region's rosters share.
func regionShared(typename string) bool { return typename == "Bureau" || typename == "Entity" }

const nodeQuery = `query($id: ID!) { node(id: $id) { __typename id } }`

func TestNode(t *testing.T) {
	e := newEnv(t)
	fixtures := collectNodes(t, e)
	planner := e.As("wl-planner")
	seen := map[string]string{}
	for _, f := range fixtures {
		if other, dup := seen[f.id]; dup {
			t.Fatalf("%s and %s share the id %q: global ids must be unique across types", other, f.typename, f.id)
		}
		seen[f.id] = f.typename
		if strings.ContainsAny(f.id, ":/ ") || f.id == "" {
			t.Errorf("%s id %q is not opaque", f.typename, f.id)
		}
	}

	t.Run("OKEveryType", func(t *testing.T) {
		for _, f := range fixtures {
			var raw struct {
				Node struct {
					Typename string `json:"__typename"`
					ID       string `json:"id"`
				}
			}
			e.Do(planner, nodeQuery, map[string]any{"id": f.id}).mustData(t, &raw)
			if raw.Node.Typename != f.typename || raw.Node.ID != f.id {
				t.Errorf("node(%s id) = %s %q, want the same %s back", f.typename, raw.Node.Typename, raw.Node.ID, f.typename)
			}
		}
	})

	t.Run("OKNodesInOrder", func(t *testing.T) {
		ids := make([]string, 0, len(fixtures)+1)
		for i := len(fixtures) - 1; i >= 0; i-- {
			ids = append(ids, fixtures[i].id)
		}
		missing := globalID("Draw", 999999)
		ids = append(ids[:2], append([]string{missing}, ids[2:]...)...)
		r := e.Do(planner, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		var d struct{ Nodes []*struct{ ID string } }
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("data %s: %v", r.Data, err)
		}
		if len(d.Nodes) != len(ids) {
			t.Fatalf("nodes returned %d entries for %d ids", len(d.Nodes), len(ids))
		}
		for i, n := range d.Nodes {
			switch {
			case i == 2 && n != nil:
				t.Errorf("nodes[2] (a missing draw) = %+v, want null", n)
			case i != 2 && (n == nil || n.ID != ids[i]):
				t.Errorf("nodes[%d] = %+v, want id %q", i, n, ids[i])
			}
		}
		if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "NOT_FOUND" || fmt.Sprint(r.Errors[0].Path) != "[nodes 2]" {
			t.Errorf("errors = %+v, want one NOT_FOUND at [nodes 2]", r.Errors)
		}
	})

	t.Run("ErrOtherBureauNotFound", func(t *testing.T) {
		for _, f := range fixtures {
			if regionShared(f.typename) {
				continue
			}
			r := e.Do(e.As("sj-planner"), nodeQuery, map[string]any{"id": f.id})
			wantCode(t, r, "NOT_FOUND")
			if r.Data != nil && strings.Contains(string(r.Data), f.id) {
				t.Errorf("sj-planner's node(%s of 140522-wl) answered %s", f.typename, r.Data)
			}
		}
	})

	t.Run("ErrOtherRegionNotFound", func(t *testing.T) {
		other := request{Token: e.otherRegionUser()}
		for _, f := range fixtures {
			wantCode(t, e.Do(other, nodeQuery, map[string]any{"id": f.id}), "NOT_FOUND")
		}
	})

	t.Run("ErrUnauthenticated", func(t *testing.T) {
		for _, f := range fixtures {
			wantCode(t, e.Do(request{}, nodeQuery, map[string]any{"id": f.id}), "UNAUTHENTICATED")
		}
	})

	t.Run("ErrMalformedNotFound", func(t *testing.T) {
		var drawID string
		for _, f := range fixtures {
			if f.typename == "Draw" {
				drawID = f.id
			}
		}
		for _, id := range []string{"", "1", "not base64!", globalID("Draw", "x"), globalID("Nothing", 1), globalID("Draw"),
			globalID("Plan", 1), globalID("Member", "x", "wl-planner")} {
			wantCode(t, e.Do(planner, nodeQuery, map[string]any{"id": id}), "NOT_FOUND")
		}
		// An id of one type names nothing where another type is asked for.
		wantCode(t, e.Do(planner, `query($id: ID!) { inspector(id: $id) { id } }`, map[string]any{"id": drawID}), "NOT_FOUND")
	})

	t.Run("ErrTooManyIDs", func(t *testing.T) {
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = fixtures[0].id
		}
		wantCode(t, e.Do(planner, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}), "BAD_USER_INPUT")
	})
}

// TestNodeJointVisit refetches a joint visit proposal, which needs two
// bureaus' draws of one entity in a quarter.
func TestNodeJointVisit(t *testing.T) {
	e := newEnv(t)
	shared := usccs(1)
	sj, wl, lh := e.As("sj-planner"), e.As("wl-planner"), e.As("lh-coordinator")
	var drawIDs []string
	for _, b := range []struct {
		rq     request
		prefix string
	}{{sj, "sj"}, {wl, "wl"}} {
		fillRoster(t, e, b.rq, b.prefix, shared, 2)
		e.Do(b.rq, saveEntity, map[string]any{"in": map[string]any{"uscc": shared[0], "name": "共同对象", "riskClass": "D"}}).mustData(t, nil)
		id := makeDraw(t, e, b.rq, newDrawInput("同季度", nil))
		e.Do(b.rq, executeDraw, map[string]any{"id": id, "c": "5"}).mustData(t, nil)
		drawIDs = append(drawIDs, id)
	}
	var p struct {
		ProposeJointVisit struct{ JointVisit struct{ ID string } }
	}
	e.Do(lh, `mutation($c: String!) { proposeJointVisit(input: {year: 2026, quarter: 1, entityCode: $c}) { jointVisit { id } } }`,
		map[string]any{"c": shared[0]}).mustData(t, &p)
	id := p.ProposeJointVisit.JointVisit.ID
	var d struct {
		Node struct {
			ID       string
			DrawIds  []string
			Bureaus  []string
			Typename string `json:"__typename"`
		}
	}
	e.Do(lh, `query($id: ID!) { node(id: $id) { __typename id ... on JointVisit { drawIds bureaus } } }`, map[string]any{"id": id}).mustData(t, &d)
	if d.Node.Typename != "JointVisit" || d.Node.ID != id || len(d.Node.Bureaus) != 2 {
		t.Fatalf("node(joint visit) = %+v", d.Node)
	}
	for _, want := range drawIDs {
		if !strings.Contains(strings.Join(d.Node.DrawIds, " "), want) {
			t.Errorf("drawIds %v lack the draw %q, as its own id reads", d.Node.DrawIds, want)
		}
	}
	wantCode(t, e.Do(request{Token: e.otherRegionUser()}, nodeQuery, map[string]any{"id": id}), "NOT_FOUND")
	t.Run("ErrBureauNotNamedNotFound", func(t *testing.T) {
		ws := request{Token: e.bureauPlanner("140522", "140522-ws", "阳城县卫生健康局", "ws-planner")}
		wantCode(t, e.Do(ws, nodeQuery, map[string]any{"id": id}), "NOT_FOUND")
	})
	t.Run("ErrKeyOfAnotherQuarterNotFound", func(t *testing.T) {
		key, _ := base64.RawURLEncoding.DecodeString(id)
		moved := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(key), ":1", ":2", 1)))
		if moved == id {
			t.Fatalf("key %q names no quarter 1", key)
		}
		wantCode(t, e.Do(lh, nodeQuery, map[string]any{"id": moved}), "NOT_FOUND")
	})
	t.Run("OKNamedBureauSees", func(t *testing.T) {
		e.Do(wl, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).mustData(t, nil)
	})
}

// TestNodeConflict refetches a withdrawn conflict by its id, and another
// bureau's planner finds none.
func TestNodeConflict(t *testing.T) {
	e := newEnv(t)
	id := newRosterFixture(t, e).Conflict
	e.Do(e.As("wl-admin"), `mutation($id: ID!) { withdrawConflict(input: {id: $id}) { conflict { id } } }`, map[string]any{"id": id}).mustData(t, nil)
	var d struct {
		Node struct{ ID, WithdrawnAt string }
	}
	e.Do(e.As("wl-planner"), `query($id: ID!) { node(id: $id) { id ... on Conflict { withdrawnAt } } }`, map[string]any{"id": id}).mustData(t, &d)
	if d.Node.ID != id || d.Node.WithdrawnAt == "" {
		t.Errorf("node(withdrawn conflict) = %+v, want it back with its withdrawal", d.Node)
	}
	wantCode(t, e.Do(e.As("sj-planner"), nodeQuery, map[string]any{"id": id}), "NOT_FOUND")
	wantCode(t, e.Do(e.As("wl-inspector1"), nodeQuery, map[string]any{"id": id}), "FORBIDDEN")
}

// TestNodeRecordAndTask refetches an inspection task, a record
// (publishedFixture: records in every state) and a file of evidence of it
// by their global ids:
// the reviewer finds them, another bureau's reviewer and another region
// find none, nobody signed in is refused.
func TestNodeRecordAndTask(t *testing.T) {
	e := newEnv(t)
	publishedFixture(t, e)
	reviewer := e.As("wl-reviewer")
	if _, err := e.DB.Exec(`INSERT INTO record_evidence (bureau_id, record_id, filename, content_type, size_bytes, sha256, content, uploaded_by)
SELECT r.bureau_id, r.id, 'photo.png', 'image/png', 3, encode(sha256('png'), 'hex'), 'png', r.created_by
FROM inspection_records r JOIN bureaus b ON b.id = r.bureau_id WHERE b.code = '140522-wl' ORDER BY r.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var d struct {
		InspectionTasks   struct{ Nodes []struct{ ID string } }
		InspectionRecords struct {
			Nodes []struct {
				ID       string
				Evidence []struct{ ID string }
			}
		}
	}
	e.Do(reviewer, `{ inspectionTasks(first: 1) { nodes { id } } inspectionRecords(first: 50) { nodes { id evidence { id } } } }`, nil).mustData(t, &d)
	fixtures := []nodeFixture{}
	for _, r := range d.InspectionRecords.Nodes {
		if len(r.Evidence) > 0 {
			fixtures = append(fixtures, nodeFixture{"InspectionRecord", r.ID}, nodeFixture{"Evidence", r.Evidence[0].ID})
		}
	}
	if len(d.InspectionTasks.Nodes) == 0 || len(fixtures) == 0 {
		t.Fatalf("no task, record or evidence to refetch: %+v", d)
	}
	fixtures = append(fixtures, nodeFixture{"InspectionTask", d.InspectionTasks.Nodes[0].ID})
	other := request{Token: e.otherRegionUser()}
	for _, f := range fixtures {
		var raw struct {
			Node struct {
				Typename string `json:"__typename"`
				ID       string `json:"id"`
			}
		}
		e.Do(reviewer, nodeQuery, map[string]any{"id": f.id}).mustData(t, &raw)
		if raw.Node.Typename != f.typename || raw.Node.ID != f.id {
			t.Errorf("node(%s id) = %s %q, want the same %s back", f.typename, raw.Node.Typename, raw.Node.ID, f.typename)
		}
		wantCode(t, e.Do(e.As("sj-reviewer"), nodeQuery, map[string]any{"id": f.id}), "NOT_FOUND")
		wantCode(t, e.Do(other, nodeQuery, map[string]any{"id": f.id}), "NOT_FOUND")
		wantCode(t, e.Do(request{}, nodeQuery, map[string]any{"id": f.id}), "UNAUTHENTICATED")
	}
}
