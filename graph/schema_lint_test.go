package graph

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The schema linter: the conventions front ends rely on, checked over the
// parsed schema files on every test run. Each rule returns one line per
// place that breaks it.

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../schema/*.graphqls")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files (%v)", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: filepath.Base(f), Input: string(b)})
	}
	s, gqlErr := gqlparser.LoadSchema(sources...)
	if gqlErr != nil {
		t.Fatalf("schema: %v", gqlErr)
	}
	return s
}

// ownTypes are the schema's types, built-ins and introspection aside, by name.
func ownTypes(s *ast.Schema) []*ast.Definition {
	var defs []*ast.Definition
	for _, d := range s.Types {
		if !d.BuiltIn && !strings.HasPrefix(d.Name, "__") {
			defs = append(defs, d)
		}
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

func ownFields(d *ast.Definition) []*ast.FieldDefinition {
	var fields []*ast.FieldDefinition
	for _, f := range d.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			fields = append(fields, f)
		}
	}
	return fields
}

// lintDescriptions: every type, field, argument, input field and enum
// value says what it is.
func lintDescriptions(s *ast.Schema) []string {
	var bad []string
	for _, d := range ownTypes(s) {
		if strings.TrimSpace(d.Description) == "" {
			bad = append(bad, "type "+d.Name+" has no description")
		}
		for _, f := range ownFields(d) {
			if strings.TrimSpace(f.Description) == "" {
				bad = append(bad, d.Name+"."+f.Name+" has no description")
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					bad = append(bad, d.Name+"."+f.Name+"("+a.Name+":) has no description")
				}
			}
		}
		for _, v := range d.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				bad = append(bad, d.Name+"."+v.Name+" has no description")
			}
		}
	}
	return bad
}

// lintNodes: Relay's global object identification. Node is id: ID!, the
// query has node(id:) and nodes(ids:), and every object type with an
// id: ID! field implements Node.
func lintNodes(s *ast.Schema) []string {
	var bad []string
	node := s.Types["Node"]
	if node == nil || node.Kind != ast.Interface || node.Fields.ForName("id") == nil || node.Fields.ForName("id").Type.String() != "ID!" {
		return []string{"no interface Node { id: ID! }"}
	}
	want := map[string]string{"node": "Node", "nodes": "[Node]!"}
	args := map[string]string{"node": "id: ID!", "nodes": "ids: [ID!]!"}
	for name, typ := range want {
		f := s.Query.Fields.ForName(name)
		if f == nil || f.Type.String() != typ || len(f.Arguments) != 1 ||
			f.Arguments[0].Name+": "+f.Arguments[0].Type.String() != args[name] {
			bad = append(bad, "Query lacks "+name+"("+args[name]+"): "+typ)
		}
	}
	for _, d := range ownTypes(s) {
		id := d.Fields.ForName("id")
		if d.Kind != ast.Object || id == nil {
			continue
		}
		if id.Type.String() != "ID!" {
			bad = append(bad, d.Name+".id is "+id.Type.String()+", not ID!")
		}
		if !implements(d, "Node") && notNodes[d.Name] == "" {
			bad = append(bad, d.Name+" has an id but does not implement Node")
		}
	}
	return bad
}

// notNodes are types with a global id that node(id:) does not yet find,
// and why. Remove an entry when its type implements Node.
var notNodes = map[string]string{}

func implements(d *ast.Definition, iface string) bool {
	for _, i := range d.Interfaces {
		if i == iface {
			return true
		}
	}
	return false
}

// notGlobalIDs are fields named like ids that are not global ids, and why.
var notGlobalIDs = map[string]string{
	"AuditFilter.objectId": "the audited object's key as the audit trail records it (a username, a draw's number)",
}

// lintIDs: arguments and input fields that name objects (id, fooId,
// fooIds) are IDs, so that clients pass what they read from `id`.
func lintIDs(s *ast.Schema) []string {
	var bad []string
	check := func(where, name string, typ *ast.Type) {
		if notGlobalIDs[where] != "" {
			return
		}
		isIDName := name == "id" || strings.HasSuffix(name, "Id") || name == "ids" || strings.HasSuffix(name, "Ids")
		if isIDName && strings.Trim(typ.String(), "[]!") != "ID" {
			bad = append(bad, where+" names objects but is "+typ.String()+", not ID")
		}
	}
	for _, d := range ownTypes(s) {
		for _, f := range ownFields(d) {
			if d.Kind == ast.InputObject {
				check(d.Name+"."+f.Name, f.Name, f.Type)
			}
			for _, a := range f.Arguments {
				check(d.Name+"."+f.Name+"("+a.Name+":)", a.Name, a.Type)
			}
		}
	}
	return bad
}

// lintConnections: Relay's cursor connections. A XConnection has edges:
// [XEdge!]!, nodes, pageInfo: PageInfo! and totalCount: Int!; an edge has
// node and cursor: String!; a field returning a connection takes first and
// after (forward), last and before (backward).
func lintConnections(s *ast.Schema) []string {
	var bad []string
	for _, d := range ownTypes(s) {
		if d.Kind != ast.Object || !strings.HasSuffix(d.Name, "Connection") {
			continue
		}
		base := strings.TrimSuffix(d.Name, "Connection")
		edge := base + "Edge"
		for name, typ := range map[string]string{"edges": "[" + edge + "!]!", "pageInfo": "PageInfo!", "totalCount": "Int!"} {
			if f := d.Fields.ForName(name); f == nil || f.Type.String() != typ {
				bad = append(bad, d.Name+" lacks "+name+": "+typ)
			}
		}
		if d.Fields.ForName("nodes") == nil {
			bad = append(bad, d.Name+" lacks nodes")
		}
		e := s.Types[edge]
		if e == nil || e.Fields.ForName("node") == nil || e.Fields.ForName("cursor") == nil || e.Fields.ForName("cursor").Type.String() != "String!" {
			bad = append(bad, edge+" lacks node and cursor: String!")
		}
	}
	for _, d := range ownTypes(s) {
		for _, f := range ownFields(d) {
			if !strings.HasSuffix(f.Type.Name(), "Connection") {
				continue
			}
			for _, arg := range []string{"first", "after", "last", "before"} {
				if f.Arguments.ForName(arg) == nil {
					bad = append(bad, d.Name+"."+f.Name+" returns a connection but takes no "+arg)
				}
			}
		}
	}
	return bad
}

// boundedLists are the fields that return a plain list of objects, and
// what bounds each one. Any other list of objects must be a connection: a
// list that can grow without bound needs pages and a totalCount.
var boundedLists = map[string]string{
	"Dashboard.bureaus":             "the bureaus of one region",
	"Dashboard.joint":               "four quarters",
	"BureauFigures.strata":          "the strata A, B, C, D, F",
	"BureauFigures.quarters":        "four quarters",
	"BureauFigures.results":         "the codes of one result code table",
	"InspectionVisit.records":       "the items of one visit, each bureau's",
	"Me.memberships":                "the bureaus a user belongs to",
	"Draw.participants":             "the bureaus of one region",
	"DrawParticipant.items":         "the items one bureau checks in one draw",
	"DrawTask.team":                 "a team's size",
	"DrawTask.substitutions":        "changes to one team",
	"Entity.entries":                "the bureaus of one region",
	"ImportRosterPayload.changes":   "the first 500 (roster.MaxListedChanges); changesLeftOut counts the rest",
	"InspectionRecord.consequences": "the kinds of consequence (abnormal operations, focus, status)",
	"InspectionRecord.evidence":     "the files of one record",
	"InspectionRecord.results":      "the codes of one result code table",
	"InspectionTask.items":          "the items of one task",
	"InspectionTask.records":        "the items of one task, each bureau's",
	"InspectionTask.team":           "a team's size",
	"Plan.strata":                   "the strata A, B, C, D, F",
	"PlanFeasibility.strata":        "the strata A, B, C, D, F",
	"PlanProgress.quarters":         "four quarters",
	"PlanProgress.strata":           "the strata A, B, C, D, F",
	"PublicDraw.participants":       "the bureaus of one region",
	"PublicDrawParticipant.items":   "the items one bureau checks in one draw",
	"PublicPlan.items":              "one bureau's items of one year",
	"PublicTask.inspectors":         "a team's size",
	"PublicTask.items":              "the items of one task",
	"PublishRecordsPayload.records": "the records the input names",
	"Query.drawInspectorVersions":   "one bureau's inspectors",
	"Query.nodes":                   "the ids asked for, at most 100",
	"Query.plans":                   "one plan a year",
	"Query.units":                   "one bureau's jurisdiction units (属地所, 中队): tens",
	"Query.publicBureaus":           "the bureaus of the deployment's regions",
	"ResultCodeTable.codes":         "one version of the result code table",
	"RosterCounts.byRiskClass":      "the risk classes",
	"RosterCounts.byStatus":         "the statuses",
	"WorkdayYear.overrides":         "the days of one year",
}

// lintLists: a field returning a list of objects is a connection, an
// edge or node list of one, or bounded (boundedLists).
func lintLists(s *ast.Schema) []string {
	var bad []string
	for _, d := range ownTypes(s) {
		if d.Kind != ast.Object || strings.HasSuffix(d.Name, "Connection") {
			continue
		}
		for _, f := range ownFields(d) {
			elem := s.Types[f.Type.Name()]
			if f.Type.Elem == nil || elem == nil || elem.Kind == ast.Scalar || elem.Kind == ast.Enum {
				continue
			}
			if boundedLists[d.Name+"."+f.Name] == "" {
				bad = append(bad, d.Name+"."+f.Name+" returns a list of "+elem.Name+" that can grow: make it a connection, or say what bounds it in boundedLists")
			}
		}
	}
	return bad
}

// bareArgumentMutations take one plain argument instead of an input,
// and why. Remove an entry when its mutation takes an input.
var bareArgumentMutations = map[string]string{
	"removeEvidence": "landed with the records before the rule; to take RemoveEvidenceInput",
	"removeWorkday":  "landed with the records before the rule; to take RemoveWorkdayInput",
}

// lintMutations: actionNoun(input: ActionNounInput!): ActionNounPayload!.
func lintMutations(s *ast.Schema) []string {
	var bad []string
	for _, f := range ownFields(s.Mutation) {
		if bareArgumentMutations[f.Name] != "" {
			continue
		}
		payload := strings.ToUpper(f.Name[:1]) + f.Name[1:] + "Payload"
		if !strings.HasSuffix(f.Type.Name(), "Payload") || !f.Type.NonNull {
			bad = append(bad, "Mutation."+f.Name+" returns "+f.Type.String()+", not a payload like "+payload+"!")
		}
		for _, a := range f.Arguments {
			if a.Name != "input" || !a.Type.NonNull || !strings.HasSuffix(a.Type.Name(), "Input") {
				bad = append(bad, "Mutation."+f.Name+" takes "+a.Name+": "+a.Type.String()+"; want one input: XInput!")
			}
		}
	}
	return bad
}

func TestSchemaLint(t *testing.T) {
	s := loadSchema(t)
	rules := []struct {
		name string
		lint func(*ast.Schema) []string
	}{
		{"Descriptions", lintDescriptions},
		{"Nodes", lintNodes},
		{"IDs", lintIDs},
		{"Connections", lintConnections},
		{"Lists", lintLists},
		{"Mutations", lintMutations},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for _, b := range r.lint(s) {
				t.Error(b)
			}
		})
	}
}

// TestSchemaLintCatches runs each rule over a schema that breaks it: a
// linter that finds nothing proves nothing.
func TestSchemaLintCatches(t *testing.T) {
	const broken = `
"""d"""
type Query {
  "d"
  thing(id: String): Thing
  "d"
  things(last: Int): ThingConnection!
  "d"
  all: [Thing!]!
}
"""d"""
type Mutation {
  "d"
  doIt(x: Int): Boolean
}
type Thing {
  id: ID!
}
"""d"""
type ThingConnection {
  "d"
  edges: [Thing]
}
`
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "broken.graphqls", Input: broken})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		lint func(*ast.Schema) []string
		want []string
	}{
		{"Descriptions", lintDescriptions, []string{"type Thing has no description", "Thing.id has no description", "Query.thing(id:) has no description"}},
		{"Nodes", lintNodes, []string{"no interface Node"}},
		{"IDs", lintIDs, []string{"Query.thing(id:) names objects but is String"}},
		{"Connections", lintConnections, []string{"ThingConnection lacks edges", "ThingConnection lacks pageInfo", "ThingConnection lacks totalCount", "ThingEdge lacks node",
			"Query.things returns a connection but takes no first", "Query.things returns a connection but takes no before"}},
		{"Lists", lintLists, []string{"Query.all returns a list of Thing that can grow"}},
		{"Mutations", lintMutations, []string{"Mutation.doIt returns Boolean", "Mutation.doIt takes x: Int"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.lint(s), "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the rule missed %q; it found:\n%s", w, got)
				}
			}
		})
	}
}
