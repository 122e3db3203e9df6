package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
)

// AccountStore implements account.Store. Sign-in happens before any bureau
// is chosen, so its transactions run as the serving role with only
// app.user_id set (or nothing, before the user is known).
type AccountStore struct{ DB *DB }

// UserForSignIn returns the user and their password hash.
func (s AccountStore) UserForSignIn(ctx context.Context, username string) (account.User, string, error) {
	var row struct {
		account.User
		Hash string `db:"password_hash"`
	}
	const q = `SELECT id, username, display_name, created_at, password_hash FROM users WHERE username = $1`
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, q, username)
	})
	return row.User, row.Hash, notFound(err, "no user %q", username)
}

// RecentFailures counts failures per key since the time.
func (s AccountStore) RecentFailures(ctx context.Context, keys []string, since time.Time) (map[string]int, error) {
	const q = `SELECT key, count(*) FROM sign_in_failures WHERE key = ANY($1) AND failed_at >= $2 GROUP BY key ORDER BY key`
	counts := map[string]int{}
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, q, pq.Array(keys), since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			counts[k] = n
		}
		return rows.Err()
	})
	return counts, err
}

// RecordFailure notes one failed sign-in under each key, and forgets
// failures older than a day so the table stays small.
func (s AccountStore) RecordFailure(ctx context.Context, keys []string) error {
	return s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		const ins = `INSERT INTO sign_in_failures (key) SELECT unnest($1::text[])`
		if _, err := tx.ExecContext(ctx, ins, pq.Array(keys)); err != nil {
			return err
		}
		const prune = `DELETE FROM sign_in_failures WHERE failed_at < now() - interval '1 day'`
		_, err := tx.ExecContext(ctx, prune)
		return err
	})
}

// CreateSession stores the session, clears the username's failures and
// audits the sign-in in each of the user's bureaus.
func (s AccountStore) CreateSession(ctx context.Context, user account.User, tokenHash []byte, expires time.Time, address string, c audit.Change) error {
	return s.DB.InScope(ctx, Scope{UserID: user.ID}, func(tx *sqlx.Tx) error {
		const ins = `INSERT INTO sessions (token_sha256, user_id, expires_at, address) VALUES ($1, $2, $3, $4)`
		if _, err := tx.ExecContext(ctx, ins, tokenHash, user.ID, expires, address); err != nil {
			return err
		}
		const clear = `DELETE FROM sign_in_failures WHERE key = $1`
		if _, err := tx.ExecContext(ctx, clear, "user:"+user.Username); err != nil {
			return err
		}
		return auditInEachBureau(ctx, tx, user, c)
	})
}

// auditInEachBureau writes the change to the trail of every bureau the user
// belongs to, switching the transaction's tenant setting for each write so
// row-level security still checks every row.
func auditInEachBureau(ctx context.Context, tx *sqlx.Tx, user account.User, c audit.Change) error {
	var bureaus []int64
	const q = `SELECT DISTINCT bureau_id FROM members WHERE user_id = $1 ORDER BY 1`
	if err := tx.SelectContext(ctx, &bureaus, q, user.ID); err != nil {
		return err
	}
	for _, b := range bureaus {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('app.bureau_id', $1, true)`, idSetting(b)); err != nil {
			return err
		}
		if err := writeAudit(ctx, tx, b, user.ID, user.Username, c); err != nil {
			return err
		}
	}
	return nil
}

// SessionUser returns the user of a live session.
func (s AccountStore) SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (account.User, error) {
	var u account.User
	const q = `
SELECT u.id, u.username, u.display_name, u.created_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &u, q, tokenHash, now)
	})
	return u, notFound(err, "no such session")
}

// RevokeSession ends the session and audits it.
func (s AccountStore) RevokeSession(ctx context.Context, user account.User, tokenHash []byte, c audit.Change) error {
	return s.DB.InScope(ctx, Scope{UserID: user.ID}, func(tx *sqlx.Tx) error {
		const q = `UPDATE sessions SET revoked_at = now() WHERE token_sha256 = $1 AND user_id = $2 AND revoked_at IS NULL`
		if _, err := tx.ExecContext(ctx, q, tokenHash, user.ID); err != nil {
			return err
		}
		return auditInEachBureau(ctx, tx, user, c)
	})
}
