package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestListsInOrder: a list is marshalled in order only when nothing the
// operation selects under its elements, through fragments and nested
// objects, is a field gqlgen resolves concurrently.
func TestListsInOrder(t *testing.T) {
	const draws = `query { draws(first: 4) { nodes { %s } } }`
	const tasks = `query { draws(first: 4) { nodes { title tasks(first: 5) { nodes { %s } } } } }`
	const roster = `query { rosterEntities(first: 50) { nodes { %s } } }`
	tests := []struct {
		name, query, list, selection string
		want                         bool
	}{
		{"PlainFieldsOfTasks", tasks, "nodes.tasks.nodes",
			`seq entityCode entityName team { name certificate } substitutions { in }`, true},
		{"ATasksResolver", tasks, "nodes.tasks.nodes", `seq id`, false},
		{"Typename", tasks, "nodes.tasks.nodes", `__typename seq`, true},
		{"FragmentOfPlainFields", tasks + ` fragment F on DrawTask { seq team { name } }`, "nodes.tasks.nodes", `...F`, true},
		{"FragmentWithAResolver", tasks + ` fragment F on DrawTask { seq id }`, "nodes.tasks.nodes", `...F`, false},
		{"InlineFragmentWithAResolver", tasks, "nodes.tasks.nodes", `... on DrawTask { id }`, false},
		{"InlineFragmentOfPlainFields", tasks, "nodes.tasks.nodes", `... { seq }`, true},
		{"DrawsTitle", draws, "nodes", `title`, true},
		{"DrawsLeadLoaded", draws, "nodes", `title lead { name }`, false},
		{"DrawsTasksUnderThem", draws, "nodes", `tasks(first: 5) { nodes { seq } }`, false},
		{"RosterPlainFields", roster, "nodes",
			`entity { code name legalRepresentative address } entry { status riskClass unit entityType }`, true},
		{"RosterEntriesLoadedDeepDown", roster, "nodes", `entity { code entries { status } }`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(parsedSchema, fmt.Sprintf(tt.query, tt.selection))
			if len(errs) > 0 {
				t.Fatalf("query: %v", errs)
			}
			list := fieldAt(t, doc.Operations[0].SelectionSet[0].(*ast.Field), tt.list)
			ec := newExecutionContext(&graphql.OperationContext{Doc: doc}, &executableSchema{}, nil)
			ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: list}})
			if got := ec.listInOrder(ctx, list.SelectionSet); got != tt.want {
				t.Errorf("listInOrder = %v, want %v", got, tt.want)
			}
		})
	}
}

// fieldAt follows a dotted path of field names down from f.
func fieldAt(t *testing.T, f *ast.Field, path string) *ast.Field {
	t.Helper()
	for start := 0; start <= len(path); {
		end := start
		for end < len(path) && path[end] != '.' {
			end++
		}
		name := path[start:end]
		var next *ast.Field
		for _, s := range f.SelectionSet {
			if g, ok := s.(*ast.Field); ok && g.Name == name {
				next = g
			}
		}
		if next == nil {
			t.Fatalf("no field %q under %q", name, f.Name)
		}
		f, start = next, end+1
	}
	return f
}

// TestListInOrderAnswersAsGqlgen: marshalled in order, a list's elements
// are what gqlgen's goroutines give, each under a field context of its
// own index, and an element that panics is null with an error at its
// index's path, the others unharmed.
func TestListInOrderAnswersAsGqlgen(t *testing.T) {
	doc, errs := gqlparser.LoadQuery(parsedSchema, `query { draws(first: 4) { nodes { title } } }`)
	if len(errs) > 0 {
		t.Fatalf("query: %v", errs)
	}
	nodes := fieldAt(t, doc.Operations[0].SelectionSet[0].(*ast.Field), "nodes")
	opCtx := &graphql.OperationContext{Doc: doc, RecoverFunc: func(context.Context, any) error { return errors.New("panic") }}
	ec := newExecutionContext(opCtx, &executableSchema{}, nil)
	element := func(ctx context.Context, i int) graphql.Marshaler {
		if i == 2 {
			panic("element 2")
		}
		return graphql.MarshalString(graphql.GetFieldContext(ctx).Path().String())
	}
	answer := func(marshal func(ctx context.Context) graphql.Array) (string, gqlerror.List) {
		ctx := graphql.WithOperationContext(context.Background(), opCtx)
		ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, opCtx.RecoverFunc)
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: nodes}})
		var b bytes.Buffer
		marshal(ctx).MarshalGQL(&b)
		return b.String(), graphql.GetErrors(ctx)
	}
	if !ec.listInOrder(graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: nodes}}), nodes.SelectionSet) {
		t.Fatal("the list of titles is not marshalled in order")
	}
	inOrder, inOrderErrs := answer(func(ctx context.Context) graphql.Array {
		return ec.marshalSlice(ctx, nodes.SelectionSet, 4, 0, false, element)
	})
	concurrently, concurrentErrs := answer(func(ctx context.Context) graphql.Array {
		return graphql.MarshalSliceConcurrently(ctx, 4, 0, false, element)
	})
	if want := `["nodes[0]","nodes[1]",null,"nodes[3]"]`; inOrder != want || concurrently != want {
		t.Errorf("in order %s, concurrently %s, want %s", inOrder, concurrently, want)
	}
	if inOrderErrs.Error() != concurrentErrs.Error() || len(inOrderErrs) != 1 || inOrderErrs[0].Path.String() != "nodes[2]" {
		t.Errorf("errors in order %v, concurrently %v, want one at nodes[2]", inOrderErrs, concurrentErrs)
	}
}
