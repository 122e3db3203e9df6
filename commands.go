package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/postgres"
)

// newLogger logs to w as text, or as JSON lines with LOG_FORMAT=json.
func newLogger(w io.Writer) (*slog.Logger, error) {
	switch f := os.Getenv("LOG_FORMAT"); f {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	default:
		return nil, fmt.Errorf("LOG_FORMAT=%q: want text or json", f)
	}
}

// flagsOf returns the flags of a command as its --help lists them, or ""
// for a command without flags.
func flagsOf(name string) string {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	switch name {
	case "serve":
		serveFlags(fs)
	case "import":
		importFlags(fs)
	case "draw":
		drawFlags(fs)
	case "verify-draw":
		verifyDrawFlags(fs)
	default:
		return ""
	}
	var b bytes.Buffer
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// noArguments refuses arguments to a command that takes none, so that a
// mistyped flag does not run it.
func noArguments(name string, args []string, stderr io.Writer) bool {
	if len(args) == 0 {
		return true
	}
	fmt.Fprintf(stderr, "%s takes no arguments (got %q); shuangsuiji %s --help says what it does\n", name, args, name)
	return false
}

// withDatabase opens the database, runs fn and reports its error.
func withDatabase(stderr io.Writer, fn func(ctx context.Context, db *database) error) int {
	ctx := context.Background()
	log, err := newLogger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	db, err := openDatabase(ctx, log)
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
	if !noArguments("migrate", args, stderr) {
		return 2
	}
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		if err := postgres.Migrate(ctx, db.DB.DB.DB); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	})
}

func runSeed(args []string, stdout, stderr io.Writer) int {
	if !noArguments("seed", args, stderr) {
		return 2
	}
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
	if !noArguments("verify-audit", args, stderr) {
		return 2
	}
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		n, err := postgres.VerifyAudit(ctx, db.DB)
		var broken *audit.BrokenError
		if errors.As(err, &broken) {
			return fmt.Errorf("%w (after %d entries checked)", broken, n)
		}
		if err != nil {
			return err
		}
		anchored, err := checkAnchors(ctx, db.DB)
		if errors.As(err, &broken) {
			return fmt.Errorf("%w (the chains themselves hold: %d entries checked)", broken, n)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "audit trail intact: %d entries checked, %d bureaus' exported heads found\n", n, anchored)
		return nil
	})
}

// runVersion prints what the binary was built from: the module version
// (a tag with `go install …@version`, "(devel)" from a checkout), the VCS
// commit and time that `go build` stamps, and the Go version.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if !noArguments("version", args, stderr) {
		return 2
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "error: this binary carries no build information")
		return 1
	}
	fmt.Fprintln(stdout, versionLine(info))
	return 0
}

// versionLine is e.g. "shuangsuiji (devel) commit 96ea254c… (2026-12-01T10:40:00Z, modified) go1.26.0".
func versionLine(info *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", info.Main.Path, info.Main.Version)
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, " commit %s (%s", rev, settings["vcs.time"])
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString(")")
	} else {
		b.WriteString(" commit unknown (go run stamps none: `make build` builds a binary that names its commit)")
	}
	fmt.Fprintf(&b, " %s", info.GoVersion)
	return b.String()
}
