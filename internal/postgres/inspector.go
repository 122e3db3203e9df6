package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// InspectorStore implements roster.InspectorStore: the inspector roster
// here, conflicts of interest in conflict.go.
type InspectorStore struct{ DB *DB }

// inspectorRow is a row of inspectors.
type inspectorRow struct {
	BureauID          int64          `db:"bureau_id"`
	ID                int64          `db:"id"`
	CertificateNumber string         `db:"certificate_number"`
	Name              string         `db:"name"`
	Unit              string         `db:"unit"`
	IssuedOn          *time.Time     `db:"issued_on"`
	ExpiresOn         time.Time      `db:"expires_on"`
	Qualifications    pq.StringArray `db:"qualifications"`
	Status            string         `db:"status"`
	UserID            *int64         `db:"user_id"`
	CreatedAt         time.Time      `db:"created_at"`
	UpdatedAt         time.Time      `db:"updated_at"`
	UpdatedBy         *int64         `db:"updated_by"`
	Version           int            `db:"version"`
	ValidTo           *time.Time     `db:"valid_to"` // of a version read from inspector_versions
}

const inspectorColumns = `i.bureau_id, i.id, i.certificate_number, i.name, i.unit, i.issued_on, i.expires_on,
	i.qualifications, i.status, i.user_id, i.created_at, i.updated_at, i.updated_by, i.version`

// inspectorVersions reads inspector_versions with the columns of
// inspectors (and valid_to), so that a query of the current roster reads
// it as of an instant by putting this in the place of "inspectors i".
// updated_at and updated_by are when the version took effect and who
// made it.
const inspectorVersions = `(SELECT v.bureau_id, v.inspector_id AS id, v.certificate_number, v.name, v.unit, v.issued_on,
    v.expires_on, v.qualifications, v.status, v.user_id, c.created_at, v.valid_from AS updated_at,
    v.changed_by AS updated_by, v.version, v.valid_from, v.valid_to
FROM inspector_versions v JOIN inspectors c ON c.bureau_id = v.bureau_id AND c.id = v.inspector_id) i`

func (r inspectorRow) inspector() roster.Inspector {
	return roster.Inspector{BureauID: r.BureauID, ID: r.ID, CertificateNumber: r.CertificateNumber, Name: r.Name,
		Unit: r.Unit, IssuedOn: r.IssuedOn, ExpiresOn: r.ExpiresOn, Qualifications: []string(r.Qualifications),
		Status: roster.InspectorStatus(r.Status), UserID: r.UserID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		UpdatedBy: r.UpdatedBy, Version: r.Version, ValidTo: r.ValidTo}
}

func inspectors(rows []inspectorRow) []roster.Inspector {
	out := make([]roster.Inspector, len(rows))
	for i, r := range rows {
		out[i] = r.inspector()
	}
	return out
}

// selectInspectors runs q, which selects inspectorColumns, in tx.
func selectInspectors(ctx context.Context, tx *sqlx.Tx, q string, args ...any) ([]roster.Inspector, error) {
	var rows []inspectorRow
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	return inspectors(rows), nil
}

// likeContaining is a LIKE pattern matching s anywhere, s taken literally.
func likeContaining(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// likePrefix is a LIKE pattern matching what starts with s, taken literally.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// ListInspectors returns a page of the acting bureau's inspectors by id.
func (s InspectorStore) ListInspectors(ctx context.Context, actor *authz.Actor, f roster.InspectorFilter, p page.Request) ([]roster.Inspector, error) {
	from, w := inspectorWhere(f)
	w.seek(p, false, "i.id", intKey)
	q := `SELECT ` + inspectorColumns + ` FROM ` + from + ` WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("i.id", false), p.Limit())
	var out []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectInspectors(ctx, tx, q, w.args...)
		return err
	})
	return out, err
}

// CountInspectors counts the acting bureau's inspectors matching f.
func (s InspectorStore) CountInspectors(ctx context.Context, actor *authz.Actor, f roster.InspectorFilter) (int, error) {
	from, w := inspectorWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM `+from+` WHERE `+w.String(), w.args...)
}

// inspectorWhere is the table (the versions for an as-of read) and the
// conditions of the filter.
func inspectorWhere(f roster.InspectorFilter) (string, *where) {
	w := &where{}
	w.add("i.bureau_id = (SELECT app_bureau())")
	if len(f.Statuses) > 0 {
		w.add("i.status = ANY(%s)", pq.Array(stringSlice(f.Statuses)))
	}
	if f.Unit != "" {
		w.add("i.unit = %s", f.Unit)
	}
	if f.Search != "" {
		w.add("(i.name ILIKE %s OR i.certificate_number LIKE %s)", likeContaining(f.Search), likePrefix(roster.NormalizeEntityCode(f.Search)))
	}
	if f.Qualification != "" {
		w.add("%s = ANY(i.qualifications)", f.Qualification)
	}
	if f.ExpiresBefore != nil {
		w.add("i.expires_on < %s::date", f.ExpiresBefore.Format(time.DateOnly))
	}
	from := "inspectors i"
	if f.AsOf != nil {
		from = inspectorVersions
		w.add("i.valid_from <= %s AND (i.valid_to IS NULL OR i.valid_to > %s)", *f.AsOf, *f.AsOf)
	}
	return from, w
}

// ExpiringCertificates returns a page of the acting bureau's active
// inspectors whose certificate expires before the day, soonest first.
func (s InspectorStore) ExpiringCertificates(ctx context.Context, actor *authz.Actor, before time.Time, p page.Request) ([]roster.Inspector, error) {
	w := expiringWhere(before)
	w.seek(p, false, "(i.expires_on, i.id)", pairKey)
	q := `SELECT ` + inspectorColumns + ` FROM inspectors i WHERE ` + w.String() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("i.expires_on, i.id", false), p.Limit())
	var out []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectInspectors(ctx, tx, q, w.args...)
		return err
	})
	return out, err
}

// CountExpiringCertificates counts the rows of ExpiringCertificates.
func (s InspectorStore) CountExpiringCertificates(ctx context.Context, actor *authz.Actor, before time.Time) (int, error) {
	w := expiringWhere(before)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM inspectors i WHERE `+w.String(), w.args...)
}

func expiringWhere(before time.Time) *where {
	w := &where{}
	w.add("i.bureau_id = (SELECT app_bureau())")
	w.add("i.status = 'active'")
	w.add("i.expires_on < %s::date", before.Format(time.DateOnly))
	return w
}

// InspectorsByID returns the acting bureau's inspectors with the ids.
func (s InspectorStore) InspectorsByID(ctx context.Context, actor *authz.Actor, ids []int64) ([]roster.Inspector, error) {
	q := `SELECT ` + inspectorColumns + ` FROM inspectors i
WHERE i.bureau_id = (SELECT app_bureau()) AND i.id = ANY($1) ORDER BY i.id`
	var out []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectInspectors(ctx, tx, q, pq.Array(ids))
		return err
	})
	return out, err
}

// InspectorHistory lists every version of the acting bureau's inspector,
// oldest first.
func (s InspectorStore) InspectorHistory(ctx context.Context, actor *authz.Actor, id int64, p page.Request) ([]roster.Inspector, error) {
	w := &where{}
	w.add("i.bureau_id = (SELECT app_bureau()) AND i.id = %s", id)
	w.seek(p, false, "i.version", intKey)
	q := `SELECT ` + inspectorColumns + `, i.valid_to FROM ` + inspectorVersions + `
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("i.version", false), p.Limit())
	var out []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectInspectors(ctx, tx, q, w.args...)
		return err
	})
	if err == nil && len(out) == 0 && p.After == "" && p.Before == "" {
		err = errs.NotFoundf("no inspector %d", id)
	}
	return out, err
}

// CountInspectorHistory counts the versions of the acting bureau's
// inspector.
func (s InspectorStore) CountInspectorHistory(ctx context.Context, actor *authz.Actor, id int64) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM inspector_versions WHERE bureau_id = (SELECT app_bureau()) AND inspector_id = $1`, id)
}

// DrawInspectorVersions returns the acting bureau's inspectors that a
// frozen draw drew from, each at the version the draw used, by id.
func (s InspectorStore) DrawInspectorVersions(ctx context.Context, actor *authz.Actor, drawID int64) ([]roster.Inspector, error) {
	q := `SELECT ` + inspectorColumns + `, i.valid_to FROM ` + inspectorVersions + `
JOIN draw_inspector_versions d ON d.inspector_bureau_id = i.bureau_id AND d.inspector_id = i.id AND d.version = i.version
WHERE d.draw_id = $1 AND i.bureau_id = (SELECT app_bureau()) ORDER BY i.id`
	var out []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectInspectors(ctx, tx, q, drawID)
		return err
	})
	return out, err
}

// lockInspectors serialises the writes of one bureau's inspector roster, so
// that a save and an import never both add one certificate number, and
// returns the time its versions take effect, read after the lock (see
// lockRoster).
func lockInspectors(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) (time.Time, error) {
	return lockList(ctx, tx, "inspectors:"+strconv.FormatInt(actor.BureauID, 10))
}

// SaveInspector adds or changes one inspector, writing nothing when the
// input matches what is there.
func (s InspectorStore) SaveInspector(ctx context.Context, actor *authz.Actor, in roster.InspectorInput) (roster.Inspector, bool, error) {
	var saved roster.Inspector
	var changed bool
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		at, err := lockInspectors(ctx, tx, actor)
		if err != nil {
			return err
		}
		before, err := inspectorToSave(ctx, tx, in)
		if err != nil {
			return err
		}
		if in, err = in.Over(before); err != nil {
			return err
		}
		var userID *int64
		if before != nil {
			userID = before.UserID
		}
		if in.Username != nil {
			if userID, err = memberID(ctx, tx, actor, *in.Username); err != nil {
				return err
			}
		}
		after, err := writeInspector(ctx, tx, actor, before, in, userID, at)
		if err != nil {
			return err
		}
		if after == nil {
			saved = *before
			return nil
		}
		saved, changed = *after, true
		c := audit.Change{Action: "inspector.update", ObjectType: "inspector", ObjectID: strconv.FormatInt(after.ID, 10), After: after}
		if before == nil {
			c.Action = "inspector.create"
		} else {
			c.Before = before
		}
		return auditAs(ctx, tx, actor, c)
	})
	return saved, changed, err
}

// inspectorToSave reads the inspector a save changes, locked: the one with
// the id, else the one holding the certificate number (nil when none).
func inspectorToSave(ctx context.Context, tx *sqlx.Tx, in roster.InspectorInput) (*roster.Inspector, error) {
	cond, arg := "i.certificate_number = $1", any(in.CertificateNumber)
	if in.ID != nil {
		cond, arg = "i.id = $1", *in.ID
	}
	list, err := selectInspectors(ctx, tx, `SELECT `+inspectorColumns+` FROM inspectors i
WHERE i.bureau_id = (SELECT app_bureau()) AND `+cond+` FOR UPDATE`, arg)
	switch {
	case err != nil:
		return nil, err
	case len(list) > 0:
		return &list[0], nil
	case in.ID != nil:
		return nil, errs.NotFoundf("no inspector %d", *in.ID)
	}
	return nil, nil
}

// memberID returns the id of the login to link, nil for "", and
// BAD_USER_INPUT when the user is no member of the acting bureau.
func memberID(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, username string) (*int64, error) {
	if username == "" {
		return nil, nil
	}
	var ids []int64
	const q = `SELECT u.id FROM users u
WHERE u.username = $1 AND EXISTS (SELECT FROM members m WHERE m.bureau_id = (SELECT app_bureau()) AND m.user_id = u.id)`
	if err := tx.SelectContext(ctx, &ids, q, username); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errs.InvalidField("input.username", "%s is not a member of %s: add them as a member first", username, actor.BureauCode)
	}
	return &ids[0], nil
}

// writeInspector inserts the inspector, or updates before when anything
// differs; it returns nil when nothing did.
func writeInspector(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, before *roster.Inspector, in roster.InspectorInput, userID *int64, at time.Time) (*roster.Inspector, error) {
	args := []any{in.CertificateNumber, in.Name, in.Unit, dateParam(in.IssuedOn), dateParam(&in.ExpiresOn),
		pq.Array(nonNil(in.Qualifications)), string(in.Status), userID, actor.UserID, at}
	q := `INSERT INTO inspectors AS i (bureau_id, certificate_number, name, unit, issued_on, expires_on, qualifications,
    status, user_id, updated_by, created_at, updated_at)
VALUES ((SELECT app_bureau()), $1, $2, $3, $4::date, $5::date, $6::text[], $7, $8, $9, $10, $10)
RETURNING ` + inspectorColumns
	if before != nil {
		args = append(args, before.ID)
		q = `UPDATE inspectors i SET certificate_number = $1, name = $2, unit = $3, issued_on = $4::date,
    expires_on = $5::date, qualifications = $6::text[], status = $7, user_id = $8, updated_by = $9,
    updated_at = greatest($10::timestamptz, i.updated_at)
WHERE i.bureau_id = (SELECT app_bureau()) AND i.id = $11
  AND (i.certificate_number, i.name, i.unit, i.issued_on, i.expires_on, i.qualifications, i.status, i.user_id)
      IS DISTINCT FROM ($1, $2, $3, $4::date, $5::date, $6::text[], $7, $8::bigint)
RETURNING ` + inspectorColumns
	}
	list, err := selectInspectors(ctx, tx, q, args...)
	if err := inspectorConflict(err, in); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	return &list[0], nil
}

// inspectorConflict turns a unique violation into a CONFLICT naming what
// is taken.
func inspectorConflict(err error, in roster.InspectorInput) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		return err
	}
	if pqErr.Constraint == "inspectors_user" {
		return errs.E(errs.Conflict, "login %s is linked to another inspector already", deref(in.Username))
	}
	return errs.E(errs.Conflict, "certificate number %s belongs to another inspector", in.CertificateNumber)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// dateParam passes a day as its text, so that no time zone shifts it.
func dateParam(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}

// nonNil makes a nil list the empty array the columns hold.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ExportInspectors returns every inspector of the acting bureau as file
// rows, by certificate number.
func (s InspectorStore) ExportInspectors(ctx context.Context, actor *authz.Actor) ([]roster.InspectorRow, error) {
	q := `SELECT ` + inspectorColumns + ` FROM inspectors i WHERE i.bureau_id = (SELECT app_bureau()) ORDER BY i.certificate_number`
	var list []roster.Inspector
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		list, err = selectInspectors(ctx, tx, q)
		return err
	})
	out := make([]roster.InspectorRow, len(list))
	for i, r := range list {
		out[i] = roster.InspectorRow{Name: r.Name, CertificateNumber: r.CertificateNumber, Unit: r.Unit,
			IssuedOn: r.IssuedOn, ExpiresOn: r.ExpiresOn, Qualifications: r.Qualifications, Status: r.Status}
	}
	return out, err
}

// ImportInspectors applies the rows in one transaction: they are copied
// into a staging table, then one statement updates the inspectors that
// changed and one adds the new, so cost grows with the file, not with
// round trips. Unchanged rows write nothing; logins stay linked. Each
// changed inspector's before and after goes to the audit trail, and the
// import itself once.
func (s InspectorStore) ImportInspectors(ctx context.Context, actor *authz.Actor, rows []roster.InspectorRow, meta roster.ImportMeta) (roster.ImportResult, error) {
	result := roster.ImportResult{Kind: roster.KindInspectors, Rows: len(rows), DryRun: meta.DryRun}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		at, err := lockInspectors(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := stageInspectors(ctx, tx, rows); err != nil {
			return err
		}
		if meta.Changes != nil {
			if err := streamChanges(ctx, tx, meta.Changes, inspectorChanges); err != nil {
				return err
			}
		}
		changes, err := applyStagedInspectors(ctx, tx, actor, at)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if c.Before == nil {
				result.Created++
			} else {
				result.Updated++
			}
		}
		result.Unchanged = len(rows) - len(changes)
		if meta.DryRun {
			return errDryRun
		}
		for _, c := range changes {
			if err := auditAs(ctx, tx, actor, c); err != nil {
				return err
			}
		}
		return auditAs(ctx, tx, actor, importChange(meta, result))
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return result, err
}

var inspectorStageColumns = []string{"line", "certificate_number", "name", "unit", "issued_on", "issued_given",
	"expires_on", "qualifications", "status"}

// stageInspectors copies the rows into a temporary table with COPY; a
// field the row does not give is NULL (issued_given for the date).
func stageInspectors(ctx context.Context, tx *sqlx.Tx, rows []roster.InspectorRow) error {
	const create = `CREATE TEMP TABLE inspector_stage (
    line int, certificate_number text PRIMARY KEY, name text, unit text, issued_on date, issued_given boolean,
    expires_on date, qualifications text[], status text
) ON COMMIT DROP`
	return stage(ctx, tx, create, "inspector_stage", inspectorStageColumns, len(rows), func(i int) []any {
		r := &rows[i]
		g := r.Given
		return []any{r.Row, r.CertificateNumber, r.Name, given(g.Has(roster.InspectorUnit), r.Unit),
			dateParam(r.IssuedOn), g.Has(roster.InspectorIssuedOn), dateParam(&r.ExpiresOn),
			given(g.Has(roster.InspectorQualifications), pq.Array(nonNil(r.Qualifications))),
			given(g.Has(roster.InspectorStatusField), string(r.Status))}
	})
}

// inspectorValues is each field of an inspector as a staged row s leaves
// it: what the row gives, else what inspector i has, else the default.
const inspectorValues = `s.name, coalesce(s.unit, i.unit, '') AS unit,
    CASE WHEN s.issued_given THEN s.issued_on ELSE i.issued_on END AS issued_on, s.expires_on,
    coalesce(s.qualifications, i.qualifications, '{}') AS qualifications, coalesce(s.status, i.status, 'active') AS status`

// inspectorChanges lists, per staged row, each field the import changes.
const inspectorChanges = `
SELECT s.line AS row, s.certificate_number AS key, d.field, coalesce(d.old, '') AS "from", coalesce(d.new, '') AS "to",
       coalesce(d.new, '') = '' AND coalesce(d.old, '') <> '' AS cleared
FROM inspector_stage s
LEFT JOIN inspectors i ON i.bureau_id = (SELECT app_bureau()) AND i.certificate_number = s.certificate_number
CROSS JOIN LATERAL (SELECT ` + inspectorValues + `) n
CROSS JOIN LATERAL (VALUES
    (1, 'name', i.name, n.name),
    (2, 'unit', i.unit, n.unit),
    (3, 'issued_on', i.issued_on::text, n.issued_on::text),
    (4, 'expires_on', i.expires_on::text, n.expires_on::text),
    (5, 'qualifications', array_to_string(i.qualifications, '、'), array_to_string(n.qualifications, '、')),
    (6, 'status', i.status, n.status)
) d(ord, field, old, new)
WHERE coalesce(d.old, '') IS DISTINCT FROM coalesce(d.new, '')
ORDER BY s.line, d.ord`

// applyStagedInspectors updates the inspectors the staged rows change and
// adds the new ones, returning one audit change per inspector written.
func applyStagedInspectors(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, at time.Time) ([]audit.Change, error) {
	const changedInspectors = `
SELECT i.id, ` + inspectorValues + `
FROM inspectors i JOIN inspector_stage s ON s.certificate_number = i.certificate_number
WHERE i.bureau_id = (SELECT app_bureau())`
	const differs = `(i.name, i.unit, i.issued_on, i.expires_on, i.qualifications, i.status) IS DISTINCT FROM
      (n.name, n.unit, n.issued_on, n.expires_on, n.qualifications, n.status)`
	beforeRows, err := selectInspectors(ctx, tx, `SELECT `+inspectorColumns+`
FROM inspectors i JOIN (`+changedInspectors+`) n ON n.id = i.id
WHERE i.bureau_id = (SELECT app_bureau()) AND `+differs+` ORDER BY i.id FOR UPDATE OF i`)
	if err != nil {
		return nil, fmt.Errorf("read changed inspectors: %w", err)
	}
	updated, err := selectInspectors(ctx, tx, `UPDATE inspectors i
SET name = n.name, unit = n.unit, issued_on = n.issued_on, expires_on = n.expires_on,
    qualifications = n.qualifications, status = n.status, updated_at = greatest($2::timestamptz, i.updated_at), updated_by = $1
FROM (`+changedInspectors+`) n
WHERE i.bureau_id = (SELECT app_bureau()) AND i.id = n.id AND `+differs+`
RETURNING `+inspectorColumns, userRef(actor), at)
	if err != nil {
		return nil, fmt.Errorf("update inspectors: %w", err)
	}
	created, err := selectInspectors(ctx, tx, `INSERT INTO inspectors AS i (bureau_id, certificate_number, name, unit,
    issued_on, expires_on, qualifications, status, updated_by, created_at, updated_at)
SELECT $1, s.certificate_number, s.name, coalesce(s.unit, ''), s.issued_on, s.expires_on, coalesce(s.qualifications, '{}'),
    coalesce(s.status, 'active'), $2, $3, $3
FROM inspector_stage s
WHERE NOT EXISTS (SELECT FROM inspectors x WHERE x.bureau_id = $1 AND x.certificate_number = s.certificate_number)
ORDER BY s.line
RETURNING `+inspectorColumns, actor.BureauID, userRef(actor), at)
	if err != nil {
		return nil, fmt.Errorf("add inspectors: %w", err)
	}
	byID := make(map[int64]roster.Inspector, len(beforeRows))
	for _, b := range beforeRows {
		byID[b.ID] = b
	}
	slices.SortFunc(updated, func(a, b roster.Inspector) int { return cmp.Compare(a.ID, b.ID) })
	changes := make([]audit.Change, 0, len(updated)+len(created))
	for _, after := range updated {
		before := byID[after.ID]
		changes = append(changes, audit.Change{Action: "inspector.import", ObjectType: "inspector",
			ObjectID: strconv.FormatInt(after.ID, 10), Before: before, After: after})
	}
	for _, after := range created {
		changes = append(changes, audit.Change{Action: "inspector.import", ObjectType: "inspector",
			ObjectID: strconv.FormatInt(after.ID, 10), After: after})
	}
	return changes, nil
}
