package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lib/pq"

	"shuangsuiji/graph"
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultAddr := os.Getenv("ADDR")
	if defaultAddr == "" {
		defaultAddr = "127.0.0.1:8080"
	}
	addr := fs.String("addr", defaultAddr, "address to listen on (env ADDR)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, log, *addr); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, log *slog.Logger, addr string) error {
	db, err := openDatabase(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepare(ctx, log, db); err != nil {
		return err
	}
	handler, err := newApp(ctx, log, db)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+addr, "graphql", "http://"+addr+"/graphql")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// prepare migrates, seeds the demo county into the private database, and
// refuses to go on if row-level security could be bypassed.
func prepare(ctx context.Context, log *slog.Logger, db *database) error {
	if err := postgres.Migrate(ctx, db.DB.DB.DB); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if db.Local() {
		seeded, err := postgres.Seed(ctx, db.DB)
		if err != nil {
			return err
		}
		if seeded {
			log.Info("seeded the demo county 140522 阳城县", "password", postgres.DemoPassword)
		}
	}
	return postgres.CheckServingRole(ctx, db.DB)
}

// newApp wires the services and returns the HTTP handler; the role
// assignments are reloaded whenever any instance announces a change.
func newApp(ctx context.Context, log *slog.Logger, db *database) (http.Handler, error) {
	enforcer, err := authz.NewEnforcer(ctx, postgres.LoadAssignments(db.DB))
	if err != nil {
		return nil, err
	}
	if err := listenForRoleChanges(ctx, log, db.URL, enforcer); err != nil {
		return nil, err
	}
	bureauStore := postgres.BureauStore{DB: db.DB}
	accounts := &account.Service{Store: postgres.AccountStore{DB: db.DB}}
	bureaus := &bureau.Service{Store: bureauStore, Authz: enforcer}
	resolver := &graph.Resolver{
		Accounts: accounts,
		Bureaus:  bureaus,
		Audit:    &audit.Service{Store: postgres.AuditStore{DB: db.DB}, Authz: enforcer},
	}
	return server.New(server.Deps{
		Log: log, Accounts: accounts, Bureaus: bureaus, Resolver: resolver, Authz: enforcer,
		Store: bureauStore, Ready: db.PingContext,
	}), nil
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
		return fmt.Errorf("listen %s: %w", postgres.AuthzChannel, err)
	}
	go func() {
		defer listener.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-listener.Notify:
				if err := enforcer.Reload(ctx); err != nil {
					log.Error("reload role assignments", "err", err)
				}
			}
		}
	}()
	return nil
}
