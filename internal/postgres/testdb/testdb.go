// Package testdb gives tests a real, migrated PostgreSQL database of their
// own: a private server started once per test binary from the machine's
// PostgreSQL binaries (or TEST_DATABASE_URL's server), and a fresh database
// per test cloned from a migrated template by pgtestdb.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/peterldowns/pgtestdb"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/migrations"
)

var (
	once    sync.Once
	local   *postgres.Local
	baseURL string
	onceErr error
)

// Main runs the package's tests and stops the private server afterwards.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if local != nil {
		if err := local.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testdb: stop PostgreSQL:", err)
		}
		os.RemoveAll(local.Dir)
	}
	os.Exit(code)
}

// server returns the URL of the server tests use, starting one if needed.
func server() (string, error) {
	once.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			baseURL = u
			return
		}
		dir, err := os.MkdirTemp("", "shuangsuiji-testdb-")
		if err != nil {
			onceErr = err
			return
		}
		// PostgreSQL runs as the postgres user, who must enter the folder.
		os.Chmod(dir, 0o755)
		os.Setenv("PG_FSYNC", "off")
		local, onceErr = postgres.StartLocal(context.Background(), filepath.Join(dir, "pg"), nil)
		if onceErr == nil {
			baseURL = local.URL("postgres")
		}
	})
	return baseURL, onceErr
}

// URL returns the superuser URL of the test server, for tests that must
// act behind the service's back (tampering with the audit trail, say).
func URL(t testing.TB) string {
	t.Helper()
	u, err := server()
	if err != nil {
		t.Fatalf("testdb: cannot start PostgreSQL: %v", err)
	}
	return u
}

// New returns a connection, as the schema owner, to a fresh migrated
// database that is dropped when the test ends.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	conf := Config(t)
	db, err := postgres.Open(context.Background(), conf.URL())
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Config creates a fresh migrated database and returns how to reach it.
func Config(t testing.TB) *pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(URL(t))
	if err != nil {
		t.Fatalf("testdb: bad server URL: %v", err)
	}
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "postgres", Host: u.Hostname(), Port: u.Port(), User: u.User.Username(),
		Password: pw, Database: "postgres", Options: "sslmode=disable",
		// The schema owner needs CREATEROLE to create the serving role,
		// like the migrating login in production; it is no superuser, so
		// row-level security is tested as it runs.
		TestRole: &pgtestdb.Role{Username: "shuangsuiji_owner", Password: "owner-test-password",
			Capabilities: "NOSUPERUSER NOCREATEDB CREATEROLE"},
		ForceTerminateConnections: true,
	}
	return pgtestdb.Custom(t, conf, migrator{})
}

// migrator applies the embedded migrations; its hash covers their text so
// a changed migration gets a new template.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	return postgres.Migrate(ctx, db)
}
