package graph

import (
	"strings"
	"testing"

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
		{"CyclicFragmentsEnd", `{ a { ...F } } fragment F on T { b { ...F } }`, 98},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := selectionDepth(doc.Operations[0].SelectionSet, doc.Fragments, 0)
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
	if got := selectionDepth(doc.Operations[0].SelectionSet, doc.Fragments, 0); got != 21 {
		t.Fatalf("depth = %d, want 21", got)
	}
}
