package postgres_test

// The database wall, attacked as the serving login with raw SQL: what a
// statement smuggled into any store method could try.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/postgres"
)

// asServing runs stmt in one transaction over the serving login, acting
// for bureau (0: nobody), and returns its error.
func asServing(t *testing.T, db *postgres.DB, bureau int64, fn func(tx *sqlx.Tx) error) error {
	t.Helper()
	return db.InScope(context.Background(), postgres.Scope{BureauID: bureau}, fn)
}

func sqlStmt(q string, args ...any) func(tx *sqlx.Tx) error {
	return func(tx *sqlx.Tx) error { _, err := tx.Exec(q, args...); return err }
}

// refused reports whether err is PostgreSQL's refusal: insufficient
// privilege (42501, which row-level security's WITH CHECK raises too) or
// an invalid role change.
func refused(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "42501" || pqErr.Code == "22023")
}

// wallDraws adds, as the owner, a draft and a frozen draw led by wl whose
// sealed input holds a secret.
func wallDraws(t *testing.T, s seededDB) (draft, frozen int64) {
	t.Helper()
	wl := s.bureau["140522-wl"]
	const q = `
INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz, commitment)
VALUES ($1, '140522', 2026, 3, $2, '2026-07-01', '2026-09-30', $3, $4, $5) RETURNING id`
	if err := s.Get(&draft, q, wl, "draft", "draft", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Get(&frozen, q, wl, "frozen", "frozen", []byte("SECRET nonce and row key"), []byte(`{"commitment":"public"}`)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Exec(`INSERT INTO draw_participants (bureau_id, draw_id) VALUES ($1, $2), ($1, $3)`, wl, draft, frozen)
	if err != nil {
		t.Fatal(err)
	}
	return draft, frozen
}

func TestServingLoginCannotLeaveItsRole(t *testing.T) {
	s := newSeeded(t)
	var got string
	err := asServing(t, s.DB, 0, func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`RESET ROLE`); err != nil {
			return err
		}
		return tx.Get(&got, `SELECT session_user || ' ' || current_user`)
	})
	if want := postgres.ServingRole + " " + postgres.ServingRole; err != nil || got != want {
		t.Errorf("after RESET ROLE: session_user current_user = %q (%v), want %q", got, err, want)
	}
	for _, q := range []string{
		`SET ROLE ` + pq.QuoteIdentifier(s.conf.User),
		`SET SESSION AUTHORIZATION ` + pq.QuoteIdentifier(s.conf.User),
		`SET ROLE postgres`,
	} {
		if err := asServing(t, s.DB, 0, sqlStmt(q)); !refused(err) {
			t.Errorf("%s: err = %v, want a refusal", q, err)
		}
	}
}

func TestServingLoginCannotReachAccounts(t *testing.T) {
	s := newSeeded(t)
	sj := s.bureau["140522-sj"]
	for _, q := range []string{
		`SELECT password_hash FROM users`,
		`SELECT * FROM sessions`,
		`SELECT * FROM sign_in_failures`,
		`SELECT * FROM sign_in_throttle`,
		`UPDATE users SET password_hash = 'x'`,
		`INSERT INTO sessions (token_sha256, user_id, expires_at) SELECT '\x00', id, now() + interval '1 day' FROM users LIMIT 1`,
		`UPDATE sessions SET expires_at = now() + interval '1 year'`,
		`DELETE FROM sign_in_failures`,
		`INSERT INTO users (username, display_name, password_hash) VALUES ('mallory', 'm', 'x')`,
	} {
		for _, b := range []int64{0, sj} {
			if err := asServing(t, s.DB, b, sqlStmt(q)); !refused(err) {
				t.Errorf("bureau %d: %s: err = %v, want a refusal", b, q, err)
			}
		}
	}
}

func TestServingLoginCannotJoinOthersDraws(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	draft, frozen := wallDraws(t, s)
	attacks := []struct {
		name   string
		bureau int64
		q      string
		args   []any
	}{
		{"InsertItselfAsParticipant", sj, `INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'accepted')`, []any{sj, draft}},
		{"InsertItselfInvited", sj, `INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'invited')`, []any{sj, draft}},
		{"LeadAcceptsForAnother", wl, `INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'accepted')`, []any{sj, draft}},
		{"LeadAddsToFrozenDraw", wl, `INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'invited')`, []any{sj, frozen}},
		{"TaskIntoOthersDraw", sj, `INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
VALUES ($1, 999, $2, '140522', 2026, 3, 'X', 'A', 't')`, []any{frozen, sj}},
		{"TaskNamingOthersLead", sj, `INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
VALUES ($1, 999, $2, '140522', 2026, 3, 'X', 'A', 't')`, []any{frozen, wl}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			if err := asServing(t, s.DB, a.bureau, sqlStmt(a.q, a.args...)); !refused(err) {
				t.Errorf("err = %v, want a refusal", err)
			}
		})
	}
	t.Run("ParticipantCannotAnswerAfterFreezing", func(t *testing.T) {
		var n int
		err := asServing(t, s.DB, wl, func(tx *sqlx.Tx) error {
			res, err := tx.Exec(`UPDATE draw_participants SET team_size = 3 WHERE draw_id = $1`, frozen)
			if err != nil {
				return err
			}
			rows, _ := res.RowsAffected()
			n = int(rows)
			return nil
		})
		if err != nil || n != 0 {
			t.Errorf("updated %d rows of a frozen draw's participants (%v), want 0", n, err)
		}
	})
	t.Run("LeadStillInvitesToItsDraft", func(t *testing.T) {
		q := `INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'invited')`
		if err := asServing(t, s.DB, wl, sqlStmt(q, sj, draft)); err != nil {
			t.Errorf("the lead's invitation: %v", err)
		}
	})
}

func TestPublicDrawReturnsOnlyPublicDocuments(t *testing.T) {
	s := newSeeded(t)
	sj := s.bureau["140522-sj"]
	draft, frozen := wallDraws(t, s)
	for _, b := range []int64{0, sj} {
		var cols []string
		var dump string
		err := asServing(t, s.DB, b, func(tx *sqlx.Tx) error {
			rows, err := tx.Queryx(`SELECT * FROM public_draw($1)`, frozen)
			if err != nil {
				return err
			}
			defer rows.Close()
			if cols, err = rows.Columns(); err != nil {
				return err
			}
			for rows.Next() {
				m := map[string]any{}
				if err := rows.MapScan(m); err != nil {
					return err
				}
				for _, v := range m {
					dump += fmt.Sprintf("%s|", v)
				}
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(cols, ","); got != "status,commitment,public_manifest" {
			t.Errorf("public_draw's columns = %s", got)
		}
		if strings.Contains(dump, "SECRET") || !strings.Contains(dump, `"commitment":"public"`) {
			t.Errorf("bureau %d: public_draw(frozen) = %q: want the commitment and nothing sealed", b, dump)
		}
		var n int
		err = asServing(t, s.DB, b, func(tx *sqlx.Tx) error {
			return tx.Get(&n, `SELECT count(*) FROM public_draw($1)`, draft)
		})
		if err != nil || n != 0 {
			t.Errorf("public_draw(draft) rows = %d (%v), want 0", n, err)
		}
		err = asServing(t, s.DB, b, func(tx *sqlx.Tx) error {
			return tx.Get(&n, `SELECT count(*) FROM draws WHERE input_gz IS NOT NULL`)
		})
		if !refused(err) && (err != nil || n != 0) { // the column is closed to the serving role altogether
			t.Errorf("bureau %d reads %d sealed inputs of wl's draws (%v), want 0 or a refusal", b, n, err)
		}
	}
}
