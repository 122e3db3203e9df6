package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/record"
)

// Publish publishes the bureau's approved records among ids and applies
// their consequences, in a fixed number of statements however many
// records: lock and check, publish, derive the consequences, mark those
// without a roster entry, write the roster entries' new versions, audit.
func (s RecordStore) Publish(ctx context.Context, actor *authz.Actor, ids []int64) ([]record.Record, error) {
	var out []record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		todo, err := lockForPublication(ctx, tx, ids)
		if err != nil {
			return err
		}
		if len(todo) > 0 {
			if err := publishRecords(ctx, tx, actor, todo); err != nil {
				return err
			}
		}
		if out, err = selectRecords(ctx, tx, `r.bureau_id = (SELECT app_bureau()) AND r.id = ANY($1) ORDER BY r.id`, pq.Array(ids)); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "record.publish", ObjectType: "inspection_records",
			ObjectID: fmt.Sprintf("%d records", len(todo)), After: map[string]any{"published": todo, "asked": len(ids)}})
	})
	return out, err
}

// lockForPublication locks the records and returns the approved ones;
// NOT_FOUND names one the bureau does not keep, CONFLICT one not approved
// (published ones are passed over: a retry).
func lockForPublication(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]int64, error) {
	var rows []struct {
		ID    int64        `db:"id"`
		State record.State `db:"state"`
	}
	const q = `SELECT id, state FROM inspection_records WHERE bureau_id = (SELECT app_bureau()) AND id = ANY($1) ORDER BY id FOR UPDATE`
	if err := tx.SelectContext(ctx, &rows, q, pq.Array(ids)); err != nil {
		return nil, err
	}
	found := make(map[int64]bool, len(rows))
	var todo []int64
	for _, r := range rows {
		found[r.ID] = true
		switch r.State {
		case record.StateApproved:
			todo = append(todo, r.ID)
		case record.StatePublished:
		default:
			return nil, errs.E(errs.Conflict, "record %d is %s (%s): only approved records are published", r.ID, r.State, r.State.Label())
		}
	}
	for _, id := range ids {
		if !found[id] {
			return nil, errs.NotFoundf("no inspection record %d", id)
		}
	}
	return todo, nil
}

func publishRecords(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, ids []int64) error {
	const publish = `UPDATE inspection_records SET state = 'published', published_by = $2, published_at = now(),
    revision = revision + 1 WHERE bureau_id = (SELECT app_bureau()) AND id = ANY($1)`
	if _, err := tx.ExecContext(ctx, publish, pq.Array(ids), actor.UserID); err != nil {
		return err
	}
	// One consequence per record and kind; the strongest status wins when
	// a record carries several.
	const derive = `
INSERT INTO record_consequences (bureau_id, record_id, kind, entity_code, status, state)
SELECT r.bureau_id, r.id, k.kind, r.entity_code, k.status,
       CASE WHEN k.kind = 'abnormal_operations' THEN 'proposed' ELSE 'applied' END
FROM inspection_records r
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (kind) kind, status FROM (
        SELECT CASE c.consequence WHEN 'propose_abnormal' THEN 'abnormal_operations' WHEN 'focus' THEN 'focus' ELSE 'status' END AS kind,
               CASE WHEN c.consequence IN ('deregistered', 'revoked', 'moved') THEN c.consequence ELSE '' END AS status,
               CASE c.consequence WHEN 'revoked' THEN 0 WHEN 'deregistered' THEN 1 ELSE 2 END AS strength
        FROM result_codes c WHERE c.version = r.code_version AND c.code = ANY(r.result_codes) AND c.consequence <> '') k0
    ORDER BY kind, strength) k
WHERE r.bureau_id = (SELECT app_bureau()) AND r.id = ANY($1)
ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, derive, pq.Array(ids)); err != nil {
		return fmt.Errorf("derive consequences: %w", err)
	}
	const skip = `
UPDATE record_consequences c SET state = 'skipped', note = '该主体不在本单位检查对象名录库中'
WHERE c.bureau_id = (SELECT app_bureau()) AND c.record_id = ANY($1) AND c.entry_version IS NULL
  AND c.state IN ('applied', 'proposed')
  AND NOT EXISTS (SELECT FROM roster_entries re WHERE re.bureau_id = c.bureau_id AND re.entity_code = c.entity_code AND re.valid_to IS NULL)`
	if _, err := tx.ExecContext(ctx, skip, pq.Array(ids)); err != nil {
		return err
	}
	if err := withdrawCorrected(ctx, tx, actor, ids); err != nil {
		return err
	}
	const pending = `
SELECT c.entity_code, max(c.record_id) AS record_id,
       (array_agg(c.status ORDER BY r.inspected_on DESC, c.record_id DESC) FILTER (WHERE c.kind = 'status'))[1] AS status,
       max(r.inspected_on) FILTER (WHERE c.kind = 'focus') AS focus_on, false AS focus_exact,
       NULL::boolean AS abnormal
FROM record_consequences c JOIN inspection_records r ON r.bureau_id = c.bureau_id AND r.id = c.record_id
WHERE c.bureau_id = (SELECT app_bureau()) AND c.record_id = ANY($1) AND c.state = 'applied'
  AND c.entry_version IS NULL AND c.kind IN ('focus', 'status')
GROUP BY c.entity_code`
	return newEntryVersions(ctx, tx, actor, pending, `c.record_id = ANY($1) AND c.state = 'applied' AND c.kind IN ('focus', 'status')`, pq.Array(ids))
}

// withdrawCorrected withdraws the consequences of the records that these
// corrections correct which the corrections' own results no longer carry,
// and puts back in the roster what those consequences changed, unless the
// entry has changed it again since: the status before, and the focus date
// the entity would have without the withdrawn record. A proposal not yet
// decided is withdrawn too; an admin's confirmed decision stands.
func withdrawCorrected(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, ids []int64) error {
	const withdraw = `
UPDATE record_consequences c SET state = 'withdrawn', decided_by = $2, decided_at = now(),
    note = '更正记录 ' || corr.id || ' 不再有此后果'
FROM inspection_records corr
WHERE c.bureau_id = (SELECT app_bureau()) AND corr.bureau_id = c.bureau_id AND corr.id = ANY($1)
  AND corr.corrects = c.record_id AND c.state IN ('applied', 'proposed')
  AND NOT EXISTS (SELECT FROM record_consequences n WHERE n.bureau_id = c.bureau_id AND n.record_id = corr.id
                  AND n.kind = c.kind AND n.status = c.status AND n.state <> 'skipped')`
	if _, err := tx.ExecContext(ctx, withdraw, pq.Array(ids), actor.UserID); err != nil {
		return fmt.Errorf("withdraw corrected consequences: %w", err)
	}
	const restore = `
SELECT w.entity_code, max(w.correction_id) AS record_id,
       max(prev.status) FILTER (WHERE w.kind = 'status' AND cur.status = w.status) AS status,
       max(greatest(prev.focus_found_on, (
           SELECT max(r.inspected_on) FROM record_consequences o
           JOIN inspection_records r ON r.bureau_id = o.bureau_id AND r.id = o.record_id
           WHERE o.bureau_id = w.bureau_id AND o.entity_code = w.entity_code AND o.kind = 'focus'
             AND o.state = 'applied' AND o.entry_version IS NOT NULL)))
           FILTER (WHERE w.kind = 'focus' AND cur.focus_found_on IS NOT DISTINCT FROM w.inspected_on) AS focus_on,
       bool_or(w.kind = 'focus' AND cur.focus_found_on IS NOT DISTINCT FROM w.inspected_on) AS focus_exact,
       NULL::boolean AS abnormal
FROM (SELECT c.bureau_id, c.entity_code, c.kind, c.status, c.entry_version, corr.id AS correction_id, orig.inspected_on
      FROM record_consequences c
      JOIN inspection_records corr ON corr.bureau_id = c.bureau_id AND corr.corrects = c.record_id
      JOIN inspection_records orig ON orig.bureau_id = c.bureau_id AND orig.id = c.record_id
      WHERE c.bureau_id = (SELECT app_bureau()) AND corr.id = ANY($1)
        AND c.state = 'withdrawn' AND c.entry_version IS NOT NULL) w
JOIN roster_entries prev ON prev.bureau_id = w.bureau_id AND prev.entity_code = w.entity_code AND prev.version = w.entry_version - 1
JOIN roster_entries cur ON cur.bureau_id = w.bureau_id AND cur.entity_code = w.entity_code AND cur.valid_to IS NULL
GROUP BY w.entity_code
HAVING bool_or(w.kind = 'status' AND cur.status = w.status)
    OR bool_or(w.kind = 'focus' AND cur.focus_found_on IS NOT DISTINCT FROM w.inspected_on)`
	return newEntryVersions(ctx, tx, actor, restore, "false", pq.Array(ids))
}

// newEntryVersions closes the bureau's current roster entries of the
// entities pending (an SQL query of entity_code, record_id, and the
// changes: status, focus_on, abnormal, each NULL to keep; focus_exact sets
// focus_on as it is instead of keeping the later date) and adds their
// next versions naming the record; then it notes the versions on the
// consequences matching which (a condition on c), all in one statement.
func newEntryVersions(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, pending, which string, args ...any) error {
	q := `
WITH pending AS (` + pending + `),
closed AS (
    UPDATE roster_entries re SET valid_to = now() FROM pending p
    WHERE re.bureau_id = (SELECT app_bureau()) AND re.entity_code = p.entity_code AND re.valid_to IS NULL
    RETURNING re.*),
today AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d),
added AS (
    INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, entity_type, licence_type, licence_number,
        unit, status, status_since, risk_class, risk_class_since, abnormal_operations, abnormal_operations_since,
        serious_violation, serious_violation_since, complaints, complaints_since, last_penalty_date,
        focus_found_on, source_record_id, valid_from, changed_by)
    SELECT o.bureau_id, o.region_code, o.entity_code, o.version + 1, o.entity_type, o.licence_type, o.licence_number,
        o.unit, coalesce(p.status, o.status),
        CASE WHEN coalesce(p.status, o.status) = o.status THEN o.status_since ELSE today.d END,
        o.risk_class, o.risk_class_since, coalesce(p.abnormal, o.abnormal_operations),
        CASE WHEN o.abnormal_operations OR NOT coalesce(p.abnormal, false) THEN o.abnormal_operations_since ELSE today.d END,
        o.serious_violation, o.serious_violation_since, o.complaints, o.complaints_since, o.last_penalty_date,
        CASE WHEN p.focus_exact THEN p.focus_on WHEN p.focus_on IS NULL THEN o.focus_found_on
             ELSE greatest(o.focus_found_on, p.focus_on) END,
        p.record_id, now(), (SELECT app_user())
    FROM closed o JOIN pending p ON p.entity_code = o.entity_code CROSS JOIN today
    RETURNING entity_code, version)
UPDATE record_consequences c SET entry_version = a.version
FROM added a
WHERE c.bureau_id = (SELECT app_bureau()) AND c.entity_code = a.entity_code AND c.entry_version IS NULL AND ` + which
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("write roster entry versions: %w", err)
	}
	return nil
}

const consequenceColumns = `c.record_id, c.kind, c.entity_code, c.status, c.state, c.note, c.entry_version,
    c.created_at, c.decided_by, c.decided_at`

// ConsequencesOf lists what publishing the records did.
func (s RecordStore) ConsequencesOf(ctx context.Context, actor *authz.Actor, recordIDs []int64) ([]record.Consequence, error) {
	var cs []record.Consequence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &cs, `SELECT `+consequenceColumns+` FROM record_consequences c
WHERE c.record_id = ANY($1) ORDER BY c.record_id, c.kind`, pq.Array(recordIDs))
	})
	return cs, err
}

// ProposedConsequences lists the bureau's proposals awaiting an admin.
func (s RecordStore) ProposedConsequences(ctx context.Context, actor *authz.Actor, p page.Request) ([]record.Consequence, error) {
	w := &where{}
	w.add("c.state = 'proposed'")
	w.seek(p, false, "(c.record_id, c.kind)", pairKey)
	q := `SELECT ` + consequenceColumns + ` FROM record_consequences c WHERE ` + w.String() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("c.record_id, c.kind", false), p.Limit())
	var cs []record.Consequence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &cs, q, w.args...)
	})
	return cs, err
}

// CountProposedConsequences counts the proposals of ProposedConsequences.
func (s RecordStore) CountProposedConsequences(ctx context.Context, actor *authz.Actor) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM record_consequences c WHERE c.state = 'proposed'`)
}

// Decide confirms (writing the entry's new version) or rejects a proposal.
func (s RecordStore) Decide(ctx context.Context, actor *authz.Actor, recordID int64, kind string, confirm bool, note string) (record.Consequence, error) {
	var c record.Consequence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &c, `SELECT `+consequenceColumns+` FROM record_consequences c
WHERE c.record_id = $1 AND c.kind = $2 FOR UPDATE`, recordID, kind)
		if err != nil {
			return notFound(err, "record %d has no %s consequence", recordID, kind)
		}
		if c.State != record.ConsequenceProposed {
			return errs.E(errs.Conflict, "the %s consequence of record %d is %s already", kind, recordID, c.State)
		}
		before := c
		state := record.ConsequenceRejected
		if confirm {
			state = record.ConsequenceConfirmed
			const pending = `SELECT $2::text AS entity_code, $1::bigint AS record_id, NULL::text AS status,
    NULL::date AS focus_on, false AS focus_exact, true AS abnormal`
			if err := newEntryVersions(ctx, tx, actor, pending, `c.record_id = $1 AND c.kind = 'abnormal_operations'`, recordID, c.EntityCode); err != nil {
				return err
			}
		}
		const q = `UPDATE record_consequences c SET state = $3, note = $4, decided_by = $5, decided_at = now()
WHERE c.bureau_id = (SELECT app_bureau()) AND c.record_id = $1 AND c.kind = $2 RETURNING ` + consequenceColumns
		if err := tx.GetContext(ctx, &c, q, recordID, kind, state, note, actor.UserID); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "record.consequence." + state, ObjectType: "inspection_record",
			ObjectID: fmt.Sprint(recordID), Before: before, After: c})
	})
	return c, err
}
