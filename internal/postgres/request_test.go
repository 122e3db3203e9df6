package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/account"
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

// TestIdentityTravelsWithBegin: a request's identity lookup goes with its
// transaction's BEGIN (one statement counted, none run again after it),
// finds the session, the bureau and the roles, and leaves the bureau's
// settings in force for the request's reads without another statement; an
// unknown token is NOT_FOUND with the transaction still serving the
// request; a bureau code is a quoted value, never SQL; and a serving pool
// whose connections cannot send the two together still identifies.
func TestIdentityTravelsWithBegin(t *testing.T) {
	ctx := context.Background()
	db, stmts := testdb.OpenCounting(t, testdb.Config(t).URL())
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	token := account.HashToken("token of wl-leader")
	if _, err := db.Exec(`INSERT INTO sessions (token_sha256, user_id, expires_at, address)
		SELECT $1, id, now() + interval '1 hour', '192.0.2.1' FROM users WHERE username = 'wl-leader'`, token); err != nil {
		t.Fatal(err)
	}
	settings := func(t *testing.T, db *postgres.DB, ctx context.Context, scope postgres.Scope) (got string, xid string) {
		t.Helper()
		err := db.InScope(ctx, scope, func(tx *sqlx.Tx) error {
			return tx.QueryRowxContext(ctx, `SELECT current_setting('app.bureau_id') || '/' || current_setting('app.user_id'), txid_current()::text`).Scan(&got, &xid)
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, xid
	}

	t.Run("OK", func(t *testing.T) {
		ctx, end := db.WithRequest(ctx, nil)
		defer end()
		before, begins := stmts.Count(), stmts.Begins()
		id, err := postgres.AccountStore{DB: db}.Identify(ctx, token, "140522-wl")
		if err != nil {
			t.Fatal(err)
		}
		if id.User.Username != "wl-leader" || id.BureauCode != "140522-wl" || len(id.Roles) != 1 || id.Roles[0] != "leader" ||
			id.User.CreatedAt.IsZero() || id.Bureaus != 1 {
			t.Errorf("identity = %+v", id)
		}
		got, _ := settings(t, db, ctx, postgres.Scope{BureauID: id.BureauID, UserID: id.User.ID})
		if want := fmt.Sprintf("%d/%d", id.BureauID, id.User.ID); got != want {
			t.Errorf("settings in the request: %s, want %s", got, want)
		}
		sent := stmts.Since(before)
		if len(sent) != 2 || !strings.Contains(sent[0], "request_identity") || stmts.Begins()-begins != 1 {
			t.Errorf("sent %q in %d transactions: want the identity with BEGIN, then the read, in one", sent, stmts.Begins()-begins)
		}
	})
	t.Run("ErrNoSuchSession", func(t *testing.T) {
		ctx, end := db.WithRequest(ctx, nil)
		defer end()
		begins := stmts.Begins()
		_, err := postgres.AccountStore{DB: db}.Identify(ctx, account.HashToken("no such token"), "")
		if errs.KindOf(err) != errs.NotFound {
			t.Fatalf("unknown token: %v, want NOT_FOUND", err)
		}
		if got, _ := settings(t, db, ctx, postgres.Scope{}); got != "/" {
			t.Errorf("settings after an unknown token: %q, want none", got)
		}
		if n := stmts.Begins() - begins; n != 1 {
			t.Errorf("%d transactions begun, want the request's one", n)
		}
	})
	t.Run("BureauCodeIsAValue", func(t *testing.T) {
		ctx, end := db.WithRequest(ctx, nil)
		defer end()
		id, err := postgres.AccountStore{DB: db}.Identify(ctx, token, `140522-wl'), ('x`)
		if err != nil || id.User.Username != "wl-leader" || id.BureauID != 0 || len(id.Roles) != 0 {
			t.Errorf("a bureau code with quotes: %+v, %v; want the user in no bureau", id, err)
		}
	})
	t.Run("AfterAReadKeepsNoOtherBureau", func(t *testing.T) {
		// Identified after a read under another bureau's settings (not
		// what the service does, but what the request allows): a user
		// acting in no bureau of theirs reads with no bureau set.
		ctx, end := db.WithRequest(ctx, nil)
		defer end()
		_, xid := settings(t, db, ctx, postgres.Scope{BureauID: 99})
		id, err := postgres.AccountStore{DB: db}.Identify(ctx, token, "140525-sj")
		if err != nil || id.BureauID != 0 {
			t.Fatalf("identity in a bureau not theirs: %+v, %v", id, err)
		}
		got, x := settings(t, db, ctx, postgres.Scope{UserID: id.User.ID})
		if want := fmt.Sprintf("/%d", id.User.ID); got != want || x != xid {
			t.Errorf("settings %q in transaction %s, want %q in the request's %s", got, x, want, xid)
		}
	})
	t.Run("PlainPool", func(t *testing.T) {
		url := testdb.Config(t).URL()
		owner, err := sqlx.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		plain := postgres.NewDB(owner, url, func(u string) (*sqlx.DB, error) { return sqlx.Open("postgres", u) })
		defer plain.Close()
		if _, err := postgres.Seed(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.Exec(`INSERT INTO sessions (token_sha256, user_id, expires_at, address)
			SELECT $1, id, now() + interval '1 hour', '192.0.2.1' FROM users WHERE username = 'wl-leader'`, token); err != nil {
			t.Fatal(err)
		}
		ctx, end := plain.WithRequest(ctx, nil)
		defer end()
		id, err := postgres.AccountStore{DB: plain}.Identify(ctx, token, "140522-wl")
		if err != nil || id.BureauCode != "140522-wl" {
			t.Fatalf("identity over a plain pool: %+v, %v", id, err)
		}
		if got, _ := settings(t, plain, ctx, postgres.Scope{BureauID: id.BureauID, UserID: id.User.ID}); got != fmt.Sprintf("%d/%d", id.BureauID, id.User.ID) {
			t.Errorf("settings over a plain pool: %s", got)
		}
	})
}
