package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"shuangsuiji/graph"
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/dashboard"
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

type options struct {
	now  func() time.Time
	deps []func(*Deps)
}

// WithDeps changes the server's Deps before it is built: tests tighten
// its guards (requests at once, body timeout).
func WithDeps(change func(*Deps)) Option { return func(o *options) { o.deps = append(o.deps, change) } }

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
	listening := prometheus.NewGauge(prometheus.GaugeOpts{Name: "shuangsuiji_authz_listener_up",
		Help: "1 while this instance hears of role changes; 0 while it re-reads roles before each check."})
	listenForChanges(ctx, log, listenURL, enforcer, db, listening)
	bureauStore := postgres.BureauStore{DB: db}
	accounts := &account.Service{Store: postgres.AccountStore{DB: db}}
	bureaus := &bureau.Service{Store: bureauStore, Authz: enforcer}
	calendar := &workday.Service{Store: postgres.CalendarStore{DB: db}, Authz: enforcer}
	resolver := &graph.Resolver{
		Accounts: accounts,
		Bureaus:  bureaus,
		Audit:    &audit.Service{Store: postgres.AuditStore{DB: db}, Authz: enforcer},
		Roster: &roster.Service{EntityStore: postgres.EntityStore{DB: db}, InspectorStore: postgres.InspectorStore{DB: db},
			ItemStore: postgres.ItemStore{DB: db}, UnitStore: postgres.UnitStore{DB: db}, Authz: enforcer},
		Draws:      &draw.Service{Store: postgres.DrawStore{DB: db}, JointVisits: postgres.JointVisitStore{DB: db}, Authz: enforcer, Now: o.now},
		Planning:   &plan.Service{Store: postgres.PlanStore{DB: db}, Authz: enforcer},
		Public:     &public.Service{Store: postgres.PublicStore{DB: db}},
		Calendar:   calendar,
		Records:    &record.Service{Store: postgres.RecordStore{DB: db}, Calendar: calendar, Authz: enforcer},
		Dashboards: &dashboard.Service{Store: postgres.DashboardStore{DB: db}, Calendar: calendar, Authz: enforcer, Now: o.now},
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
	pages.Manifests = resolver.Draws
	deps := Deps{
		Log: log, Accounts: accounts, Bureaus: bureaus, Resolver: resolver, Authz: enforcer,
		Store: bureauStore, Ready: db.PingContext, Requests: db.WithRequest, Public: pages,
		Limits: LimitsFromEnv(), CORSOrigins: origins, PDF: printer, Collectors: []prometheus.Collector{listening},
	}
	if err := AdmissionFromEnv(&deps); err != nil {
		return nil, err
	}
	for _, change := range o.deps {
		change(&deps)
	}
	return New(deps), nil
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

// Reconnection of the role-change listener: quick, so an instance hears
// of role changes again within about a second of the database's return.
const (
	listenMinReconnect = 100 * time.Millisecond
	listenMaxReconnect = time.Second
)

// listenForChanges reloads the enforcer on every NOTIFY on the authz
// channel, and empties db's cache of bureaus on every NOTIFY on the
// bureaus' channel. While the LISTEN connection is down the enforcer is
// stale and re-reads roles before each check, and bureaus are read afresh;
// after a reconnect it reloads once (notifications may have been missed)
// and both trust notifications again.
func listenForChanges(ctx context.Context, log *slog.Logger, url string, enforcer *authz.Enforcer, db *postgres.DB, up prometheus.Gauge) {
	events := make(chan pq.ListenerEventType, 8)
	listener := pq.NewListener(url, listenMinReconnect, listenMaxReconnect, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("authz listener", "event", ev, "err", err)
		}
		if ev == pq.ListenerEventDisconnected || ev == pq.ListenerEventConnectionAttemptFailed {
			enforcer.SetStale(true) // at once: a dropped event must never leave it trusted
			db.CacheBureaus(false)
			up.Set(0)
			return
		}
		select {
		case events <- ev: // a lost one leaves the enforcer stale, the safe side
		default:
		}
	})
	enforcer.SetStale(true)
	go func() {
		defer listener.Close()
		// Listen adds the channel even while disconnected (it is listened
		// to on connecting); when it answers on a live connection, the
		// instance hears changes from now on.
		for !listens(listener, postgres.AuthzChannel) || !listens(listener, postgres.BureausChannel) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(listenMaxReconnect):
			}
		}
		reloadFresh(ctx, log, listener, enforcer, db, up)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-events:
				if ev == pq.ListenerEventConnected || ev == pq.ListenerEventReconnected {
					log.Info("authz listener connected; reloading role assignments")
					reloadFresh(ctx, log, listener, enforcer, db, up)
				}
			case n := <-listener.Notify:
				switch {
				case n == nil:
				case n.Channel == postgres.BureausChannel:
					db.BureausChanged()
				default:
					if err := enforcer.Reload(ctx); err != nil && ctx.Err() == nil {
						log.Error("reload role assignments", "err", err)
					}
				}
			}
		}
	}()
}

// listens asks listener to listen on channel: true once it does (a channel
// asked for earlier, while disconnected, is listened to on connecting).
func listens(listener *pq.Listener, channel string) bool {
	err := listener.Listen(channel)
	return err == nil || errors.Is(err, pq.ErrChannelAlreadyOpen)
}

// reloadFresh reloads the assignments and, if the listener is connected
// and that worked, lets the enforcer trust notifications again, and turns
// the bureaus' cache on, empty.
func reloadFresh(ctx context.Context, log *slog.Logger, listener *pq.Listener, enforcer *authz.Enforcer, db *postgres.DB, up prometheus.Gauge) {
	if listener.Ping() != nil {
		return
	}
	if err := enforcer.Reload(ctx); err != nil {
		if ctx.Err() == nil {
			log.Error("reload role assignments", "err", err)
		}
		return
	}
	enforcer.SetStale(false)
	db.CacheBureaus(true)
	up.Set(1)
}
