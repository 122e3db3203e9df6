package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestSelectionDepth(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"Flat", `{ me }`, 1},
		{"Nested", `{ me { user { username } } }`, 3},
		{"DeepestBranchCounts", `{ a { b } c { d { e { f } } } }`, 4},
		{"InlineFragmentsAddNothing", `{ a { ... on T { b { c } } } }`, 3},
		{"FragmentSpreadsCount", `{ a { ...F } } fragment F on T { b { c } }`, 3},
		{"IntrospectionIsFree", `{ __schema { types { fields { type { ofType { name } } } } } a { b } }`, 2},
		{"CyclicFragmentsEnd", `{ a { ...F } } fragment F on T { b { ...F } }`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := depthOf(doc)
			if got != tt.want {
				t.Errorf("depth = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSelectionDepthOfALongChain(t *testing.T) {
	q := "{ " + strings.Repeat("a { ", 20) + "b" + strings.Repeat(" }", 20) + " }"
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	if got := depthOf(doc); got != 21 {
		t.Fatalf("depth = %d, want 21", got)
	}
}

func depthOf(doc *ast.QueryDocument) int {
	return depth{doc.Fragments, map[string]int{}}.of(doc.Operations[0].SelectionSet)
}

// A fragment spreading the next one twice, forty deep, would be 2^40
// selections if walked naively; priced and measured once per fragment it
// is quick and still refused for its cost.
func TestFragmentsAreWalkedOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { a: me { user { id } } ...F%d ...F%d }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F40 on Query { me { user { id } } }\n")
	doc, err := parser.ParseQuery(&ast.Source{Input: b.String()})
	if err != nil {
		t.Fatal(err)
	}
	w := walker{fragments: doc.Fragments, memo: map[string]int{}}
	if got := w.cost(doc.Operations[0].SelectionSet); got < DefaultLimits.MaxCost {
		t.Errorf("cost = %d, want more than the limit %d", got, DefaultLimits.MaxCost)
	}
	if got := depthOf(doc); got != 3 {
		t.Errorf("depth = %d, want 3", got)
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"Fields", `{ me { user { id username } } }`, 4},
		{"TypenameIsFree", `{ __typename me { __typename } }`, 1},
		{"Schema", `{ __schema { types { name } } }`, schemaPrice},
		{"AliasedSchemas", `{ a: __schema { types { name } } b: __schema { types { name } } }`, 2 * schemaPrice},
		{"Type", `{ __type(name: "Me") { name } }`, typePrice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			w := walker{fragments: doc.Fragments, memo: map[string]int{}}
			if got := w.cost(doc.Operations[0].SelectionSet); got != tt.want {
				t.Errorf("cost = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAnswerSizeIsBounded(t *testing.T) {
	l := limitExtension{Limits{MaxResponseBytes: 10}}
	small := l.InterceptResponse(t.Context(), func(context.Context) *graphql.Response {
		return &graphql.Response{Data: []byte(`{"a":1}`)}
	})
	if string(small.Data) != `{"a":1}` || len(small.Errors) != 0 {
		t.Errorf("small answer = %s %v, want it untouched", small.Data, small.Errors)
	}
	big := l.InterceptResponse(t.Context(), func(context.Context) *graphql.Response {
		return &graphql.Response{Data: []byte(`{"a":"` + strings.Repeat("x", 100) + `"}`)}
	})
	if big.Data != nil || len(big.Errors) != 1 || big.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("big answer = %s %v, want no data and one BAD_USER_INPUT", big.Data, big.Errors)
	}
}
