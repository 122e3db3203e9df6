package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/errs"
)

// A request reads in one transaction: the first store that needs the
// database begins it (the session and membership lookup, for a signed-in
// caller), every later read of the request runs in it, and the request's
// end commits it. A request that writes (a GraphQL mutation) stops sharing
// it at its first store call: the transaction is committed there, and each
// write runs in a transaction of its own as before (retries, rollback of
// the use case alone).
//
// The transaction is the request's only connection, so its users take
// turns: resolvers run concurrently, and a connection carries one
// statement at a time. No store calls another store inside its callback
// (which would wait for itself).
type request struct {
	db     *DB
	ctx    context.Context // the request's, without its cancellation
	shared func() bool     // false once the request turns out to write

	mu    sync.Mutex
	tx    *sqlx.Tx
	scope Scope // the tenant settings in force in tx
	ended bool
}

type requestKey struct{}

// WithRequest returns a context whose reads share one transaction, opened
// on first use, and the function that ends it (call it when the request is
// answered). shared reports whether the request still only reads; nil
// means always.
func (db *DB) WithRequest(ctx context.Context, shared func() bool) (context.Context, func()) {
	if shared == nil {
		shared = func() bool { return true }
	}
	// The transaction outlives the answer by a moment (the commit after
	// the response is written), when a client that has read it may have
	// hung up, cancelling the request's context: begun with that context,
	// the transaction would be rolled back under us and lib/pq would
	// discard the connection, opening a new PostgreSQL session for the
	// next request. Its statements still stop with their resolvers.
	r := &request{db: db, ctx: context.WithoutCancel(ctx), shared: shared}
	return context.WithValue(ctx, requestKey{}, r), r.end
}

// requestOf returns the request of ctx that reads from db, or nil.
func (db *DB) requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	if r == nil || r.db != db {
		return nil
	}
	return r
}

// run runs fn in the request's transaction under scope. ok is false when
// the request cannot lend it (it writes, or has ended): the caller opens a
// transaction of its own.
// A nil scope takes the settings in force: for reference data, which no
// setting hides.
func (r *request) run(scope *Scope, fn func(tx *sqlx.Tx) error) (ok bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false, nil
	}
	if !r.shared() {
		r.finish()
		return false, nil
	}
	if scope == nil {
		scope = &r.scope
	}
	if err := r.enter(*scope); err != nil {
		r.abandon()
		return true, unavailable(err)
	}
	return true, r.call(fn)
}

// identify runs st, the identity lookup that sets the tenant settings
// itself, as the first statement of the request's transaction, sent with
// its BEGIN, and records the scope it set (none when it found no
// session: sql.ErrNoRows, the transaction kept for the request's reads).
func (r *request) identify(st *beginStatement, scope func() Scope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tx != nil { // not the first statement after all: run it in the transaction, settings cleared
		if err := r.enter(Scope{}); err != nil {
			r.abandon()
			return unavailable(err)
		}
		err := r.call(func(tx *sqlx.Tx) error { return st.scanIn(r.ctx, tx) })
		if err == nil {
			r.scope = scope()
		}
		return err
	}
	serving, err := r.db.Serving(r.ctx)
	if err != nil {
		return unavailable(err)
	}
	tx, err := beginWith(r.ctx, serving, st)
	if tx == nil {
		return unavailable(err)
	}
	r.tx, r.scope = tx, Scope{}
	if err == nil {
		r.scope = scope()
	}
	return err
}

// enter begins the transaction if needed and puts scope's settings in
// force, with one statement at most.
func (r *request) enter(scope Scope) error {
	if r.tx == nil {
		serving, err := r.db.Serving(r.ctx)
		if err != nil {
			return err
		}
		if r.tx, err = serving.BeginTxx(r.ctx, nil); err != nil {
			return err
		}
		r.scope = Scope{} // settings are transaction-local: a new one has none
	}
	if scope == r.scope {
		return nil
	}
	if err := r.db.setScope(r.ctx, r.tx, scope); err != nil {
		return err
	}
	r.scope = scope
	return nil
}

// call runs fn; after a failure the database reports, the transaction may
// be aborted, so it is dropped and the next reader begins another.
func (r *request) call(fn func(tx *sqlx.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.abandon()
			panic(p)
		}
		if err != nil && !harmless(err) {
			r.abandon()
		}
		err = unavailable(err)
	}()
	return fn(r.tx)
}

// harmless errors leave the transaction usable: no row, or the service's
// own verdicts.
func harmless(err error) bool {
	var pqErr *pq.Error
	var ours *errs.Error
	return errors.Is(err, sql.ErrNoRows) || (errors.As(err, &ours) && !errors.As(err, &pqErr) && !connectionFailure(err))
}

func (r *request) abandon() {
	if r.tx != nil {
		r.tx.Rollback()
		r.tx = nil
	}
}

// finish commits what the request did so far (its reads; nothing is left
// to roll back) and gives the connection back.
func (r *request) finish() {
	if r.tx != nil {
		r.tx.Commit()
		r.tx = nil
	}
}

func (r *request) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finish()
	r.ended = true
}

// A preparedQuery is a statement every request runs, prepared once on each
// serving connection: lib/pq sends an unprepared statement with
// parameters as two round trips (parse and describe, then bind and
// execute), a prepared one as one.
type preparedQuery int

// preparedQueries are the texts of the prepared queries, by index.
var preparedQueries []string

// genericLimit is the LIMIT of a prepared statement, its parameter $n:
// hidden in a subquery, so that the planner estimates it alike with or
// without the value. PostgreSQL plans a prepared statement afresh at each
// of its first five runs, then keeps a generic plan (planned without the
// parameters' values) only when that plan does not look dearer than the
// ones planned with them; against a LIMIT of 6 it guesses a tenth of the
// rows, looks dearer, and the statement is planned at every run, which
// for a page of tasks under row-level security (a dozen subplans) cost
// more than running it (1.6 ms against 1.3 ms, EXPLAIN ANALYZE). The
// plan is the same either way: the generic one was checked to be.
func genericLimit(n int) string { return fmt.Sprintf("(SELECT $%d::int)", n) }

// prepare registers q, at package initialisation, to be prepared on the
// serving pool when it opens.
func prepare(q string) preparedQuery {
	preparedQueries = append(preparedQueries, q)
	return preparedQuery(len(preparedQueries) - 1)
}

// prepareAll prepares the registered queries on db, a pool nobody uses
// yet: preparing needs a connection of the pool, which a request holding
// one could otherwise wait for forever.
func prepareAll(ctx context.Context, db *sqlx.DB) ([]*sqlx.Stmt, error) {
	stmts := make([]*sqlx.Stmt, len(preparedQueries))
	for i, q := range preparedQueries {
		st, err := db.PreparexContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[i] = st
	}
	return stmts, nil
}

// prepared returns q as a statement of tx, a serving transaction. The
// connection prepares it the first time, and keeps it for its later
// transactions.
func (db *DB) prepared(ctx context.Context, tx *sqlx.Tx, q preparedQuery) *sqlx.Stmt {
	return tx.StmtxContext(ctx, db.serving.stmts[q])
}

// identify runs st, which reads who the request is for and puts the
// tenant settings in force itself, first in the request's transaction (or
// in one of its own outside a request); scope is the scope it set, read
// after it ran.
func (db *DB) identify(ctx context.Context, st *beginStatement, scope func() Scope) error {
	if r := db.requestOf(ctx); r != nil {
		return r.identify(st, scope)
	}
	return db.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error { return st.scanIn(ctx, tx) })
}

// InAnyScope runs fn, which reads only reference data (tables without
// row-level security: regions, bureaus), in the request's transaction
// under whatever tenant settings are in force, which spares switching them
// and back; outside a request, in a transaction with none.
func (db *DB) InAnyScope(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if r := db.requestOf(ctx); r != nil {
		if ok, err := r.run(nil, fn); ok {
			return err
		}
	}
	return db.InScope(ctx, Scope{}, fn)
}
