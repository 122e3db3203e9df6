package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/record"
)

// RecordStore implements record.Store.
type RecordStore struct{ DB *DB }

// onCurrentTeam is the SQL condition that certificate cert (an SQL
// expression) of the acting bureau is on task t's team now: the last
// substitution naming it brought it in, or none names it and it was drawn.
func onCurrentTeam(cert string) string {
	return fmt.Sprintf(`coalesce(
    (SELECT s.in_certificate = %[1]s FROM draw_substitutions s
     WHERE s.draw_id = t.draw_id AND s.seq = t.seq AND s.bureau_id = (SELECT app_bureau())
       AND %[1]s IN (s.in_certificate, s.out_certificate)
     ORDER BY s.id DESC LIMIT 1),
    EXISTS (SELECT FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq
            AND m.bureau_id = (SELECT app_bureau()) AND m.certificate = %[1]s))`, cert)
}

// myCertificate is the signed-in user's certificate in the acting bureau.
const myCertificate = `(SELECT certificate_number FROM inspectors WHERE bureau_id = (SELECT app_bureau()) AND user_id = (SELECT app_user()))`

// taskStateRank orders task states least advanced first; the task's state
// is its items' minimum. task_progress_of (migration 00030) keeps the
// dashboard's states by the same CASE: change both together.
const taskStateSQL = `CASE min(CASE WHEN r.state = 'returned' THEN 0 WHEN r.state IS NULL OR r.state = 'draft' THEN 1
    WHEN r.state = 'submitted' THEN 2 WHEN r.state = 'approved' THEN 3 ELSE 4 END)
    WHEN 0 THEN 'returned' WHEN 1 THEN 'not_entered' WHEN 2 THEN 'submitted' WHEN 3 THEN 'approved' ELSE 'published' END`

// tasksSQL selects the acting bureau's tasks (of executed draws, where it
// sends inspectors), each with its state, inspection end and days to
// publish; %s is the extra condition on t and d.
const tasksSQL = `
WITH own AS (
    SELECT t.draw_id, t.seq, t.entity_code, t.region_code, d.title AS draw_title, d.joint,
           d.window_start, d.window_end, dp.items,
           coalesce((SELECT p.publish_within_days FROM plans p WHERE p.bureau_id = dp.bureau_id AND p.year = d.year), 20) AS publish_within_days
    FROM draw_tasks t
    JOIN draws d ON d.id = t.draw_id AND d.status = 'executed'
    JOIN draw_participants dp ON dp.draw_id = t.draw_id AND dp.bureau_id = (SELECT app_bureau())
    WHERE EXISTS (SELECT FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq AND m.bureau_id = dp.bureau_id)
      AND %s),
summary AS (
    SELECT own.draw_id, own.seq, ` + taskStateSQL + ` AS state,
           coalesce(max(r.inspected_on), own.window_end) AS inspection_end
    FROM own
    LEFT JOIN LATERAL jsonb_array_elements(own.items) it ON true
    LEFT JOIN inspection_records r ON r.bureau_id = (SELECT app_bureau()) AND r.draw_id = own.draw_id AND r.seq = own.seq
         AND r.item_code = it->>'code' AND r.corrects IS NULL
    GROUP BY own.draw_id, own.seq, own.window_end)
SELECT own.draw_id, own.seq, own.draw_title, own.joint, own.entity_code, coalesce(e.name, '') AS entity_name,
       coalesce(e.address, '') AS address, coalesce(re.unit, '') AS unit, own.window_start, own.window_end,
       s.state, s.inspection_end, own.publish_within_days
FROM own JOIN summary s USING (draw_id, seq)
LEFT JOIN entities e ON e.region_code = own.region_code AND e.code = own.entity_code AND e.valid_to IS NULL
LEFT JOIN roster_entries re ON re.bureau_id = (SELECT app_bureau()) AND re.entity_code = own.entity_code AND re.valid_to IS NULL
WHERE %s
ORDER BY %s
LIMIT %s`

// Tasks returns a page of the bureau's tasks with their items, records
// and teams: three statements whatever the page size.
func (s RecordStore) Tasks(ctx context.Context, actor *authz.Actor, f record.TaskFilter, cut record.Cutoffs, p page.Request) ([]record.Task, error) {
	var tasks []record.Task
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		w := &where{}
		w.seek(p, false, "(t.draw_id, t.seq)", pairKey)
		q, args := taskQuery(w, f, cut, p.Order("own.draw_id, own.seq", false), strconv.Itoa(p.Limit()))
		if err := tx.SelectContext(ctx, &tasks, q, args...); err != nil {
			return err
		}
		return attachTaskDetails(ctx, tx, tasks)
	})
	return tasks, err
}

// CountTasks counts the tasks of Tasks.
func (s RecordStore) CountTasks(ctx context.Context, actor *authz.Actor, f record.TaskFilter, cut record.Cutoffs) (int, error) {
	q, args := taskQuery(&where{}, f, cut, "own.draw_id", "ALL")
	return s.DB.countIn(ctx, scopeOf(actor), q, args...)
}

// taskQuery fills tasksSQL with the filter's conditions, the inner ones
// (on the task and draw) after those already in w, then the outer ones (on
// the task's state and end date), the order and the limit (a number or
// ALL).
func taskQuery(w *where, f record.TaskFilter, cut record.Cutoffs, order, limit string) (string, []any) {
	innerConditions(w, f)
	inner := w.String()
	w.conds = nil
	outerConditions(w, f, cut)
	outer := w.String()
	return fmt.Sprintf(tasksSQL, inner, outer, order, limit), w.args
}

func innerConditions(inner *where, f record.TaskFilter) {
	if f.Mine {
		inner.conds = append(inner.conds, onCurrentTeam(myCertificate))
	}
	if f.DrawID != nil {
		inner.add("t.draw_id = %s", *f.DrawID)
	}
	if f.WindowFrom != nil {
		inner.add("d.window_end >= %s", *f.WindowFrom)
	}
	if f.WindowTo != nil {
		inner.add("d.window_start <= %s", *f.WindowTo)
	}
}

func outerConditions(outer *where, f record.TaskFilter, cut record.Cutoffs) {
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		outer.add("s.state = ANY(%s)", pq.Array(states))
	}
	if f.EntityQuery != "" {
		outer.add("(own.entity_code = %s OR strpos(e.name, %s) > 0)", f.EntityQuery, f.EntityQuery)
	}
	if f.Overdue != nil || f.DueWithin != nil {
		outer.add("s.state <> 'published'")
	}
	if f.Overdue != nil {
		op := ">="
		if *f.Overdue {
			op = "<"
		}
		outer.add("s.inspection_end "+op+" (%s::date[])[own.publish_within_days + 1]", pq.Array(dates(cut.Overdue)))
	}
	if f.DueWithin != nil {
		outer.add("s.inspection_end < (%s::date[])[own.publish_within_days + 1]", pq.Array(dates(cut.DueBy)))
		if f.Overdue == nil {
			outer.add("s.inspection_end >= (%s::date[])[own.publish_within_days + 1]", pq.Array(dates(cut.Overdue)))
		}
	}
}

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(time.DateOnly)
	}
	return out
}

// Task returns one of the bureau's tasks, NOT_FOUND when it takes no part.
func (s RecordStore) Task(ctx context.Context, actor *authz.Actor, drawID int64, seq int) (record.Task, error) {
	var tasks []record.Task
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		w := &where{}
		w.add("t.draw_id = %s AND t.seq = %s", drawID, seq)
		q, args := taskQuery(w, record.TaskFilter{}, record.Cutoffs{}, "own.draw_id, own.seq", "1")
		if err := tx.SelectContext(ctx, &tasks, q, args...); err != nil {
			return err
		}
		if len(tasks) == 0 {
			return errs.NotFoundf("no task %d/%d", drawID, seq)
		}
		return attachTaskDetails(ctx, tx, tasks)
	})
	if err != nil {
		return record.Task{}, err
	}
	return tasks[0], nil
}

// attachTaskDetails loads the items (with their records) and current teams
// of the tasks: two statements.
func attachTaskDetails(ctx context.Context, tx *sqlx.Tx, tasks []record.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	drawIDs, seqs := make([]int64, len(tasks)), make([]int64, len(tasks))
	index := map[[2]int64]int{}
	for i, t := range tasks {
		drawIDs[i], seqs[i] = t.DrawID, int64(t.Seq)
		index[[2]int64{t.DrawID, int64(t.Seq)}] = i
	}
	if err := attachItems(ctx, tx, tasks, index, drawIDs, seqs); err != nil {
		return err
	}
	return attachCurrentTeams(ctx, tx, tasks, index, drawIDs, seqs)
}

func attachItems(ctx context.Context, tx *sqlx.Tx, tasks []record.Task, index map[[2]int64]int, drawIDs, seqs []int64) error {
	const q = `
SELECT t.draw_id, t.seq, it->>'code' AS item_code, (it->>'version')::int AS item_version,
       coalesce(ii.name, it->>'code') AS item_name, r.id AS record_id, r.state
FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS t(draw_id, seq, ord)
JOIN draw_participants dp ON dp.draw_id = t.draw_id AND dp.bureau_id = (SELECT app_bureau())
CROSS JOIN LATERAL jsonb_array_elements(dp.items) WITH ORDINALITY AS its(it, pos)
LEFT JOIN inspection_items ii ON ii.bureau_id = dp.bureau_id AND ii.code = it->>'code' AND ii.version = (it->>'version')::int
LEFT JOIN inspection_records r ON r.bureau_id = dp.bureau_id AND r.draw_id = t.draw_id AND r.seq = t.seq
     AND r.item_code = it->>'code' AND r.corrects IS NULL
ORDER BY t.ord, its.pos`
	var rows []record.TaskItem
	if err := tx.SelectContext(ctx, &rows, q, pq.Array(drawIDs), pq.Array(seqs)); err != nil {
		return fmt.Errorf("task items: %w", err)
	}
	for _, r := range rows {
		t := &tasks[index[[2]int64{r.DrawID, int64(r.Seq)}]]
		t.Items = append(t.Items, r)
	}
	return nil
}

// attachCurrentTeams applies each task's substitutions to its drawn team,
// in order. Names come from the acting bureau's own roster and, for a
// team-mate, from task_team_names (the partner bureau's inspectors).
func attachCurrentTeams(ctx context.Context, tx *sqlx.Tx, tasks []record.Task, index map[[2]int64]int, drawIDs, seqs []int64) error {
	const q = `
WITH t AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS t(draw_id, seq)),
names AS (SELECT * FROM task_team_names($1::bigint[], $2::int[])),
ev AS (
    SELECT m.draw_id, m.seq, m.bureau_id, 'm' AS kind, m.position::bigint AS ord, '' AS out_cert, m.certificate AS cert
    FROM draw_task_members m JOIN t USING (draw_id, seq)
    UNION ALL
    SELECT s.draw_id, s.seq, s.bureau_id, 's', s.id, s.out_certificate, s.in_certificate
    FROM draw_substitutions s JOIN t USING (draw_id, seq))
SELECT ev.draw_id, ev.seq, ev.kind, ev.out_cert, ev.cert, b.code AS bureau_code, b.name AS bureau_name,
       coalesce(i.name, n.name, '') AS name
FROM ev JOIN bureaus b ON b.id = ev.bureau_id
LEFT JOIN inspectors i ON i.bureau_id = ev.bureau_id AND i.certificate_number = ev.cert
LEFT JOIN names n ON n.draw_id = ev.draw_id AND n.seq = ev.seq AND n.bureau_id = ev.bureau_id AND n.certificate = ev.cert
ORDER BY ev.draw_id, ev.seq, ev.kind, ev.ord`
	var rows []struct {
		DrawID     int64  `db:"draw_id"`
		Seq        int64  `db:"seq"`
		Kind       string `db:"kind"`
		Out        string `db:"out_cert"`
		Cert       string `db:"cert"`
		BureauCode string `db:"bureau_code"`
		BureauName string `db:"bureau_name"`
		Name       string `db:"name"`
	}
	if err := tx.SelectContext(ctx, &rows, q, pq.Array(drawIDs), pq.Array(seqs)); err != nil {
		return fmt.Errorf("task teams: %w", err)
	}
	for _, r := range rows {
		t := &tasks[index[[2]int64{r.DrawID, r.Seq}]]
		m := record.TeamMember{BureauCode: r.BureauCode, BureauName: r.BureauName, Certificate: r.Cert, Name: r.Name}
		if r.Kind == "m" {
			t.Team = append(t.Team, m)
			continue
		}
		m.SubstitutedIn = true
		for i, old := range t.Team {
			if old.BureauCode == r.BureauCode && old.Certificate == r.Out {
				t.Team[i] = m
				break
			}
		}
	}
	return nil
}
