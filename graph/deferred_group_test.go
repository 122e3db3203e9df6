package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestDeferredGroupOnlyForDeferredFields: an object gets gqlgen's group
// when one of its selected fields is deferred, and the zero group, which
// holds nothing and is never processed, when none is.
func TestDeferredGroupOnlyForDeferredFields(t *testing.T) {
	tests := []struct {
		name, selection string
		want            bool
	}{
		{"NoDefer", `title status`, false},
		{"DeferredFragment", `title ... @defer(label: "s") { status }`, true},
		{"DeferOff", `title ... @defer(if: false) { status }`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(parsedSchema, `query { draws(first: 4) { nodes { `+tt.selection+` } } }`)
			if len(errs) > 0 {
				t.Fatalf("query: %v", errs)
			}
			nodes := fieldAt(t, doc.Operations[0].SelectionSet[0].(*ast.Field), "nodes")
			fields := graphql.CollectFields(&graphql.OperationContext{Doc: doc}, nodes.SelectionSet, drawImplementors)
			group := newDeferredGroup(context.Background(), fields)
			if got := group.FieldSet != nil; got != tt.want {
				t.Errorf("gqlgen's group = %v, want %v", got, tt.want)
			}
		})
	}
}
