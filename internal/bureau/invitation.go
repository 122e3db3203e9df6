package bureau

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// InvitationTTL is how long an unanswered invitation stands.
const InvitationTTL = 14 * 24 * time.Hour

// States of an invitation. Expired is never stored: a pending invitation
// past its expiry reads as expired.
const (
	InvitationPending   = "pending"
	InvitationAccepted  = "accepted"
	InvitationDeclined  = "declined"
	InvitationWithdrawn = "withdrawn"
	InvitationExpired   = "expired"
)

// Invitation (成员邀请) asks the user holding a username to join a bureau
// with roles. It names the username, not a user: an invitation to a name
// nobody holds looks and behaves exactly like any other and is just never
// accepted, so a bureau learns from it nothing about who exists elsewhere.
type Invitation struct {
	ID         int64      `json:"id"`
	BureauID   int64      `json:"bureauId"`
	Username   string     `json:"username"`
	Roles      []string   `json:"roles"`
	State      string     `json:"state"`
	InvitedAt  time.Time  `json:"invitedAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	AnsweredAt *time.Time `json:"answeredAt,omitempty"`
}

// InvitationFilter narrows a bureau's invitations.
type InvitationFilter struct {
	State string // only invitations in this state; "" for all
}

// InvitationStore keeps invitations. Methods taking an actor run in the
// actor's bureau as the serving role; those taking a signer run as that
// user, who may be a member of no bureau at all.
type InvitationStore interface {
	// Invite records an invitation of the actor's bureau (refreshing the
	// roles and expiry of one still pending for the name), and first
	// creates the user when passwordHash is set and the name is free:
	// the same answer whether or not it was. CONFLICT when the name is
	// already a member of the bureau.
	Invite(ctx context.Context, actor *authz.Actor, m NewMember, passwordHash string) (Invitation, error)
	ListInvitations(ctx context.Context, actor *authz.Actor, f InvitationFilter, p page.Request) ([]Invitation, error)
	// CountInvitations counts every page of ListInvitations.
	CountInvitations(ctx context.Context, actor *authz.Actor, f InvitationFilter) (int, error)
	// Invitation returns an invitation to the signer's name, or with admin
	// set one of admin's bureau; NOT_FOUND for any other.
	Invitation(ctx context.Context, signer *authz.Signer, admin *authz.Actor, id int64) (Invitation, error)
	// InvitationsTo lists the pending invitations to the signer's name.
	InvitationsTo(ctx context.Context, signer *authz.Signer, p page.Request) ([]Invitation, error)
	// CountInvitationsTo counts every page of InvitationsTo.
	CountInvitationsTo(ctx context.Context, signer *authz.Signer) (int, error)
	// AnswerInvitation accepts (granting the roles) or declines an
	// invitation to the signer's name; NOT_FOUND when there is none,
	// CONFLICT when it is no longer pending.
	AnswerInvitation(ctx context.Context, signer *authz.Signer, id int64, accept bool) (Invitation, error)
	// WithdrawInvitation withdraws a pending invitation of the actor's
	// bureau; NOT_FOUND when the bureau has none with the id, CONFLICT
	// when it is no longer pending.
	WithdrawInvitation(ctx context.Context, actor *authz.Actor, id int64) (Invitation, error)
}

// Invite invites a username to the acting bureau with roles (admins only,
// member:manage). With a display name and an initial password it also
// creates the user, if the name is free; if it is taken, the password is
// dropped. Either way the answer is the same pending invitation, so an
// admin learns nothing about names held elsewhere; the roles exist once
// the user accepts (answerMemberInvitation). BAD_USER_INPUT names the
// field at fault; CONFLICT when the name is already a member here.
func (s *Service) Invite(ctx context.Context, m NewMember) (Invitation, error) {
	actor, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		return Invitation{}, err
	}
	m.Username = strings.ToLower(strings.TrimSpace(m.Username))
	m.DisplayName = strings.TrimSpace(m.DisplayName)
	if err := validateNewMember(m); err != nil {
		return Invitation{}, err
	}
	if err := rolesFitBureau(actor, m.Roles); err != nil {
		return Invitation{}, err
	}
	slices.Sort(m.Roles)
	m.Roles = slices.Compact(m.Roles)
	var hash string
	if m.InitialPassword != "" {
		// Hashed before anyone looks at the name, whether or not it is
		// free: the two cases take the same time.
		if hash, err = account.HashPasswordLimited(ctx, m.InitialPassword); err != nil {
			return Invitation{}, err
		}
	}
	return s.Store.Invite(ctx, actor, m, hash)
}

// OutgoingInvitations lists the acting bureau's invitations, newest first
// (admins only, member:manage).
func (s *Service) OutgoingInvitations(ctx context.Context, f InvitationFilter, p page.Request) (*page.Connection[Invitation], error) {
	actor, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		return nil, err
	}
	if f.State != "" && !slices.Contains([]string{InvitationPending, InvitationAccepted, InvitationDeclined, InvitationWithdrawn, InvitationExpired}, f.State) {
		return nil, errs.InvalidField("filter.state", "unknown state %q", f.State)
	}
	if err := p.CheckKeys(page.IsNumber); err != nil {
		return nil, err
	}
	rows, err := s.Store.ListInvitations(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, invitationKey).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountInvitations(ctx, actor, f)
	}), nil
}

// InvitationsToMe lists the pending invitations to the signed-in user,
// newest first. Any signed-in user, acting in a bureau or not.
func (s *Service) InvitationsToMe(ctx context.Context, p page.Request) (*page.Connection[Invitation], error) {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsNumber); err != nil {
		return nil, err
	}
	rows, err := s.Store.InvitationsTo(ctx, signer, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, invitationKey).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountInvitationsTo(ctx, signer)
	}), nil
}

// Invitation returns an invitation the caller may see: one to their own
// name, or (admins, member:manage) one of the acting bureau. NOT_FOUND for
// any other.
func (s *Service) Invitation(ctx context.Context, id int64) (Invitation, error) {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return Invitation{}, err
	}
	admin, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		admin = nil // still the invitee's to see
	}
	return s.Store.Invitation(ctx, signer, admin, id)
}

func invitationKey(i Invitation) string { return strconv.FormatInt(i.ID, 10) }

// AnswerInvitation accepts or declines an invitation to the signed-in
// user; accepting grants its roles at once. Any signed-in user whose
// password is their own (FORBIDDEN while it is one an admin set);
// NOT_FOUND for an invitation to someone else, CONFLICT for one that was
// answered, withdrawn or has expired.
func (s *Service) AnswerInvitation(ctx context.Context, id int64, accept bool) (Invitation, error) {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return Invitation{}, err
	}
	if signer.MustChangePassword {
		return Invitation{}, errs.E(errs.Forbidden, "your password was set by an admin: change it first (changePassword)")
	}
	inv, err := s.Store.AnswerInvitation(ctx, signer, id, accept)
	if err != nil || !accept {
		return inv, err
	}
	return inv, s.Authz.Reload(ctx)
}

// WithdrawInvitation withdraws a pending invitation of the acting bureau
// (admins only, member:manage). NOT_FOUND for another bureau's; CONFLICT
// for one no longer pending.
func (s *Service) WithdrawInvitation(ctx context.Context, id int64) (Invitation, error) {
	actor, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		return Invitation{}, err
	}
	return s.Store.WithdrawInvitation(ctx, actor, id)
}

// InvitationChange is the audit change of an invitation: the state before
// and after (nil where there is none). The object is the invited name.
func InvitationChange(action string, before, after *Invitation) audit.Change {
	c := audit.Change{Action: action, ObjectType: "member_invitation"}
	if after != nil {
		c.ObjectID = strconv.FormatInt(after.ID, 10)
		c.After = after
	}
	if before != nil {
		c.Before = before
	}
	return c
}
