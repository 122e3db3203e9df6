package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/plan"
)

// PlanStore implements plan.Store.
type PlanStore struct{ DB *DB }

// planRow is a row of plans.
type planRow struct {
	BureauID           int64     `db:"bureau_id"`
	ID                 int64     `db:"id"`
	Year               int       `db:"year"`
	DrawsPerYear       int       `db:"draws_per_year"`
	MinDrawRatioBP     int       `db:"min_draw_ratio_bp"`
	MinCoverageBP      int       `db:"min_coverage_bp"`
	Strata             []byte    `db:"strata"`
	FocusAbnormal      bool      `db:"focus_abnormal"`
	FocusSerious       bool      `db:"focus_serious"`
	FocusComplaints    int       `db:"focus_complaints"`
	FocusPenaltyMonths int       `db:"focus_penalty_months"`
	PublishWithinDays  int       `db:"publish_within_days"`
	CreatedAt          time.Time `db:"created_at"`
	UpdatedAt          time.Time `db:"updated_at"`
}

const planColumns = `bureau_id, id, year, draws_per_year, min_draw_ratio_bp, min_coverage_bp, strata,
	focus_abnormal, focus_serious, focus_complaints, focus_penalty_months, publish_within_days, created_at, updated_at`

func (r planRow) plan() (plan.Plan, error) {
	p := plan.Plan{ID: r.ID, BureauID: r.BureauID, Year: r.Year, DrawsPerYear: r.DrawsPerYear,
		MinDrawRatioBP: r.MinDrawRatioBP, MinCoverageBP: r.MinCoverageBP,
		Focus: plan.FocusRules{AbnormalOperations: r.FocusAbnormal, SeriousViolation: r.FocusSerious,
			Complaints: r.FocusComplaints, PenaltyMonths: r.FocusPenaltyMonths},
		PublishWithinDays: r.PublishWithinDays, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Strata, &p.Strata); err != nil {
		return plan.Plan{}, fmt.Errorf("plan %d of bureau %d: strata: %w", r.Year, r.BureauID, err)
	}
	return p, nil
}

// planIn reads, in the caller's transaction, the bureau's plan for the
// year, or plan.Defaults(year) (ID 0) when the bureau has saved none. In a
// serving transaction row-level security shows the plans of app.bureau_id
// only: asking there for another bureau's plan gives the defaults.
func planIn(ctx context.Context, tx *sqlx.Tx, bureauID int64, year int) (plan.Plan, error) {
	p, found, err := selectPlan(ctx, tx, bureauID, year, false)
	if err != nil || found {
		return p, err
	}
	p = plan.Defaults(year)
	p.BureauID = bureauID
	return p, nil
}

// selectPlan reads the bureau's plan of the year, locking it for an update
// when forUpdate.
func selectPlan(ctx context.Context, tx *sqlx.Tx, bureauID int64, year int, forUpdate bool) (plan.Plan, bool, error) {
	q := `SELECT ` + planColumns + ` FROM plans WHERE bureau_id = $1 AND year = $2`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	var r planRow
	err := tx.GetContext(ctx, &r, q, bureauID, year)
	if errors.Is(err, sql.ErrNoRows) {
		return plan.Plan{}, false, nil
	}
	if err != nil {
		return plan.Plan{}, false, err
	}
	p, err := r.plan()
	return p, err == nil, err
}

// Plan returns the acting bureau's plan of the year, or its defaults.
func (s PlanStore) Plan(ctx context.Context, actor *authz.Actor, year int) (plan.Plan, error) {
	var p plan.Plan
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		p, err = planIn(ctx, tx, actor.BureauID, year)
		return err
	})
	return p, err
}

// Plans lists the acting bureau's saved plans, latest year first.
func (s PlanStore) Plans(ctx context.Context, actor *authz.Actor) ([]plan.Plan, error) {
	const q = `SELECT ` + planColumns + ` FROM plans WHERE bureau_id = (SELECT app_bureau()) ORDER BY year DESC`
	var rows []planRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q) })
	if err != nil {
		return nil, err
	}
	out := make([]plan.Plan, len(rows))
	for i, r := range rows {
		if out[i], err = r.plan(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SavePlan checks the plan against the roster and creates or replaces the
// year's plan, in one transaction with its audit entry.
func (s PlanStore) SavePlan(ctx context.Context, actor *authz.Actor, p plan.Plan, at time.Time, check func(plan.Counts) error) (plan.Plan, bool, error) {
	var saved plan.Plan
	var changed bool
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		before, found, err := selectPlan(ctx, tx, actor.BureauID, p.Year, true)
		if err != nil {
			return err
		}
		roster, err := rosterByStratum(ctx, tx, p, at)
		if err != nil {
			return err
		}
		if err := check(roster); err != nil {
			return err
		}
		if found && samePlan(before, p) {
			saved, changed = before, false
			return nil
		}
		if saved, err = writePlan(ctx, tx, actor, p, found); err != nil {
			return err
		}
		changed = true
		c := audit.Change{Action: "plan.create", ObjectType: "plan", ObjectID: strconv.Itoa(p.Year), After: saved}
		if found {
			c.Action, c.Before = "plan.update", before
		}
		return auditAs(ctx, tx, actor, c)
	})
	return saved, changed, err
}

// writePlan inserts the year's plan, or replaces the one there (replace).
// Two first saves of a year at once: the second is a CONFLICT.
func writePlan(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, p plan.Plan, replace bool) (plan.Plan, error) {
	strata, err := json.Marshal(p.Strata)
	if err != nil {
		return plan.Plan{}, err
	}
	const insert = `
INSERT INTO plans (bureau_id, year, draws_per_year, min_draw_ratio_bp, min_coverage_bp, strata,
    focus_abnormal, focus_serious, focus_complaints, focus_penalty_months, publish_within_days, created_by)
VALUES ((SELECT app_bureau()), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING ` + planColumns
	const update = `
UPDATE plans SET draws_per_year = $2, min_draw_ratio_bp = $3, min_coverage_bp = $4, strata = $5,
    focus_abnormal = $6, focus_serious = $7, focus_complaints = $8, focus_penalty_months = $9,
    publish_within_days = $10, updated_at = now()
WHERE bureau_id = (SELECT app_bureau()) AND year = $1
RETURNING ` + planColumns
	args := []any{p.Year, p.DrawsPerYear, p.MinDrawRatioBP, p.MinCoverageBP, string(strata),
		p.Focus.AbnormalOperations, p.Focus.SeriousViolation, p.Focus.Complaints, p.Focus.PenaltyMonths, p.PublishWithinDays}
	var r planRow
	if replace {
		err = tx.GetContext(ctx, &r, update, args...)
	} else {
		err = tx.GetContext(ctx, &r, insert, append(args, actor.UserID)...)
	}
	if uniqueViolation(err) {
		return plan.Plan{}, errs.E(errs.Conflict, "the plan for %d was saved by someone else at the same time; read it and save again", p.Year)
	}
	if err != nil {
		return plan.Plan{}, err
	}
	return r.plan()
}

// samePlan reports whether the stored plan already says what p says.
func samePlan(stored, p plan.Plan) bool {
	return stored.DrawsPerYear == p.DrawsPerYear && stored.MinDrawRatioBP == p.MinDrawRatioBP &&
		stored.MinCoverageBP == p.MinCoverageBP && stored.Focus == p.Focus && maps.Equal(stored.Strata, p.Strata) &&
		stored.PublishWithinDays == p.PublishWithinDays
}

// rosterByStratum counts the acting bureau's active roster entries per
// stratum under the plan's focus rules at the instant.
func rosterByStratum(ctx context.Context, tx *sqlx.Tx, p plan.Plan, at time.Time) (plan.Counts, error) {
	w := &where{}
	stratum := stratumSQL(w, p, at)
	w.add("r.bureau_id = (SELECT app_bureau())")
	w.add("r.valid_to IS NULL")
	w.add("r.status = 'active'")
	q := `SELECT ` + stratum + ` AS stratum, count(*) AS n FROM roster_entries r WHERE ` + w.String() + `
GROUP BY 1 ORDER BY 1`
	return selectCounts(ctx, tx, q, w.args...)
}

func selectCounts(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (plan.Counts, error) {
	var rows []struct {
		Stratum string `db:"stratum"`
		N       int    `db:"n"`
	}
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	c := plan.Counts{}
	for _, r := range rows {
		c[r.Stratum] = r.N
	}
	return c, nil
}

// executedDraws are the year's executed draws the acting bureau took part
// in, led or joined ($1: the year), and drawn, their tasks whose entity is
// in the acting bureau's own active roster. A joint draw's frame holds the
// entities of every participant; an entity the bureau does not supervise
// is no part of its coverage (it would lift the figure past what the
// bureau inspected of its own roster).
const executedDraws = `
WITH mine AS (
    SELECT d.id, d.quarter, d.executed_at FROM draws d
    WHERE d.year = $1 AND d.status = 'executed'
      AND EXISTS (SELECT FROM draw_participants p WHERE p.draw_id = d.id AND p.bureau_id = (SELECT app_bureau()))),
drawn AS (
    SELECT t.draw_id, t.entity_code, t.stratum, m.quarter, m.executed_at FROM draw_task_strata t JOIN mine m ON m.id = t.draw_id
    WHERE EXISTS (SELECT FROM roster_entries r WHERE r.bureau_id = (SELECT app_bureau()) AND r.entity_code = t.entity_code
                    AND r.valid_to IS NULL AND r.status = 'active'))`

// Tally counts the acting bureau's year: its plan, its roster now, and the
// entities of its roster drawn by the year's executed draws it took part in.
func (s PlanStore) Tally(ctx context.Context, actor *authz.Actor, year int, at time.Time) (plan.Tally, error) {
	// Each drawn entity counts once, in the stratum of its latest draw.
	const covered = executedDraws + `
SELECT stratum, count(*) AS n FROM (
    SELECT DISTINCT ON (t.entity_code) t.stratum FROM drawn t
    ORDER BY t.entity_code, t.executed_at DESC NULLS LAST, t.draw_id DESC) latest
GROUP BY stratum ORDER BY stratum`
	const quarters = executedDraws + `
SELECT m.quarter, count(DISTINCT m.id) AS draws, count(DISTINCT t.entity_code) AS covered
FROM mine m LEFT JOIN drawn t ON t.draw_id = m.id
GROUP BY m.quarter ORDER BY m.quarter`
	var t plan.Tally
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		if t.Plan, err = planIn(ctx, tx, actor.BureauID, year); err != nil {
			return err
		}
		if t.Roster, err = rosterByStratum(ctx, tx, t.Plan, at); err != nil {
			return err
		}
		if t.Covered, err = selectCounts(ctx, tx, covered, year); err != nil {
			return err
		}
		var qs []struct {
			Quarter int `db:"quarter"`
			Draws   int `db:"draws"`
			Covered int `db:"covered"`
		}
		if err := tx.SelectContext(ctx, &qs, quarters, year); err != nil {
			return err
		}
		for _, q := range qs {
			t.Quarters[q.Quarter-1] = plan.QuarterTally{Draws: q.Draws, Covered: q.Covered}
		}
		return nil
	})
	return t, err
}
