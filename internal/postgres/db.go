// Package postgres is the storage of the service: it opens PostgreSQL (or
// starts a private one, see Local), applies the migrations, runs every use
// case in one transaction under the two walls of tenancy, and implements
// the domain packages' stores with plain SQL beside each method.
//
// A serving transaction runs over a connection that logs in as
// shuangsuiji_app (a role that owns nothing, is no superuser and cannot
// bypass row-level security, so no RESET ROLE leads out of it) and sets
// app.bureau_id and app.user_id for the policies, transaction-local. System
// work (migrations, seed, loading role assignments, verify-audit) runs as
// the schema owner over a pool of its own.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"shuangsuiji/internal/errs"
	"shuangsuiji/migrations"
)

// ServingRole is the role every serving transaction runs as.
const ServingRole = "shuangsuiji_app"

// DB is the service's handle on PostgreSQL: the schema owner's pool
// (embedded, for system work) and the serving login's.
type DB struct {
	*sqlx.DB
	serving *servingPool
	binary  *servingPool // the serving login again, []byte parameters sent in binary: see InScopeBinary
	bureaus *bureauCache // off until the instance listens for changes
}

// Open connects to url, the schema owner's connection string, and checks
// the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return NewDB(db, url, openServing), nil
}

// NewDB wraps the owner's pool, connected with ownerURL; connect opens the
// serving login's pool from its connection string when first needed.
func NewDB(owner *sqlx.DB, ownerURL string, connect func(url string) (*sqlx.DB, error)) *DB {
	return &DB{DB: owner, serving: &servingPool{ownerURL: ownerURL, owner: owner, connect: connect},
		binary:  &servingPool{ownerURL: ownerURL, owner: owner, connect: connect, binaryParameters: true},
		bureaus: &bureauCache{}}
}

// Serving returns the serving login's pool, logging in on first use.
func (db *DB) Serving(ctx context.Context) (*sqlx.DB, error) {
	return db.serving.get(ctx)
}

// Close closes the pools.
func (db *DB) Close() error {
	db.serving.close()
	db.binary.close()
	return db.DB.Close()
}

// Migrate applies every migration not yet applied.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// Scope is who a serving transaction acts for: the tenant's bureau and the
// signed-in user (0 when nobody is signed in).
type Scope struct {
	BureauID int64
	UserID   int64
}

// InScope runs fn in one transaction as the serving role, with the tenant
// settings of scope. It rolls back on error or panic and retries
// serialization failures and deadlocks a few times.
//
// Within a request that only reads (see WithRequest), fn runs in the
// request's one transaction instead.
func (db *DB) InScope(ctx context.Context, scope Scope, fn func(tx *sqlx.Tx) error) error {
	if r := db.requestOf(ctx); r != nil {
		if ok, err := r.run(&scope, fn); ok {
			return err
		}
	}
	serving, err := db.Serving(ctx)
	if err != nil {
		return err
	}
	return transact(ctx, serving, func(tx *sqlx.Tx) error {
		if scope != (Scope{}) { // a new transaction has no settings
			if err := db.setScope(ctx, tx, scope); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// InScopeBinary is InScope for the few use cases that send tens of
// megabytes of bytea (a draw's freeze and execution: its sealed input and
// commitment), over a small pool of serving connections that send []byte
// parameters in binary (lib/pq's binary_parameters). Otherwise lib/pq
// sends bytea as hex text, twice its size, which both sides then encode
// and decode. In fn, a []byte parameter is bytea: JSON goes as a string.
// The pool has none of the serving pool's prepared statements.
func (db *DB) InScopeBinary(ctx context.Context, scope Scope, fn func(tx *sqlx.Tx) error) error {
	pool, err := db.binary.get(ctx)
	if err != nil {
		return err
	}
	return transact(ctx, pool, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, setScopeSQL, idSetting(scope.BureauID), idSetting(scope.UserID)); err != nil {
			return err
		}
		return fn(tx)
	})
}

// setScope puts the tenant settings of scope in force in tx, with a
// statement prepared once per connection.
func (db *DB) setScope(ctx context.Context, tx *sqlx.Tx, scope Scope) error {
	_, err := db.prepared(ctx, tx, setScopeQuery).ExecContext(ctx, idSetting(scope.BureauID), idSetting(scope.UserID))
	return err
}

const setScopeSQL = `SELECT set_config('app.bureau_id', $1, true), set_config('app.user_id', $2, true)`

var setScopeQuery = prepare(setScopeSQL)

// AsOwner runs fn in one transaction as the schema owner, for system work
// that must see every bureau. Never call it on behalf of a request.
func (db *DB) AsOwner(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return transact(ctx, db.DB, fn)
}

func idSetting(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

const maxAttempts = 4

func transact(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	for attempt := 1; ; attempt++ {
		err = transactOnce(ctx, db, fn)
		if !retryable(err) || attempt == maxAttempts {
			return unavailable(err)
		}
	}
}

// unavailable turns a failure to reach PostgreSQL (refused, dropped or
// shutting-down connections, too many clients) into errs.Unavailable, so
// that clients are told to try again rather than that something broke.
func unavailable(err error) error {
	if err == nil || !connectionFailure(err) {
		return err
	}
	return &errs.Error{Kind: errs.Unavailable, Message: "the database is unavailable: try again shortly", Cause: err}
}

func connectionFailure(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

func transactOnce(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func retryable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	return pqErr.Code == "40001" || pqErr.Code == "40P01"
}

// CheckServingRole refuses to serve when the serving role could get around
// row-level security: a superuser, a BYPASSRLS role, or one owning tables.
func CheckServingRole(ctx context.Context, db *DB) error {
	const q = `
SELECT r.rolsuper, r.rolbypassrls,
       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm'))
FROM pg_roles r WHERE r.rolname = $1`
	var super, bypass bool
	var owned int
	err := db.QueryRowContext(ctx, q, ServingRole).Scan(&super, &bypass, &owned)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("refusing to serve: role %s does not exist (run migrate first)", ServingRole)
	}
	if err != nil {
		return err
	}
	switch {
	case super:
		return fmt.Errorf("refusing to serve: serving role %s is a superuser, so row-level security would not hold", ServingRole)
	case bypass:
		return fmt.Errorf("refusing to serve: serving role %s has BYPASSRLS, so row-level security would not hold", ServingRole)
	case owned > 0:
		return fmt.Errorf("refusing to serve: serving role %s owns %d tables, and owners can alter their policies", ServingRole, owned)
	}
	return db.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		var login string
		if err := tx.GetContext(ctx, &login, `SELECT session_user`); err != nil {
			return err
		}
		if login != ServingRole {
			return fmt.Errorf("refusing to serve: requests would log in as %s, not as the serving role %s", login, ServingRole)
		}
		return nil
	})
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation.
func uniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// notFound maps sql.ErrNoRows to a NotFound error with msg, and passes
// other errors through.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFoundf(format, args...)
	}
	return err
}

// errNoRowsIfNil turns "no error, but no answer" into sql.ErrNoRows.
func errNoRowsIfNil(err error) error {
	if err == nil {
		return sql.ErrNoRows
	}
	return err
}
