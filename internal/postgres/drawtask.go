package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Tasks returns a page of a visible draw's tasks, each with its team and
// substitutions: two statements whatever the page size.
func (s DrawStore) Tasks(ctx context.Context, actor *authz.Actor, drawID int64, p page.Request) ([]draw.TaskRow, error) {
	var tasks []draw.TaskRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if _, err := getDraw(ctx, tx, drawID, ""); err != nil {
			return err
		}
		w := &where{}
		w.add("t.draw_id = %s", drawID)
		w.seek(p, false, "t.seq", intKey)
		q := `
SELECT t.draw_id, t.seq, t.entity_code, coalesce(e.name, '') AS entity_name, t.ticket, ` + taskTeamColumns + `
FROM draw_tasks t
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("t.seq", false), p.Limit())
		rows, err := tx.QueryContext(ctx, q, w.args...)
		if err == nil {
			tasks, err = scanTasks(rows)
		}
		return err
	})
	return tasks, err
}

// CountTasks counts a visible draw's tasks (0 for a draw the actor may not
// see: Tasks has said NOT_FOUND already).
func (s DrawStore) CountTasks(ctx context.Context, actor *authz.Actor, drawID int64) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM draw_tasks t WHERE t.draw_id = $1`, drawID)
}

// TasksOfDraws returns a page of tasks of each visible draw among ids,
// each with its team and substitutions: three statements whatever the
// number of draws and the page size. Each draw's page is a LATERAL
// subquery with its own LIMIT (a window per parent) over the draw_tasks
// key; joining draws keeps the draws another bureau may not see out,
// exactly as getDraw does for one.
func (s DrawStore) TasksOfDraws(ctx context.Context, actor *authz.Actor, ids []int64, p page.Request) ([]draw.TaskRow, error) {
	after := 0
	if key, _ := p.AfterKey(); key != "" { // forward pages only: the service refuses others
		fmt.Sscan(key, &after)
	}
	var tasks []draw.TaskRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		rows, err := s.DB.prepared(ctx, tx, tasksOfDrawsQuery).QueryContext(ctx, pq.Array(ids), after, p.Limit())
		if err == nil {
			tasks, err = scanTasks(rows)
		}
		return err
	})
	return tasks, err
}

// tasksOfDrawsQuery reads each draw's page of tasks (page: a window per
// draw) with their entities, teams and substitutions: one round trip for
// the whole nesting, where a statement per level took three. Each task's
// members and substitutions are looked up by its key (LATERAL, OFFSET 0
// so that the planner cannot turn it into a join reading every member of
// every visible draw) and aggregated for the page at once. Measured on the
// read path's data under load, 200 runs at a time as the serving role:
// 4.4-9.4 ms for 4 draws × 51 tasks (the three statements it replaces:
// 4.5-7.5 ms together) and 3.0 ms for 4 × 6, where a subquery per task
// (an aggregate run per task) took 15-17.5 and 1.8-4.3 ms and a plain
// join of the page 12.4 and 4.5 ms.
//
// Its LIMIT is a subquery (genericLimit) so that PostgreSQL keeps one plan
// for it on each connection instead of planning it at every run.
var tasksOfDrawsQuery = prepare(`
WITH page AS (
  SELECT t.draw_id, t.seq, t.region_code, t.entity_code, t.ticket
  FROM draws d
  CROSS JOIN LATERAL (SELECT t.draw_id, t.seq, t.region_code, t.entity_code, t.ticket FROM draw_tasks t
                      WHERE t.draw_id = d.id AND t.seq > $2 ORDER BY t.seq LIMIT ` + genericLimit(3) + `) t
  WHERE d.id = ANY($1)
),` + pageTeamsCTEs + `
SELECT t.draw_id, t.seq, t.entity_code, coalesce(e.name, '') AS entity_name, t.ticket, tm.team, sb.substitutions
FROM page t
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
LEFT JOIN teams tm ON tm.draw_id = t.draw_id AND tm.seq = t.seq
LEFT JOIN substitutions sb ON sb.draw_id = t.draw_id AND sb.seq = t.seq
ORDER BY t.draw_id, t.seq`)

// pageTeamsCTEs are the teams and substitutions of the tasks of page, a
// CTE of (draw_id, seq) before them: each task's rows looked up by its key
// (LATERAL, OFFSET 0, as tasksOfDrawsQuery says) and aggregated for the
// page at once.
const pageTeamsCTEs = `
teams AS (
  SELECT m.draw_id, m.seq, json_agg(` + teamMemberObject + ` ORDER BY b.code, m.position) AS team
  FROM page t
  CROSS JOIN LATERAL (SELECT m.* FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq OFFSET 0) m
  JOIN bureaus b ON b.id = m.bureau_id
  LEFT JOIN inspectors i ON i.bureau_id = m.bureau_id AND i.certificate_number = m.certificate
  GROUP BY m.draw_id, m.seq
), substitutions AS (
  SELECT s.draw_id, s.seq, json_agg(` + substitutionObject + ` ORDER BY s.id) AS substitutions
  FROM page t
  CROSS JOIN LATERAL (SELECT s.* FROM draw_substitutions s WHERE s.draw_id = t.draw_id AND s.seq = t.seq OFFSET 0) s
  JOIN bureaus b ON b.id = s.bureau_id
  GROUP BY s.draw_id, s.seq
)`

// taskTeamColumns are a task t's team (members in bureau and position
// order, with their inspectors' names where row-level security shows
// them) and its substitutions (in the order made), each a JSON array of
// objects whose keys are taskMember's and taskSubstitution's: for one
// task or one draw's page, where a subquery per task costs little.
const taskTeamColumns = `
  (SELECT json_agg(` + teamMemberObject + ` ORDER BY b.code, m.position)
   FROM draw_task_members m
   JOIN bureaus b ON b.id = m.bureau_id
   LEFT JOIN inspectors i ON i.bureau_id = m.bureau_id AND i.certificate_number = m.certificate
   WHERE m.draw_id = t.draw_id AND m.seq = t.seq) AS team,
  (SELECT json_agg(` + substitutionObject + ` ORDER BY s.id)
   FROM draw_substitutions s
   JOIN bureaus b ON b.id = s.bureau_id
   WHERE s.draw_id = t.draw_id AND s.seq = t.seq) AS substitutions`

// teamMemberObject and substitutionObject are a team member m (of bureau
// b, inspector i) and a substitution s (of bureau b) as JSON, the objects
// taskMember and taskSubstitution read.
const (
	teamMemberObject = `json_build_object('bureau_code', b.code, 'certificate', m.certificate, 'name', coalesce(i.name, ''),
	'ticket', m.ticket, 'step', m.step, 'position', m.position)`
	substitutionObject = `json_build_object('bureau_code', b.code, 'out', s.out_certificate, 'in', s.in_certificate,
	'reason', s.reason, 'at', s.at)`
)

// taskMember and taskSubstitution are the objects of taskTeamColumns'
// arrays: the domain types carry no JSON names, and must not get these
// (draw.Member is part of the draw's documents).
type taskMember struct {
	BureauCode  string  `json:"bureau_code"`
	Certificate string  `json:"certificate"`
	Name        string  `json:"name"`
	Ticket      *string `json:"ticket"`
	Step        *int    `json:"step"`
	Position    int     `json:"position"`
}

type taskSubstitution struct {
	BureauCode string    `json:"bureau_code"`
	Out        string    `json:"out"`
	In         string    `json:"in"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"` // timestamptz in JSON is RFC 3339, offset included
}

// scanTasks reads a page of tasks whose columns are draw_id, seq,
// entity_code, entity_name, ticket and then taskTeamColumns' team and
// substitutions (NULL: none), and closes rows. The columns are scanned in
// that order, without sqlx's reflection: a roster or dashboard page reads
// hundreds of rows a request, and the team's JSON is decoded straight
// from the driver's buffer (sql.RawBytes) before the next row replaces it.
func scanTasks(rows *sql.Rows) ([]draw.TaskRow, error) {
	defer rows.Close()
	var tasks []draw.TaskRow
	var team, subs sql.RawBytes
	in := interner{}
	for rows.Next() {
		var t draw.TaskRow
		if err := rows.Scan(&t.DrawID, &t.Seq, &t.EntityCode, &t.EntityName, &t.Ticket, &team, &subs); err != nil {
			return nil, err
		}
		if err := decodeTeam(&t, team, subs, in); err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, rows.Err()
}

// Substitute records that an inspector of the acting bureau replaces
// another of its inspectors on a task. The replaced one must be on the
// team now (as drawn or substituted in); the new one must be active,
// hold a certificate valid through the draw's window, have no conflict
// with the entity and not be on the team already.
func (s DrawStore) Substitute(ctx context.Context, actor *authz.Actor, drawID int64, seq int, out, in, reason string) (draw.TaskRow, error) {
	var task draw.TaskRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := getDraw(ctx, tx, drawID, "")
		if err != nil {
			return err
		}
		if d.Status != draw.StatusExecuted {
			return errs.E(errs.Conflict, "draw %d is %s: only an executed draw's teams change", drawID, d.Status)
		}
		if err := tx.GetContext(ctx, &task, `SELECT draw_id, seq, entity_code, ticket, '' AS entity_name FROM draw_tasks WHERE draw_id = $1 AND seq = $2`, drawID, seq); err != nil {
			return notFound(err, "draw %d has no task %d", drawID, seq)
		}
		if err := lockTeam(ctx, tx, drawID, seq); err != nil {
			return err
		}
		team, err := currentTeam(ctx, tx, drawID, seq)
		if err != nil {
			return err
		}
		if !team[out] {
			return errs.InvalidField("input.out", "%s of your bureau is not on the team of task %d", out, seq)
		}
		if team[in] {
			return errs.InvalidField("input.in", "%s is on the team already", in)
		}
		if err := checkSubstitute(ctx, tx, d, task.EntityCode, in); err != nil {
			return err
		}
		const ins = `INSERT INTO draw_substitutions (draw_id, seq, bureau_id, out_certificate, in_certificate, reason, by_user)
VALUES ($1, $2, (SELECT app_bureau()), $3, $4, $5, $6)`
		if _, err := tx.ExecContext(ctx, ins, drawID, seq, out, in, reason, actor.UserID); err != nil {
			return err
		}
		if task, err = readTask(ctx, tx, drawID, seq); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.substitute", ObjectType: "draw_task",
			ObjectID: fmt.Sprintf("%d/%d", drawID, seq), After: map[string]any{"out": out, "in": in, "reason": reason}})
	})
	return task, err
}

// readTask reads one task of the draw with its team and substitutions as
// they are now (its entity's name left out, as Substitute answers it).
func readTask(ctx context.Context, tx *sqlx.Tx, drawID int64, seq int) (draw.TaskRow, error) {
	q := `SELECT t.draw_id, t.seq, t.entity_code, '' AS entity_name, t.ticket, ` + taskTeamColumns + `
FROM draw_tasks t WHERE t.draw_id = $1 AND t.seq = $2`
	rows, err := tx.QueryContext(ctx, q, drawID, seq)
	if err != nil {
		return draw.TaskRow{}, err
	}
	tasks, err := scanTasks(rows)
	if err != nil || len(tasks) == 0 {
		return draw.TaskRow{}, errNoRowsIfNil(err)
	}
	return tasks[0], nil
}

// lockTeam orders concurrent substitutions of one task.
func lockTeam(ctx context.Context, tx *sqlx.Tx, drawID int64, seq int) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, drawID, seq)
	return err
}

// currentTeam is the acting bureau's inspectors on the task now: as drawn,
// then each substitution applied in order.
func currentTeam(ctx context.Context, tx *sqlx.Tx, drawID int64, seq int) (map[string]bool, error) {
	var drawn []string
	const q = `SELECT certificate FROM draw_task_members WHERE draw_id = $1 AND seq = $2 AND bureau_id = (SELECT app_bureau())`
	if err := tx.SelectContext(ctx, &drawn, q, drawID, seq); err != nil {
		return nil, err
	}
	team := map[string]bool{}
	for _, c := range drawn {
		team[c] = true
	}
	var subs []struct {
		Out string `db:"out_certificate"`
		In  string `db:"in_certificate"`
	}
	const sq = `SELECT out_certificate, in_certificate FROM draw_substitutions
WHERE draw_id = $1 AND seq = $2 AND bureau_id = (SELECT app_bureau()) ORDER BY id`
	if err := tx.SelectContext(ctx, &subs, sq, drawID, seq); err != nil {
		return nil, err
	}
	for _, s := range subs {
		delete(team, s.Out)
		team[s.In] = true
	}
	return team, nil
}

func checkSubstitute(ctx context.Context, tx *sqlx.Tx, d draw.Draw, entity, certificate string) error {
	var ok struct {
		Valid    bool `db:"valid"`
		Conflict bool `db:"conflict"`
	}
	const q = `
SELECT i.status = 'active' AND i.expires_on >= $3 AND (i.issued_on IS NULL OR i.issued_on <= $4) AS valid,
       EXISTS (SELECT FROM conflicts c WHERE c.bureau_id = i.bureau_id AND c.inspector_id = i.id
               AND c.entity_code = $2 AND c.withdrawn_at IS NULL) AS conflict
FROM inspectors i WHERE i.bureau_id = (SELECT app_bureau()) AND i.certificate_number = $1`
	if err := tx.GetContext(ctx, &ok, q, certificate, entity, d.WindowEnd, d.WindowStart); err != nil {
		return errs.InvalidField("input.in", "%s is not an inspector of your bureau", certificate)
	}
	switch {
	case !ok.Valid:
		return errs.InvalidField("input.in", "%s is not active with a certificate valid through the planned window", certificate)
	case ok.Conflict:
		return errs.InvalidField("input.in", "%s has a declared conflict of interest (回避) with this entity", certificate)
	}
	return nil
}
