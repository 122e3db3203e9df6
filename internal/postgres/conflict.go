package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// conflictRow is a row of conflicts with the entity's current name.
type conflictRow struct {
	BureauID    int64      `db:"bureau_id"`
	ID          int64      `db:"id"`
	InspectorID int64      `db:"inspector_id"`
	EntityCode  string     `db:"entity_code"`
	EntityName  string     `db:"entity_name"`
	Reason      string     `db:"reason"`
	DeclaredBy  string     `db:"declared_by"`
	RecordedBy  int64      `db:"recorded_by"`
	CreatedAt   time.Time  `db:"created_at"`
	WithdrawnAt *time.Time `db:"withdrawn_at"`
	WithdrawnBy *int64     `db:"withdrawn_by"`
}

// conflictsFrom reads conflicts (from: the table or a data-modifying WITH
// query, aliased c) with the current name of the entity in the acting
// bureau's region.
func conflictsFrom(from string) string {
	return `
SELECT c.bureau_id, c.id, c.inspector_id, c.entity_code, coalesce(e.name, '') AS entity_name, c.reason,
       c.declared_by, c.recorded_by, c.created_at, c.withdrawn_at, c.withdrawn_by
FROM ` + from + `
LEFT JOIN entities e ON e.region_code = (SELECT app_region()) AND e.code = c.entity_code AND e.valid_to IS NULL`
}

var conflictSelect = conflictsFrom("conflicts c")

func (r conflictRow) conflict() roster.Conflict {
	return roster.Conflict{BureauID: r.BureauID, ID: r.ID, InspectorID: r.InspectorID, EntityCode: r.EntityCode,
		EntityName: r.EntityName, Reason: r.Reason, DeclaredBy: roster.ConflictSource(r.DeclaredBy),
		RecordedBy: r.RecordedBy, CreatedAt: r.CreatedAt, WithdrawnAt: r.WithdrawnAt, WithdrawnBy: r.WithdrawnBy}
}

func selectConflicts(ctx context.Context, tx *sqlx.Tx, q string, args ...any) ([]roster.Conflict, error) {
	var rows []conflictRow
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make([]roster.Conflict, len(rows))
	for i, r := range rows {
		out[i] = r.conflict()
	}
	return out, nil
}

// ListConflicts returns a page of the acting bureau's conflicts by id.
func (s InspectorStore) ListConflicts(ctx context.Context, actor *authz.Actor, f roster.ConflictFilter, p page.Request) ([]roster.Conflict, error) {
	w := conflictWhere(f)
	w.seek(p, false, "c.id", intKey)
	q := conflictSelect + ` WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("c.id", false), p.Limit())
	var out []roster.Conflict
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectConflicts(ctx, tx, q, w.args...)
		return err
	})
	return out, err
}

// Conflict reads one of the acting bureau's conflicts, withdrawn or not.
func (s InspectorStore) Conflict(ctx context.Context, actor *authz.Actor, id int64) (roster.Conflict, error) {
	const q = ` WHERE c.bureau_id = (SELECT app_bureau()) AND c.id = $1`
	var out []roster.Conflict
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectConflicts(ctx, tx, conflictSelect+q, id)
		return err
	})
	if err == nil && len(out) == 0 {
		err = errs.NotFoundf("no conflict %d", id)
	}
	if err != nil {
		return roster.Conflict{}, err
	}
	return out[0], nil
}

// CountConflicts counts the acting bureau's conflicts matching f.
func (s InspectorStore) CountConflicts(ctx context.Context, actor *authz.Actor, f roster.ConflictFilter) (int, error) {
	w := conflictWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM conflicts c WHERE `+w.String(), w.args...)
}

func conflictWhere(f roster.ConflictFilter) *where {
	w := &where{}
	w.add("c.bureau_id = (SELECT app_bureau())")
	if f.InspectorID != 0 {
		w.add("c.inspector_id = %s", f.InspectorID)
	}
	if f.EntityCode != "" {
		w.add("c.entity_code = %s", f.EntityCode)
	}
	if !f.IncludeWithdrawn {
		w.add("c.withdrawn_at IS NULL")
	}
	return w
}

// DeclareConflict adds a conflict of the inspector linked to the actor.
func (s InspectorStore) DeclareConflict(ctx context.Context, actor *authz.Actor, in roster.ConflictInput) (roster.Conflict, error) {
	var c roster.Conflict
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var ids []int64
		const q = `SELECT id FROM inspectors WHERE bureau_id = (SELECT app_bureau()) AND user_id = $1`
		if err := tx.SelectContext(ctx, &ids, q, actor.UserID); err != nil {
			return err
		}
		if len(ids) == 0 {
			return errs.E(errs.Invalid, "no inspector of %s is linked to your login %s: ask an admin or planner to link it (saveInspector with your username)",
				actor.BureauCode, actor.Username)
		}
		in.InspectorID = ids[0]
		var err error
		c, err = addConflict(ctx, tx, actor, in, roster.DeclaredByInspector)
		return err
	})
	return c, err
}

// RecordConflict adds a conflict of one of the acting bureau's inspectors.
func (s InspectorStore) RecordConflict(ctx context.Context, actor *authz.Actor, in roster.ConflictInput) (roster.Conflict, error) {
	var c roster.Conflict
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var n int
		const q = `SELECT count(*) FROM inspectors WHERE bureau_id = (SELECT app_bureau()) AND id = $1`
		if err := tx.GetContext(ctx, &n, q, in.InspectorID); err != nil {
			return err
		}
		if n == 0 {
			return errs.NotFoundf("no inspector %d", in.InspectorID)
		}
		var err error
		c, err = addConflict(ctx, tx, actor, in, roster.DeclaredByAdmin)
		return err
	})
	return c, err
}

// addConflict checks that the entity is in the region and that the
// inspector has no open conflict with it, adds the conflict and audits it.
func addConflict(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, in roster.ConflictInput, by roster.ConflictSource) (roster.Conflict, error) {
	var n int
	const entity = `SELECT count(*) FROM entities WHERE region_code = (SELECT app_region()) AND code = $1 AND valid_to IS NULL`
	if err := tx.GetContext(ctx, &n, entity, in.EntityCode); err != nil {
		return roster.Conflict{}, err
	}
	if n == 0 {
		return roster.Conflict{}, errs.InvalidField("input.entityCode", "no entity %s in region %s", in.EntityCode, actor.RegionCode)
	}
	open, err := selectConflicts(ctx, tx, conflictSelect+`
WHERE c.bureau_id = (SELECT app_bureau()) AND c.inspector_id = $1 AND c.entity_code = $2 AND c.withdrawn_at IS NULL`,
		in.InspectorID, in.EntityCode)
	if err != nil {
		return roster.Conflict{}, err
	}
	if len(open) > 0 {
		return roster.Conflict{}, errs.E(errs.Conflict, "inspector %d has an open conflict with %s already (conflict %d)",
			in.InspectorID, in.EntityCode, open[0].ID)
	}
	ins := `
WITH added AS (
    INSERT INTO conflicts (bureau_id, inspector_id, entity_code, reason, declared_by, recorded_by)
    VALUES ((SELECT app_bureau()), $1, $2, $3, $4, $5)
    RETURNING *)` + conflictsFrom("added c")
	added, err := selectConflicts(ctx, tx, ins, in.InspectorID, in.EntityCode, in.Reason, string(by), actor.UserID)
	if uniqueViolation(err) {
		return roster.Conflict{}, errs.E(errs.Conflict, "inspector %d has an open conflict with %s already", in.InspectorID, in.EntityCode)
	}
	if err != nil {
		return roster.Conflict{}, err
	}
	c := added[0]
	action := "conflict.record"
	if by == roster.DeclaredByInspector {
		action = "conflict.declare"
	}
	return c, auditAs(ctx, tx, actor, audit.Change{Action: action, ObjectType: "conflict", ObjectID: strconv.FormatInt(c.ID, 10), After: c})
}

// WithdrawConflict closes an open conflict of the acting bureau.
func (s InspectorStore) WithdrawConflict(ctx context.Context, actor *authz.Actor, id int64) (roster.Conflict, error) {
	var after roster.Conflict
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		list, err := selectConflicts(ctx, tx, conflictSelect+` WHERE c.bureau_id = (SELECT app_bureau()) AND c.id = $1 FOR UPDATE OF c`, id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return errs.NotFoundf("no conflict %d", id)
		}
		before := list[0]
		if before.WithdrawnAt != nil {
			return errs.E(errs.Conflict, "conflict %d was withdrawn already, on %s", id, before.WithdrawnAt.Format("2006-01-02 15:04"))
		}
		upd := `
WITH withdrawn AS (
    UPDATE conflicts SET withdrawn_at = now(), withdrawn_by = $2
    WHERE bureau_id = (SELECT app_bureau()) AND id = $1
    RETURNING *)` + conflictsFrom("withdrawn c")
		list, err = selectConflicts(ctx, tx, upd, id, actor.UserID)
		if err != nil {
			return err
		}
		after = list[0]
		return auditAs(ctx, tx, actor, audit.Change{Action: "conflict.withdraw", ObjectType: "conflict",
			ObjectID: strconv.FormatInt(id, 10), Before: before, After: after})
	})
	return after, err
}
