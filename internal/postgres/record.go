package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/record"
)

// recordRow is an inspection_records row as read.
type recordRow struct {
	record.Record
	ResultCodes   pq.StringArray `db:"result_codes"`
	Methods       pq.StringArray `db:"methods"`
	FollowUp      string         `db:"follow_up"`
	FollowUpDue   *time.Time     `db:"follow_up_due"`
	FollowUpClose *time.Time     `db:"follow_up_closed_on"`
	FollowUpNote  string         `db:"follow_up_note"`
}

func (r recordRow) decode() record.Record {
	rec := r.Record
	rec.ResultCodes = []string(r.ResultCodes)
	rec.Methods = []string(r.Methods)
	rec.FollowUp = record.FollowUp{Status: r.FollowUp, Due: r.FollowUpDue, ClosedOn: r.FollowUpClose, Note: r.FollowUpNote}
	return rec
}

const recordColumns = `r.id, r.bureau_id, b.code AS bureau_code, r.region_code, r.draw_id, r.seq, r.entity_code,
    coalesce(e.name, '') AS entity_name, r.item_code, r.item_version, r.item_name, r.code_version, r.result_codes,
    r.methods, r.findings, r.disposal, r.follow_up, r.follow_up_due, r.follow_up_closed_on, r.follow_up_note,
    r.inspected_on, r.state, r.revision, r.return_reason, r.corrects, r.correction_reason,
    (SELECT c.id FROM inspection_records c WHERE c.bureau_id = r.bureau_id AND c.corrects = r.id) AS corrected_by,
    r.created_by, r.created_at, r.updated_by, r.updated_at, r.submitted_by, r.submitted_at,
    r.reviewed_by, r.reviewed_at, r.published_by, r.published_at`

const recordFrom = ` FROM inspection_records r JOIN bureaus b ON b.id = r.bureau_id
LEFT JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code AND e.valid_to IS NULL`

func selectRecords(ctx context.Context, tx *sqlx.Tx, cond string, args ...any) ([]record.Record, error) {
	var rows []recordRow
	if err := tx.SelectContext(ctx, &rows, `SELECT `+recordColumns+recordFrom+` WHERE `+cond, args...); err != nil {
		return nil, err
	}
	out := make([]record.Record, len(rows))
	for i, r := range rows {
		out[i] = r.decode()
	}
	return out, nil
}

// getRecord reads a record the acting bureau may see; with own, only its
// own (what a writer may touch), locked FOR UPDATE.
func getRecord(ctx context.Context, tx *sqlx.Tx, id int64, own bool) (record.Record, error) {
	cond := `r.id = $1`
	if own {
		cond += ` AND r.bureau_id = (SELECT app_bureau()) FOR UPDATE OF r`
	}
	recs, err := selectRecords(ctx, tx, cond, id)
	if err != nil {
		return record.Record{}, err
	}
	if len(recs) == 0 {
		return record.Record{}, errs.NotFoundf("no inspection record %d", id)
	}
	return recs[0], nil
}

// taskOfBureau is what entering a record needs to know of its task.
type taskOfBureau struct {
	RegionCode  string    `db:"region_code"`
	EntityCode  string    `db:"entity_code"`
	WindowStart time.Time `db:"window_start"`
	WindowEnd   time.Time `db:"window_end"`
	Items       []byte    `db:"items"`
	OnTeam      bool      `db:"on_team"`
}

// teamTask reads a task the acting bureau takes part in (NOT_FOUND
// otherwise) and refuses an actor not on its current team (FORBIDDEN).
func teamTask(ctx context.Context, tx *sqlx.Tx, drawID int64, seq int) (taskOfBureau, error) {
	var t taskOfBureau
	q := `
SELECT t.region_code, t.entity_code, d.window_start, d.window_end, dp.items, ` + onCurrentTeam(myCertificate) + ` AS on_team
FROM draw_tasks t
JOIN draws d ON d.id = t.draw_id AND d.status = 'executed'
JOIN draw_participants dp ON dp.draw_id = t.draw_id AND dp.bureau_id = (SELECT app_bureau())
WHERE t.draw_id = $1 AND t.seq = $2
  AND EXISTS (SELECT FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq AND m.bureau_id = dp.bureau_id)`
	if err := tx.GetContext(ctx, &t, q, drawID, seq); err != nil {
		return t, notFound(err, "no task %d/%d", drawID, seq)
	}
	if !t.OnTeam {
		return t, errs.E(errs.Forbidden, "only the current team of task %d/%d enters its records (谁检查、谁录入)", drawID, seq)
	}
	return t, nil
}

// taskItem finds the bureau's item code in the task's items.
func (t taskOfBureau) item(ctx context.Context, tx *sqlx.Tx, code string) (version int, name string, err error) {
	const q = `
SELECT (it->>'version')::int AS version, coalesce(ii.name, it->>'code') AS name
FROM jsonb_array_elements($1::jsonb) it
LEFT JOIN inspection_items ii ON ii.bureau_id = (SELECT app_bureau()) AND ii.code = it->>'code' AND ii.version = (it->>'version')::int
WHERE it->>'code' = $2`
	var row struct {
		Version int    `db:"version"`
		Name    string `db:"name"`
	}
	if err := tx.GetContext(ctx, &row, q, t.Items, code); err != nil {
		return 0, "", notFoundAs(err, errs.InvalidField("input.itemCode", "%q is not one of your bureau's items of this task", code))
	}
	return row.Version, row.Name, nil
}

// notFoundAs replaces "no rows" with e.
func notFoundAs(err error, e error) error {
	if notFound(err, "") != err {
		return e
	}
	return err
}

func (s RecordStore) rules(ctx context.Context, tx *sqlx.Tx, version int, t taskOfBureau) (record.Rules, error) {
	table, err := codeTable(ctx, tx, version)
	if err != nil {
		return record.Rules{}, err
	}
	var methods []string
	if err := tx.SelectContext(ctx, &methods, `SELECT name FROM inspection_methods ORDER BY position`); err != nil {
		return record.Rules{}, err
	}
	return record.Rules{Codes: table, Methods: methods, WindowStart: t.WindowStart, WindowEnd: t.WindowEnd}, nil
}

// Save creates or changes the bureau's record of a task item.
func (s RecordStore) Save(ctx context.Context, actor *authz.Actor, key record.Key, e record.Entry, revision *int, check func(record.Record, record.Rules) error) (record.Record, error) {
	var saved record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		t, err := teamTask(ctx, tx, key.DrawID, key.Seq)
		if err != nil {
			return err
		}
		version, name, err := t.item(ctx, tx, key.ItemCode)
		if err != nil {
			return err
		}
		recs, err := selectRecords(ctx, tx, `r.bureau_id = (SELECT app_bureau()) AND r.draw_id = $1 AND r.seq = $2
    AND r.item_code = $3 AND r.corrects IS NULL FOR UPDATE OF r`, key.DrawID, key.Seq, key.ItemCode)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			rec := record.Record{DrawID: key.DrawID, Seq: key.Seq, RegionCode: t.RegionCode, EntityCode: t.EntityCode,
				ItemCode: key.ItemCode, ItemVersion: version, ItemName: name, FollowUp: record.FollowUp{Status: record.FollowUpNone}}
			saved, err = s.insert(ctx, tx, actor, t, e.Apply(rec), check)
			return err
		}
		saved, err = s.update(ctx, tx, actor, t, recs[0], e, revision, check)
		return err
	})
	return saved, err
}

func (s RecordStore) insert(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, t taskOfBureau, rec record.Record, check func(record.Record, record.Rules) error) (record.Record, error) {
	rules, err := s.rules(ctx, tx, 0, t)
	if err != nil {
		return rec, err
	}
	rec.CodeVersion = rules.Codes.Version
	if err := check(rec, rules); err != nil {
		return rec, err
	}
	const q = `
INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
    code_version, result_codes, methods, findings, disposal, follow_up, follow_up_due, follow_up_closed_on, follow_up_note,
    inspected_on, corrects, correction_reason, created_by, updated_by)
VALUES ((SELECT app_bureau()), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)
RETURNING id`
	var id int64
	err = tx.GetContext(ctx, &id, q, rec.RegionCode, rec.DrawID, rec.Seq, rec.EntityCode, rec.ItemCode, rec.ItemVersion,
		rec.ItemName, rec.CodeVersion, pq.Array(rec.ResultCodes), pq.Array(orEmpty(rec.Methods)), rec.Findings, rec.Disposal,
		rec.FollowUp.Status, rec.FollowUp.Due, rec.FollowUp.ClosedOn, rec.FollowUp.Note, rec.InspectedOn,
		rec.Corrects, rec.CorrectionReason, actor.UserID)
	if uniqueViolation(err) {
		return rec, errs.E(errs.Conflict, "a record of this item exists already (or the record is corrected already)")
	}
	if err != nil {
		return rec, err
	}
	saved, err := getRecord(ctx, tx, id, false)
	if err != nil {
		return saved, err
	}
	return saved, auditAs(ctx, tx, actor, audit.Change{Action: "record.create", ObjectType: "inspection_record",
		ObjectID: fmt.Sprint(id), After: saved})
}

func (s RecordStore) update(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, t taskOfBureau, old record.Record, e record.Entry, revision *int, check func(record.Record, record.Rules) error) (record.Record, error) {
	if !old.State.Editable() {
		return old, errs.E(errs.Conflict, "record %d is %s (%s): only a draft or returned record changes", old.ID, old.State, old.State.Label())
	}
	if revision != nil && *revision != old.Revision {
		return old, errs.E(errs.Conflict, "record %d changed meanwhile (revision %d, not %d): reload it", old.ID, old.Revision, *revision)
	}
	rules, err := s.rules(ctx, tx, old.CodeVersion, t)
	if err != nil {
		return old, err
	}
	rec := e.Apply(old)
	if err := check(rec, rules); err != nil {
		return old, err
	}
	const q = `
UPDATE inspection_records SET result_codes = $2, methods = $3, findings = $4, disposal = $5, follow_up = $6,
    follow_up_due = $7, follow_up_closed_on = $8, follow_up_note = $9, inspected_on = $10,
    revision = revision + 1, updated_by = $11, updated_at = now()
WHERE bureau_id = (SELECT app_bureau()) AND id = $1`
	if _, err := tx.ExecContext(ctx, q, old.ID, pq.Array(rec.ResultCodes), pq.Array(orEmpty(rec.Methods)), rec.Findings,
		rec.Disposal, rec.FollowUp.Status, rec.FollowUp.Due, rec.FollowUp.ClosedOn, rec.FollowUp.Note, rec.InspectedOn, actor.UserID); err != nil {
		return old, err
	}
	saved, err := getRecord(ctx, tx, old.ID, false)
	if err != nil {
		return saved, err
	}
	return saved, auditAs(ctx, tx, actor, audit.Change{Action: "record.update", ObjectType: "inspection_record",
		ObjectID: fmt.Sprint(old.ID), Before: old, After: saved})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Correct starts a correction of a published record of the bureau.
func (s RecordStore) Correct(ctx context.Context, actor *authz.Actor, id int64, reason string, e record.Entry, check func(record.Record, record.Rules) error) (record.Record, error) {
	var saved record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		old, err := getRecord(ctx, tx, id, true)
		if err != nil {
			return err
		}
		t, err := teamTask(ctx, tx, old.DrawID, old.Seq)
		if err != nil {
			return err
		}
		if old.State != record.StatePublished {
			return errs.E(errs.Conflict, "record %d is %s (%s): only a published record is corrected; change it instead", id, old.State, old.State.Label())
		}
		if old.CorrectedBy != nil {
			return errs.E(errs.Conflict, "record %d is corrected already by record %d: correct that one", id, *old.CorrectedBy)
		}
		rec := e.Apply(old)
		rec.Corrects, rec.CorrectionReason = &old.ID, reason
		saved, err = s.insert(ctx, tx, actor, t, rec, check)
		return err
	})
	return saved, err
}

// Move changes a record's state under its row lock.
func (s RecordStore) Move(ctx context.Context, actor *authz.Actor, id int64, m record.Move) (record.Record, error) {
	var saved record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		old, err := getRecord(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if m.Team {
			if _, err := teamTask(ctx, tx, old.DrawID, old.Seq); err != nil {
				return err
			}
		} else if old.CreatedBy == actor.UserID || old.UpdatedBy == actor.UserID {
			return errs.E(errs.Forbidden, "record %d was entered by you: another reviewer decides on it", id)
		}
		if !slices.Contains(m.From, old.State) {
			return errs.E(errs.Conflict, "record %d is %s (%s): %s needs it %v", id, old.State, old.State.Label(), m.Action, m.From)
		}
		if m.Revision != nil && *m.Revision != old.Revision {
			return errs.E(errs.Conflict, "record %d changed meanwhile (revision %d, not %d): reload it", id, old.Revision, *m.Revision)
		}
		if err := moveRecord(ctx, tx, actor, id, m); err != nil {
			return err
		}
		if saved, err = getRecord(ctx, tx, id, false); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: m.Action, ObjectType: "inspection_record",
			ObjectID: fmt.Sprint(id), Before: map[string]any{"state": old.State, "revision": old.Revision},
			After: map[string]any{"state": saved.State, "revision": saved.Revision, "reason": m.Reason}})
	})
	return saved, err
}

func moveRecord(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, id int64, m record.Move) error {
	who := "reviewed"
	if m.To == record.StateSubmitted {
		who = "submitted"
	}
	q := fmt.Sprintf(`UPDATE inspection_records SET state = $2, return_reason = $3, revision = revision + 1,
    %[1]s_by = $4, %[1]s_at = now() WHERE bureau_id = (SELECT app_bureau()) AND id = $1`, who)
	_, err := tx.ExecContext(ctx, q, id, m.To, m.Reason, actor.UserID)
	return err
}

// Record returns a record the bureau may read.
func (s RecordStore) Record(ctx context.Context, actor *authz.Actor, id int64) (record.Record, error) {
	var rec record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		rec, err = getRecord(ctx, tx, id, false)
		return err
	})
	return rec, err
}

// Records returns a page of the bureau's own records by id: one statement.
func (s RecordStore) Records(ctx context.Context, actor *authz.Actor, f record.RecordFilter, p page.Request) ([]record.Record, error) {
	var recs []record.Record
	w := recordWhere(f)
	w.seek(p, false, "r.id", intKey)
	lim := w.param(p.Limit())
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		recs, err = selectRecords(ctx, tx, w.String()+" ORDER BY "+p.Order("r.id", false)+" LIMIT "+lim, w.args...)
		return err
	})
	return recs, err
}

// CountRecords counts the records of Records.
func (s RecordStore) CountRecords(ctx context.Context, actor *authz.Actor, f record.RecordFilter) (int, error) {
	w := recordWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT 1`+recordFrom+` WHERE `+w.String(), w.args...)
}

// recordWhere is a record filter's conditions on the bureau's own records.
func recordWhere(f record.RecordFilter) *where {
	w := &where{}
	w.add("r.bureau_id = (SELECT app_bureau())")
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		w.add("r.state = ANY(%s)", pq.Array(states))
	}
	if f.DrawID != nil {
		w.add("r.draw_id = %s", *f.DrawID)
	}
	if f.EntityCode != "" {
		w.add("r.entity_code = %s", f.EntityCode)
	}
	return w
}

// RecordsOfTasks returns the records of the tasks the bureau may read
// (its own and, in a joint visit, its partners'), corrections included.
func (s RecordStore) RecordsOfTasks(ctx context.Context, actor *authz.Actor, tasks []record.Key) ([]record.Record, error) {
	drawIDs, seqs := make([]int64, len(tasks)), make([]int64, len(tasks))
	for i, t := range tasks {
		drawIDs[i], seqs[i] = t.DrawID, int64(t.Seq)
	}
	var recs []record.Record
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		recs, err = selectRecords(ctx, tx, `(r.draw_id, r.seq) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))
ORDER BY r.draw_id, r.seq, b.code, r.item_code, r.id`, pq.Array(drawIDs), pq.Array(seqs))
		return err
	})
	return recs, err
}

// codeTable reads a version of the result code table (0: the newest).
func codeTable(ctx context.Context, tx *sqlx.Tx, version int) (record.CodeTable, error) {
	var codes []record.ResultCode
	const q = `SELECT version, code, label, position, consequence, exclusive FROM result_codes
WHERE version = CASE WHEN $1 = 0 THEN (SELECT max(version) FROM result_code_versions) ELSE $1 END ORDER BY position`
	if err := tx.SelectContext(ctx, &codes, q, version); err != nil {
		return record.CodeTable{}, err
	}
	if len(codes) == 0 {
		return record.CodeTable{}, errs.NotFoundf("no result code table version %d", version)
	}
	return record.CodeTable{Version: codes[0].Version, Codes: codes}, nil
}

// CodeTable returns a version of the result code table (0: the newest).
func (s RecordStore) CodeTable(ctx context.Context, version int) (record.CodeTable, error) {
	var t record.CodeTable
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) (err error) {
		t, err = codeTable(ctx, tx, version)
		return err
	})
	return t, err
}

// Methods lists the inspection methods in order.
func (s RecordStore) Methods(ctx context.Context) ([]string, error) {
	var methods []string
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &methods, `SELECT name FROM inspection_methods ORDER BY position`)
	})
	return methods, err
}
