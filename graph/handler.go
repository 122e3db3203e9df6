package graph

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// Limits on what one request may ask.
const (
	// MaxUploadBytes bounds a multipart request: a roster file and the
	// operation around it.
	MaxUploadBytes = roster.MaxImportBytes + 1<<20
	MaxComplexity  = 2000
	MaxDepth       = 12
)

// NewHandler assembles the GraphQL server: POST only, introspection on
// (GraphiQL needs it), complexity and depth limited, errors presented by
// one presenter, panics recovered as INTERNAL.
func NewHandler(r *Resolver, log *slog.Logger, onError func(code string)) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Complexity: complexity()}))
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: MaxUploadBytes, MaxMemory: 32 << 20})
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(depthLimit{max: MaxDepth})
	srv.SetErrorPresenter(presenter(log, onError))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return errors.New("panic")
	})
	return srv
}

// complexity prices a connection by the rows it may return, so that many
// aliased pages cannot add up to a costly request.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Members = func(child int, _ *bureau.MemberFilter, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	c.Query.AuditLog = func(child int, _ *model.AuditFilter, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	priceRosterConnections(&c)
	priceNodes(&c)
	c.Query.Draws = func(child int, _ *model.DrawFilter, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	c.Draw.Tasks = func(child int, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	return c
}

func connectionCost(child int, first *int) int {
	return 1 + child*page.Request{First: deref(first)}.Size()/10
}

// presenter maps errors to extensions.code: an *errs.Error shows its
// message (and field for bad input); anything else is logged here, once,
// and answered as INTERNAL without its details.
func presenter(log *slog.Logger, onError func(code string)) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		code := codeOf(ctx, err, gqlErr, log)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		gqlErr.Extensions["code"] = code
		if e, ok := errs.As(err); ok {
			if e.Field != "" {
				gqlErr.Extensions["field"] = e.Field
			}
			if e.Details != nil {
				gqlErr.Extensions["details"] = e.Details
			}
		}
		if onError != nil {
			onError(code)
		}
		return gqlErr
	}
}

func codeOf(ctx context.Context, err error, gqlErr *gqlerror.Error, log *slog.Logger) string {
	if e, ok := errs.As(err); ok {
		gqlErr.Message = e.Error()
		return string(e.Kind)
	}
	var parsed *gqlerror.Error
	if errors.As(err, &parsed) && parsed.Err == nil {
		// gqlgen's own parse, validation and input coercion failures wrap
		// no error of ours: the request itself is at fault.
		return string(errs.Invalid)
	}
	log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
	gqlErr.Message = "internal error: it has been logged; please try again or report the time of the request"
	return string(errs.Internal)
}

// depthLimit refuses operations nested deeper than max, not counting the
// introspection fields, whose standard query is deep by design.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.max {
		err := gqlerror.Errorf("the query is nested %d levels deep; at most %d are allowed", depth, d.max)
		err.Extensions = map[string]any{"code": string(errs.Invalid)}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, fragments ast.FragmentDefinitionList, seen int) int {
	if seen > 64 {
		return seen // a cycle of fragments: validation refuses it anyway
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, fragments, seen+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, fragments, seen+1)
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, fragments, seen+1)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
