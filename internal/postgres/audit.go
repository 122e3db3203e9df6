package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/page"
)

// writeAudit appends the change to the trail of the transaction's bureau,
// in the same transaction as the change. Locking the bureau's head row
// orders concurrent writers so the chain stays a chain.
func writeAudit(ctx context.Context, tx *sqlx.Tx, bureauID, actorID int64, actorUsername string, c audit.Change) error {
	seq, prev := int64(0), audit.Genesis
	const head = `SELECT seq, hash FROM audit_heads WHERE bureau_id = $1 FOR UPDATE`
	err := tx.QueryRowContext(ctx, head, bureauID).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit head: %w", err)
	}
	e, err := audit.NewEntry(actorID, actorUsername, bureauID, seq+1, prev, c, time.Now())
	if err != nil {
		return err
	}
	const ins = `
INSERT INTO audit_log (bureau_id, seq, actor_id, actor_username, action, object_type, object_id, before, after, at, prev_hash, hash)
VALUES (:bureau_id, :seq, :actor_id, :actor_username, :action, :object_type, :object_id, :before, :after, :at, :prev_hash, :hash)`
	if _, err := tx.NamedExecContext(ctx, ins, auditRow(e)); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	const upsert = `
INSERT INTO audit_heads (bureau_id, seq, hash) VALUES ($1, $2, $3)
ON CONFLICT (bureau_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`
	_, err = tx.ExecContext(ctx, upsert, bureauID, e.Seq, e.Hash)
	return err
}

// auditRow passes empty JSON states as SQL NULL.
func auditRow(e audit.Entry) map[string]any {
	return map[string]any{
		"bureau_id": e.BureauID, "seq": e.Seq, "actor_id": e.ActorID, "actor_username": e.ActorUsername,
		"action": e.Action, "object_type": e.ObjectType, "object_id": e.ObjectID,
		"before": nullJSON(e.Before), "after": nullJSON(e.After), "at": e.At,
		"prev_hash": e.PrevHash, "hash": e.Hash,
	}
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// auditAs writes the change as the actor in their acting bureau.
func auditAs(ctx context.Context, tx *sqlx.Tx, a *authz.Actor, c audit.Change) error {
	return writeAudit(ctx, tx, a.BureauID, a.UserID, a.Username, c)
}

// AuditStore implements audit.Store.
type AuditStore struct{ DB *DB }

const auditColumns = `bureau_id, seq, actor_id, actor_username, action, object_type, object_id,
	coalesce(before::text, '') AS before, coalesce(after::text, '') AS after, at, prev_hash, hash`

// ListAudit returns the actor's bureau's entries, newest first.
func (s AuditStore) ListAudit(ctx context.Context, actor *authz.Actor, f audit.Filter, p page.Request) ([]audit.Entry, error) {
	w := auditWhere(f)
	w.seek(p, true, "seq", intKey)
	q := `SELECT ` + auditColumns + ` FROM audit_log WHERE ` + w.String() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("seq", true), p.Limit())
	var rows []entryRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, q, w.args...)
	})
	entries := make([]audit.Entry, len(rows))
	for i, r := range rows {
		entries[i] = r.entry()
	}
	return entries, err
}

// entryRow reads the JSON states as text: json keeps the exact text that
// was hashed, and NULL reads as "".
type entryRow struct {
	audit.Entry
	Before string `db:"before"`
	After  string `db:"after"`
}

func (r entryRow) entry() audit.Entry {
	e := r.Entry
	if r.Before != "" {
		e.Before = []byte(r.Before)
	}
	if r.After != "" {
		e.After = []byte(r.After)
	}
	return e
}

// CountAudit counts the entries of ListAudit.
func (s AuditStore) CountAudit(ctx context.Context, actor *authz.Actor, f audit.Filter) (int, error) {
	w := auditWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM audit_log WHERE `+w.String(), w.args...)
}

// auditWhere builds the filter; RLS already limits rows to the bureau.
func auditWhere(f audit.Filter) *where {
	w := &where{}
	for _, c := range []struct{ cond, value string }{{"action = %s", f.Action}, {"object_type = %s", f.ObjectType},
		{"object_id = %s", f.ObjectID}, {"actor_username = %s", f.Actor}} {
		if c.value != "" {
			w.add(c.cond, c.value)
		}
	}
	if f.From != nil {
		w.add("at >= %s", *f.From)
	}
	if f.To != nil {
		w.add("at < %s", *f.To)
	}
	return w
}

// userRef is the acting user for a "changed by" column: NULL for the
// command line, which acts for a bureau but as no signed-in user.
func userRef(a *authz.Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	return &a.UserID
}

func scopeOf(a *authz.Actor) Scope { return Scope{BureauID: a.BureauID, UserID: a.UserID} }

// VerifyAudit recomputes every bureau's chain as the schema owner and
// returns the first break (an *audit.BrokenError), or nil with the number
// of entries checked.
func VerifyAudit(ctx context.Context, db *DB) (int, error) {
	var checked int
	err := db.AsOwner(ctx, func(tx *sqlx.Tx) error {
		var bureaus []int64
		const q = `SELECT DISTINCT bureau_id FROM (SELECT bureau_id FROM audit_heads UNION SELECT bureau_id FROM audit_log) b ORDER BY 1`
		if err := tx.SelectContext(ctx, &bureaus, q); err != nil {
			return err
		}
		for _, id := range bureaus {
			n, err := verifyBureauChain(ctx, tx, id)
			checked += n
			if err != nil {
				return err
			}
		}
		return nil
	})
	return checked, err
}

func verifyBureauChain(ctx context.Context, tx *sqlx.Tx, bureauID int64) (int, error) {
	rows, err := tx.QueryxContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE bureau_id = $1 ORDER BY seq`, bureauID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	chain, n := audit.NewChain(bureauID), 0
	for rows.Next() {
		var r entryRow
		if err := rows.StructScan(&r); err != nil {
			return n, err
		}
		n++
		if err := chain.Next(r.entry()); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	var seq int64
	var hash string
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE bureau_id = $1`, bureauID).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		seq, hash = 0, audit.Genesis
	} else if err != nil {
		return n, err
	}
	return n, chain.Close(seq, hash)
}
