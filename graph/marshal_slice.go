package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectField names a field of an object type of the schema.
type objectField struct{ object, field string }

// maxInOrderDepth bounds how deep inOrderSelection looks under a list
// before it gives up and leaves the list to gqlgen (limits.go bounds
// operations' depth far below it).
const maxInOrderDepth = 32

// marshalSlice marshals a list of objects. The generated executor calls it
// where gqlgen calls graphql.MarshalSliceConcurrently (the rewrite in
// internal/gqlgen): when nothing the operation selects under the list is a
// concurrent field (concurrent_fields_gen.go), its elements are marshalled
// one after the other on this goroutine; otherwise, gqlgen's way, one
// goroutine each, so that the elements' resolvers reach their dataloaders
// together. In order, the answer is the same and costs no goroutine, stack
// growth or wait group per element.
func (ec *executionContext) marshalSlice(ctx context.Context, sel ast.SelectionSet, length int, workerLimit int64,
	omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if length < 2 || !ec.listInOrder(ctx, sel) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	for i := range length {
		ret[i] = marshalElementInOrder(ctx, i, omitPanicHandler, marshalElement)
	}
	return ret
}

// marshalElementInOrder marshals element i as MarshalSliceConcurrently's
// goroutines do: under a field context that holds its index (errors' paths
// name it), a panic recovered into an error and a null element.
func marshalElementInOrder(ctx context.Context, i int, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) (m graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return marshalElement(ctx, i)
}

// listInOrder reports whether the list being marshalled under ctx, whose
// elements the operation selects sel of, may be marshalled in order: its
// elements are of an object type and nothing under them is concurrent.
func (ec *executionContext) listInOrder(ctx context.Context, sel ast.SelectionSet) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || fc.Field.Definition.Type.Elem == nil {
		return false // not the field's own list: a list of lists, say
	}
	return ec.inOrderSelection(fc.Field.Definition.Type.Name(), sel, 0)
}

// inOrderSelection reports whether sel, selected on an object of the
// named type, selects no concurrent field at any depth. It errs towards
// false: on an abstract type, a fragment on another type than the
// object's, a deferred fragment, or anything it does not know.
func (ec *executionContext) inOrderSelection(object string, sel ast.SelectionSet, depth int) bool {
	if def := ec.ParsedSchema.Types[object]; def == nil || def.Kind != ast.Object || depth > maxInOrderDepth {
		return false
	}
	for _, s := range sel {
		if !ec.inOrderSelected(object, s, depth) {
			return false
		}
	}
	return true
}

// inOrderSelected is inOrderSelection for one selection.
func (ec *executionContext) inOrderSelected(object string, s ast.Selection, depth int) bool {
	switch s := s.(type) {
	case *ast.Field:
		if _, concurrent := concurrentFields[objectField{object, s.Name}]; concurrent {
			return false
		}
		if len(s.SelectionSet) == 0 {
			return true
		}
		return s.Definition != nil && ec.inOrderSelection(s.Definition.Type.Name(), s.SelectionSet, depth+1)
	case *ast.InlineFragment:
		return (s.TypeCondition == "" || s.TypeCondition == object) && !deferred(s.Directives) &&
			ec.inOrderSelection(object, s.SelectionSet, depth+1)
	case *ast.FragmentSpread:
		f := ec.OperationContext.Doc.Fragments.ForName(s.Name)
		return f != nil && f.TypeCondition == object && !deferred(s.Directives) &&
			ec.inOrderSelection(object, f.SelectionSet, depth+1)
	}
	return false
}

// deferred reports whether a fragment is marked @defer.
func deferred(directives ast.DirectiveList) bool {
	return directives.ForName("defer") != nil
}
