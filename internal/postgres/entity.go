package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// EntityStore implements roster.EntityStore.
type EntityStore struct{ DB *DB }

// asOf is the condition selecting the version of alias's table valid at t,
// or the current version when t is nil.
func asOf(w *where, alias string, t *time.Time) {
	if t == nil {
		w.add(alias + ".valid_to IS NULL")
		return
	}
	w.add(fmt.Sprintf("%[1]s.valid_from <= %%s AND (%[1]s.valid_to IS NULL OR %[1]s.valid_to > %%s)", alias), *t, *t)
}

const entityColumns = `e.region_code AS "entity.region_code", e.code AS "entity.code", e.code_kind AS "entity.code_kind",
	e.name AS "entity.name", e.legal_representative AS "entity.legal_representative", e.address AS "entity.address",
	e.version AS "entity.version", e.valid_from AS "entity.valid_from"`

const entryColumns = `r.bureau_id, r.entity_code, r.version, r.entity_type, r.licence_type, r.licence_number, r.unit,
	r.status, r.status_since, r.risk_class, r.risk_class_since, r.abnormal_operations, r.abnormal_operations_since,
	r.serious_violation, r.serious_violation_since, r.complaints, r.complaints_since, r.last_penalty_date,
	r.valid_from, r.valid_to, r.changed_by`

// prefixed names each entry column "entry.x" for scanning into RosterEntity.
const entryColumnsAsEntry = `r.bureau_id AS "entry.bureau_id", r.entity_code AS "entry.entity_code", r.version AS "entry.version",
	r.entity_type AS "entry.entity_type", r.licence_type AS "entry.licence_type", r.licence_number AS "entry.licence_number",
	r.unit AS "entry.unit", r.status AS "entry.status", r.status_since AS "entry.status_since",
	r.risk_class AS "entry.risk_class", r.risk_class_since AS "entry.risk_class_since",
	r.abnormal_operations AS "entry.abnormal_operations", r.abnormal_operations_since AS "entry.abnormal_operations_since",
	r.serious_violation AS "entry.serious_violation", r.serious_violation_since AS "entry.serious_violation_since",
	r.complaints AS "entry.complaints", r.complaints_since AS "entry.complaints_since",
	r.last_penalty_date AS "entry.last_penalty_date", r.valid_from AS "entry.valid_from", r.valid_to AS "entry.valid_to",
	r.changed_by AS "entry.changed_by"`

// rosterWhere builds the conditions of a roster query over entries r
// joined to entities e, in the acting bureau, as of f.AsOf.
func rosterWhere(f roster.EntityFilter) *where {
	w := &where{}
	w.add("r.bureau_id = (SELECT app_bureau())")
	asOf(w, "r", f.AsOf)
	asOf(w, "e", f.AsOf)
	if len(f.Statuses) > 0 {
		w.add("r.status = ANY(%s)", pq.Array(stringSlice(f.Statuses)))
	}
	if len(f.RiskClasses) > 0 {
		w.add("r.risk_class = ANY(%s)", pq.Array(stringSlice(f.RiskClasses)))
	}
	if f.EntityType != "" {
		w.add("r.entity_type = %s", f.EntityType)
	}
	if f.Unit != "" {
		w.add("r.unit = %s", f.Unit)
	}
	if f.Search != "" {
		w.add("(e.name ILIKE '%%' || %s || '%%' OR r.entity_code LIKE upper(%s) || '%%')", f.Search, f.Search)
	}
	if f.Focus != nil {
		cond := focusCondition(w, f)
		if !*f.Focus {
			cond = "NOT " + cond
		}
		w.add(cond)
	}
	return w
}

// focusCondition is true for entries on any focus list at the filter's
// time: abnormal operations, serious violation, many complaints, or a
// penalty within the window.
func focusCondition(w *where, f roster.EntityFilter) string {
	at := time.Now()
	if f.AsOf != nil {
		at = *f.AsOf
	}
	since := w.param(at.Add(-f.FocusPenalty))
	return fmt.Sprintf("(r.abnormal_operations OR r.serious_violation OR r.complaints >= %d OR r.last_penalty_date > %s::timestamptz)",
		roster.FocusComplaints, since)
}

// ListEntities returns a page of the acting bureau's roster.
func (s EntityStore) ListEntities(ctx context.Context, actor *authz.Actor, f roster.EntityFilter, p page.Request) ([]roster.RosterEntity, error) {
	w := rosterWhere(f)
	if after, _ := p.Key(); after != "" {
		w.add("r.entity_code > %s", after)
	}
	q := `SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY r.entity_code LIMIT %d`, p.Limit())
	var rows []roster.RosterEntity
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, q, w.args...)
	})
	return rows, err
}

// CountEntities totals the acting bureau's roster matching f.
func (s EntityStore) CountEntities(ctx context.Context, actor *authz.Actor, f roster.EntityFilter) (roster.Counts, error) {
	w := rosterWhere(f)
	focus := focusCondition(w, f)
	q := `SELECT r.status, r.risk_class, count(*) AS n, count(*) FILTER (WHERE ` + focus + `) AS focus
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE ` + w.String() + ` GROUP BY r.status, r.risk_class ORDER BY 1, 2`
	var groups []struct {
		Status    roster.Status    `db:"status"`
		RiskClass roster.RiskClass `db:"risk_class"`
		N         int              `db:"n"`
		Focus     int              `db:"focus"`
	}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &groups, q, w.args...)
	})
	c := roster.Counts{ByStatus: map[roster.Status]int{}, ByRiskClass: map[roster.RiskClass]int{}}
	for _, g := range groups {
		c.Total += g.N
		c.Focus += g.Focus
		c.ByStatus[g.Status] += g.N
		c.ByRiskClass[g.RiskClass] += g.N
	}
	return c, err
}

// EntityByCode returns the region's entity as of t.
func (s EntityStore) EntityByCode(ctx context.Context, actor *authz.Actor, code string, t *time.Time) (roster.Entity, error) {
	w := &where{}
	w.add("e.region_code = (SELECT app_region())")
	w.add("e.code = %s", code)
	asOf(w, "e", t)
	q := `SELECT e.region_code, e.code, e.code_kind, e.name, e.legal_representative, e.address, e.version, e.valid_from
FROM entities e WHERE ` + w.String()
	e := roster.Entity{AsOf: t}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &e, q, w.args...) })
	return e, notFound(err, "no entity %s in region %s", code, actor.RegionCode)
}

// EntriesOf returns the entries of the entities that row-level security
// lets the actor see.
func (s EntityStore) EntriesOf(ctx context.Context, actor *authz.Actor, codes []string, t *time.Time) ([]roster.Entry, error) {
	w := &where{}
	w.add("r.region_code = (SELECT app_region())")
	w.add("r.entity_code = ANY(%s)", pq.Array(codes))
	asOf(w, "r", t)
	q := `SELECT ` + entryColumns + ` FROM roster_entries r WHERE ` + w.String() + ` ORDER BY r.entity_code, r.bureau_id`
	var entries []roster.Entry
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &entries, q, w.args...) })
	return entries, err
}

// EntryHistory lists every version of the acting bureau's entry.
func (s EntityStore) EntryHistory(ctx context.Context, actor *authz.Actor, code string) ([]roster.Entry, error) {
	q := `SELECT ` + entryColumns + ` FROM roster_entries r
WHERE r.bureau_id = (SELECT app_bureau()) AND r.entity_code = $1 ORDER BY r.version`
	var entries []roster.Entry
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &entries, q, code) })
	return entries, err
}

// ExportEntities returns the acting bureau's roster as file rows.
func (s EntityStore) ExportEntities(ctx context.Context, actor *authz.Actor, t *time.Time) ([]roster.EntityRow, error) {
	w := rosterWhere(roster.EntityFilter{AsOf: t})
	q := `SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE ` + w.String() + ` ORDER BY r.entity_code`
	var rows []roster.RosterEntity
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, w.args...) })
	out := make([]roster.EntityRow, len(rows))
	for i, r := range rows {
		out[i] = fileRow(r)
	}
	return out, err
}

func fileRow(r roster.RosterEntity) roster.EntityRow {
	kind := roster.CodeUSCC
	if r.Entity.CodeKind == roster.CodeRegistrationNumber.String() {
		kind = roster.CodeRegistrationNumber
	}
	return roster.EntityRow{
		Code: r.Entity.Code, CodeKind: kind, Name: r.Entity.Name, LegalRepresentative: r.Entity.LegalRepresentative,
		Address: r.Entity.Address, Type: r.Entry.EntityType, LicenceType: r.Entry.LicenceType,
		LicenceNumber: r.Entry.LicenceNumber, Unit: r.Entry.Unit, RiskClass: r.Entry.RiskClass, Status: r.Entry.Status,
		AbnormalOperations: r.Entry.AbnormalOperations, SeriousViolation: r.Entry.SeriousViolation,
		Complaints: r.Entry.Complaints, LastPenaltyDate: r.Entry.LastPenaltyDate,
	}
}

// errDryRun rolls a dry run's transaction back after it has counted.
var errDryRun = errors.New("dry run")

// ImportEntities applies the rows in one transaction: the rows are copied
// into a staging table, then a few set-based statements close the versions
// that changed and add the new ones, so cost grows with the file, not with
// round trips. Unchanged rows write nothing.
func (s EntityStore) ImportEntities(ctx context.Context, actor *authz.Actor, rows []roster.EntityRow, meta roster.ImportMeta) (roster.ImportResult, error) {
	result := roster.ImportResult{Kind: roster.KindEntities, Rows: len(rows), DryRun: meta.DryRun}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if err := lockRoster(ctx, tx, actor); err != nil {
			return err
		}
		if err := stageEntities(ctx, tx, rows); err != nil {
			return err
		}
		touched, created, err := applyStagedEntities(ctx, tx, actor)
		if err != nil {
			return err
		}
		result.Created, result.Updated, result.Unchanged = created, touched-created, len(rows)-touched
		if meta.DryRun {
			return errDryRun
		}
		return auditAs(ctx, tx, actor, importChange(meta, result))
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return result, err
}

// lockRoster serialises imports of one region's entities, so concurrent
// imports cannot both add version 1 of an entity.
func lockRoster(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('roster:' || $1))`, actor.RegionCode)
	return err
}

func importChange(meta roster.ImportMeta, r roster.ImportResult) audit.Change {
	return audit.Change{Action: "roster.import", ObjectType: "roster", ObjectID: r.Kind.String(),
		After: map[string]any{"file": meta.Filename, "sha256": meta.SHA256, "rows": r.Rows,
			"created": r.Created, "updated": r.Updated, "unchanged": r.Unchanged}}
}

var stageColumns = []string{"code", "code_kind", "name", "legal_representative", "address", "entity_type",
	"licence_type", "licence_number", "unit", "risk_class", "status", "abnormal_operations",
	"serious_violation", "complaints", "last_penalty_date"}

// stageEntities copies the rows into a temporary table with COPY.
func stageEntities(ctx context.Context, tx *sqlx.Tx, rows []roster.EntityRow) error {
	const create = `CREATE TEMP TABLE entity_stage (
    code text PRIMARY KEY, code_kind text, name text, legal_representative text, address text,
    entity_type text, licence_type text, licence_number text, unit text, risk_class text, status text,
    abnormal_operations boolean, serious_violation boolean, complaints int, last_penalty_date date
) ON COMMIT DROP`
	return stage(ctx, tx, create, "entity_stage", stageColumns, len(rows), func(i int) []any {
		r := rows[i]
		status := r.Status
		if status == "" {
			status = roster.StatusActive
		}
		return []any{r.Code, r.CodeKind.String(), r.Name, r.LegalRepresentative, r.Address, r.Type,
			r.LicenceType, r.LicenceNumber, r.Unit, string(r.RiskClass), string(status), r.AbnormalOperations,
			r.SeriousViolation, r.Complaints, r.LastPenaltyDate}
	})
}

// applyStagedEntities writes new versions of what changed and reports how
// many entities were touched and how many entries were created.
func applyStagedEntities(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) (touched, created int, err error) {
	changed := map[string]bool{}
	var codes []string
	// An empty shared field in the file keeps what the region already has:
	// one bureau's file without addresses must not erase another's.
	const closeEntities = `
UPDATE entities e SET valid_to = now()
FROM entity_stage s
WHERE e.region_code = $1 AND e.code = s.code AND e.valid_to IS NULL
  AND (e.code_kind, e.name, e.legal_representative, e.address) IS DISTINCT FROM
      (s.code_kind, s.name, coalesce(nullif(s.legal_representative, ''), e.legal_representative),
       coalesce(nullif(s.address, ''), e.address))
RETURNING e.code`
	if err := tx.SelectContext(ctx, &codes, closeEntities, actor.RegionCode); err != nil {
		return 0, 0, fmt.Errorf("close entity versions: %w", err)
	}
	for _, c := range codes {
		changed[c] = true
	}
	// The latest version of each staged entity, found by joins rather than
	// a lookup per row, so the cost stays linear however stale the
	// planner's statistics of a fast-growing table are.
	const addEntities = `
WITH last AS (
    SELECT DISTINCT ON (e.code) e.code, e.version, e.legal_representative, e.address, e.valid_to
    FROM entities e JOIN entity_stage s ON s.code = e.code
    WHERE e.region_code = $1
    ORDER BY e.code, e.version DESC)
INSERT INTO entities (region_code, code, version, code_kind, name, legal_representative, address, valid_from, changed_by, changed_in)
SELECT $1, s.code, coalesce(l.version, 0) + 1, s.code_kind, s.name,
       coalesce(nullif(s.legal_representative, ''), l.legal_representative, ''),
       coalesce(nullif(s.address, ''), l.address, ''), now(), $2, $3
FROM entity_stage s LEFT JOIN last l ON l.code = s.code
WHERE l.code IS NULL OR l.valid_to IS NOT NULL`
	if _, err := tx.ExecContext(ctx, addEntities, actor.RegionCode, userRef(actor), actor.BureauID); err != nil {
		return 0, 0, fmt.Errorf("add entity versions: %w", err)
	}
	entryCodes, created, err := applyStagedEntries(ctx, tx, actor)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range entryCodes {
		changed[c] = true
	}
	return len(changed), created, nil
}

// applyStagedEntries closes the bureau's entries that changed and adds
// their next versions; a flag's date is kept while the flag stays as it was.
func applyStagedEntries(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) ([]string, int, error) {
	const closeEntries = `
UPDATE roster_entries r SET valid_to = now()
FROM entity_stage s
WHERE r.bureau_id = $1 AND r.entity_code = s.code AND r.valid_to IS NULL
  AND (r.entity_type, r.licence_type, r.licence_number, r.unit, r.status, r.risk_class,
       r.abnormal_operations, r.serious_violation, r.complaints, r.last_penalty_date) IS DISTINCT FROM
      (s.entity_type, s.licence_type, s.licence_number, s.unit, s.status, s.risk_class,
       s.abnormal_operations, s.serious_violation, s.complaints, s.last_penalty_date)`
	if _, err := tx.ExecContext(ctx, closeEntries, actor.BureauID); err != nil {
		return nil, 0, fmt.Errorf("close entry versions: %w", err)
	}
	const addEntries = `
WITH today AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d),
last AS (
    SELECT DISTINCT ON (r.entity_code) r.*
    FROM roster_entries r JOIN entity_stage s ON s.code = r.entity_code
    WHERE r.bureau_id = $1
    ORDER BY r.entity_code, r.version DESC)
INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, entity_type, licence_type, licence_number,
    unit, status, status_since, risk_class, risk_class_since, abnormal_operations, abnormal_operations_since,
    serious_violation, serious_violation_since, complaints, complaints_since, last_penalty_date, valid_from, changed_by)
SELECT $1, $2, s.code, coalesce(l.version, 0) + 1, s.entity_type, s.licence_type, s.licence_number, s.unit,
    s.status, CASE WHEN l.status = s.status THEN l.status_since ELSE today.d END,
    s.risk_class, CASE WHEN s.risk_class = '' THEN NULL
                       WHEN l.risk_class = s.risk_class THEN l.risk_class_since ELSE today.d END,
    s.abnormal_operations, CASE WHEN NOT s.abnormal_operations THEN NULL
                                WHEN l.abnormal_operations THEN l.abnormal_operations_since ELSE today.d END,
    s.serious_violation, CASE WHEN NOT s.serious_violation THEN NULL
                              WHEN l.serious_violation THEN l.serious_violation_since ELSE today.d END,
    s.complaints, CASE WHEN s.complaints = 0 THEN NULL
                       WHEN l.complaints = s.complaints THEN l.complaints_since ELSE today.d END,
    s.last_penalty_date, now(), $3
FROM entity_stage s CROSS JOIN today
LEFT JOIN last l ON l.entity_code = s.code
WHERE l.entity_code IS NULL OR l.valid_to IS NOT NULL
RETURNING entity_code, version`
	var added []struct {
		Code    string `db:"entity_code"`
		Version int    `db:"version"`
	}
	if err := tx.SelectContext(ctx, &added, addEntries, actor.BureauID, actor.RegionCode, userRef(actor)); err != nil {
		return nil, 0, fmt.Errorf("add entry versions: %w", err)
	}
	codes, created := make([]string, len(added)), 0
	for i, a := range added {
		codes[i] = a.Code
		if a.Version == 1 {
			created++
		}
	}
	return codes, created, nil
}

// stringSlice converts a slice of a string type for pq.Array.
func stringSlice[T ~string](s []T) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}
