package postgres_test

import (
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"
)

// An invitation to a joint draw and its answer are written in both
// bureaus' audit trails, so the serving role may append to another
// bureau's trail; row-level security alone keeps that to draw.invite and
// draw.answer between a draw's lead and a bureau invited to it.
func TestRLSAuditOfDrawCounterpart(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	const appendTo = `INSERT INTO audit_log (bureau_id, seq, actor_id, actor_username, action, object_type, object_id, at, prev_hash, hash)
VALUES ($1, 100000, NULL, 'x', $2, 'draw', '1', now(), 'p', 'h')`
	try := func(setup []string, action string) string {
		var code string
		servingTx(t, s.DB, &sj, setup, func(tx *sqlx.Tx) {
			_, err := tx.Exec(appendTo, wl, action)
			code, _ = pqCode(err)
		})
		return code
	}
	if code := try(nil, "draw.invite"); code != "42501" {
		t.Errorf("sj appended to wl's trail without a draw between them: SQLSTATE %q, want 42501", code)
	}
	// sj invited to a draw of wl: now it may answer into wl's trail, and
	// only that.
	invited := []string{`WITH d AS (
    INSERT INTO draws (bureau_id, region_code, year, quarter, title, joint, scope, window_start, window_end)
    VALUES (` + strconv.FormatInt(wl, 10) + `, '140522', 2026, 1, '联合', true, '{}', '2026-03-01', '2026-03-31') RETURNING id)
INSERT INTO draw_participants (bureau_id, draw_id, team_size, items, answer)
SELECT ` + strconv.FormatInt(sj, 10) + `, id, 2, '[]', 'invited' FROM d`}
	if code := try(invited, "draw.answer"); code != "" {
		t.Errorf("an invited bureau could not write its answer in the lead's trail: SQLSTATE %q", code)
	}
	if code := try(invited, "draw.freeze"); code != "42501" {
		t.Errorf("an invited bureau wrote another action in the lead's trail: SQLSTATE %q, want 42501", code)
	}
	servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
		if n := count(t, tx, `SELECT count(*) FROM audit_heads WHERE bureau_id = $1`, wl); n != 0 {
			t.Errorf("sj reads %d of wl's audit heads without a draw between them", n)
		}
	})
}
