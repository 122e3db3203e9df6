package postgres_test

// A joint draw's sealed input and its strata, attacked with raw SQL as
// the serving login acting for a participant that does not lead it: the
// full manifest is for the lead's and the joint office's auditors.

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/postgres"
)

// jointWallDraw makes wl's frozen draw of wallDraws joint: sj takes part,
// and two tasks are drawn, one visited by wl alone (stratum D) and one by
// sj (stratum F).
func jointWallDraw(t *testing.T, s seededDB) int64 {
	t.Helper()
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	_, frozen := wallDraws(t, s)
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO draw_participants (bureau_id, draw_id, answer) VALUES ($1, $2, 'accepted')`, []any{sj, frozen}},
		{`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 VALUES ($1, 1, $2, '140522', 2026, 3, 'WL-ONLY', 'D', 't1'), ($1, 2, $2, '140522', 2026, 3, 'SJ-TOO', 'F', 't2')`, []any{frozen, wl}},
		{`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
		 VALUES ($1, 1, $2, 1, 'WL-1', 'x'), ($1, 2, $3, 1, 'SJ-1', 'x')`, []any{frozen, wl, sj}},
	} {
		if _, err := s.Exec(st.q, st.args...); err != nil {
			t.Fatalf("%s: %v", st.q, err)
		}
	}
	// The openings the lead stores at the ceremony, where they exist.
	_, _ = s.Exec(`INSERT INTO draw_openings (bureau_id, draw_id, openings) VALUES ($1, $3, 'sj''s own'), ($2, $3, 'not sj''s')`, sj, wl, frozen)
	return frozen
}

func TestParticipantCannotReadTheSealedInput(t *testing.T) {
	s := newSeeded(t)
	wl, sj, lh := s.bureau["140522-wl"], s.bureau["140522-sj"], s.bureau["140522-lh"]
	draw := jointWallDraw(t, s)

	t.Run("DrawsColumn", func(t *testing.T) {
		var secret []byte
		err := asServing(t, s.DB, sj, func(tx *sqlx.Tx) error {
			return tx.Get(&secret, `SELECT input_gz FROM draws WHERE id = $1`, draw)
		})
		if !refused(err) {
			t.Errorf("a participant reads the sealed input: %q (%v), want a refusal", secret, err)
		}
		err = asServing(t, s.DB, sj, func(tx *sqlx.Tx) error {
			_, err := tx.Exec(`SELECT d FROM draws d WHERE id = $1`, draw) // the whole row, as a record
			return err
		})
		if !refused(err) {
			t.Errorf("a participant reads the draw's whole row: %v, want a refusal", err)
		}
	})
	t.Run("ThroughTheFunction", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			bureau int64
			want   int
		}{{"Participant", sj, 0}, {"Lead", wl, 1}, {"JointOffice", lh, 1}} {
			var n int
			err := asServing(t, s.DB, c.bureau, func(tx *sqlx.Tx) error {
				return tx.Get(&n, `SELECT count(*) FROM draw_sealed_input($1)`, draw)
			})
			if err != nil || n != c.want {
				t.Errorf("%s: draw_sealed_input rows = %d (%v), want %d", c.name, n, err, c.want)
			}
		}
	})
	t.Run("Strata", func(t *testing.T) {
		err := asServing(t, s.DB, sj, sqlStmt(`SELECT stratum FROM draw_tasks WHERE draw_id = $1`, draw))
		if !refused(err) {
			t.Errorf("a participant reads every task's stratum: %v, want a refusal", err)
		}
		var strata []string
		err = asServing(t, s.DB, sj, func(tx *sqlx.Tx) error {
			return tx.Select(&strata, `SELECT entity_code || ':' || stratum FROM draw_task_strata WHERE draw_id = $1 ORDER BY seq`, draw)
		})
		if err != nil || len(strata) != 1 || strata[0] != "SJ-TOO:F" {
			t.Errorf("strata a participant reads = %v (%v), want only its own task's [SJ-TOO:F]", strata, err)
		}
		var n int
		err = asServing(t, s.DB, wl, func(tx *sqlx.Tx) error {
			return tx.Get(&n, `SELECT count(*) FROM draw_task_strata WHERE draw_id = $1`, draw)
		})
		if err != nil || n != 2 {
			t.Errorf("strata the lead reads = %d (%v), want 2", n, err)
		}
	})
	t.Run("Openings", func(t *testing.T) {
		var got []string
		err := asServing(t, s.DB, sj, func(tx *sqlx.Tx) error {
			return tx.Select(&got, `SELECT convert_from(openings, 'UTF8') FROM draw_openings WHERE draw_id = $1`, draw)
		})
		if err != nil || len(got) != 1 || got[0] != "sj's own" {
			t.Errorf("openings sj reads = %q (%v), want only its own", got, err)
		}
		err = asServing(t, s.DB, sj, sqlStmt(`INSERT INTO draw_openings (bureau_id, draw_id, openings) VALUES ($1, $2, 'x')`, lh, draw))
		if !refused(err) {
			t.Errorf("a participant writes openings into the lead's draw: %v, want a refusal", err)
		}
	})
}

// The serving role reads every column of draws but the sealed input: a
// column added to draws must be granted by its migration (GRANT SELECT
// (column) ON draws TO shuangsuiji_app), or the stores cannot read it.
func TestServingRoleReadsDrawsButTheSealedInput(t *testing.T) {
	s := newSeeded(t)
	var cols []struct {
		Name     string `db:"attname"`
		Readable bool   `db:"readable"`
	}
	const q = `
SELECT attname, has_column_privilege($1, 'draws', attname, 'SELECT') AS readable
FROM pg_attribute WHERE attrelid = 'draws'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`
	if err := s.Select(&cols, q, postgres.ServingRole); err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if want := c.Name != "input_gz"; c.Readable != want {
			t.Errorf("draws.%s readable by %s: %v, want %v", c.Name, postgres.ServingRole, c.Readable, want)
		}
	}
}
