package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

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
	dir, err := dataDir()
	if err != nil {
		return nil, err
	}
	log.Info("data folder (SHUANGSUIJI_DATA overrides)", "dir", dir)
	local, err := postgres.StartLocal(ctx, filepath.Join(dir, "postgres"), log)
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

// dataDir is where the private server keeps its files: SHUANGSUIJI_DATA,
// else one folder per user, whatever the current folder is, so that every
// command of one user finds the same database. As root, PostgreSQL runs as
// the postgres user, who cannot enter root's home: root's data then lives
// where a system service keeps it.
func dataDir() (string, error) {
	return dataDirFrom(os.Getenv, os.Geteuid(), os.UserHomeDir)
}

func dataDirFrom(getenv func(string) string, euid int, home func() (string, error)) (string, error) {
	if dir := getenv("SHUANGSUIJI_DATA"); dir != "" {
		return filepath.Abs(dir)
	}
	if euid == 0 {
		return "/var/lib/shuangsuiji", nil
	}
	if xdg := getenv("XDG_DATA_HOME"); filepath.IsAbs(xdg) { // the XDG spec ignores relative paths
		return filepath.Join(xdg, "shuangsuiji"), nil
	}
	h, err := home()
	if err != nil {
		return "", fmt.Errorf("no data folder: set SHUANGSUIJI_DATA (%w)", err)
	}
	return filepath.Join(h, ".local", "share", "shuangsuiji"), nil
}

// defaultDataDirText describes the default data folder for `help`.
func defaultDataDirText() string {
	return "$XDG_DATA_HOME/shuangsuiji, else ~/.local/share/shuangsuiji; /var/lib/shuangsuiji as root"
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
