package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// The request log names the GraphQL operation each request ran. The log
// line is written outside the GraphQL handler, so the handler notes the
// operation in a slot that the logging middleware put in the context.

// Operation is what a request ran: its type (query, mutation) and name
// ("" for an anonymous operation).
type Operation struct {
	Type, Name string
}

type operationKey struct{}

// WithOperationSlot returns a context in which the handler notes the
// operation it runs, and the slot it writes to.
func WithOperationSlot(ctx context.Context) (context.Context, *Operation) {
	op := &Operation{}
	return context.WithValue(ctx, operationKey{}, op), op
}

// noteOperation fills the request's slot, if any, once the operation is
// parsed and validated.
func noteOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op, ok := ctx.Value(operationKey{}).(*Operation); ok {
		oc := graphql.GetOperationContext(ctx)
		op.Name = oc.OperationName
		if oc.Operation != nil {
			op.Type = string(oc.Operation.Operation)
			if op.Name == "" {
				op.Name = oc.Operation.Name
			}
		}
	}
	return next(ctx)
}

// OnlyReads reports whether the request's operation only reads: anything
// but a mutation, including a request whose operation is not parsed yet.
func OnlyReads(ctx context.Context) bool {
	op, _ := ctx.Value(operationKey{}).(*Operation)
	return op == nil || op.Type != "mutation"
}
