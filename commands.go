package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/postgres"
)

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// withDatabase opens the database, runs fn and reports its error.
func withDatabase(stderr io.Writer, fn func(ctx context.Context, db *database) error) int {
	ctx := context.Background()
	db, err := openDatabase(ctx, newLogger(stderr))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer db.Close()
	if err := fn(ctx, db); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func runMigrate(args []string, stdout, stderr io.Writer) int {
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		if err := postgres.Migrate(ctx, db.DB.DB.DB); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	})
}

func runSeed(args []string, stdout, stderr io.Writer) int {
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		if err := postgres.Migrate(ctx, db.DB.DB.DB); err != nil {
			return err
		}
		seeded, err := postgres.Seed(ctx, db.DB)
		if err != nil {
			return err
		}
		if seeded {
			if err := seedDemoData(ctx, db.DB); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "demo county 140522 阳城县 seeded with rosters and one finished draw; password of every demo user:", postgres.DemoPassword)
		} else {
			fmt.Fprintln(stdout, "demo county already seeded; nothing changed")
		}
		return nil
	})
}

// runVerifyAudit recomputes every bureau's audit chain and exits non-zero
// naming the first broken entry.
func runVerifyAudit(args []string, stdout, stderr io.Writer) int {
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		n, err := postgres.VerifyAudit(ctx, db.DB)
		var broken *audit.BrokenError
		if errors.As(err, &broken) {
			return fmt.Errorf("%w (after %d entries checked)", broken, n)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "audit trail intact: %d entries checked\n", n)
		return nil
	})
}
