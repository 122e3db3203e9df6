package postgres_test

import (
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"
)

// TestParticipantReadsOnlyRecordsOfSharedTasks attacks a joint draw's
// records with raw SQL as the serving login: the partner bureau reads the
// lead's record of the task both visit, never its unpublished record of a
// task the partner sends no team to.
func TestParticipantReadsOnlyRecordsOfSharedTasks(t *testing.T) {
	s := newSeeded(t)
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	draw := jointWallDraw(t, s) // task 1: wl alone; task 2: sj
	for _, q := range []string{
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket) VALUES ($1, 2, $2, 1, 'WL-2', 'x')`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
    code_version, result_codes, findings, inspected_on, created_by, updated_by)
SELECT $2, '140522', $1, t.seq, t.entity_code, 'WL-01', 1, '检查事项', (SELECT max(version) FROM result_code_versions),
    '{}'::text[] || (SELECT code FROM result_codes LIMIT 1), 'wl 的发现 ' || t.entity_code, '2026-07-15', u.id, u.id
FROM draw_tasks t, users u WHERE t.draw_id = $1 AND u.username = 'wl-admin'`,
	} {
		if _, err := s.Exec(q, draw, wl); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	read := func(bureau int64) []string {
		var entities []string
		err := asServing(t, s.DB, bureau, func(tx *sqlx.Tx) error {
			return tx.Select(&entities, `SELECT entity_code FROM inspection_records WHERE draw_id = $1 ORDER BY entity_code`, draw)
		})
		if err != nil {
			t.Fatal(err)
		}
		return entities
	}
	if got := read(sj); !slices.Equal(got, []string{"SJ-TOO"}) {
		t.Errorf("the partner reads the lead's records of %v, want only the shared task's [SJ-TOO]", got)
	}
	if got := read(wl); !slices.Equal(got, []string{"SJ-TOO", "WL-ONLY"}) {
		t.Errorf("the lead reads its own records of %v, want both", got)
	}
}
