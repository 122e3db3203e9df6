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
	"shuangsuiji/internal/roster"
	"syscall"
	"time"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := serveFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve takes no arguments (got %q); usage: shuangsuiji serve [--addr HOST:PORT]\n", fs.Args())
		return 2
	}
	logs := newLogBuffer(stderr, 200*time.Millisecond)
	defer logs.Close()
	log, err := newLogger(logs)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, log, *addr); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// serveFlags defines the flags of `serve` (also for its --help).
func serveFlags(fs *flag.FlagSet) (addr *string) {
	defaultAddr := os.Getenv("ADDR")
	if defaultAddr == "" {
		defaultAddr = "127.0.0.1:8080"
	}
	return fs.String("addr", defaultAddr, "`address` to listen on (env ADDR)")
}

func serve(ctx context.Context, log *slog.Logger, addr string) error {
	// Imports still running at shutdown, and a killed process's, leave
	// unpacked workbooks behind.
	removeTemp := func() {
		if err := roster.RemoveTempFiles(); err != nil {
			log.Warn("temporary files", "err", err)
		}
	}
	removeTemp()
	defer removeTemp()
	gogc, memoryLimit := server.TuneGC()
	log.Info("garbage collector", "gogc", gogc, "memory_limit_mib", memoryLimit>>20)
	db, err := openDatabase(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepare(ctx, log, db); err != nil {
		return err
	}
	handler, err := server.App(ctx, log, db.DB, db.URL)
	if err != nil {
		return err
	}
	every, err := anchorEvery()
	if err != nil {
		return err
	}
	go anchorOnSchedule(ctx, log, db.DB, every)
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
		return err
	}
	if err := postgres.SealPublicDocuments(ctx, db.DB); err != nil {
		return err
	}
	if err := postgres.SealParticipantOpenings(ctx, db.DB); err != nil {
		return err
	}
	if db.Local() {
		seeded, err := postgres.Seed(ctx, db.DB)
		if err != nil {
			return err
		}
		if seeded {
			if err := seedDemoData(ctx, db.DB); err != nil {
				return err
			}
			log.Info("seeded the demo county 140522 阳城县 with rosters and one finished draw", "password", postgres.DemoPassword)
		}
	}
	return postgres.CheckServingRole(ctx, db.DB)
}
