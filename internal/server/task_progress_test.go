package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/postgres"
)

// checkTaskProgress fails t unless the kept task states (task_progress,
// migration 00030) are those counted afresh from the records, teams and
// items, row for row, and there are want of them.
func checkTaskProgress(t *testing.T, e *env, step string, want int) {
	t.Helper()
	const differ = `
WITH fresh AS (
    SELECT p.* FROM (SELECT array_agg(draw_id) AS d, array_agg(seq) AS s FROM draw_tasks) k, task_progress_of(k.d, k.s) p),
kept AS (SELECT * FROM task_progress)
SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM fresh) x),
       (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept) x),
       (SELECT count(*) FROM kept WHERE region_code = '140525')`
	var stale, missing, n int
	if err := e.DB.QueryRow(differ).Scan(&stale, &missing, &n); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if stale != 0 || missing != 0 || n != want {
		t.Errorf("%s: task_progress has %d rows not counted afresh, lacks %d, has %d of 140525, want %d",
			step, stale, missing, n, want)
	}
}

// TestTaskProgressKeptAsRecounted writes the dashboard fixture's draws
// (a joint one among them), then changes records, teams and items one
// statement at a time, and checks after each that the kept task states
// equal a recount. The fixture's own dashboards (TestDashboardOfABureau,
// TestDashboardOfTheJointOffice) read these states.
func TestTaskProgressKeptAsRecounted(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	checkTaskProgress(t, e, "fixture", 12) // Z-W's 8 tasks (D1 3, D2 3, D3 E09, D5 1), Z-S's 4 (D3 2, D4 2)
	steps := []struct {
		name, stmt string
		want       int
	}{
		{"publish Z-W's submitted records", `UPDATE inspection_records SET state = 'published', published_at = now()
		    WHERE state = 'submitted' AND item_code = 'ZW-1'`, 12},
		{"delete the draft", `DELETE FROM inspection_records WHERE state = 'draft' AND item_code = 'ZW-1'`, 12},
		{"a second item for Z-W's tasks of D1", `UPDATE draw_participants SET items = items || '[{"code": "ZW-2", "version": 1}]'
		    WHERE draw_id = (SELECT id FROM draws WHERE title = 'D1' AND region_code = '140525')`, 12},
		{"Z-W's team leaves D2's first task", `DELETE FROM draw_task_members WHERE bureau_id = (SELECT id FROM bureaus WHERE code = '140525-wl')
		    AND draw_id = (SELECT id FROM draws WHERE title = 'D2' AND region_code = '140525') AND seq = 1`, 11},
		{"Z-S sends a team to D3's first task again", `INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
		    SELECT draw_id, seq, bureau_id, 3, 'ZS-C3', 't' FROM draw_task_members WHERE position = 1
		    AND bureau_id = (SELECT id FROM bureaus WHERE code = '140525-sj')`, 11},
		{"Z-S leaves the joint draw D3", `DELETE FROM draw_task_members WHERE bureau_id = (SELECT id FROM bureaus WHERE code = '140525-sj')
		    AND draw_id = (SELECT id FROM draws WHERE title = 'D3' AND region_code = '140525')`, 9},
	}
	for _, s := range steps {
		if _, err := e.DB.Exec(s.stmt); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		checkTaskProgress(t, e, s.name, s.want)
	}
}

// TestTaskProgressConcurrentWrites gives Z-W's tasks of D1 eight items,
// then writes a record of each item in eight transactions at once, each
// holding its record uncommitted while the others count: every task must
// end submitted (all eight items entered), as a recount says.
func TestTaskProgressConcurrentWrites(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	const d1 = `(SELECT id FROM draws WHERE title = 'D1' AND region_code = '140525')`
	if _, err := e.DB.Exec(`UPDATE draw_participants SET items = (SELECT jsonb_agg(jsonb_build_object('code', 'ZC-' || i, 'version', 1))
	    FROM generate_series(1, 8) i) WHERE draw_id = ` + d1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 1; i <= 8; i++ {
		wg.Add(1)
		go func(item string) {
			defer wg.Done()
			errs <- writeRecordsSlowly(e.DB, d1, item)
		}(fmt.Sprintf("ZC-%d", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkTaskProgress(t, e, "eight writers", 12)
	var states []string
	if err := e.DB.Select(&states, `SELECT state FROM task_progress WHERE draw_id = `+d1+` ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(states) != "[submitted submitted submitted]" {
		t.Errorf("D1's tasks are %v, want all three submitted", states)
	}
}

// writeRecordsSlowly writes a submitted record of item for each of Z-W's
// tasks of the draw, and waits before committing so that the other
// writers' triggers run while it is uncommitted.
func writeRecordsSlowly(db *postgres.DB, draw, item string) error {
	return db.AsOwner(context.Background(), func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version,
		     item_name, code_version, result_codes, inspected_on, state, created_by, updated_by)
		 SELECT b.id, '140525', t.draw_id, t.seq, t.entity_code, $1, 1, '检查' || $1, 1, '{NO_PROBLEM}', '2025-03-15', 'submitted', u.id, u.id
		 FROM draw_tasks t JOIN bureaus b ON b.code = '140525-wl' JOIN users u ON u.username = 'zz-wl-leader'
		 WHERE t.draw_id = `+draw, item)
		if err == nil {
			_, err = tx.Exec(`SELECT pg_sleep(0.2)`)
		}
		return err
	})
}

// TestTaskProgressRowLevelSecurity: a bureau reads the kept states of its
// own tasks, the joint office those of its region, nobody else any.
func TestTaskProgressRowLevelSecurity(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	for bureau, want := range map[string]int{"140525-wl": 8, "140525-sj": 4, "140525-lh": 12, "140522-lh": 0, "140522-wl": 0} {
		var id int64
		if err := e.DB.Get(&id, `SELECT id FROM bureaus WHERE code = $1`, bureau); err != nil {
			t.Fatal(err)
		}
		var n int
		err := e.DB.InScope(context.Background(), postgres.Scope{BureauID: id}, func(tx *sqlx.Tx) error {
			return tx.Get(&n, `SELECT count(*) FROM task_progress WHERE region_code = '140525'`)
		})
		if err != nil {
			t.Fatalf("%s: %v", bureau, err)
		}
		if n != want {
			t.Errorf("%s reads %d rows of task_progress, want %d", bureau, n, want)
		}
	}
}
