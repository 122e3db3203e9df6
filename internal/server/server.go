// Package server is the HTTP side of the binary: routes (/graphql by POST, or
// GET for queries, with CORS for configured origins; the
// GraphiQL page at /, /healthz, /readyz, /metrics) and the middleware every
// request passes: recover, request id and log, metrics, body limit, session
// authentication and the choice of acting bureau.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"shuangsuiji/graph"
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/pdf"
	"shuangsuiji/internal/public"
	"shuangsuiji/internal/server/graphiql"
)

// MaxBodyBytes bounds a GraphQL request body.
const MaxBodyBytes = 1 << 20

// Deps are what the server needs from the rest of the binary.
type Deps struct {
	Log      *slog.Logger
	Accounts *account.Service
	Bureaus  *bureau.Service
	Resolver *graph.Resolver
	Authz    *authz.Enforcer
	Store    bureau.Store
	Ready    func(ctx context.Context) error // nil when the database answers
	// Requests gives each request one transaction for its reads (see
	// postgres.DB.WithRequest); nil: each store call opens its own.
	Requests func(ctx context.Context, shared func() bool) (context.Context, func())
	Public   *public.Handler // the public pages under /public/, and notices
	Limits   graph.Limits    // zero: graph.DefaultLimits
	PDF      *pdf.Renderer   // prints forms; one is made when nil

	MaxInFlight int           // API requests at once; zero: DefaultMaxInFlight
	QueueWait   time.Duration // how long a request waits for a slot; zero: DefaultQueueWait
	BodyTimeout time.Duration // how long a GraphQL body may take to arrive; zero: DefaultBodyTimeout

	// GraphQL requests executing at once (admission.go); zero:
	// DefaultMaxExecuting(), negative: no limit.
	MaxExecuting int
	// How long a GraphQL request waits for its turn to execute; zero:
	// DefaultExecutionQueueWait.
	ExecutionQueueWait time.Duration

	CORSOrigins []string // origins whose pages may call /graphql (cors.go); none by default

	Collectors []prometheus.Collector // more metrics for /metrics
}

func (d *Deps) defaults() {
	if d.Limits.MaxCost == 0 {
		d.Limits = graph.DefaultLimits
	}
	if d.MaxInFlight == 0 {
		d.MaxInFlight = DefaultMaxInFlight
	}
	if d.QueueWait == 0 {
		d.QueueWait = DefaultQueueWait
	}
	if d.BodyTimeout == 0 {
		d.BodyTimeout = DefaultBodyTimeout
	}
	if d.MaxExecuting == 0 {
		d.MaxExecuting = DefaultMaxExecuting()
	}
	if d.ExecutionQueueWait == 0 {
		d.ExecutionQueueWait = DefaultExecutionQueueWait
	}
}

// admission is the queue of GraphQL requests to execute, or nil for none.
func (d *Deps) admission() *admission {
	if d.MaxExecuting < 0 {
		return nil
	}
	return newAdmission(d.MaxExecuting, d.ExecutionQueueWait)
}

// New returns the handler serving every route.
func New(d Deps) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(d.Collectors...)
	m := newMetrics(reg)

	d.defaults()
	onError := func(ctx context.Context, code string) {
		m.graphqlError(code)
		if code == string(errs.Unavailable) {
			markUnavailable(ctx)
		}
	}
	gql := graph.NewHandler(d.Resolver, d.Log, onError, d.Limits)
	auth := authenticator{accounts: d.Accounts, requests: d.Requests}

	mux := http.NewServeMux()
	// A request waits for its turn to execute (the same queue for POST
	// and GET) after its body has arrived, so a slow client holds no
	// slot, and before the first round trip to PostgreSQL (the session's,
	// in auth).
	turns := d.admission()
	api := shedLoad(d.MaxInFlight, d.QueueWait, limitBody(readBodyInTime(d.BodyTimeout, turns.admit(auth.wrap(
		requireSessionForUploads(withAnswerStatus(graph.WithRequestScope(d.Resolver, gql))))))))
	mux.Handle("POST /graphql", withCORS(d.CORSOrigins, api))
	// GET carries the operation in the URL, with no body; queries only.
	query := shedLoad(d.MaxInFlight, d.QueueWait, turns.admit(auth.wrap(withAnswerStatus(graph.WithRequestScope(d.Resolver, gql)))))
	mux.Handle("GET /graphql", withCORS(d.CORSOrigins, query))
	mux.Handle("OPTIONS /graphql", withCORS(d.CORSOrigins, http.NotFoundHandler())) // preflights only
	mux.HandleFunc("GET /roster/template/{file}", serveTemplate)
	mux.Handle("GET /roster/export/{file}", shedLoad(d.MaxInFlight, d.QueueWait, auth.wrap(exportHandler(d.Resolver.Roster))))
	mux.HandleFunc("GET /public/draws/{id}/{document}", publicDraw(d.Resolver.Draws))
	mux.Handle("/public/", d.Public)
	if d.PDF == nil {
		d.PDF = &pdf.Renderer{}
	}
	mux.Handle("GET /records/tasks/{draw}/{seq}/{file}", shedLoad(d.MaxInFlight, d.QueueWait, auth.wrap(recordForms{records: d.Resolver.Records, pdf: d.PDF})))
	mux.Handle("GET /records/evidence/{id}", shedLoad(d.MaxInFlight, d.QueueWait, auth.wrap(evidenceDownload(d.Resolver.Records))))
	mux.Handle("GET /notices/{draw}/{file}", shedLoad(d.MaxInFlight, d.QueueWait, auth.wrap(http.HandlerFunc(d.Public.Notice))))
	mux.Handle("/", graphiql.Handler("/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", readyz(d.Ready))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return recoverPanics(d.Log, withRequestLog(d.Log, m, mux))
}

func readyz(ready func(ctx context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, "database not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}
}

// limitBody refuses bodies over MaxBodyBytes, or graph.MaxUploadBytes
// for multipart requests carrying a file.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBodyBytes)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit = graph.MaxUploadBytes
		}
		if r.ContentLength > limit {
			leaveBodyUnread(w, r)
			writeErrorStatus(w, http.StatusRequestEntityTooLarge, errs.E(errs.Invalid, "the request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}
