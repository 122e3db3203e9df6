package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/lib/pq"

	"shuangsuiji/internal/postgres"
)

// database is the PostgreSQL a command works on: DATABASE_URL's, or the
// private server in the project's data folder.
type database struct {
	*postgres.DB
	URL   string
	local *postgres.Local
}

// localDatabaseName is the database created in the private server.
const localDatabaseName = "shuangsuiji"

// openDatabase connects to DATABASE_URL, or starts (or joins) the private
// server and creates its database on first use.
func openDatabase(ctx context.Context, log *slog.Logger) (*database, error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return &database{DB: db, URL: url}, nil
	}
	dir := os.Getenv("SHUANGSUIJI_DATA")
	if dir == "" {
		dir = ".data"
	}
	local, err := postgres.StartLocal(ctx, filepath.Join(dir, "postgres"))
	if err != nil {
		return nil, fmt.Errorf("start the private PostgreSQL (set DATABASE_URL to use another): %w", err)
	}
	log.Info("using the private PostgreSQL", "dir", local.Dir, "port", local.Port)
	if err := createDatabase(ctx, local); err != nil {
		local.Stop()
		return nil, err
	}
	url := local.URL(localDatabaseName)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		local.Stop()
		return nil, err
	}
	return &database{DB: db, URL: url, local: local}, nil
}

func createDatabase(ctx context.Context, local *postgres.Local) error {
	admin, err := postgres.Open(ctx, local.URL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.GetContext(ctx, &exists, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, localDatabaseName); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(localDatabaseName))
	return err
}

// Local reports whether this is the private server.
func (d *database) Local() bool { return d.local != nil }

// Close disconnects, and stops the private server if this process
// started it.
func (d *database) Close() {
	d.DB.Close()
	if d.local != nil {
		d.local.Stop()
	}
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
