package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"shuangsuiji/graph"
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// recoverPanics answers 500 and logs the stack instead of dropping the
// connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestLog gives each request an id (X-Request-Id), logs it once and
// counts it.
func withRequestLog(log *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx, op := graph.WithOperationSlot(r.Context())
		start := time.Now()
		next.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := time.Since(start)
		route := routeOf(r.URL.Path)
		m.observe(route, sw.status, elapsed)
		attrs := []any{"id", id, "method", r.Method, "path", r.URL.Path}
		if op.Type != "" {
			attrs = append(attrs, "operation_type", op.Type, "operation", operationName(op))
		}
		if r.Context().Err() != nil || sw.status == statusClientClosed {
			log.InfoContext(r.Context(), "client hung up", append(attrs, "ms", elapsed.Milliseconds())...)
			return
		}
		log.InfoContext(r.Context(), "request", append(attrs, "status", sw.status, "ms", elapsed.Milliseconds())...)
	})
}

// operationName is how a log line names a GraphQL operation.
func operationName(op *graph.Operation) string {
	if op.Name == "" {
		return "(anonymous)"
	}
	return op.Name
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// routeOf keeps metric labels few: the known routes, or "other".
func routeOf(path string) string {
	switch {
	case path == "/graphql", path == "/healthz", path == "/readyz", path == "/metrics", path == "/":
		return path
	case strings.HasPrefix(path, "/graphiql/"):
		return "/graphiql/"
	case strings.HasPrefix(path, "/roster/template/"):
		return "/roster/template/"
	case strings.HasPrefix(path, "/roster/export/"):
		return "/roster/export/"
	case strings.HasPrefix(path, "/public/draws/"):
		return "/public/draws/"
	}
	return "other"
}

// authenticator turns the Authorization and X-Bureau headers into the
// request's Signer and Actor, at the start of the request's transaction.
type authenticator struct {
	accounts *account.Service
	// requests gives the request a transaction that its reads share (nil:
	// every store call opens its own).
	requests func(ctx context.Context, shared func() bool) (context.Context, func())
}

func (a authenticator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.requests != nil {
			ctx := r.Context()
			ctx, end := a.requests(ctx, func() bool { return graph.OnlyReads(ctx) })
			defer end()
			r = r.WithContext(ctx)
		}
		ctx, err := a.identify(r)
		if err != nil {
			leaveBodyUnread(w, r)
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// identify authenticates the bearer token, if any, and resolves the acting
// bureau: the X-Bureau header, or the user's only membership. A bureau the
// user is not a member of is refused whether or not it exists. Session,
// bureau and roles are read in one statement (the first of the request's
// transaction), so a signed-out token or a changed role applies on the
// next request of every instance.
func (a authenticator) identify(r *http.Request) (context.Context, error) {
	ctx := r.Context()
	header := r.Header.Get("Authorization")
	if header == "" {
		return ctx, nil
	}
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return nil, errs.E(errs.Unauthenticated, "the Authorization header must be: Bearer <token>")
	}
	code := strings.TrimSpace(r.Header.Get("X-Bureau"))
	id, err := a.accounts.Authenticate(ctx, token, code)
	if err != nil {
		return nil, err
	}
	user := id.User
	ctx = authz.WithSigner(ctx, &authz.Signer{UserID: user.ID, Username: user.Username, Token: token,
		MustChangePassword: user.MustChangePassword})
	switch {
	case user.MustChangePassword:
		return ctx, nil // no bureau until the password is the user's own
	case code == "" && id.BureauID == 0:
		return ctx, nil // "me" still works; bureau operations ask for X-Bureau
	case len(id.Roles) == 0:
		return nil, errs.E(errs.Forbidden, "you are not a member of bureau %q (X-Bureau)", code)
	}
	return authz.WithActor(ctx, &authz.Actor{UserID: user.ID, Username: user.Username, BureauID: id.BureauID,
		BureauCode: id.BureauCode, RegionCode: id.RegionCode, BureauKind: id.BureauKind, Roles: id.Roles}), nil
}

// writeError answers a request refused before GraphQL runs, in GraphQL's
// response shape so clients handle it like any other error.
func writeError(w http.ResponseWriter, err error) {
	writeErrorStatus(w, statusOf(errs.KindOf(err)), err)
}

func statusOf(kind errs.Kind) int {
	switch kind {
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Invalid, errs.NotFound:
		return http.StatusBadRequest
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeErrorStatus is writeError with the HTTP status given. Only errors
// of ours show their message.
func writeErrorStatus(w http.ResponseWriter, status int, err error) {
	kind, msg := errs.KindOf(err), "internal error"
	if kind != errs.Internal {
		msg = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": msg, "extensions": map[string]any{"code": string(kind)},
	}}})
}
