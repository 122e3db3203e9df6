package postgres_test

// Row-level security alone holds: these tests bypass the service layer and
// talk SQL as the serving role, the way a bug in any store method would.
//
// The serving role is cluster-wide and TestCheckServingRole changes it, so
// no test of this package may call t.Parallel.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/peterldowns/pgtestdb"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

// seededDB is a fresh database holding the demo county.
type seededDB struct {
	*postgres.DB
	conf   *pgtestdb.Config
	bureau map[string]int64 // demo bureau ids by code
}

func newSeeded(t testing.TB) seededDB {
	t.Helper()
	ctx := context.Background()
	conf := testdb.Config(t)
	db, err := postgres.Open(ctx, conf.URL())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	s := seededDB{DB: db, conf: conf, bureau: map[string]int64{}}
	rows, err := db.QueryContext(ctx, `SELECT code, id FROM bureaus ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			t.Fatal(err)
		}
		s.bureau[code] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, b := range postgres.Demo {
		if s.bureau[b.Code] == 0 {
			t.Fatalf("seeded bureaus %v lack %s", s.bureau, b.Code)
		}
	}
	return s
}

// superuser connects to the test database as the server's superuser, who
// works behind the service's back.
func (s seededDB) superuser(t *testing.T) *sqlx.DB {
	t.Helper()
	u, err := url.Parse(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + s.conf.Database
	db, err := sqlx.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	return db
}

// tenantTables are the tables behind row-level security, with an INSERT of
// a row for bureau $1 that would otherwise succeed.
var tenantTables = []struct {
	name   string
	insert string
}{
	{"members", `INSERT INTO members (bureau_id, user_id, role)
		VALUES ($1, (SELECT id FROM users WHERE username = 'sj-admin'), 'leader')`},
	{"audit_log", `INSERT INTO audit_log (bureau_id, seq, actor_username, action, object_type, object_id, at, prev_hash, hash)
		VALUES ($1, 999, 'mallory', 'member.add', 'member', 'mallory', now(), 'x', 'x')`},
	{"audit_heads", `INSERT INTO audit_heads (bureau_id, seq, hash) VALUES ($1, 999, 'x')`},
}

// grantAll gives the serving role every privilege on the tenant tables, so
// that row-level security is the only wall left; the transaction's rollback
// takes the grant back.
const grantAll = `GRANT SELECT, INSERT, UPDATE, DELETE ON members, audit_log, audit_heads TO ` + postgres.ServingRole

// servingTx runs fn in a transaction that is always rolled back: setup
// statements run as the owner, then SET LOCAL ROLE to the serving role and,
// when bureau is not nil, app.bureau_id set to it.
func servingTx(t *testing.T, db *postgres.DB, bureau *int64, setup []string, fn func(tx *sqlx.Tx)) {
	t.Helper()
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range setup {
		if _, err := tx.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := tx.Exec(`SET LOCAL ROLE ` + postgres.ServingRole); err != nil {
		t.Fatalf("SET LOCAL ROLE: %v", err)
	}
	if bureau != nil {
		if _, err := tx.Exec(`SELECT set_config('app.bureau_id', $1, true)`, fmt.Sprint(*bureau)); err != nil {
			t.Fatal(err)
		}
	}
	fn(tx)
}

func count(t *testing.T, q sqlx.Queryer, query string, args ...any) int {
	t.Helper()
	var n int
	if err := sqlx.Get(q, &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// pqCode returns the SQLSTATE and message of a PostgreSQL error, or "" and
// the error's text.
func pqCode(err error) (string, string) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code), pqErr.Message
	}
	if err == nil {
		return "", ""
	}
	return "", err.Error()
}

func TestRLSHidesOtherBureaus(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]

	for _, tbl := range tenantTables {
		t.Run(tbl.name, func(t *testing.T) {
			ownRows := count(t, s, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id = $1`, sj)
			otherRows := count(t, s, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id = $1`, wl)
			if ownRows == 0 || otherRows == 0 {
				t.Fatalf("seed left %d sj and %d wl rows in %s: the test needs both", ownRows, otherRows, tbl.name)
			}

			t.Run("OwnRowsVisible", func(t *testing.T) {
				servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
					if got, want := count(t, tx, `SELECT count(*) FROM `+tbl.name), ownRows; got != want {
						t.Errorf("visible rows = %d, want the %d of sj", got, want)
					}
				})
			})
			t.Run("OtherBureauInvisible", func(t *testing.T) {
				servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
					if got := count(t, tx, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id = $1`, wl); got != 0 {
						t.Errorf("wl rows visible to sj = %d, want 0", got)
					}
					if got := count(t, tx, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id <> $1`, sj); got != 0 {
						t.Errorf("rows of any other bureau visible to sj = %d, want 0", got)
					}
				})
			})

			// UPDATE and DELETE with every privilege granted: only RLS
			// keeps the other bureau's rows out of reach.
			for _, op := range []struct{ name, q string }{
				{"UpdateAffectsNothing", `UPDATE ` + tbl.name + ` SET bureau_id = bureau_id WHERE bureau_id = $1`},
				{"DeleteAffectsNothing", `DELETE FROM ` + tbl.name + ` WHERE bureau_id = $1`},
			} {
				t.Run(op.name, func(t *testing.T) {
					servingTx(t, s.DB, &sj, []string{grantAll}, func(tx *sqlx.Tx) {
						res, err := tx.Exec(op.q, wl)
						if err != nil {
							t.Fatalf("%s: %v", op.q, err)
						}
						if got, _ := res.RowsAffected(); got != 0 {
							t.Errorf("rows affected = %d, want 0", got)
						}
					})
					if got := count(t, s, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id = $1`, wl); got != otherRows {
						t.Errorf("wl rows afterwards = %d, want %d", got, otherRows)
					}
				})
			}

			writes := []struct{ name, q string }{
				{"InsertRefused", tbl.insert},
				{"MoveIntoOtherBureauRefused", `UPDATE ` + tbl.name + ` SET bureau_id = $1`},
			}
			for _, w := range writes {
				t.Run(w.name, func(t *testing.T) {
					servingTx(t, s.DB, &sj, []string{grantAll}, func(tx *sqlx.Tx) {
						_, err := tx.Exec(w.q, wl)
						code, msg := pqCode(err)
						if code != "42501" || !strings.Contains(msg, "row-level security") {
							t.Errorf("err = %v (SQLSTATE %q), want 42501 row-level security violation", err, code)
						}
					})
				})
			}
		})
	}
}

func TestRLSWithoutBureauShowsNothing(t *testing.T) {
	s := newSeeded(t)
	sj := s.bureau["140522-sj"]
	// A connection of its own, so "never set" really means never set.
	conn, err := s.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	visible := func(t *testing.T, tx *sqlx.Tx) int {
		t.Helper()
		n := 0
		for _, tbl := range tenantTables {
			n += count(t, tx, `SELECT count(*) FROM `+tbl.name)
		}
		return n
	}
	inTx := func(t *testing.T, stmts []string, fn func(tx *sqlx.Tx)) {
		t.Helper()
		tx, err := conn.BeginTxx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, q := range stmts {
			if _, err := tx.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		fn(tx)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	setRole := `SET LOCAL ROLE ` + postgres.ServingRole

	// In order: the connection has never set app.bureau_id, then sets it
	// empty, then sets it for sj in a committed transaction, after which a
	// new transaction must be back to nothing (the setting is local).
	tests := []struct {
		name  string
		stmts []string
		want  int
	}{
		{"NeverSetSeesNothing", []string{setRole}, 0},
		{"EmptySeesNothing", []string{setRole, `SELECT set_config('app.bureau_id', '', true)`}, 0},
		{"SetSeesOwnRows", []string{setRole, fmt.Sprintf(`SELECT set_config('app.bureau_id', '%d', true)`, sj)}, -1},
		{"NextTransactionSeesNothing", []string{setRole}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTx(t, tt.stmts, func(tx *sqlx.Tx) {
				var setting sql.NullString
				if err := tx.Get(&setting, `SELECT current_setting('app.bureau_id', true)`); err != nil {
					t.Fatal(err)
				}
				if tt.name == "NeverSetSeesNothing" && setting.Valid {
					t.Fatalf("app.bureau_id = %q on a connection that never set it, want NULL", setting.String)
				}
				got := visible(t, tx)
				if tt.want < 0 {
					if got == 0 {
						t.Errorf("visible rows = 0, want sj's rows (the control case)")
					}
					return
				}
				if got != tt.want {
					t.Errorf("visible rows = %d, want %d", got, tt.want)
				}
			})
		})
	}

}

// TestServingRolePrivileges: even in its own bureau the serving role may
// not rewrite history (audit_log), nor change memberships in place, nor
// drop a chain's head. These are privileges, not policies.
func TestServingRolePrivileges(t *testing.T) {
	s := newSeeded(t)
	sj := s.bureau["140522-sj"]
	tests := []struct{ name, q string }{
		{"AuditLogUpdateDenied", `UPDATE audit_log SET actor_username = 'mallory' WHERE bureau_id = $1`},
		{"AuditLogDeleteDenied", `DELETE FROM audit_log WHERE bureau_id = $1`},
		{"AuditLogTruncateDenied", `TRUNCATE audit_log`},
		{"AuditHeadsDeleteDenied", `DELETE FROM audit_heads WHERE bureau_id = $1`},
		{"MembersUpdateDenied", `UPDATE members SET role = 'admin' WHERE bureau_id = $1`},
		{"UsersDeleteDenied", `DELETE FROM users WHERE id IN (SELECT user_id FROM members WHERE bureau_id = $1)`},
		{"UsersRenameDenied", `UPDATE users SET username = 'mallory' WHERE id IN (SELECT user_id FROM members WHERE bureau_id = $1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
				var err error
				if strings.Contains(tt.q, "$1") {
					_, err = tx.Exec(tt.q, sj)
				} else {
					_, err = tx.Exec(tt.q)
				}
				code, msg := pqCode(err)
				if code != "42501" || !strings.Contains(msg, "permission denied") {
					t.Errorf("err = %v (SQLSTATE %q), want 42501 permission denied", err, code)
				}
			})
		})
	}
	var n int
	if err := s.Get(&n, `SELECT count(*) FROM audit_log WHERE bureau_id = $1`, sj); err != nil || n == 0 {
		t.Errorf("sj audit entries afterwards = %d (%v), want them kept", n, err)
	}
}

// TestSetLocalRoleIsRequired: the serving role cannot get around RLS, and
// the owner's connection does not run as it unless each transaction says
// SET LOCAL ROLE: without it the owner's system policy shows every bureau.
func TestSetLocalRoleIsRequired(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]

	t.Run("RoleCannotBypass", func(t *testing.T) {
		var got struct {
			Super   bool `db:"rolsuper"`
			Bypass  bool `db:"rolbypassrls"`
			Login   bool `db:"rolcanlogin"`
			Owned   int  `db:"owned"`
			Members int  `db:"member_of"`
		}
		const q = `
SELECT r.rolsuper, r.rolbypassrls, r.rolcanlogin,
       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owned,
       (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS member_of
FROM pg_roles r WHERE r.rolname = $1`
		if err := s.InScope(context.Background(), postgres.Scope{}, func(*sqlx.Tx) error { return nil }); err != nil {
			t.Fatal(err) // the serving login logs in on first use
		}
		if err := s.Get(&got, q, postgres.ServingRole); err != nil {
			t.Fatal(err)
		}
		want := got
		// It logs in (requests connect as it), and is nothing more.
		want.Super, want.Bypass, want.Login, want.Owned, want.Members = false, false, true, 0, 0
		if got != want {
			t.Errorf("%s: super, bypassrls, login, owned relations, roles it belongs to = %+v, want %+v",
				postgres.ServingRole, got, want)
		}
	})

	t.Run("OwnerSeesEveryBureauWithoutIt", func(t *testing.T) {
		tx, err := s.Beginx()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`SELECT set_config('app.bureau_id', $1, true)`, fmt.Sprint(sj)); err != nil {
			t.Fatal(err)
		}
		if got := count(t, tx, `SELECT count(*) FROM members WHERE bureau_id = $1`, wl); got == 0 {
			t.Errorf("owner without SET LOCAL ROLE sees %d wl members, want them all: then this test proves nothing", got)
		}
	})

	t.Run("RoleLastsOneTransaction", func(t *testing.T) {
		ctx := context.Background()
		conn, err := s.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var owner, inTx, after string
		if err := conn.GetContext(ctx, &owner, `SELECT current_user`); err != nil {
			t.Fatal(err)
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`SET LOCAL ROLE ` + postgres.ServingRole); err != nil {
			t.Fatal(err)
		}
		if err := tx.Get(&inTx, `SELECT current_user`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := conn.GetContext(ctx, &after, `SELECT current_user`); err != nil {
			t.Fatal(err)
		}
		if got, want := [3]string{owner, inTx, after}, [3]string{owner, postgres.ServingRole, owner}; got != want || owner == postgres.ServingRole {
			t.Errorf("current_user before, in, after the transaction = %v, want %v", got, want)
		}
	})

	t.Run("InScopeHidesOtherBureau", func(t *testing.T) {
		var user string
		var n int
		err := s.InScope(context.Background(), postgres.Scope{BureauID: sj}, func(tx *sqlx.Tx) error {
			if err := tx.Get(&user, `SELECT current_user`); err != nil {
				return err
			}
			return tx.Get(&n, `SELECT count(*) FROM members WHERE bureau_id = $1`, wl)
		})
		if err != nil {
			t.Fatal(err)
		}
		if user != postgres.ServingRole || n != 0 {
			t.Errorf("InScope(sj): current_user %q, wl members %d; want %q, 0", user, n, postgres.ServingRole)
		}
	})
}

// TestCheckServingRoleRefuses gives the serving role, in turn, each power
// that would let it around RLS; the server must refuse to start each time.
func TestCheckServingRoleRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		do, undo   string
		clusterDDL bool   // changes the role itself (cluster-wide), not this database
		want       string // in the error; "" for no error
	}{
		{"OK", "", "", false, ""},
		{"RefusesBypassRLS", `ALTER ROLE shuangsuiji_app BYPASSRLS`, `ALTER ROLE shuangsuiji_app NOBYPASSRLS`, true, "BYPASSRLS"},
		{"RefusesSuperuser", `ALTER ROLE shuangsuiji_app SUPERUSER`, `ALTER ROLE shuangsuiji_app NOSUPERUSER`, true, "superuser"},
		{"RefusesTableOwner", `ALTER TABLE audit_log OWNER TO shuangsuiji_app`, `ALTER TABLE audit_log OWNER TO %s`, false, "owns 1 tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			if tt.do != "" {
				su := s.superuser(t)
				if _, err := su.Exec(tt.do); err != nil {
					t.Fatalf("%s: %v", tt.do, err)
				}
				undo := strings.ReplaceAll(tt.undo, "%s", pq.QuoteIdentifier(s.conf.User))
				t.Cleanup(func() {
					if _, err := su.Exec(undo); err != nil {
						t.Errorf("%s: %v (cluster-wide role left changed: %v)", undo, err, tt.clusterDDL)
					}
				})
			}
			err := postgres.CheckServingRole(ctx, s.DB)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want a refusal mentioning %q", err, tt.want)
			}
		})
	}
}

// TestEveryTenantTableIsSecured: every table with a bureau_id column, in
// every migration to come, is behind row-level security, ENABLE and FORCE,
// with a policy for the serving role.
func TestEveryTenantTableIsSecured(t *testing.T) {
	s := newSeeded(t)
	var tables []struct {
		Name     string `db:"name"`
		Enabled  bool   `db:"relrowsecurity"`
		Forced   bool   `db:"relforcerowsecurity"`
		Policies int    `db:"policies"`
	}
	const q = `
SELECT c.relname AS name, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
          AND (SELECT oid FROM pg_roles WHERE rolname = $1) = ANY(p.polroles)) AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'bureau_id' AND NOT a.attisdropped)
ORDER BY c.relname`
	if err := s.Select(&tables, q, postgres.ServingRole); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tbl := range tables {
		names[tbl.Name] = true
		t.Run(tbl.Name, func(t *testing.T) {
			if !tbl.Enabled || !tbl.Forced || tbl.Policies == 0 {
				t.Errorf("row level security enabled %v, forced %v, policies for %s %d; want true, true, at least 1",
					tbl.Enabled, tbl.Forced, postgres.ServingRole, tbl.Policies)
			}
		})
	}
	for _, tbl := range tenantTables {
		if !names[tbl.name] {
			t.Errorf("tenant table %s not found by the catalog query: the query is wrong", tbl.name)
		}
	}
}
