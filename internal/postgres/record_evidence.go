package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/record"
)

const evidenceColumns = `e.id, e.record_id, e.filename, e.content_type, e.size_bytes, e.sha256, e.uploaded_by, e.uploaded_at`

// editableByTeam locks the bureau's record and checks that the actor is on
// its task's current team and that the record still changes.
func editableByTeam(ctx context.Context, tx *sqlx.Tx, recordID int64) (record.Record, error) {
	rec, err := getRecord(ctx, tx, recordID, true)
	if err != nil {
		return rec, err
	}
	if _, err := teamTask(ctx, tx, rec.DrawID, rec.Seq); err != nil {
		return rec, err
	}
	if !rec.State.Editable() {
		return rec, errs.E(errs.Conflict, "record %d is %s (%s): its evidence changes only while it is a draft or returned", rec.ID, rec.State, rec.State.Label())
	}
	return rec, nil
}

// AddEvidence stores a checked file on a record of the team.
func (s RecordStore) AddEvidence(ctx context.Context, actor *authz.Actor, recordID int64, f record.EvidenceFile) (record.Evidence, error) {
	var ev record.Evidence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if _, err := editableByTeam(ctx, tx, recordID); err != nil {
			return err
		}
		const q = `
INSERT INTO record_evidence AS e (bureau_id, record_id, filename, content_type, size_bytes, sha256, content, uploaded_by)
VALUES ((SELECT app_bureau()), $1, $2, $3, $4, $5, $6, $7)
RETURNING ` + evidenceColumns
		err := tx.GetContext(ctx, &ev, q, recordID, f.Filename, f.ContentType, len(f.Content), f.SHA256, f.Content, actor.UserID)
		if uniqueViolation(err) {
			return errs.E(errs.Conflict, "record %d has this file already (SHA-256 %s)", recordID, f.SHA256)
		}
		if err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "record.evidence.add", ObjectType: "inspection_record",
			ObjectID: fmt.Sprint(recordID), After: ev})
	})
	return ev, err
}

// RemoveEvidence removes a file from a record of the team.
func (s RecordStore) RemoveEvidence(ctx context.Context, actor *authz.Actor, id int64) (record.Evidence, error) {
	var ev record.Evidence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &ev, `SELECT `+evidenceColumns+` FROM record_evidence e WHERE e.id = $1`, id)
		if err != nil {
			return notFound(err, "no evidence %d", id)
		}
		if _, err := editableByTeam(ctx, tx, ev.RecordID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_evidence WHERE bureau_id = (SELECT app_bureau()) AND id = $1`, id); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "record.evidence.remove", ObjectType: "inspection_record",
			ObjectID: fmt.Sprint(ev.RecordID), Before: ev})
	})
	return ev, err
}

// EvidenceOf lists the files of records of the bureau.
func (s RecordStore) EvidenceOf(ctx context.Context, actor *authz.Actor, recordIDs []int64) ([]record.Evidence, error) {
	var evs []record.Evidence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &evs, `SELECT `+evidenceColumns+` FROM record_evidence e
WHERE e.record_id = ANY($1) ORDER BY e.record_id, e.id`, pq.Array(recordIDs))
	})
	return evs, err
}

// Evidence reads a file of the bureau's records, without its content.
func (s RecordStore) Evidence(ctx context.Context, actor *authz.Actor, id int64) (record.Evidence, error) {
	var ev record.Evidence
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &ev, `SELECT `+evidenceColumns+` FROM record_evidence e WHERE e.id = $1`, id)
		return notFound(err, "no evidence %d", id)
	})
	return ev, err
}

// EvidenceContent returns a file of the bureau's records with its content.
func (s RecordStore) EvidenceContent(ctx context.Context, actor *authz.Actor, id int64) (record.Evidence, []byte, error) {
	var row struct {
		record.Evidence
		Content []byte `db:"content"`
	}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &row, `SELECT `+evidenceColumns+`, e.content FROM record_evidence e WHERE e.id = $1`, id)
		return notFound(err, "no evidence %d", id)
	})
	return row.Evidence, row.Content, err
}
