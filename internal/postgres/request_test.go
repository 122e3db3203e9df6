package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

// backend is the PostgreSQL process and transaction that tx runs in.
func backend(t *testing.T, db *postgres.DB, ctx context.Context, scope postgres.Scope) (pid int, xid string) {
	t.Helper()
	err := db.InScope(ctx, scope, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(ctx, `SELECT pg_backend_pid(), txid_current()::text`).Scan(&pid, &xid)
	})
	if err != nil {
		t.Fatal(err)
	}
	return pid, xid
}

// TestRequestSharesOneTransaction: the reads of a request run in one
// transaction, also from goroutines at once, and under the scope each
// asks for; a failure PostgreSQL reports ends it and the next read begins
// another, while the service's own verdicts keep it; a request that turns
// out to write lends it no more; after the request, reads run alone.
func TestRequestSharesOneTransaction(t *testing.T) {
	db, stmts := testdb.OpenCounting(t, testdb.Config(t).URL())
	writes := false
	ctx, end := db.WithRequest(context.Background(), func() bool { return !writes })
	begins := stmts.Begins()
	_, xid := backend(t, db, ctx, postgres.Scope{BureauID: 1})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, x := backend(t, db, ctx, postgres.Scope{BureauID: 1}); x != xid {
				t.Errorf("a concurrent read ran in transaction %s, want the request's %s", x, xid)
			}
		})
	}
	wg.Wait()
	var bureau string
	db.InScope(ctx, postgres.Scope{BureauID: 2, UserID: 7}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &bureau, `SELECT current_setting('app.bureau_id') || '/' || current_setting('app.user_id')`)
	})
	if bureau != "2/7" {
		t.Errorf("settings under another scope: %q, want 2/7", bureau)
	}
	if n := stmts.Begins() - begins; n != 1 {
		t.Errorf("%d transactions begun for the request's reads, want 1", n)
	}

	verdict := db.InScope(ctx, postgres.Scope{}, func(tx *sqlx.Tx) error { return errs.NotFoundf("no such thing") })
	if errs.KindOf(verdict) != errs.NotFound {
		t.Fatalf("verdict = %v", verdict)
	}
	if _, x := backend(t, db, ctx, postgres.Scope{}); x != xid {
		t.Errorf("after a NOT_FOUND the request reads in %s, want still %s", x, xid)
	}
	failed := db.InScope(ctx, postgres.Scope{}, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT 1/0`)
		return err
	})
	if failed == nil {
		t.Fatal("division by zero did not fail")
	}
	_, after := backend(t, db, ctx, postgres.Scope{})
	if after == xid {
		t.Errorf("after a failed statement the request still reads in the aborted transaction %s", xid)
	}

	writes = true
	if _, x := backend(t, db, ctx, postgres.Scope{}); x == after {
		t.Errorf("a request that writes still shares transaction %s", x)
	}
	end()
	_, x1 := backend(t, db, ctx, postgres.Scope{})
	_, x2 := backend(t, db, ctx, postgres.Scope{})
	if x1 == x2 {
		t.Errorf("after the request's end two reads shared transaction %s", x1)
	}
}
