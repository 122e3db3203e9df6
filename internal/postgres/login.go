package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// servingPool is the connection pool of the serving login: requests run
// over connections that log in as shuangsuiji_app itself, so nothing a
// statement does (RESET ROLE, SET ROLE, SET SESSION AUTHORIZATION) can
// take it to the schema owner, whose policies see every bureau. It opens
// on first use, after the migrations have created the role.
type servingPool struct {
	mu       sync.Mutex
	db       *sqlx.DB
	ownerURL string
	owner    *sqlx.DB
	connect  func(url string) (*sqlx.DB, error)
	stmts    []*sqlx.Stmt // preparedQueries, on this pool
	// binaryParameters makes it the pool of InScopeBinary: a few
	// connections, []byte parameters sent in binary, nothing prepared.
	binaryParameters bool
}

// ServingPoolSize is how many connections the serving pool opens at most.
const ServingPoolSize = 40

// BinaryPoolSize is how many connections InScopeBinary's pool opens at
// most: draws are frozen and executed one at a time or nearly.
const BinaryPoolSize = 2

// ServingURLEnv names a connection string for the serving login, for
// deployments that manage its password themselves.
const ServingURLEnv = "SERVING_DATABASE_URL"

func (p *servingPool) get(ctx context.Context) (*sqlx.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		return p.db, nil
	}
	db, err := p.open(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	if p.binaryParameters {
		db.SetMaxOpenConns(BinaryPoolSize)
		db.SetMaxIdleConns(BinaryPoolSize)
		db.SetConnMaxIdleTime(5 * time.Minute)
		p.db = db
		return db, nil
	}
	// As many idle as open: a connection closed because it was idle for a
	// moment is opened again by the next burst (a PostgreSQL backend each
	// time); connections idle for minutes are closed.
	db.SetMaxOpenConns(ServingPoolSize)
	db.SetMaxIdleConns(ServingPoolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if p.stmts, err = prepareAll(ctx, db); err != nil {
		db.Close()
		return nil, unavailable(err)
	}
	p.db = db
	return db, nil
}

// open connects as the serving login. Its password is derived from the
// owner's (an HMAC), so every instance and every database of one cluster
// agree on it without storing it; it is set (which needs CREATEROLE) only
// when logging in with it fails.
func (p *servingPool) open(ctx context.Context) (*sqlx.DB, error) {
	if u := os.Getenv(ServingURLEnv); u != "" {
		return p.try(ctx, u)
	}
	u, password, err := servingURL(p.ownerURL)
	if err != nil {
		return nil, err
	}
	db, err := p.try(ctx, u)
	if err == nil || !loginRefused(err) {
		return db, err
	}
	alter := `ALTER ROLE ` + ServingRole + ` LOGIN`
	if password != "" {
		alter += ` PASSWORD ` + pq.QuoteLiteral(password)
	}
	if _, err := p.owner.ExecContext(ctx, alter); err != nil {
		return nil, fmt.Errorf("let the serving role %s log in (the owner needs CREATEROLE, or set %s): %w", ServingRole, ServingURLEnv, err)
	}
	return p.try(ctx, u)
}

// close closes the pool if it was opened.
func (p *servingPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		p.db.Close()
		p.db = nil
	}
}

func (p *servingPool) try(ctx context.Context, url string) (*sqlx.DB, error) {
	if p.binaryParameters {
		var err error
		if url, err = withBinaryParameters(url); err != nil {
			return nil, err
		}
	}
	db, err := p.connect(url)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// withBinaryParameters adds lib/pq's binary_parameters=yes to a
// connection string, a URL or key=value pairs (lib/pq takes the last of
// repeated keys).
func withBinaryParameters(conn string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		var err error
		if conn, err = pq.ParseURL(conn); err != nil {
			return "", err
		}
	}
	return conn + " binary_parameters=yes", nil
}

// loginRefused reports a failed log-in (wrong password, a role that may
// not log in): class 28, invalid authorization.
func loginRefused(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && strings.HasPrefix(string(pqErr.Code), "28")
}

// servingURL turns the owner's connection string into the serving login's
// (lib/pq takes the last of repeated keys), with its derived password.
func servingURL(ownerURL string) (string, string, error) {
	conn := ownerURL
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		var err error
		if conn, err = pq.ParseURL(conn); err != nil {
			return "", "", err
		}
	}
	ownerPassword := connPassword(conn)
	if ownerPassword == "" {
		ownerPassword = os.Getenv("PGPASSWORD")
	}
	conn += " user=" + ServingRole
	password := ""
	if ownerPassword != "" {
		mac := hmac.New(sha256.New, []byte(ownerPassword))
		mac.Write([]byte("shuangsuiji serving login " + ServingRole))
		password = hex.EncodeToString(mac.Sum(nil))
		conn += " password=" + password
	}
	return conn, password, nil
}

// connPassword reads password=… from a key=value connection string (as
// pq.ParseURL writes it: values quoted with backslash escapes).
func connPassword(conn string) string {
	i := strings.Index(conn, "password=")
	if i < 0 || i > 0 && conn[i-1] != ' ' {
		return ""
	}
	rest := conn[i+len("password="):]
	if !strings.HasPrefix(rest, "'") {
		v, _, _ := strings.Cut(rest, " ")
		return v
	}
	var b strings.Builder
	for j := 1; j < len(rest); j++ {
		switch c := rest[j]; {
		case c == '\\' && j+1 < len(rest):
			j++
			b.WriteByte(rest[j])
		case c == '\'':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ServingConnString is the serving login's connection string, for tools
// that measure what requests run, as requests run it (pgbench).
func (db *DB) ServingConnString() (string, error) {
	if u := os.Getenv(ServingURLEnv); u != "" {
		return u, nil
	}
	u, _, err := servingURL(db.serving.ownerURL)
	return u, err
}
