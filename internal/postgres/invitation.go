package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

type invitationRow struct {
	ID         int64          `db:"id"`
	BureauID   int64          `db:"bureau_id"`
	Username   string         `db:"username"`
	Roles      pq.StringArray `db:"roles"`
	State      string         `db:"state"`
	InvitedAt  time.Time      `db:"invited_at"`
	ExpiresAt  time.Time      `db:"expires_at"`
	AnsweredAt *time.Time     `db:"answered_at"`
}

func (r invitationRow) invitation() bureau.Invitation {
	return bureau.Invitation{ID: r.ID, BureauID: r.BureauID, Username: r.Username, Roles: r.Roles, State: r.State,
		InvitedAt: r.InvitedAt, ExpiresAt: r.ExpiresAt, AnsweredAt: r.AnsweredAt}
}

// invitationColumns reads an invitation, a pending one past its expiry as
// expired.
const invitationColumns = `i.id, i.bureau_id, i.username, i.roles,
	CASE WHEN i.state = 'pending' AND i.expires_at <= now() THEN 'expired' ELSE i.state END AS state,
	i.invited_at, i.expires_at, i.answered_at`

// Invite records an invitation of the actor's bureau, under the bureau's
// membership lock (so that it cannot cross an acceptance or a role
// change), creating the user first when a password hash is given and the
// name is free. Every path past the membership check runs the same
// statements, whether or not the name is held.
func (s BureauStore) Invite(ctx context.Context, actor *authz.Actor, nm bureau.NewMember, passwordHash string) (bureau.Invitation, error) {
	var inv bureau.Invitation
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if err := lockMembers(ctx, tx, actor, true); err != nil {
			return err
		}
		member, err := memberIn(ctx, tx, nm.Username)
		if err != nil {
			return err
		}
		if member != nil {
			return errs.E(errs.Conflict, "%s is already a member of %s: change their roles with setMemberRoles", nm.Username, actor.BureauCode)
		}
		if passwordHash != "" {
			const create = `SELECT create_invited_user($1, $2, $3)`
			if _, err := tx.ExecContext(ctx, create, nm.Username, nm.DisplayName, passwordHash); err != nil {
				return err
			}
		}
		before, err := pendingInvitation(ctx, tx, nm.Username)
		if err != nil {
			return err
		}
		if inv, err = upsertInvitation(ctx, tx, before, nm); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, bureau.InvitationChange("member.invite", before, &inv))
	})
	return inv, err
}

// pendingInvitation is the actor's bureau's pending invitation to a name,
// if any.
func pendingInvitation(ctx context.Context, tx *sqlx.Tx, username string) (*bureau.Invitation, error) {
	var rows []invitationRow
	q := `SELECT ` + invitationColumns + ` FROM member_invitations i
WHERE i.bureau_id = app_bureau() AND i.username = $1 AND i.state = 'pending' AND i.expires_at > now()`
	if err := tx.SelectContext(ctx, &rows, q, username); err != nil || len(rows) == 0 {
		return nil, err
	}
	inv := rows[0].invitation()
	return &inv, nil
}

// upsertInvitation refreshes the pending invitation (roles, inviter, a new
// expiry) or makes one.
func upsertInvitation(ctx context.Context, tx *sqlx.Tx, pending *bureau.Invitation, nm bureau.NewMember) (bureau.Invitation, error) {
	var row invitationRow
	expires := fmt.Sprintf("%d seconds", int(bureau.InvitationTTL.Seconds()))
	if pending != nil {
		q := `UPDATE member_invitations i SET roles = $2, invited_by = app_user(), invited_at = now(), expires_at = now() + $3::interval
WHERE i.id = $1 RETURNING ` + invitationColumns
		err := tx.GetContext(ctx, &row, q, pending.ID, pq.Array(nm.Roles), expires)
		return row.invitation(), err
	}
	q := `INSERT INTO member_invitations AS i (bureau_id, username, roles, invited_by, expires_at)
VALUES (app_bureau(), $1, $2, app_user(), now() + $3::interval) RETURNING ` + invitationColumns
	err := tx.GetContext(ctx, &row, q, nm.Username, pq.Array(nm.Roles), expires)
	return row.invitation(), err
}

// ListInvitations returns a page of the actor's bureau's invitations,
// newest first.
func (s BureauStore) ListInvitations(ctx context.Context, actor *authz.Actor, f bureau.InvitationFilter, p page.Request) ([]bureau.Invitation, error) {
	w := invitationWhere(f)
	w.seek(p, true, "i.id", intKey)
	q := `SELECT ` + invitationColumns + ` FROM member_invitations i WHERE ` + w.String() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("i.id", true), p.Limit())
	return s.selectInvitations(ctx, scopeOf(actor), q, w.args...)
}

// CountInvitations counts the invitations of ListInvitations.
func (s BureauStore) CountInvitations(ctx context.Context, actor *authz.Actor, f bureau.InvitationFilter) (int, error) {
	w := invitationWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM member_invitations i WHERE `+w.String(), w.args...)
}

// invitationWhere keeps the acting bureau's invitations in the filter's
// state; the explicit bureau condition keeps out the invitations to the
// actor's own name, which row-level security shows too.
func invitationWhere(f bureau.InvitationFilter) *where {
	w := &where{}
	w.add("i.bureau_id = app_bureau()")
	switch f.State {
	case "":
	case bureau.InvitationPending:
		w.add("i.state = 'pending' AND i.expires_at > now()")
	case bureau.InvitationExpired:
		w.add("i.state = 'pending' AND i.expires_at <= now()")
	default:
		w.add("i.state = %s", f.State)
	}
	return w
}

// InvitationsTo returns a page of the pending invitations to the signer's
// name, newest first; row-level security shows a user the invitations to
// their name, of every bureau.
func (s BureauStore) InvitationsTo(ctx context.Context, signer *authz.Signer, p page.Request) ([]bureau.Invitation, error) {
	w := &where{}
	w.add(invitationsToMe)
	w.seek(p, true, "i.id", intKey)
	q := `SELECT ` + invitationColumns + ` FROM member_invitations i WHERE ` + w.String() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("i.id", true), p.Limit())
	return s.selectInvitations(ctx, Scope{UserID: signer.UserID}, q, w.args...)
}

// CountInvitationsTo counts the invitations of InvitationsTo.
func (s BureauStore) CountInvitationsTo(ctx context.Context, signer *authz.Signer) (int, error) {
	return s.DB.countIn(ctx, Scope{UserID: signer.UserID}, `SELECT FROM member_invitations i WHERE `+invitationsToMe)
}

const invitationsToMe = `i.username = app_username() AND i.state = 'pending' AND i.expires_at > now()`

func (s BureauStore) selectInvitations(ctx context.Context, scope Scope, q string, args ...any) ([]bureau.Invitation, error) {
	var rows []invitationRow
	err := s.DB.InScope(ctx, scope, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, args...) })
	out := make([]bureau.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.invitation()
	}
	return out, err
}

// AnswerInvitation answers an invitation to the signer's name. The
// transaction finds it as the signer (row-level security shows a user the
// invitations to their name), then acts in the inviting bureau: under its
// membership lock, so that two answers, or an answer and a withdrawal,
// come one after the other; the database grants the roles only to the
// user who accepted in this transaction (app_may_grant). The inviting
// bureau's trail records the answer and, on acceptance, the new member.
func (s BureauStore) AnswerInvitation(ctx context.Context, signer *authz.Signer, id int64, accept bool) (bureau.Invitation, error) {
	var inv bureau.Invitation
	err := s.DB.InScope(ctx, Scope{UserID: signer.UserID}, func(tx *sqlx.Tx) error {
		before, err := invitationToMe(ctx, tx, id)
		if err != nil {
			return err
		}
		const enter = `SELECT set_config('app.bureau_id', $1, true)`
		if _, err := tx.ExecContext(ctx, enter, fmt.Sprint(before.BureauID)); err != nil {
			return err
		}
		actor := &authz.Actor{UserID: signer.UserID, Username: signer.Username, BureauID: before.BureauID}
		if err := tx.GetContext(ctx, &actor.BureauCode, `SELECT code FROM bureaus WHERE id = app_bureau()`); err != nil {
			return err
		}
		if err := lockMembers(ctx, tx, actor, false); err != nil {
			return err
		}
		state := bureau.InvitationDeclined
		if accept {
			state = bureau.InvitationAccepted
		}
		if inv, err = answer(ctx, tx, id, state); err != nil {
			return err
		}
		if err := auditAs(ctx, tx, actor, bureau.InvitationChange("member.answer_invitation", &before, &inv)); err != nil {
			return err
		}
		if !accept {
			return nil
		}
		return s.join(ctx, tx, actor, inv)
	})
	return inv, err
}

// Invitation reads an invitation to the signer's name or, with admin, of
// admin's bureau.
func (s BureauStore) Invitation(ctx context.Context, signer *authz.Signer, admin *authz.Actor, id int64) (bureau.Invitation, error) {
	scope := Scope{UserID: signer.UserID}
	if admin != nil {
		scope.BureauID = admin.BureauID
	}
	var row invitationRow
	q := `SELECT ` + invitationColumns + ` FROM member_invitations i
WHERE i.id = $1 AND (i.bureau_id = app_bureau() OR i.username = app_username())`
	err := s.DB.InScope(ctx, scope, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &row, q, id) })
	return row.invitation(), notFound(err, "no invitation %d", id)
}

// invitationToMe reads an invitation to the transaction user's name;
// NOT_FOUND for any other.
func invitationToMe(ctx context.Context, tx *sqlx.Tx, id int64) (bureau.Invitation, error) {
	var row invitationRow
	q := `SELECT ` + invitationColumns + ` FROM member_invitations i WHERE i.id = $1 AND i.username = app_username()`
	if err := tx.GetContext(ctx, &row, q, id); err != nil {
		return bureau.Invitation{}, notFound(err, "no invitation %d to you", id)
	}
	return row.invitation(), nil
}

// answer moves the pending invitation to state, as its invitee: CONFLICT
// when it was answered, withdrawn or expired meanwhile.
func answer(ctx context.Context, tx *sqlx.Tx, id int64, state string) (bureau.Invitation, error) {
	var row invitationRow
	q := `UPDATE member_invitations i SET state = $2, answered_at = now(), answered_by = app_user()
WHERE i.id = $1 AND i.username = app_username() AND i.state = 'pending' AND i.expires_at > now()
RETURNING ` + invitationColumns
	err := tx.GetContext(ctx, &row, q, id, state)
	if errors.Is(err, sql.ErrNoRows) {
		return bureau.Invitation{}, notPending(ctx, tx, id)
	}
	return row.invitation(), err
}

// notPending says why an invitation the caller may see cannot change.
func notPending(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var state string
	q := `SELECT CASE WHEN i.state = 'pending' AND i.expires_at <= now() THEN 'expired' ELSE i.state END FROM member_invitations i WHERE i.id = $1`
	if err := tx.GetContext(ctx, &state, q, id); err != nil {
		return notFound(err, "no invitation %d", id)
	}
	return errs.E(errs.Conflict, "invitation %d is %s: only a pending one can change", id, state)
}

// join grants an accepted invitation's roles, with the member's audit entry
// and the NOTIFY for other instances.
func (s BureauStore) join(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, inv bureau.Invitation) error {
	before, err := memberIn(ctx, tx, inv.Username)
	if err != nil {
		return err
	}
	const grant = `INSERT INTO members (bureau_id, user_id, role) SELECT app_bureau(), app_user(), unnest($1::text[]) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, grant, pq.Array(inv.Roles)); err != nil {
		return err
	}
	after, err := memberIn(ctx, tx, inv.Username)
	if err != nil {
		return err
	}
	return s.audited(ctx, tx, actor, "member.join", inv.Username, before, after)
}

// WithdrawInvitation withdraws a pending invitation of the actor's bureau,
// under its membership lock.
func (s BureauStore) WithdrawInvitation(ctx context.Context, actor *authz.Actor, id int64) (bureau.Invitation, error) {
	var inv bureau.Invitation
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if err := lockMembers(ctx, tx, actor, true); err != nil {
			return err
		}
		var row invitationRow
		q := `UPDATE member_invitations i SET state = 'withdrawn'
WHERE i.id = $1 AND i.bureau_id = app_bureau() AND i.state = 'pending' AND i.expires_at > now()
RETURNING ` + invitationColumns
		err := tx.GetContext(ctx, &row, q, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ownNotPending(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		inv = row.invitation()
		before := inv
		before.State = bureau.InvitationPending
		return auditAs(ctx, tx, actor, bureau.InvitationChange("member.withdraw_invitation", &before, &inv))
	})
	return inv, err
}

// ownNotPending: NOT_FOUND for an invitation of another bureau (or to the
// actor's own name), CONFLICT for one of the actor's bureau that is no
// longer pending.
func ownNotPending(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var exists bool
	const q = `SELECT EXISTS (SELECT FROM member_invitations WHERE id = $1 AND bureau_id = app_bureau())`
	if err := tx.GetContext(ctx, &exists, q, id); err != nil {
		return err
	}
	if !exists {
		return errs.NotFoundf("no invitation %d", id)
	}
	return notPending(ctx, tx, id)
}
