package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/postgres"
)

// newAudited returns a seeded database whose trails were written by the
// real stores: the seed (entry 1 of each bureau), then sessions of
// wl-admin, wl-planner and wl-leader (wl entries 2-4) and of sj-admin
// (sj entry 2), then wl-admin giving wl-planner a second role (wl entry 5).
// Sessions are created by the store directly: checking passwords (argon2id)
// would only slow the test down.
func newAudited(t *testing.T) seededDB {
	t.Helper()
	ctx := context.Background()
	s := newSeeded(t)
	accounts := postgres.AccountStore{DB: s.DB}
	users := map[string]account.User{}
	expires := time.Now().Add(account.SessionLifetime).UTC().Truncate(time.Second)
	for _, u := range []string{"wl-admin", "wl-planner", "wl-leader", "sj-admin"} {
		var user account.User
		if err := s.Get(&user, `SELECT id, username, display_name, created_at FROM users WHERE username = $1`, u); err != nil {
			t.Fatal(err)
		}
		users[u] = user
		change := audit.Change{Action: "session.sign_in", ObjectType: "session", ObjectID: u,
			After: map[string]any{"expiresAt": expires, "address": "192.0.2.1"}}
		attempt, err := accounts.ReserveAttempt(ctx, u, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := accounts.CreateSession(ctx, attempt.ID, user, account.HashToken("token of "+u), expires, "192.0.2.1", change); err != nil {
			t.Fatalf("session of %s: %v", u, err)
		}
	}
	admin := users["wl-admin"]
	actor := &authz.Actor{UserID: admin.ID, Username: admin.Username,
		BureauID: s.bureau["140522-wl"], BureauCode: "140522-wl", RegionCode: "140522", Roles: []string{"admin"}}
	if _, err := (postgres.BureauStore{DB: s.DB}).SetMemberRoles(ctx, actor, "wl-planner", []string{"planner", "reviewer"}); err != nil {
		t.Fatalf("set roles: %v", err)
	}
	return s
}

// auditedEntries is how many entries newAudited writes: wl 5, sj 2, lh 1.
const auditedEntries = 8

func TestVerifyAuditIntact(t *testing.T) {
	s := newAudited(t)
	got, err := postgres.VerifyAudit(context.Background(), s.DB)
	if err != nil {
		t.Fatalf("VerifyAudit on an untouched trail: %v", err)
	}
	if want := auditedEntries; got != want {
		t.Errorf("entries checked = %d, want %d", got, want)
	}
	var stored int
	if err := s.Get(&stored, `SELECT count(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	if stored != got {
		t.Errorf("entries checked = %d, but audit_log holds %d", got, stored)
	}
}

// TestVerifyAuditTampered changes the trail behind the server's back, as
// the database superuser, one way per fresh database: VerifyAudit must name
// the bureau and the entry (for a deletion, the missing one).
func TestVerifyAuditTampered(t *testing.T) {
	tests := []struct {
		name   string
		tamper string // $1 is the bureau id
		bureau string
		seq    int64
	}{
		{"ErrAfterChanged", `UPDATE audit_log SET after = '{"roles":["admin","planner"]}' WHERE bureau_id = $1 AND seq = 5`, "140522-wl", 5},
		{"ErrAfterReformatted", `UPDATE audit_log SET after = (after::jsonb)::json WHERE bureau_id = $1 AND seq = 3`, "140522-wl", 3},
		{"ErrActorChanged", `UPDATE audit_log SET actor_username = 'wl-leader' WHERE bureau_id = $1 AND seq = 2`, "140522-wl", 2},
		{"ErrActorIDChanged", `UPDATE audit_log SET actor_id = NULL WHERE bureau_id = $1 AND seq = 2`, "140522-sj", 2},
		{"ErrMiddleDeleted", `DELETE FROM audit_log WHERE bureau_id = $1 AND seq = 3`, "140522-wl", 3},
		{"ErrLastDeleted", `DELETE FROM audit_log WHERE bureau_id = $1 AND seq = 5`, "140522-wl", 5},
		{"ErrOnlyEntryDeleted", `DELETE FROM audit_log WHERE bureau_id = $1`, "140522-lh", 1},
		{"ErrAtShifted", `UPDATE audit_log SET at = at + interval '1 microsecond' WHERE bureau_id = $1 AND seq = 2`, "140522-sj", 2},
		{"ErrSeedRewritten", `UPDATE audit_log SET object_id = '140522-xx' WHERE bureau_id = $1 AND seq = 1`, "140522-lh", 1},
		{"ErrHeadMoved", `UPDATE audit_heads SET seq = seq + 1 WHERE bureau_id = $1`, "140522-sj", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAudited(t)
			bureau := s.bureau[tt.bureau]
			res, err := s.superuser(t).Exec(tt.tamper, bureau)
			if err != nil {
				t.Fatalf("tamper: %v", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("tamper changed no row: the case tests nothing")
			}
			_, err = postgres.VerifyAudit(context.Background(), s.DB)
			var broken *audit.BrokenError
			if !errors.As(err, &broken) {
				t.Fatalf("VerifyAudit = %v, want an *audit.BrokenError", err)
			}
			if got, want := [2]int64{broken.BureauID, broken.Seq}, [2]int64{bureau, tt.seq}; got != want {
				t.Errorf("broken at (bureau, entry) = %v, want %v: %v", got, want, err)
			}
		})
	}

	// A forger who knows the hash recomputes the last entry's hash after
	// changing it. Only the head still shows the change: VerifyAudit must
	// notice, in the right bureau. (Which entry it names is reported as a
	// bug: Chain.Close names entry 6, one past the end.)
	t.Run("ErrLastRehashed", func(t *testing.T) {
		s := newAudited(t)
		wl := s.bureau["140522-wl"]
		su := s.superuser(t)
		var e audit.Entry
		var before, after string
		const q = `SELECT bureau_id, seq, actor_id, actor_username, action, object_type, object_id,
			coalesce(before::text, '') AS before, coalesce(after::text, '') AS after, at, prev_hash, hash
			FROM audit_log WHERE bureau_id = $1 AND seq = 5`
		if err := su.QueryRowx(q, wl).Scan(&e.BureauID, &e.Seq, &e.ActorID, &e.ActorUsername, &e.Action,
			&e.ObjectType, &e.ObjectID, &before, &after, &e.At, &e.PrevHash, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.Before, e.After = []byte(before), []byte(after)
		if e.ComputeHash() != e.Hash {
			t.Fatalf("recomputing the stored entry's hash disagrees with it: the forgery below would prove nothing")
		}
		e.ActorUsername = "wl-leader"
		if _, err := su.Exec(`UPDATE audit_log SET actor_username = $1, hash = $2 WHERE bureau_id = $3 AND seq = 5`,
			e.ActorUsername, e.ComputeHash(), wl); err != nil {
			t.Fatal(err)
		}
		_, err := postgres.VerifyAudit(context.Background(), s.DB)
		var broken *audit.BrokenError
		if !errors.As(err, &broken) {
			t.Fatalf("VerifyAudit = %v, want an *audit.BrokenError", err)
		}
		if got, want := broken.BureauID, wl; got != want {
			t.Errorf("broken in bureau %d, want %d: %v", got, want, err)
		}
		t.Logf("VerifyAudit: %v", err)
	})
}
