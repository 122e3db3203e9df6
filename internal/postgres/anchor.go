package postgres

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/audit"
)

// AuditHeads returns every bureau's chain head, as the schema owner.
func AuditHeads(ctx context.Context, db *DB) ([]audit.Head, error) {
	var heads []audit.Head
	const q = `
SELECT h.bureau_id, b.code, h.seq, h.hash
FROM audit_heads h JOIN bureaus b ON b.id = h.bureau_id ORDER BY h.bureau_id`
	err := db.AsOwner(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h audit.Head
			if err := rows.Scan(&h.BureauID, &h.Bureau, &h.Seq, &h.Hash); err != nil {
				return err
			}
			heads = append(heads, h)
		}
		return rows.Err()
	})
	return heads, err
}

// CheckAnchors checks the database's chains against exported anchors,
// signed by pub: each bureau's chain must still reach its anchored entry
// with the anchored hash. It returns the first break as an
// *audit.BrokenError. Run VerifyAudit first: this checks only the anchored
// entries.
func CheckAnchors(ctx context.Context, db *DB, as audit.Anchors, pub ed25519.PublicKey) error {
	if err := as.Verify(pub); err != nil {
		return err
	}
	return db.AsOwner(ctx, func(tx *sqlx.Tx) error {
		for _, a := range as.Anchors {
			var head audit.Head
			err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_heads WHERE bureau_id = $1`, a.BureauID).Scan(&head.Seq)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			var hash string
			err = tx.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE bureau_id = $1 AND seq = $2`, a.BureauID, a.Seq).Scan(&hash)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err := a.CheckHead(head, hash); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExportAnchors signs every bureau's current head with key and writes them
// to path, after checking the chains and the anchors exported before:
// a chain that was cut back is reported, and its old anchor kept, never
// replaced by an anchor of the shortened chain.
func ExportAnchors(ctx context.Context, db *DB, key ed25519.PrivateKey, path string, now time.Time) (int, error) {
	if _, err := VerifyAudit(ctx, db); err != nil {
		return 0, err
	}
	old, err := audit.ReadAnchors(path)
	switch {
	case err == nil:
		if err := CheckAnchors(ctx, db, old, key.Public().(ed25519.PublicKey)); err != nil {
			return 0, fmt.Errorf("not exporting over %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return 0, err
	}
	heads, err := AuditHeads(ctx, db)
	if err != nil {
		return 0, err
	}
	return len(heads), audit.WriteAnchors(path, audit.Sign(key, heads, now))
}
