package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/lib/pq"

	"shuangsuiji/graph"
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/notice"
	"shuangsuiji/internal/pdf"
	"shuangsuiji/internal/plan"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/public"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/roster"
	"shuangsuiji/internal/workday"
)

// Option changes how App wires the services.
type Option func(*options)

type options struct{ now func() time.Time }

// WithClock sets the clock the draws' schedule is checked against (a new
// draw's window may not lie in the past): tests fix it, so that their
// draws of a given quarter stay valid whatever the day.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// App wires the domain services over db and returns the HTTP handler. The
// role assignments are reloaded whenever any instance announces a change
// on listenURL's database, until ctx ends.
func App(ctx context.Context, log *slog.Logger, db *postgres.DB, listenURL string, opts ...Option) (http.Handler, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	enforcer, err := authz.NewEnforcer(ctx, postgres.LoadAssignments(db))
	if err != nil {
		return nil, err
	}
	if err := listenForRoleChanges(ctx, log, listenURL, enforcer); err != nil {
		return nil, err
	}
	bureauStore := postgres.BureauStore{DB: db}
	accounts := &account.Service{Store: postgres.AccountStore{DB: db}}
	bureaus := &bureau.Service{Store: bureauStore, Authz: enforcer}
	calendar := &workday.Service{Store: postgres.CalendarStore{DB: db}, Authz: enforcer}
	resolver := &graph.Resolver{
		Accounts: accounts,
		Bureaus:  bureaus,
		Audit:    &audit.Service{Store: postgres.AuditStore{DB: db}, Authz: enforcer},
		Roster: &roster.Service{EntityStore: postgres.EntityStore{DB: db}, InspectorStore: postgres.InspectorStore{DB: db},
			ItemStore: postgres.ItemStore{DB: db}, Authz: enforcer},
		Draws:    &draw.Service{Store: postgres.DrawStore{DB: db}, JointVisits: postgres.JointVisitStore{DB: db}, Authz: enforcer, Now: o.now},
		Planning: &plan.Service{Store: postgres.PlanStore{DB: db}, Authz: enforcer},
		Public:   &public.Service{Store: postgres.PublicStore{DB: db}},
		Calendar: calendar,
		Records:  &record.Service{Store: postgres.RecordStore{DB: db}, Calendar: calendar, Authz: enforcer},
	}
	resolver.Notices = &notice.Service{Store: postgres.NoticeStore{DB: db}, Authz: enforcer, Opener: resolver.Draws}
	origins, err := ParseOrigins(os.Getenv("CORS_ORIGINS"))
	if err != nil {
		return nil, err
	}
	printer := &pdf.Renderer{}
	context.AfterFunc(ctx, printer.Close)
	pages := public.NewHandler(resolver.Public, resolver.Notices, log)
	pages.Printer = printer
	return New(Deps{
		Log: log, Accounts: accounts, Bureaus: bureaus, Resolver: resolver, Authz: enforcer,
		Store: bureauStore, Ready: db.PingContext, Public: pages,
		Limits: LimitsFromEnv(), CORSOrigins: origins, PDF: printer,
	}), nil
}

// LimitsFromEnv are graph.DefaultLimits with the deployment's choices:
// ANONYMOUS_INTROSPECTION=off keeps the schema from callers without a
// session.
func LimitsFromEnv() graph.Limits {
	l := graph.DefaultLimits
	switch strings.ToLower(os.Getenv("ANONYMOUS_INTROSPECTION")) {
	case "off", "false", "0", "no":
		l.AnonymousIntrospection = false
	}
	return l
}

// listenForRoleChanges reloads the enforcer on every NOTIFY on the authz
// channel, and after a reconnect (notifications may have been missed).
func listenForRoleChanges(ctx context.Context, log *slog.Logger, url string, enforcer *authz.Enforcer) error {
	listener := pq.NewListener(url, time.Second, time.Minute, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("authz listener", "event", ev, "err", err)
		}
	})
	if err := listener.Listen(postgres.AuthzChannel); err != nil {
		listener.Close()
		return fmt.Errorf("listen %s: %w", postgres.AuthzChannel, err)
	}
	go func() {
		defer listener.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-listener.Notify:
				if n == nil {
					log.Info("authz listener reconnected; reloading role assignments")
				}
				if err := enforcer.Reload(ctx); err != nil && ctx.Err() == nil {
					log.Error("reload role assignments", "err", err)
				}
			}
		}
	}()
	return nil
}
