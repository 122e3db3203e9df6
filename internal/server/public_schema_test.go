package server_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// publicFields are every field a client can reach without a token, each
// read and judged public (一公开): a field added to a type reachable
// without a token fails TestPublicFieldsWithoutToken until it is judged
// and listed here.
var publicFields = []string{
	"PageInfo.endCursor", "PageInfo.hasNextPage", "PageInfo.hasPreviousPage", "PageInfo.startCursor",
	"PublicBureau.code", "PublicBureau.name", "PublicBureau.regionCode", "PublicBureau.regionName",
	"PublicDraw.commitmentUrl", "PublicDraw.executedAt", "PublicDraw.frameSize", "PublicDraw.frozenAt",
	"PublicDraw.joint", "PublicDraw.lead", "PublicDraw.manifestUrl", "PublicDraw.number", "PublicDraw.participants",
	"PublicDraw.quarter", "PublicDraw.redrawOf", "PublicDraw.redrawReason", "PublicDraw.selected", "PublicDraw.status",
	"PublicDraw.title", "PublicDraw.windowEnd", "PublicDraw.windowStart", "PublicDraw.year",
	"PublicDrawConnection.edges", "PublicDrawConnection.nodes", "PublicDrawConnection.pageInfo",
	"PublicDrawConnection.totalCount", // how many public draws the filter finds: public already, page by page
	"PublicDrawEdge.cursor", "PublicDrawEdge.node",
	"PublicDrawParticipant.bureau", "PublicDrawParticipant.items",
	"PublicEntity.code", "PublicEntity.name",
	// a draw's selected entities as pages: the list that was public whole
	"PublicEntityConnection.edges", "PublicEntityConnection.nodes", "PublicEntityConnection.pageInfo",
	"PublicEntityConnection.totalCount", "PublicEntityEdge.cursor", "PublicEntityEdge.node",
	"PublicItem.code", "PublicItem.legalBasis", "PublicItem.methods", "PublicItem.name", "PublicItem.version",
	"PublicPlan.bureau", "PublicPlan.drawsPerYear", "PublicPlan.items", "PublicPlan.minCoverageBasisPoints",
	"PublicPlan.minDrawRatioBasisPoints", "PublicPlan.updatedAt", "PublicPlan.year",
	// published plans as pages: the list that was public whole, and how many the filter finds
	"PublicPlanConnection.edges", "PublicPlanConnection.nodes", "PublicPlanConnection.pageInfo",
	"PublicPlanConnection.totalCount", "PublicPlanEdge.cursor", "PublicPlanEdge.node",
	"PublicResult.bureau", "PublicResult.correction", "PublicResult.drawNumber", "PublicResult.entityCode",
	"PublicResult.entityName", "PublicResult.inspectedOn", "PublicResult.itemCode", "PublicResult.itemName",
	"PublicResult.publishedAt", "PublicResult.results", "PublicResult.taskName",
	"PublicResultConnection.edges", "PublicResultConnection.nodes", "PublicResultConnection.pageInfo",
	"PublicResultConnection.totalCount", // how many published results the search finds
	"PublicResultEdge.cursor", "PublicResultEdge.node",
	"PublicTask.bureaus", "PublicTask.drawNumber", "PublicTask.drawTitle", "PublicTask.entity", "PublicTask.inspectors",
	"PublicTask.items", "PublicTask.manifestUrl", "PublicTask.windowEnd", "PublicTask.windowStart",
	"PublicTaskItem.bureau", "PublicTaskItem.code", "PublicTaskItem.legalBasis", "PublicTaskItem.name",
	"PublicInspector.bureau", "PublicInspector.certificate", "PublicInspector.name",
	// the working-day calendar (records): national reference data, the State Council's and the admins' days
	"WorkdayOverride.day", "WorkdayOverride.name", "WorkdayOverride.working",
	"WorkdayYear.known", "WorkdayYear.overrides", "WorkdayYear.year",
}

// neverPublic matches names that must never be reachable without a token.
var neverPublic = regexp.MustCompile(`(?i)risk|strat|exclu|conflict|note|finding|disposal|evidence|review|returnReason|password|token|member|audit`)

type introspectedType struct {
	Kind          string
	Name          string
	OfType        *introspectedType
	Fields        []introspectedField
	InputFields   []introspectedArg
	EnumValues    []struct{ Name string }
	PossibleTypes []struct{ Name string }
}

type introspectedField struct {
	Name string
	Args []introspectedArg
	Type introspectedType
}

type introspectedArg struct {
	Name string
	Type introspectedType
}

const typeRef = `kind name ofType { kind name ofType { kind name ofType { kind name } } }`

const introspection = `{ __schema { queryType { name } types {
  kind name
  fields { name args { name type { ` + typeRef + ` } } type { ` + typeRef + ` } }
  inputFields { name type { ` + typeRef + ` } }
  enumValues { name }
  possibleTypes { name } } } }`

// named unwraps NON_NULL and LIST.
func (t introspectedType) named() introspectedType {
	for t.OfType != nil && (t.Kind == "NON_NULL" || t.Kind == "LIST") {
		t = *t.OfType
	}
	return t
}

// TestPublicFieldsWithoutToken asks the schema for every query, calls each
// without a token, and walks every field reachable from those that answer:
// each must be a field judged public, and none may look private.
func TestPublicFieldsWithoutToken(t *testing.T) {
	e := newEnv(t)
	var schema struct {
		Schema struct {
			QueryType struct{ Name string }
			Types     []introspectedType
		} `json:"__schema"`
	}
	e.Do(request{}, introspection, nil).mustData(t, &schema)
	types := map[string]introspectedType{}
	for _, ty := range schema.Schema.Types {
		types[ty.Name] = ty
	}

	var open []introspectedField
	for _, f := range types[schema.Schema.QueryType.Name].Fields {
		if f.Type.named().Name == "Node" {
			continue // node and nodes answer per type: TestNodeWithoutToken
		}
		r := e.Do(request{}, callWithoutToken(f, types), nil)
		if r.Code() == "UNAUTHENTICATED" {
			continue
		}
		open = append(open, f)
	}
	var openNames []string
	for _, f := range open {
		openNames = append(openNames, f.Name)
	}
	for _, want := range []string{"publicBureaus", "publicPlans", "publicDraws", "publicDraw", "publicResults", "publicTask"} {
		if !slices.Contains(openNames, want) {
			t.Errorf("%s is not reachable without a token (open: %v)", want, openNames)
		}
	}

	reached := map[string]bool{}
	seen := map[string]bool{}
	var walk func(typeName string)
	walk = func(typeName string) {
		if seen[typeName] || strings.HasPrefix(typeName, "__") {
			return
		}
		seen[typeName] = true
		ty := types[typeName]
		for _, p := range ty.PossibleTypes {
			walk(p.Name)
		}
		for _, f := range ty.Fields {
			reached[typeName+"."+f.Name] = true
			walk(f.Type.named().Name)
		}
	}
	for _, f := range open {
		if neverPublic.MatchString(f.Name) {
			t.Errorf("query %s is open without a token and looks private", f.Name)
		}
		walk(f.Type.named().Name)
	}
	var got []string
	for name := range reached {
		got = append(got, name)
		if !slices.Contains(publicFields, name) {
			t.Errorf("%s is reachable without a token but was never judged public: judge it, then list it in publicFields", name)
		}
		if neverPublic.MatchString(name) {
			t.Errorf("%s is reachable without a token and looks private", name)
		}
	}
	sort.Strings(got)
	if len(got) < 40 {
		t.Errorf("only %d fields reachable without a token; the walk is broken: %v", len(got), got)
	}
}

// TestNodeWithoutToken: node(id:) and nodes(ids:) reach every type, each
// through its own service; with real ids of private objects and no token
// they answer nothing.
func TestNodeWithoutToken(t *testing.T) {
	e := newEnv(t)
	publicFixture(t, e)
	type drawIDs struct {
		ID    string
		Lead  struct{ ID string }
		Tasks struct{ Nodes []struct{ ID string } }
	}
	var d struct {
		Draws struct{ Nodes []drawIDs }
		Me    struct{ User struct{ ID string } }
	}
	e.Do(e.As("wl-planner"), `{ draws(first: 1) { nodes { id lead { id } tasks(first: 1) { nodes { id } } } } me { user { id } } }`,
		nil).mustData(t, &d)
	if len(d.Draws.Nodes) != 1 || len(d.Draws.Nodes[0].Tasks.Nodes) != 1 {
		t.Fatalf("no draw with a task: %+v", d)
	}
	dr := d.Draws.Nodes[0]
	ids := []string{dr.ID, dr.Lead.ID, dr.Tasks.Nodes[0].ID, d.Me.User.ID}
	for _, id := range ids {
		r := e.Do(request{}, `query($id: ID!) { node(id: $id) { __typename } }`, map[string]any{"id": id})
		if len(r.Errors) == 0 || strings.Contains(string(r.Data), "__typename") {
			t.Errorf("node(%s) without a token: %s", id, r.Data)
		}
		r = e.Do(request{}, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`, map[string]any{"ids": []string{id}})
		if strings.Contains(string(r.Data), "__typename") {
			t.Errorf("nodes([%s]) without a token: %s", id, r.Data)
		}
	}
}

// callWithoutToken writes a query calling field with a made-up value for
// each required argument and the least selection.
func callWithoutToken(f introspectedField, types map[string]introspectedType) string {
	var args []string
	for _, a := range f.Args {
		if a.Type.Kind == "NON_NULL" {
			args = append(args, a.Name+": "+sampleValue(a.Type, types))
		}
	}
	call := f.Name
	if len(args) > 0 {
		call += "(" + strings.Join(args, ", ") + ")"
	}
	if k := f.Type.named().Kind; k == "OBJECT" || k == "INTERFACE" || k == "UNION" {
		call += " { __typename }"
	}
	return "{ " + call + " }"
}

func sampleValue(t introspectedType, types map[string]introspectedType) string {
	switch t.Kind {
	case "NON_NULL":
		return sampleValue(*t.OfType, types)
	case "LIST":
		return "[" + sampleValue(*t.OfType, types) + "]"
	}
	switch t.Name {
	case "Int":
		return "1"
	case "Float":
		return "1.0"
	case "Boolean":
		return "false"
	case "Date":
		return `"2026-01-01"`
	case "Time":
		return `"2026-01-01T00:00:00Z"`
	}
	named := types[t.Name]
	switch named.Kind {
	case "ENUM":
		return named.EnumValues[0].Name
	case "INPUT_OBJECT":
		var fields []string
		for _, f := range named.InputFields {
			if f.Type.Kind == "NON_NULL" {
				fields = append(fields, f.Name+": "+sampleValue(f.Type, types))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	return fmt.Sprintf("%q", "1")
}
