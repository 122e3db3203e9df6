package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// newDeferredGroup is graphql.NewDeferredGroup for an object whose
// selected fields are fields, where the generated executor calls it (the
// rewrite in internal/gqlgen). gqlgen builds the group for every object:
// the object's path, from the root down, a field set and a map, some 15%
// of a page's allocations. Only a field under @defer ever touches it
// (FieldSet.ResolveConcurrently), and an empty group is never processed,
// so an object with no such field gets the zero group.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}
