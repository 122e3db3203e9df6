package postgres_test

import (
	"testing"

	"github.com/jmoiron/sqlx"
)

// seedRecord puts, as the owner, an executed draw of bureau with one task
// and one published record with evidence and a consequence, and returns the
// record's id.
func seedRecord(t *testing.T, s seededDB, bureau int64, entity string) int64 {
	t.Helper()
	var drawID, recordID int64
	err := s.AsOwner(t.Context(), func(tx *sqlx.Tx) error {
		const draw = `INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz)
VALUES ($1, '140522', 2026, 1, 'RLS', '2026-03-01', '2026-03-31', 'executed', '\x00') RETURNING id`
		if err := tx.Get(&drawID, draw, bureau); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO draw_participants (bureau_id, draw_id, items) VALUES ($1, $2, '[{"code": "X", "version": 1}]')`,
			bureau, drawID); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
VALUES ($2, 1, $1, '140522', 2026, 1, $3, 'B', 't')`, bureau, drawID, entity); err != nil {
			return err
		}
		const rec = `INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version,
    item_name, code_version, result_codes, inspected_on, state, published_at, created_by, updated_by)
VALUES ($1, '140522', $2, 1, $3, 'X', 1, '检查', 1, '{NO_PROBLEM}', '2026-03-10', 'published', now(),
    (SELECT id FROM users ORDER BY id LIMIT 1), (SELECT id FROM users ORDER BY id LIMIT 1)) RETURNING id`
		if err := tx.Get(&recordID, rec, bureau, drawID, entity); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO record_evidence (bureau_id, record_id, filename, content_type, size_bytes, sha256, content, uploaded_by)
VALUES ($1, $2, 'a.pdf', 'application/pdf', 1, repeat('a', 64), 'x', (SELECT id FROM users ORDER BY id LIMIT 1))`, bureau, recordID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO record_consequences (bureau_id, record_id, kind, entity_code, state)
VALUES ($1, $2, 'focus', $3, 'applied')`, bureau, recordID, entity)
		return err
	})
	if err != nil {
		t.Fatalf("seed record: %v", err)
	}
	return recordID
}

// TestRecordTablesRLS: with the service bypassed, one bureau neither sees
// nor touches another's records, evidence and consequences.
func TestRecordTablesRLS(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	seedRecord(t, s, wl, "91140522MA0000001X")
	sjRecord := seedRecord(t, s, sj, "91140522MA0000002X")
	grant := `GRANT SELECT, INSERT, UPDATE, DELETE ON inspection_records, record_evidence, record_consequences TO shuangsuiji_app`
	for _, table := range []string{"inspection_records", "record_evidence", "record_consequences"} {
		t.Run(table, func(t *testing.T) {
			servingTx(t, s.DB, &sj, []string{grant}, func(tx *sqlx.Tx) {
				if got := count(t, tx, `SELECT count(*) FROM `+table); got != 1 {
					t.Errorf("sj sees %d rows, want its 1", got)
				}
				if got := count(t, tx, `SELECT count(*) FROM `+table+` WHERE bureau_id = $1`, wl); got != 0 {
					t.Errorf("sj sees %d wl rows", got)
				}
				res, err := tx.Exec(`UPDATE `+table+` SET bureau_id = bureau_id WHERE bureau_id = $1`, wl)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 0 {
					t.Errorf("sj updated %d wl rows", n)
				}
			})
		})
	}
	t.Run("InsertForOtherBureauRefused", func(t *testing.T) {
		servingTx(t, s.DB, &sj, []string{grant}, func(tx *sqlx.Tx) {
			_, err := tx.Exec(`INSERT INTO record_consequences (bureau_id, record_id, kind, entity_code, state)
VALUES ($1, $2, 'status', 'x', 'applied')`, wl, sjRecord)
			if code, _ := pqCode(err); code != "42501" {
				t.Errorf("insert for wl: %v, want 42501 (row-level security)", err)
			}
		})
	})
	t.Run("WithoutBureauNothing", func(t *testing.T) {
		servingTx(t, s.DB, nil, []string{grant}, func(tx *sqlx.Tx) {
			if got := count(t, tx, `SELECT count(*) FROM inspection_records`); got != 0 {
				t.Errorf("%d records visible without a bureau", got)
			}
		})
	})
	t.Run("PublishedImmutableForOwner", func(t *testing.T) {
		_, err := s.Exec(`UPDATE inspection_records SET findings = 'x' WHERE id = $1`, sjRecord)
		if code, _ := pqCode(err); code != "55000" {
			t.Errorf("owner update of a published record: %v, want 55000", err)
		}
	})
}
