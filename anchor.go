package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/postgres"
)

// The audit anchor: each bureau's chain head signed with an Ed25519 key
// kept outside the database, exported to a file outside it (see
// internal/audit/anchor.go for why).

// anchorPaths returns the signing key's file (AUDIT_KEY_FILE) and the
// anchors file (AUDIT_ANCHORS), by default in the data folder, the
// anchors named after the database they anchor.
func anchorPaths(ctx context.Context, db *postgres.DB) (key, anchors string, err error) {
	key, anchors = os.Getenv("AUDIT_KEY_FILE"), os.Getenv("AUDIT_ANCHORS")
	if key != "" && anchors != "" {
		return key, anchors, nil
	}
	dir, err := dataDir()
	if err != nil {
		return "", "", err
	}
	if key == "" {
		key = filepath.Join(dir, "audit-anchor.key")
	}
	if anchors == "" {
		var name string
		if err := db.GetContext(ctx, &name, `SELECT current_database()`); err != nil {
			return "", "", err
		}
		anchors = filepath.Join(dir, "audit-anchors-"+name+".json")
	}
	return key, anchors, nil
}

// anchorEvery is how often serve exports the anchors (AUDIT_ANCHOR_EVERY).
func anchorEvery() (time.Duration, error) {
	v := os.Getenv("AUDIT_ANCHOR_EVERY")
	if v == "" {
		return 10 * time.Minute, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("AUDIT_ANCHOR_EVERY=%q: want a duration of at least 1s, like 10m", v)
	}
	return d, nil
}

// exportAnchors signs and writes every bureau's head now.
func exportAnchors(ctx context.Context, db *postgres.DB) (int, string, error) {
	keyPath, path, err := anchorPaths(ctx, db)
	if err != nil {
		return 0, "", err
	}
	key, err := audit.LoadKey(keyPath)
	if err != nil {
		return 0, "", err
	}
	n, err := postgres.ExportAnchors(ctx, db, key, path, time.Now())
	return n, path, err
}

// anchorOnSchedule exports the anchors now and every interval until ctx
// ends; a failure (a chain cut back, say) is logged as an error and
// leaves the last good anchors in place.
func anchorOnSchedule(ctx context.Context, log *slog.Logger, db *postgres.DB, every time.Duration) {
	for {
		if n, path, err := exportAnchors(ctx, db); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("audit anchors not exported", "err", err)
		} else {
			log.Info("exported the audit anchors", "bureaus", n, "file", path)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// runAnchorAudit exports the anchors on demand.
func runAnchorAudit(args []string, stdout, stderr io.Writer) int {
	if !noArguments("anchor-audit", args, stderr) {
		return 2
	}
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		n, path, err := exportAnchors(ctx, db.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signed and exported the audit heads of %d bureaus to %s\n", n, path)
		return nil
	})
}

// checkAnchors checks the chains against the last exported anchors, if
// there are any, under the signing key's public half. It returns how many
// bureaus were anchored.
func checkAnchors(ctx context.Context, db *postgres.DB) (int, error) {
	keyPath, path, err := anchorPaths(ctx, db)
	if err != nil {
		return 0, err
	}
	as, err := audit.ReadAnchors(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	key, err := audit.LoadKey(keyPath)
	if err != nil {
		return 0, err
	}
	return len(as.Anchors), postgres.CheckAnchors(ctx, db, as, key.Public().(ed25519.PublicKey))
}
