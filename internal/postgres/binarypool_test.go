package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/postgres"
)

// TestInScopeBinary checks the pool that sends bytea in binary: it logs in
// as the serving role with the scope's tenant settings, bytea arrive
// intact (every byte value, which hex or escape text would spell out), and
// a []byte goes as binary, so that JSON sent as []byte is refused where
// the serving pool would take it as text.
func TestInScopeBinary(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	actor := actingAs(t, s, "wl-planner")
	scope := postgres.Scope{BureauID: actor.BureauID, UserID: actor.UserID}
	all := make([]byte, 256*3)
	for i := range all {
		all[i] = byte(i)
	}
	err := s.InScopeBinary(ctx, scope, func(tx *sqlx.Tx) error {
		var login string
		var bureau int64
		var back []byte
		q := `SELECT session_user, current_setting('app.bureau_id')::bigint, $1::bytea`
		if err := tx.QueryRowContext(ctx, q, all).Scan(&login, &bureau, &back); err != nil {
			return err
		}
		if login != postgres.ServingRole || bureau != actor.BureauID {
			t.Errorf("logged in as %s for bureau %d, want %s for %d", login, bureau, postgres.ServingRole, actor.BureauID)
		}
		if !bytes.Equal(back, all) {
			t.Errorf("bytea came back as %d bytes, not the %d sent", len(back), len(all))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	jsonAsBytes := func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT $1::jsonb`, []byte(`{"a": 1}`))
		return err
	}
	if err := s.InScope(ctx, scope, jsonAsBytes); err != nil {
		t.Fatalf("the serving pool sends []byte as text: %v", err)
	}
	if err := s.InScopeBinary(ctx, scope, jsonAsBytes); err == nil {
		t.Error("InScopeBinary took JSON sent as []byte: its []byte parameters are not sent in binary")
	}
}
