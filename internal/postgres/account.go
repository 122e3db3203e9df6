package postgres

import (
	"context"
	"database/sql"
	"encoding/hex"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
)

// AccountStore implements account.Store. Sign-in happens before any bureau
// is chosen, so its transactions run as the serving role with only
// app.user_id set (or nothing, before the user is known). Password hashes,
// sessions and failures are reached only through the narrow functions of
// migration 00011.
type AccountStore struct{ DB *DB }

// UserForSignIn returns the user and their password hash.
func (s AccountStore) UserForSignIn(ctx context.Context, username string) (account.User, string, error) {
	var row struct {
		account.User
		Hash string `db:"password_hash"`
	}
	const q = `SELECT id, username, display_name, created_at, password_must_change, password_hash FROM sign_in_user($1)`
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, q, username)
	})
	return row.User, row.Hash, notFound(err, "no user %q", username)
}

// ReserveAttempt counts the attempt before its password is checked.
func (s AccountStore) ReserveAttempt(ctx context.Context, username, address string) (account.Attempt, error) {
	var row struct {
		Attempt    sql.NullInt64 `db:"attempt"`
		RetryAfter int           `db:"retry_after"`
		WaitMS     int           `db:"wait_ms"`
	}
	const q = `SELECT attempt, retry_after, wait_ms FROM sign_in_reserve($1, $2)`
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, q, username, address)
	})
	return account.Attempt{ID: row.Attempt.Int64, RetryAfter: time.Duration(row.RetryAfter) * time.Second,
		Wait: time.Duration(row.WaitMS) * time.Millisecond}, err
}

// CreateSession stores the session and audits the sign-in in each of the
// user's bureaus.
func (s AccountStore) CreateSession(ctx context.Context, attempt int64, user account.User, tokenHash []byte, expires time.Time, address string, c audit.Change) error {
	return s.DB.InScope(ctx, Scope{UserID: user.ID}, func(tx *sqlx.Tx) error {
		const q = `SELECT sign_in_complete($1, $2, $3, $4, $5)`
		if _, err := tx.ExecContext(ctx, q, attempt, user.ID, tokenHash, expires, address); err != nil {
			return err
		}
		return auditInEachBureau(ctx, tx, user, c)
	})
}

// ChangePassword stores the new hash, ends the user's other sessions and
// audits the change in each of their bureaus.
func (s AccountStore) ChangePassword(ctx context.Context, attempt int64, user account.User, hash string, keepToken []byte, c audit.Change) error {
	return s.DB.InScope(ctx, Scope{UserID: user.ID}, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT sign_in_release($1)`, attempt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_password($1, $2, false, $3)`, user.ID, hash, keepToken); err != nil {
			return err
		}
		return auditInEachBureau(ctx, tx, user, c)
	})
}

// ReleaseAttempt forgets an attempt whose password was never checked.
func (s AccountStore) ReleaseAttempt(ctx context.Context, attempt int64) error {
	return s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT sign_in_release($1)`, attempt)
		return err
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

// Identify reads the session and membership with one statement, the first
// of the request's transaction (see WithRequest), sent with its BEGIN in
// one round trip (beginStatement); request_identity puts the tenant
// settings in force for the rest of it.
func (s AccountStore) Identify(ctx context.Context, tokenHash []byte, bureauCode string) (account.Identity, error) {
	var (
		userID, bureauID, bureaus                 sql.NullInt64
		username, displayName, code, region, kind sql.NullString
		createdAt                                 sql.NullTime
		mustChange                                sql.NullBool
		roles                                     pq.StringArray
	)
	st := &beginStatement{query: identityQuery(tokenHash, bureauCode), dest: []any{
		&userID, &username, &displayName, &createdAt, &mustChange, &bureauID, &code, &region, &kind, &roles, &bureaus}}
	err := s.DB.identify(ctx, st, func() Scope { return Scope{BureauID: bureauID.Int64, UserID: userID.Int64} })
	user := account.User{ID: userID.Int64, Username: username.String, DisplayName: displayName.String,
		CreatedAt: createdAt.Time, MustChangePassword: mustChange.Bool}
	return account.Identity{User: user, BureauID: bureauID.Int64, BureauCode: code.String,
		RegionCode: region.String, BureauKind: kind.String, Roles: roles, Bureaus: int(bureaus.Int64)}, notFound(err, "no such session")
}

// identityQuery is request_identity's statement for a token's hash and a
// bureau code, its values quoted into the text: a statement sent with
// BEGIN goes in the simple protocol, which takes no parameters.
func identityQuery(tokenHash []byte, bureauCode string) string {
	return `SELECT user_id, username, display_name, created_at, password_must_change,
	bureau_id, bureau_code, region_code, bureau_kind, roles, bureaus
FROM request_identity(decode('` + hex.EncodeToString(tokenHash) + `', 'hex'), ` + pq.QuoteLiteral(bureauCode) + `)`
}

// RevokeSession ends the session and audits it.
func (s AccountStore) RevokeSession(ctx context.Context, user account.User, tokenHash []byte, c audit.Change) error {
	return s.DB.InScope(ctx, Scope{UserID: user.ID}, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT session_revoke($1)`, tokenHash); err != nil {
			return err
		}
		return auditInEachBureau(ctx, tx, user, c)
	})
}
