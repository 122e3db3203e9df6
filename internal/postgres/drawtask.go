package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Tasks returns a page of a visible draw's tasks, each with its team and
// substitutions: three statements whatever the page size.
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
SELECT t.draw_id, t.seq, t.entity_code, coalesce(e.name, '') AS entity_name, t.ticket
FROM draw_tasks t
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("t.seq", false), p.Limit())
		if err := tx.SelectContext(ctx, &tasks, q, w.args...); err != nil {
			return err
		}
		return s.DB.attachTeams(ctx, tx, tasks)
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
		st := s.DB.prepared(ctx, tx, tasksOfDrawsQuery)
		if err := st.SelectContext(ctx, &tasks, pq.Array(ids), after, p.Limit()); err != nil {
			return err
		}
		return s.DB.attachTeams(ctx, tx, tasks)
	})
	return tasks, err
}

var tasksOfDrawsQuery = prepare(`
SELECT t.draw_id, t.seq, t.entity_code, coalesce(e.name, '') AS entity_name, t.ticket
FROM draws d
CROSS JOIN LATERAL (SELECT t.draw_id, t.seq, t.region_code, t.entity_code, t.ticket FROM draw_tasks t WHERE t.draw_id = d.id AND t.seq > $2 ORDER BY t.seq LIMIT $3) t
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
WHERE d.id = ANY($1) ORDER BY t.draw_id, t.seq`)

// taskKey names a task of any draw.
type taskKey struct {
	Draw int64
	Seq  int
}

// attachTeams fills in the teams and substitutions of the tasks, of one
// draw or many, in two statements.
func (db *DB) attachTeams(ctx context.Context, tx *sqlx.Tx, tasks []draw.TaskRow) error {
	if len(tasks) == 0 {
		return nil
	}
	draws := make([]int64, len(tasks))
	seqs := make([]int64, len(tasks))
	index := map[taskKey]int{}
	for i, t := range tasks {
		draws[i], seqs[i] = t.DrawID, int64(t.Seq)
		index[taskKey{t.DrawID, t.Seq}] = i
	}
	var members []struct {
		DrawID int64 `db:"draw_id"`
		Seq    int   `db:"seq"`
		draw.Member
	}
	if err := db.prepared(ctx, tx, teamsQuery).SelectContext(ctx, &members, pq.Array(draws), pq.Array(seqs)); err != nil {
		return err
	}
	for _, m := range members {
		t := &tasks[index[taskKey{m.DrawID, m.Seq}]]
		t.Team = append(t.Team, m.Member)
	}
	var subs []struct {
		DrawID int64 `db:"draw_id"`
		Seq    int   `db:"seq"`
		draw.Substitution
	}
	if err := db.prepared(ctx, tx, substitutionsQuery).SelectContext(ctx, &subs, pq.Array(draws), pq.Array(seqs)); err != nil {
		return err
	}
	for _, s := range subs {
		t := &tasks[index[taskKey{s.DrawID, s.Seq}]]
		t.Substitutions = append(t.Substitutions, s.Substitution)
	}
	return nil
}

// The statements of every page of tasks, prepared once per connection.
var (
	teamsQuery = prepare(`
SELECT m.draw_id, m.seq, b.code AS bureau_code, m.certificate, coalesce(i.name, '') AS name, m.ticket, m.step, m.position
FROM unnest($1::bigint[], $2::int[]) k(draw_id, seq)
JOIN draw_task_members m ON m.draw_id = k.draw_id AND m.seq = k.seq
JOIN bureaus b ON b.id = m.bureau_id
LEFT JOIN inspectors i ON i.bureau_id = m.bureau_id AND i.certificate_number = m.certificate
ORDER BY m.draw_id, m.seq, b.code, m.position`)
	substitutionsQuery = prepare(`
SELECT s.draw_id, s.seq, b.code AS bureau_code, s.out_certificate, s.in_certificate, s.reason, s.at
FROM unnest($1::bigint[], $2::int[]) k(draw_id, seq)
JOIN draw_substitutions s ON s.draw_id = k.draw_id AND s.seq = k.seq
JOIN bureaus b ON b.id = s.bureau_id
ORDER BY s.draw_id, s.seq, s.id`)
)

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
		tasks := []draw.TaskRow{task}
		if err := s.DB.attachTeams(ctx, tx, tasks); err != nil {
			return err
		}
		task = tasks[0]
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.substitute", ObjectType: "draw_task",
			ObjectID: fmt.Sprintf("%d/%d", drawID, seq), After: map[string]any{"out": out, "in": in, "reason": reason}})
	})
	return task, err
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
