package testdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/postgres"
)

// Statements counts the SQL statements sent through a counting connection,
// and keeps their text so that a failing count can say which ones ran.
type Statements struct {
	n      atomic.Int64
	begins atomic.Int64
	mu     sync.Mutex
	text   []string
}

// Count is the number of statements so far.
func (s *Statements) Count() int64 { return s.n.Load() }

// Begins is the number of transactions begun so far (BEGIN and COMMIT are
// not counted as statements).
func (s *Statements) Begins() int64 { return s.begins.Load() }

// Since lists the statements after the first n, in the order they ran.
func (s *Statements) Since(n int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(n) >= len(s.text) {
		return nil
	}
	return append([]string(nil), s.text[n:]...)
}

func (s *Statements) add(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n.Add(1)
	s.text = append(s.text, q)
}

// OpenCounting opens url through a connector that counts every statement
// (queries, execs and prepares), for tests that prove a request costs a
// fixed number of statements whatever its size.
func OpenCounting(t testing.TB, url string) (*postgres.DB, *Statements) {
	t.Helper()
	stmts := &Statements{}
	connect := func(u string) (*sqlx.DB, error) {
		inner, err := pq.NewConnector(u)
		if err != nil {
			return nil, err
		}
		return sqlx.NewDb(sql.OpenDB(countingConnector{postgres.ServingConnector(inner), stmts}), "postgres"), nil
	}
	owner, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	db := postgres.NewDB(owner, url, connect)
	t.Cleanup(func() { db.Close() })
	return db, stmts
}

type countingConnector struct {
	inner driver.Connector
	stmts *Statements
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn: conn, stmts: c.stmts}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.inner.Driver() }

// countingConn passes everything to lib/pq's connection, counting the
// statements. It implements the optional interfaces pq's connection does,
// so database/sql uses the same paths as without it.
type countingConn struct {
	conn  driver.Conn
	stmts *Statements
}

// Prepared statements count when they run, not when they are prepared
// (once per connection, which depends on the pool, not on the request).
func (c *countingConn) Prepare(q string) (driver.Stmt, error) {
	st, err := c.conn.Prepare(q)
	return c.wrap(st, q, err)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	return c.wrap(st, q, err)
}

func (c *countingConn) wrap(st driver.Stmt, q string, err error) (driver.Stmt, error) {
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(q, "COPY") { // one statement, however many rows it is given
		c.stmts.add(q)
		return st, nil
	}
	return &countingStmt{Stmt: st, q: q, stmts: c.stmts}, nil
}

// countingStmt counts each run of a prepared statement.
type countingStmt struct {
	driver.Stmt
	q     string
	stmts *Statements
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.stmts.add(s.q)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.stmts.add(s.q)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (c *countingConn) Close() error { return c.conn.Close() }

//lint:ignore SA1019 required by driver.Conn
func (c *countingConn) Begin() (driver.Tx, error) { //nolint:staticcheck
	c.stmts.begins.Add(1)
	return c.conn.Begin() //nolint:staticcheck
}

// BeginTx counts the statement sent with BEGIN, as the serving pool sends
// a request's first.
func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.stmts.begins.Add(1)
	if q, ok := postgres.BeginStatement(ctx); ok {
		c.stmts.add(q)
	}
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.stmts.add(q)
	return c.conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.stmts.add(q)
	return c.conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *countingConn) Ping(ctx context.Context) error { return c.conn.(driver.Pinger).Ping(ctx) }

func (c *countingConn) ResetSession(ctx context.Context) error {
	return c.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *countingConn) IsValid() bool { return c.conn.(driver.Validator).IsValid() }
