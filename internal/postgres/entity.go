package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
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
	var list []roster.RosterEntity
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var rows *sql.Rows
		var err error
		if st, args, ok := s.DB.rosterPageStatement(ctx, tx, f, p); ok {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			w := rosterWhere(f)
			w.seek(p, false, "r.entity_code", textKey)
			q := `SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("r.entity_code", false), p.Limit())
			rows, err = tx.QueryContext(ctx, q, w.args...)
		}
		if err == nil {
			list, err = scanRosterRows(rows, p.Limit())
		}
		return err
	})
	return list, err
}

// scanRosterRows reads rows of entityColumns then entryColumnsAsEntry, in
// that order, and closes rows. A roster page is scanned column by column
// into its rows, without sqlx's reflection: sqlx mapped every column by
// name and allocated each pointer field of every row, NULL or not, which
// was a third of the Go CPU of serving a page of 50.
func scanRosterRows(rows *sql.Rows, capacity int) ([]roster.RosterEntity, error) {
	defer rows.Close()
	var list []roster.RosterEntity // nil for no rows, as sqlx left it
	for rows.Next() {
		if list == nil {
			list = make([]roster.RosterEntity, 0, capacity)
		}
		list = append(list, roster.RosterEntity{})
		e, r := &list[len(list)-1].Entity, &list[len(list)-1].Entry
		err := rows.Scan(&e.RegionCode, &e.Code, &e.CodeKind, &e.Name, &e.LegalRepresentative, &e.Address, &e.Version, &e.ValidFrom,
			&r.BureauID, &r.EntityCode, &r.Version, &r.EntityType, &r.LicenceType, &r.LicenceNumber, &r.Unit,
			&r.Status, &r.StatusSince, &r.RiskClass, &r.RiskClassSince, &r.AbnormalOperations, &r.AbnormalOperationsSince,
			&r.SeriousViolation, &r.SeriousViolationSince, &r.Complaints, &r.ComplaintsSince, &r.LastPenaltyDate,
			&r.ValidFrom, &r.ValidTo, &r.ChangedBy)
		if err != nil {
			return nil, err
		}
	}
	return list, rows.Err()
}

// rosterPageStatement returns the prepared statement, and its arguments,
// of the roster's usual view, the current roster unfiltered paged forward:
// what rosterWhere and seek build for it, prepared once per connection.
// ok is false for any other view, built per request.
func (db *DB) rosterPageStatement(ctx context.Context, tx *sqlx.Tx, f roster.EntityFilter, p page.Request) (st *sqlx.Stmt, args []any, ok bool) {
	unfiltered := len(f.Statuses) == 0 && len(f.RiskClasses) == 0 && f.EntityType == "" && f.Unit == "" &&
		f.Focus == nil && f.Search == "" && f.AsOf == nil
	if !unfiltered || p.Backward() || p.Before != "" {
		return nil, nil, false
	}
	if after, _ := p.AfterKey(); after != "" {
		return db.prepared(ctx, tx, rosterNextPageQuery), []any{after, p.Limit()}, true
	}
	return db.prepared(ctx, tx, rosterFirstPageQuery), []any{p.Limit()}, true
}

// The roster's usual pages, their LIMIT a genericLimit so that they keep
// one plan per connection. A later page also bounds the entities' side of
// the join by the cursor (e.code = r.entity_code): without it the merge
// join read the entities from the start of the region.
var (
	rosterFirstPageQuery = prepare(`SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE r.bureau_id = (SELECT app_bureau()) AND r.valid_to IS NULL AND e.valid_to IS NULL
ORDER BY r.entity_code LIMIT ` + genericLimit(1))
	rosterNextPageQuery = prepare(`SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE r.bureau_id = (SELECT app_bureau()) AND r.valid_to IS NULL AND e.valid_to IS NULL
  AND r.entity_code > $1 AND e.code > $1
ORDER BY r.entity_code LIMIT ` + genericLimit(2))
)

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

// RosterEntity returns the entity and the acting bureau's current entry.
func (s EntityStore) RosterEntity(ctx context.Context, actor *authz.Actor, code string) (roster.RosterEntity, error) {
	w := rosterWhere(roster.EntityFilter{})
	w.add("r.entity_code = %s", code)
	q := `SELECT ` + entityColumns + `, ` + entryColumnsAsEntry + `
FROM roster_entries r JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code
WHERE ` + w.String()
	var row roster.RosterEntity
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &row, q, w.args...) })
	return row, notFound(err, "no entity %s on the roster of %s", code, actor.BureauCode)
}

// EntityHistory lists every version of the region's entity, oldest first.
func (s EntityStore) EntityHistory(ctx context.Context, actor *authz.Actor, code string, p page.Request) ([]roster.Entity, error) {
	w := &where{}
	w.add("e.region_code = (SELECT app_region()) AND e.code = %s", code)
	w.seek(p, false, "e.version", intKey)
	q := `SELECT e.region_code, e.code, e.code_kind, e.name, e.legal_representative, e.address, e.version,
    e.valid_from, e.valid_to, e.changed_by, e.changed_in
FROM entities e WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("e.version", false), p.Limit())
	var out []roster.Entity
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &out, q, w.args...) })
	if err == nil && len(out) == 0 && p.After == "" && p.Before == "" {
		err = errs.NotFoundf("no entity %s in region %s", code, actor.RegionCode)
	}
	return out, err
}

// CountEntityHistory counts the versions of the region's entity.
func (s EntityStore) CountEntityHistory(ctx context.Context, actor *authz.Actor, code string) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM entities WHERE region_code = (SELECT app_region()) AND code = $1`, code)
}

// EntryHistory lists a page of the versions of the acting bureau's entry.
func (s EntityStore) EntryHistory(ctx context.Context, actor *authz.Actor, code string, p page.Request) ([]roster.Entry, error) {
	w := &where{}
	w.add("r.bureau_id = (SELECT app_bureau()) AND r.entity_code = %s", code)
	w.seek(p, false, "r.version", intKey)
	q := `SELECT ` + entryColumns + ` FROM roster_entries r
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("r.version", false), p.Limit())
	var entries []roster.Entry
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &entries, q, w.args...) })
	return entries, err
}

// CountEntryHistory counts the versions of the acting bureau's entry.
func (s EntityStore) CountEntryHistory(ctx context.Context, actor *authz.Actor, code string) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM roster_entries WHERE bureau_id = (SELECT app_bureau()) AND entity_code = $1`, code)
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
// round trips. Unchanged rows write nothing; a field a row does not give
// is staged as NULL and keeps what the roster has.
func (s EntityStore) ImportEntities(ctx context.Context, actor *authz.Actor, rows []roster.EntityRow, meta roster.ImportMeta) (roster.ImportResult, error) {
	var result roster.ImportResult
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		result = roster.ImportResult{Kind: roster.KindEntities, Rows: len(rows), DryRun: meta.DryRun}
		at, err := lockRoster(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := stageEntities(ctx, tx, rows); err != nil {
			return err
		}
		if meta.Changes != nil {
			if err := streamEntityChanges(ctx, tx, actor, meta.Changes); err != nil {
				return err
			}
		}
		touched, created, err := applyStagedEntities(ctx, tx, actor, at)
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

// lockRoster serialises the writes of one region's entities, so that
// concurrent imports cannot both add version 1 of an entity, and returns
// the time the import's versions take effect. It is read after the lock:
// a transaction's now() is when it began, which may be before the import
// it waited for wrote its versions.
func lockRoster(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) (time.Time, error) {
	return lockList(ctx, tx, "roster:"+actor.RegionCode)
}

// lockList takes the transaction's advisory lock on one list that writers
// serialise on (key names it: "roster:140522", "inspectors:7") and returns
// the time, read after the lock, that the writes take effect.
func lockList(ctx context.Context, tx *sqlx.Tx, key string) (time.Time, error) {
	var at time.Time
	err := tx.GetContext(ctx, &at, `SELECT clock_timestamp() FROM (SELECT pg_advisory_xact_lock(hashtext($1))) l`, key)
	return at, err
}

func importChange(meta roster.ImportMeta, r roster.ImportResult) audit.Change {
	return audit.Change{Action: "roster.import", ObjectType: "roster", ObjectID: r.Kind.String(),
		After: map[string]any{"file": meta.Filename, "sha256": meta.SHA256, "rows": r.Rows,
			"created": r.Created, "updated": r.Updated, "unchanged": r.Unchanged}}
}

var stageColumns = []string{"line", "code", "code_kind", "name", "legal_representative", "address", "entity_type",
	"licence_type", "licence_number", "unit", "risk_class", "status", "abnormal_operations",
	"serious_violation", "complaints", "last_penalty_date", "penalty_given"}

// stageEntities copies the rows into a temporary table with COPY; a field
// the row does not give is NULL.
func stageEntities(ctx context.Context, tx *sqlx.Tx, rows []roster.EntityRow) error {
	const create = `CREATE TEMP TABLE entity_stage (
    line int, code text PRIMARY KEY, code_kind text, name text, legal_representative text, address text,
    entity_type text, licence_type text, licence_number text, unit text, risk_class text, status text,
    abnormal_operations boolean, serious_violation boolean, complaints int, last_penalty_date date,
    penalty_given boolean
) ON COMMIT DROP`
	return stage(ctx, tx, create, "entity_stage", stageColumns, len(rows), func(i int) []any {
		r := &rows[i]
		g := r.Given
		return []any{r.Row, r.Code, r.CodeKind.String(), r.Name,
			given(g.Has(roster.EntityLegalRepresentative), r.LegalRepresentative), given(g.Has(roster.EntityAddress), r.Address),
			given(g.Has(roster.EntityType), r.Type), given(g.Has(roster.EntityLicenceType), r.LicenceType),
			given(g.Has(roster.EntityLicenceNumber), r.LicenceNumber), given(g.Has(roster.EntityUnit), r.Unit),
			given(g.Has(roster.EntityRiskClass), string(r.RiskClass)), given(g.Has(roster.EntityStatus), string(r.Status)),
			given(g.Has(roster.EntityAbnormalOperations), r.AbnormalOperations), given(g.Has(roster.EntitySeriousViolation), r.SeriousViolation),
			given(g.Has(roster.EntityComplaints), r.Complaints), r.LastPenaltyDate, g.Has(roster.EntityLastPenaltyDate)}
	})
}

// given is v when the row gives the field, else NULL: keep what is there.
func given(ok bool, v any) any {
	if ok {
		return v
	}
	return nil
}

// onRoster is true for a staged entity already on the acting bureau ($2)
// roster: only then may its import change the region's shared record.
const onRoster = `EXISTS (SELECT FROM roster_entries o WHERE o.bureau_id = $2 AND o.entity_code = s.code AND o.valid_to IS NULL)`

// applyStagedEntities writes new versions of what changed and reports how
// many entities were touched and how many entries were created. Shared
// records of entities another bureau supervises are left as they are:
// the acting bureau links them by adding its own entry.
func applyStagedEntities(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, at time.Time) (touched, created int, err error) {
	changed := map[string]bool{}
	var codes []string
	const closeEntities = `
UPDATE entities e SET valid_to = greatest($3::timestamptz, e.valid_from)
FROM entity_stage s
WHERE e.region_code = $1 AND e.code = s.code AND e.valid_to IS NULL AND ` + onRoster + `
  AND (e.code_kind, e.name, e.legal_representative, e.address) IS DISTINCT FROM
      (s.code_kind, s.name, coalesce(s.legal_representative, e.legal_representative), coalesce(s.address, e.address))
RETURNING e.code`
	if err := tx.SelectContext(ctx, &codes, closeEntities, actor.RegionCode, actor.BureauID, at); err != nil {
		return 0, 0, fmt.Errorf("close entity versions: %w", err)
	}
	for _, c := range codes {
		changed[c] = true
	}
	// The latest version of each staged entity, found by joins rather than
	// a lookup per row, so the cost stays linear however stale the
	// planner's statistics of a fast-growing table are. changed_in names
	// the bureau that made the version.
	const addEntities = `
WITH last AS (
    SELECT DISTINCT ON (e.code) e.code, e.version, e.legal_representative, e.address, e.valid_to
    FROM entities e JOIN entity_stage s ON s.code = e.code
    WHERE e.region_code = $1
    ORDER BY e.code, e.version DESC)
INSERT INTO entities (region_code, code, version, code_kind, name, legal_representative, address, valid_from, changed_by, changed_in)
SELECT $1, s.code, coalesce(l.version, 0) + 1, s.code_kind, s.name,
       coalesce(s.legal_representative, l.legal_representative, ''),
       coalesce(s.address, l.address, ''), $4, $3, $2
FROM entity_stage s LEFT JOIN last l ON l.code = s.code
WHERE l.code IS NULL OR l.valid_to IS NOT NULL`
	if _, err := tx.ExecContext(ctx, addEntities, actor.RegionCode, actor.BureauID, userRef(actor), at); err != nil {
		return 0, 0, fmt.Errorf("add entity versions: %w", err)
	}
	entryCodes, created, err := applyStagedEntries(ctx, tx, actor, at)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range entryCodes {
		changed[c] = true
	}
	return len(changed), created, nil
}

// entryValues is each field of the next version of an entry: what the
// staged row s gives, else what the last version l has, else the default.
const entryValues = `
    coalesce(s.entity_type, l.entity_type, '') AS entity_type,
    coalesce(s.licence_type, l.licence_type, '') AS licence_type,
    coalesce(s.licence_number, l.licence_number, '') AS licence_number,
    coalesce(s.unit, l.unit, '') AS unit,
    coalesce(s.status, l.status, 'active') AS status,
    coalesce(s.risk_class, l.risk_class, '') AS risk_class,
    coalesce(s.abnormal_operations, l.abnormal_operations, false) AS abnormal_operations,
    coalesce(s.serious_violation, l.serious_violation, false) AS serious_violation,
    coalesce(s.complaints, l.complaints, 0) AS complaints,
    CASE WHEN s.penalty_given THEN s.last_penalty_date ELSE l.last_penalty_date END AS last_penalty_date`

// applyStagedEntries closes the bureau's entries that changed and adds
// their next versions; a flag's date is kept while the flag stays as it was.
func applyStagedEntries(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, at time.Time) ([]string, int, error) {
	const closeEntries = `
UPDATE roster_entries r SET valid_to = greatest($2::timestamptz, r.valid_from)
FROM (SELECT s.code, ` + entryValues + `
      FROM entity_stage s JOIN roster_entries l ON l.bureau_id = $1 AND l.entity_code = s.code AND l.valid_to IS NULL) n
WHERE r.bureau_id = $1 AND r.entity_code = n.code AND r.valid_to IS NULL
  AND (r.entity_type, r.licence_type, r.licence_number, r.unit, r.status, r.risk_class,
       r.abnormal_operations, r.serious_violation, r.complaints, r.last_penalty_date) IS DISTINCT FROM
      (n.entity_type, n.licence_type, n.licence_number, n.unit, n.status, n.risk_class,
       n.abnormal_operations, n.serious_violation, n.complaints, n.last_penalty_date)`
	if _, err := tx.ExecContext(ctx, closeEntries, actor.BureauID, at); err != nil {
		return nil, 0, fmt.Errorf("close entry versions: %w", err)
	}
	const addEntries = `
WITH last AS (
    SELECT DISTINCT ON (r.entity_code) r.*
    FROM roster_entries r JOIN entity_stage s ON s.code = r.entity_code
    WHERE r.bureau_id = $1
    ORDER BY r.entity_code, r.version DESC),
n AS (
    SELECT s.code, l.version AS last_version, l.status AS last_status, l.status_since, l.risk_class AS last_risk_class,
        l.risk_class_since, l.abnormal_operations AS last_abnormal, l.abnormal_operations_since,
        l.serious_violation AS last_serious, l.serious_violation_since, l.complaints AS last_complaints, l.complaints_since,
        l.focus_found_on,
        ` + entryValues + `
    FROM entity_stage s LEFT JOIN last l ON l.entity_code = s.code
    WHERE l.entity_code IS NULL OR l.valid_to IS NOT NULL),
today AS (SELECT ($4::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS d)
INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, entity_type, licence_type, licence_number,
    unit, status, status_since, risk_class, risk_class_since, abnormal_operations, abnormal_operations_since,
    serious_violation, serious_violation_since, complaints, complaints_since, last_penalty_date, focus_found_on,
    valid_from, changed_by)
SELECT $1, $2, n.code, coalesce(n.last_version, 0) + 1, n.entity_type, n.licence_type, n.licence_number, n.unit,
    n.status, CASE WHEN n.last_status = n.status THEN n.status_since ELSE today.d END,
    n.risk_class, CASE WHEN n.risk_class = '' THEN NULL
                       WHEN n.last_risk_class = n.risk_class THEN n.risk_class_since ELSE today.d END,
    n.abnormal_operations, CASE WHEN NOT n.abnormal_operations THEN NULL
                                WHEN n.last_abnormal THEN n.abnormal_operations_since ELSE today.d END,
    n.serious_violation, CASE WHEN NOT n.serious_violation THEN NULL
                              WHEN n.last_serious THEN n.serious_violation_since ELSE today.d END,
    n.complaints, CASE WHEN n.complaints = 0 THEN NULL
                       WHEN n.last_complaints = n.complaints THEN n.complaints_since ELSE today.d END,
    n.last_penalty_date, n.focus_found_on, $4, $3
FROM n CROSS JOIN today
RETURNING entity_code, version`
	var added []struct {
		Code    string `db:"entity_code"`
		Version int    `db:"version"`
	}
	if err := tx.SelectContext(ctx, &added, addEntries, actor.BureauID, actor.RegionCode, userRef(actor), at); err != nil {
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

// entityChanges lists, per staged row, each field whose value the import
// changes, from → to, as text; a new entry's fields count from their
// defaults. The shared fields change only for entities on the roster
// (see onRoster) or new to the region. $1 is the region, $2 the bureau.
const entityChanges = `
SELECT s.line AS row, s.code AS key, d.field, coalesce(d.old, '') AS "from", coalesce(d.new, '') AS "to",
       coalesce(d.new, '') IN ('', 'false', '0') AND coalesce(d.old, '') NOT IN ('', 'false', '0') AS cleared
FROM entity_stage s
LEFT JOIN entities e ON e.region_code = $1 AND e.code = s.code AND e.valid_to IS NULL
LEFT JOIN roster_entries l ON l.bureau_id = $2 AND l.entity_code = s.code AND l.valid_to IS NULL
CROSS JOIN LATERAL (SELECT e.code IS NULL OR l.entity_code IS NOT NULL AS shared, ` + entryValues + `) n
CROSS JOIN LATERAL (VALUES
    (1, 'name', e.name, CASE WHEN n.shared THEN s.name ELSE e.name END),
    (2, 'legal_representative', e.legal_representative,
        CASE WHEN n.shared THEN coalesce(s.legal_representative, e.legal_representative, '') ELSE e.legal_representative END),
    (3, 'address', e.address, CASE WHEN n.shared THEN coalesce(s.address, e.address, '') ELSE e.address END),
    (4, 'type', l.entity_type, n.entity_type),
    (5, 'licence_type', l.licence_type, n.licence_type),
    (6, 'licence_number', l.licence_number, n.licence_number),
    (7, 'unit', l.unit, n.unit),
    (8, 'risk_class', l.risk_class, n.risk_class),
    (9, 'status', l.status, n.status),
    (10, 'abnormal_operations', coalesce(l.abnormal_operations, false)::text, n.abnormal_operations::text),
    (11, 'serious_violation', coalesce(l.serious_violation, false)::text, n.serious_violation::text),
    (12, 'complaints', coalesce(l.complaints, 0)::text, n.complaints::text),
    (13, 'last_penalty_date', l.last_penalty_date::text, n.last_penalty_date::text)
) d(ord, field, old, new)
WHERE coalesce(d.old, '') IS DISTINCT FROM coalesce(d.new, '')
ORDER BY s.line, d.ord`

// streamEntityChanges sends the staged rows' changes to sink.
func streamEntityChanges(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, sink roster.ChangeSink) error {
	return streamChanges(ctx, tx, sink, entityChanges, actor.RegionCode, actor.BureauID)
}

// streamChanges runs a change query (row, key, field, from, to, cleared)
// twice: once to count the fields it clears, which the sink hears first,
// then to send each change as the server returns it, holding none.
func streamChanges(ctx context.Context, tx *sqlx.Tx, sink roster.ChangeSink, q string, args ...any) error {
	var cleared int
	if err := tx.GetContext(ctx, &cleared, `SELECT count(*) FROM (`+q+`) c WHERE c.cleared`, args...); err != nil {
		return fmt.Errorf("count cleared fields: %w", err)
	}
	if err := sink.Cleared(cleared); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c roster.FieldChange
		var cleared bool
		if err := rows.Scan(&c.Row, &c.Key, &c.Field, &c.From, &c.To, &cleared); err != nil {
			return err
		}
		if err := sink.Change(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stringSlice converts a slice of a string type for pq.Array.
func stringSlice[T ~string](s []T) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}
