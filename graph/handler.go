package graph

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/roster"
)

// MaxUploadBytes bounds a multipart request: a roster file and the
// operation around it.
const MaxUploadBytes = roster.MaxImportBytes + 1<<20

// NewHandler assembles the GraphQL server: POST, and GET for queries, introspection on
// (GraphiQL needs it; limits may keep it from anonymous callers), every
// operation priced and bounded by limits, errors presented by one
// presenter, panics recovered as INTERNAL. Documents that were parsed and
// validated once are kept (querycache.go).
func NewHandler(r *Resolver, log *slog.Logger, onError func(ctx context.Context, code string), limits Limits) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(transport.GET{}) // queries only: gqlgen refuses mutations over GET
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: MaxUploadBytes, MaxMemory: 32 << 20})
	srv.SetQueryCache(newQueryCache())
	srv.Use(extension.Introspection{})
	srv.Use(limitExtension{limits})
	srv.AroundOperations(noteOperation)
	srv.SetErrorPresenter(presenter(log, onError))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return errors.New("panic")
	})
	return srv
}

// presenter maps errors to extensions.code: an *errs.Error shows its
// message (and field for bad input); gqlgen's parse and validation
// failures keep their GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED
// codes, bad variables are BAD_USER_INPUT naming the variable; anything
// else is logged here, once, and answered as INTERNAL without its details.
func presenter(log *slog.Logger, onError func(ctx context.Context, code string)) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		code := codeOf(ctx, err, gqlErr, log)
		gqlErr.Extensions["code"] = code
		if e, ok := errs.As(err); ok {
			switch {
			case e.Field != "":
				gqlErr.Extensions["field"] = e.Field
			case e.Kind == errs.Invalid && len(gqlErr.Path) > 0:
				gqlErr.Extensions["field"] = gqlErr.Path.String()
			}
			if e.Details != nil {
				gqlErr.Extensions["details"] = e.Details
			}
		}
		if onError != nil {
			onError(ctx, code)
		}
		return gqlErr
	}
}

func codeOf(ctx context.Context, err error, gqlErr *gqlerror.Error, log *slog.Logger) string {
	if e, ok := errs.As(err); ok {
		gqlErr.Message = e.Error()
		if e.Cause != nil {
			log.WarnContext(ctx, string(e.Kind), "err", e.Cause, "path", gqlErr.Path.String())
		}
		return string(e.Kind)
	}
	var parsed *gqlerror.Error
	if errors.As(err, &parsed) && parsed.Err == nil {
		// gqlgen's own parse, validation and input coercion failures wrap
		// no error of ours: the request itself is at fault.
		code, _ := gqlErr.Extensions["code"].(string)
		if code == errcode.ValidationFailed && len(gqlErr.Path) > 0 && gqlErr.Path[0] == ast.PathName("variable") {
			gqlErr.Extensions["field"] = gqlErr.Path.String()
			return string(errs.Invalid)
		}
		if code != "" {
			return code
		}
		return string(errs.Invalid)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		log.InfoContext(ctx, "client hung up before the answer", "path", gqlErr.Path.String())
		return string(errs.Internal)
	}
	log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
	gqlErr.Message = "internal error: it has been logged; please try again or report the time of the request"
	return string(errs.Internal)
}
