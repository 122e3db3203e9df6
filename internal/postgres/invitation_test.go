package postgres_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/postgres"
)

// Memberships begin with the user's yes, in the database too: as the
// serving login, an admin cannot grant roles to a user who is no member
// of the bureau, another bureau reads none of the bureau's invitations,
// and a user answers only the invitations to their own name.
func TestInvitationWall(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	user := func(name string) int64 {
		var id int64
		if err := s.Get(&id, `SELECT id FROM users WHERE username = $1`, name); err != nil {
			t.Fatal(err)
		}
		return id
	}
	sjAdmin, wlPlanner, wlLeader := user("sj-admin"), user("wl-planner"), user("wl-leader")
	var invitation int64
	const inv = `INSERT INTO member_invitations (bureau_id, username, roles, invited_by) VALUES ($1, 'wl-planner', '{reviewer}', $2) RETURNING id`
	if err := s.Get(&invitation, inv, sj, sjAdmin); err != nil {
		t.Fatal(err)
	}
	as := func(bureau, userID int64, fn func(tx *sqlx.Tx) error) error {
		return s.InScope(ctx, postgres.Scope{BureauID: bureau, UserID: userID}, fn)
	}

	t.Run("AdminCannotGrantWithoutAcceptance", func(t *testing.T) {
		err := as(sj, sjAdmin, sqlStmt(`INSERT INTO members (bureau_id, user_id, role) VALUES ($1, $2, 'reviewer')`, sj, wlPlanner))
		if !refused(err) {
			t.Errorf("granting a role to a non-member: err = %v, want a refusal", err)
		}
	})
	t.Run("AdminCannotAcceptForTheUser", func(t *testing.T) {
		err := as(sj, sjAdmin, sqlStmt(`UPDATE member_invitations SET state = 'accepted', answered_by = $2, answered_at = now() WHERE id = $1`, invitation, wlPlanner))
		if !refused(err) {
			t.Errorf("an admin accepting for the invitee: err = %v, want a refusal", err)
		}
	})
	t.Run("OtherBureauSeesNone", func(t *testing.T) {
		var n int
		err := as(wl, user("wl-admin"), func(tx *sqlx.Tx) error { return tx.Get(&n, `SELECT count(*) FROM member_invitations`) })
		if err != nil || n != 0 {
			t.Errorf("140522-wl's admin reads %d invitations (%v), want none", n, err)
		}
	})
	t.Run("OtherUserCannotAnswer", func(t *testing.T) {
		var n int
		err := as(sj, wlLeader, func(tx *sqlx.Tx) error {
			res, err := tx.Exec(`UPDATE member_invitations SET state = 'accepted', answered_by = $2, answered_at = now() WHERE id = $1`, invitation, wlLeader)
			if err != nil {
				return err
			}
			affected, _ := res.RowsAffected()
			n = int(affected)
			return nil
		})
		if err == nil && n != 0 {
			t.Errorf("wl-leader accepted an invitation to wl-planner (%d rows)", n)
		}
		err = as(sj, wlLeader, sqlStmt(`INSERT INTO members (bureau_id, user_id, role) VALUES ($1, $2, 'reviewer')`, sj, wlLeader))
		if !refused(err) {
			t.Errorf("wl-leader joining without an invitation: err = %v, want a refusal", err)
		}
	})
	t.Run("InviteeAcceptsAndJoins", func(t *testing.T) {
		err := as(sj, wlPlanner, func(tx *sqlx.Tx) error {
			if _, err := tx.Exec(`UPDATE member_invitations SET state = 'accepted', answered_by = app_user(), answered_at = now() WHERE id = $1`, invitation); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO members (bureau_id, user_id, role) VALUES ($1, $2, 'reviewer')`, sj, wlPlanner)
			return err
		})
		if err != nil {
			t.Errorf("the invitee accepting and joining: %v", err)
		}
	})
}
