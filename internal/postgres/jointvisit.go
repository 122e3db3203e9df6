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

// JointVisitStore implements draw.JointVisitStore.
type JointVisitStore struct{ DB *DB }

// ProposeJointVisit records the proposal for an overlap that exists now.
func (s JointVisitStore) ProposeJointVisit(ctx context.Context, actor *authz.Actor, year, quarter int, entityCode string) (draw.JointVisit, error) {
	var v draw.JointVisit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var overlap struct {
			DrawIDs   pq.Int64Array `db:"draw_ids"`
			BureauIDs pq.Int64Array `db:"bureau_ids"`
		}
		const q = `
SELECT array_agg(DISTINCT t.draw_id ORDER BY t.draw_id) AS draw_ids, array_agg(DISTINCT t.lead_id ORDER BY t.lead_id) AS bureau_ids
FROM draw_tasks t JOIN draws d ON d.id = t.draw_id AND NOT d.joint AND d.status = 'executed'
WHERE t.region_code = (SELECT app_region()) AND t.year = $1 AND t.quarter = $2 AND t.entity_code = $3
HAVING count(DISTINCT t.lead_id) >= 2`
		if err := tx.GetContext(ctx, &overlap, q, year, quarter, entityCode); err != nil {
			return notFound(err, "%s was not drawn by two bureaus' separate draws in %d Q%d", entityCode, year, quarter)
		}
		const ins = `
INSERT INTO joint_visits (bureau_id, region_code, year, quarter, entity_code, draw_ids, bureau_ids, proposed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
		var id int64
		err := tx.GetContext(ctx, &id, ins, actor.BureauID, actor.RegionCode, year, quarter, entityCode, overlap.DrawIDs, overlap.BureauIDs, userRef(actor))
		if uniqueViolation(err) {
			return errs.E(errs.Conflict, "a joint visit of %s in %d Q%d is proposed already", entityCode, year, quarter)
		}
		if err != nil {
			return err
		}
		if v, err = jointVisit(ctx, tx, id); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "joint_visit.propose", ObjectType: "joint_visit", ObjectID: fmt.Sprint(id), After: v})
	})
	return v, err
}

// AnswerJointVisit records the acting bureau's answer to a proposal
// naming it.
func (s JointVisitStore) AnswerJointVisit(ctx context.Context, actor *authz.Actor, id int64, accept bool) (draw.JointVisit, error) {
	var v draw.JointVisit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var named bool
		const q = `SELECT (SELECT app_bureau()) = ANY(bureau_ids) FROM joint_visits WHERE id = $1`
		if err := tx.GetContext(ctx, &named, q, id); err != nil || !named {
			return notFound(errNoRowsIfNil(err), "no joint visit %d for your bureau", id)
		}
		const ins = `INSERT INTO joint_visit_answers (bureau_id, visit_id, accepted, answered_by) VALUES ((SELECT app_bureau()), $1, $2, $3)`
		_, err := tx.ExecContext(ctx, ins, id, accept, userRef(actor))
		if uniqueViolation(err) {
			return errs.E(errs.Conflict, "your bureau has answered joint visit %d already", id)
		}
		if err != nil {
			return err
		}
		if v, err = jointVisit(ctx, tx, id); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "joint_visit.answer", ObjectType: "joint_visit",
			ObjectID: fmt.Sprint(id), After: map[string]any{"accepted": accept, "status": v.Status()}})
	})
	return v, err
}

// CountJointVisits counts the visible proposals of a quarter.
func (s JointVisitStore) CountJointVisits(ctx context.Context, actor *authz.Actor, year, quarter int) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM joint_visits WHERE year = $1 AND quarter = $2`, year, quarter)
}

// JointVisits lists the visible proposals of a quarter.
func (s JointVisitStore) JointVisits(ctx context.Context, actor *authz.Actor, year, quarter int, p page.Request) ([]draw.JointVisit, error) {
	var out []draw.JointVisit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var ids []int64
		w := &where{}
		w.add("year = %s AND quarter = %s", year, quarter)
		w.seek(p, false, "entity_code", textKey)
		q := `SELECT id FROM joint_visits WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("entity_code", false), p.Limit())
		if err := tx.SelectContext(ctx, &ids, q, w.args...); err != nil {
			return err
		}
		var err error
		out, err = jointVisits(ctx, tx, ids)
		return err
	})
	return out, err
}

// JointVisit reads one proposal the acting bureau may see: row-level
// security admits the joint office's own and those naming the bureau.
func (s JointVisitStore) JointVisit(ctx context.Context, actor *authz.Actor, id int64) (draw.JointVisit, error) {
	var v draw.JointVisit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		v, err = jointVisit(ctx, tx, id)
		return err
	})
	return v, err
}

// jointVisit reads a proposal with its bureaus' codes and answers.
func jointVisit(ctx context.Context, tx *sqlx.Tx, id int64) (draw.JointVisit, error) {
	vs, err := jointVisits(ctx, tx, []int64{id})
	if err != nil {
		return draw.JointVisit{}, err
	}
	if len(vs) == 0 {
		return draw.JointVisit{}, errs.NotFoundf("no joint visit %d", id)
	}
	return vs[0], nil
}

// jointVisits reads proposals with their bureaus' codes and answers, in
// the order of ids, in one statement; ids it cannot see are left out.
func jointVisits(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]draw.JointVisit, error) {
	var rows []struct {
		draw.JointVisit
		DrawIDs  pq.Int64Array  `db:"draw_ids"`
		Bureaus  pq.StringArray `db:"bureaus"`
		Accepted pq.StringArray `db:"accepted"`
		Declined pq.StringArray `db:"declined"`
	}
	const q = `
SELECT v.id, v.year, v.quarter, v.entity_code, v.proposed_at, v.draw_ids,
       (SELECT array_agg(b.code ORDER BY b.code) FROM bureaus b WHERE b.id = ANY(v.bureau_ids)) AS bureaus,
       (SELECT coalesce(array_agg(b.code ORDER BY b.code), '{}') FROM joint_visit_answers a JOIN bureaus b ON b.id = a.bureau_id
        WHERE a.visit_id = v.id AND a.accepted) AS accepted,
       (SELECT coalesce(array_agg(b.code ORDER BY b.code), '{}') FROM joint_visit_answers a JOIN bureaus b ON b.id = a.bureau_id
        WHERE a.visit_id = v.id AND NOT a.accepted) AS declined
FROM joint_visits v WHERE v.id = ANY($1) ORDER BY array_position($1, v.id)`
	if err := tx.SelectContext(ctx, &rows, q, pq.Int64Array(ids)); err != nil {
		return nil, fmt.Errorf("joint visits: %w", err)
	}
	out := make([]draw.JointVisit, len(rows))
	for i, r := range rows {
		out[i] = r.JointVisit
		out[i].DrawIDs, out[i].Bureaus, out[i].Accepted, out[i].Declined = r.DrawIDs, r.Bureaus, r.Accepted, r.Declined
	}
	return out, nil
}
