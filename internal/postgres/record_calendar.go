package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/workday"
)

// CalendarStore implements workday.Store: the admin's overrides of the
// State Council calendar, shared reference data of the deployment.
type CalendarStore struct{ DB *DB }

// Load returns every override and every year declared complete: two
// small tables, read in one statement.
func (s CalendarStore) Load(ctx context.Context) ([]workday.Override, []int, error) {
	var rows []struct {
		Day     *time.Time `db:"day"`
		Working bool       `db:"working"`
		Name    string     `db:"name"`
		Year    *int       `db:"year"`
	}
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		const q = `SELECT day, working, name, NULL::int AS year FROM workday_overrides
UNION ALL SELECT NULL, false, '', year FROM workday_years ORDER BY 1, 4`
		return tx.SelectContext(ctx, &rows, q)
	})
	var overrides []workday.Override
	var years []int
	for _, r := range rows {
		if r.Year != nil {
			years = append(years, *r.Year)
			continue
		}
		overrides = append(overrides, workday.Override{Day: *r.Day, Working: r.Working, Name: r.Name})
	}
	return overrides, years, err
}

// SetOverride inserts or replaces the override of a day.
func (s CalendarStore) SetOverride(ctx context.Context, actor *authz.Actor, o workday.Override) error {
	return s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var before []workday.Override
		if err := tx.SelectContext(ctx, &before, `SELECT day, working, name FROM workday_overrides WHERE day = $1 FOR UPDATE`, o.Day); err != nil {
			return err
		}
		const q = `INSERT INTO workday_overrides (day, working, name, changed_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (day) DO UPDATE SET working = $2, name = $3, changed_by = $4, changed_at = now()`
		if _, err := tx.ExecContext(ctx, q, o.Day, o.Working, o.Name, actor.UserID); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "calendar.override", ObjectType: "workday",
			ObjectID: o.Day.Format(time.DateOnly), Before: before, After: o})
	})
}

// RemoveOverride deletes the override of a day; NOT_FOUND when none.
func (s CalendarStore) RemoveOverride(ctx context.Context, actor *authz.Actor, day time.Time) error {
	return s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var o workday.Override
		err := tx.GetContext(ctx, &o, `DELETE FROM workday_overrides WHERE day = $1 RETURNING day, working, name`, day)
		if err != nil {
			return notFound(err, "no override on %s", day.Format(time.DateOnly))
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "calendar.override.remove", ObjectType: "workday",
			ObjectID: day.Format(time.DateOnly), Before: o})
	})
}

// SetYearComplete records or withdraws that a year's calendar is complete.
func (s CalendarStore) SetYearComplete(ctx context.Context, actor *authz.Actor, year int, complete bool, note string) error {
	return s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var q string
		args := []any{year}
		if complete {
			q = `INSERT INTO workday_years (year, note, changed_by) VALUES ($1, $2, $3)
ON CONFLICT (year) DO UPDATE SET note = $2, changed_by = $3, changed_at = now()`
			args = append(args, note, actor.UserID)
		} else {
			q = `DELETE FROM workday_years WHERE year = $1`
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFoundf("year %d is not declared complete", year)
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "calendar.year", ObjectType: "workday_year",
			ObjectID: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), After: map[string]any{"complete": complete, "note": note}})
	})
}
