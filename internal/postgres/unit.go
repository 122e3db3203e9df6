package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/roster"
)

// UnitStore implements roster.UnitStore.
type UnitStore struct{ DB *DB }

type unitRow struct {
	roster.Unit
	Aliases pq.StringArray `db:"aliases"`
}

func (r unitRow) unit() roster.Unit {
	u := r.Unit
	u.Aliases = append([]string{}, r.Aliases...)
	return u
}

// Units lists the acting bureau's units by code.
func (s UnitStore) Units(ctx context.Context, actor *authz.Actor) ([]roster.Unit, error) {
	var rows []unitRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT code, name, aliases FROM units WHERE bureau_id = (SELECT app_bureau()) ORDER BY code`)
	})
	out := make([]roster.Unit, len(rows))
	for i, r := range rows {
		out[i] = r.unit()
	}
	return out, err
}

// SaveUnit adds a unit or changes its name and aliases. Every spelling
// (code, name, aliases) names one unit only: CONFLICT otherwise.
func (s UnitStore) SaveUnit(ctx context.Context, actor *authz.Actor, u roster.Unit) (roster.Unit, error) {
	var saved roster.Unit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		spellings := append([]string{u.Code, u.Name}, u.Aliases...)
		var other string
		const clash = `SELECT code FROM units WHERE bureau_id = (SELECT app_bureau()) AND code <> $1
  AND (code = ANY($2) OR name = ANY($2) OR aliases && $2) ORDER BY code LIMIT 1`
		err := tx.GetContext(ctx, &other, clash, u.Code, pq.Array(spellings))
		if err == nil {
			return errs.E(errs.Conflict, "unit %s already goes by one of %v: one spelling names one unit", other, spellings)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var before []unitRow
		if err := tx.SelectContext(ctx, &before, `SELECT code, name, aliases FROM units WHERE bureau_id = (SELECT app_bureau()) AND code = $1`, u.Code); err != nil {
			return err
		}
		const upsert = `INSERT INTO units (bureau_id, code, name, aliases, created_by) VALUES ((SELECT app_bureau()), $1, $2, $3, $4)
ON CONFLICT (bureau_id, code) DO UPDATE SET name = EXCLUDED.name, aliases = EXCLUDED.aliases
RETURNING code, name, aliases`
		var row unitRow
		if err := tx.GetContext(ctx, &row, upsert, u.Code, u.Name, pq.Array(u.Aliases), actor.UserID); err != nil {
			return err
		}
		saved = row.unit()
		change := audit.Change{Action: "unit.save", ObjectType: "unit", ObjectID: u.Code, After: saved}
		if len(before) > 0 {
			change.Before = before[0].unit()
		}
		return auditAs(ctx, tx, actor, change)
	})
	if uniqueViolation(err) {
		return roster.Unit{}, errs.E(errs.Conflict, "another unit is named %s", u.Name)
	}
	return saved, err
}
