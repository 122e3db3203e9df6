package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A request's transaction begins with the statement that identifies the
// caller, and lib/pq would send them as two round trips: BEGIN, then the
// statement. The serving pool's connections (servingConnector) send them
// as one, "BEGIN; <statement>" in PostgreSQL's simple protocol, when the
// transaction is begun with a context that carries the statement
// (beginWith). database/sql still sees an ordinary transaction: lib/pq's
// connection, which is its own driver.Tx, commits or rolls it back as
// usual, and lib/pq reads from the server's ReadyForQuery that it is in one.

// beginStatement is a statement sent together with a transaction's BEGIN:
// text without parameters (the caller quotes its values), and a scanner
// for each column of the one row it returns at most.
type beginStatement struct {
	query string
	dest  []any

	sent  bool // the connection sent it with BEGIN
	found bool // and it returned a row
}

type beginStatementKey struct{}

// withBeginStatement returns ctx for a BeginTx that sends s with its
// BEGIN.
func withBeginStatement(ctx context.Context, s *beginStatement) context.Context {
	return context.WithValue(ctx, beginStatementKey{}, s)
}

// BeginStatement returns the statement a transaction begun with ctx sends
// together with its BEGIN, if any: for tools that count what a request
// sends (testdb's counting connector).
func BeginStatement(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(beginStatementKey{}).(*beginStatement)
	if !ok {
		return "", false
	}
	return s.query, true
}

// ServingConnector wraps inner, lib/pq's connector of the serving login, so
// that a transaction begun with a statement (withBeginStatement) sends
// both in one round trip.
func ServingConnector(inner driver.Connector) driver.Connector {
	return servingConnector{inner}
}

// openServing opens the serving login's pool over ServingConnector.
func openServing(url string) (*sqlx.DB, error) {
	c, err := pq.NewConnector(url)
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(ServingConnector(c)), "postgres"), nil
}

type servingConnector struct{ inner driver.Connector }

func (c servingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &servingConn{conn}, nil
}

func (c servingConnector) Driver() driver.Driver { return c.inner.Driver() }

// servingConn is lib/pq's connection with BeginTx taught to send a
// statement along; everything else passes through, with the optional
// interfaces pq's connection implements, so database/sql takes the same
// paths as without it.
type servingConn struct{ driver.Conn }

// BeginTx begins a transaction, sending the context's begin statement
// with BEGIN. lib/pq is never given the context's cancellation for the
// transaction as a whole: it keeps the watch it starts then and calls it
// again at the next transaction's end, which a transaction begun here,
// without lib/pq's BeginTx, would leave it calling twice. Nothing is lost:
// every statement still stops with its own context, and database/sql rolls
// back and discards the connection of a transaction whose context ends.
func (c *servingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	s, ok := ctx.Value(beginStatementKey{}).(*beginStatement)
	tx, isTx := c.Conn.(driver.Tx) // lib/pq's connection is its own transaction
	if !ok || !isTx || opts != (driver.TxOptions{}) {
		return c.Conn.(driver.ConnBeginTx).BeginTx(context.WithoutCancel(ctx), opts)
	}
	if err := c.sendWithBegin(ctx, s); err != nil {
		// The statement failed after BEGIN (the transaction is aborted),
		// or the connection did: end the transaction, or have the
		// connection discarded (and the transaction begun on another).
		if rbErr := tx.Rollback(); rbErr != nil {
			return nil, fmt.Errorf("%w: %v (rolling back: %v)", driver.ErrBadConn, err, rbErr)
		}
		return nil, err
	}
	return tx, nil
}

// sendWithBegin sends "BEGIN; <s.query>" as one simple-protocol query and
// scans its row, if any, into s.dest.
func (c *servingConn) sendWithBegin(ctx context.Context, s *beginStatement) error {
	s.sent, s.found = false, false // a retry on another connection starts afresh
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, "BEGIN; "+s.query, nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.sent = true
	values := make([]driver.Value, len(rows.Columns()))
	if len(values) != len(s.dest) {
		return fmt.Errorf("begin statement: %d columns, %d destinations", len(values), len(s.dest))
	}
	for {
		err := rows.Next(values)
		if errors.Is(err, io.EOF) {
			return nil // read to the end: lib/pq has seen the transaction open
		}
		if err != nil {
			return err
		}
		if s.found {
			return errors.New("begin statement: more than one row")
		}
		s.found = true
		for i, v := range values {
			if err := s.dest[i].(sql.Scanner).Scan(v); err != nil {
				return fmt.Errorf("begin statement: column %d: %w", i, err)
			}
		}
	}
}

//lint:ignore SA1019 required by driver.Conn
func (c *servingConn) Begin() (driver.Tx, error) { //nolint:staticcheck
	return c.Conn.Begin() //nolint:staticcheck
}

func (c *servingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *servingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *servingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *servingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *servingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *servingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *servingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// beginWith begins a transaction on db whose first statement is s, sent
// with BEGIN in one round trip where the pool's connections can
// (ServingConnector), or after it otherwise. It reports sql.ErrNoRows, with
// the transaction open, when s returned no row.
func beginWith(ctx context.Context, db *sqlx.DB, s *beginStatement) (*sqlx.Tx, error) {
	tx, err := db.BeginTxx(withBeginStatement(ctx, s), nil)
	if err != nil {
		return nil, err
	}
	if !s.sent {
		err := s.scanIn(ctx, tx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			tx.Rollback()
			return nil, err
		}
		s.found = err == nil
	}
	if !s.found {
		return tx, sql.ErrNoRows
	}
	return tx, nil
}

// scanIn runs the statement in tx, a transaction begun already.
func (s *beginStatement) scanIn(ctx context.Context, tx *sqlx.Tx) error {
	return tx.QueryRowContext(ctx, s.query).Scan(s.dest...)
}
