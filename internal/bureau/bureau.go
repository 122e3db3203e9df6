// Package bureau is the tenancy of the service: regions (GB/T 2260 areas),
// bureaus (the tenants: a county's culture-and-tourism bureau, its
// market-supervision bureau, its joint office…) and their members, users
// holding roles in a bureau.
package bureau

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Kinds of bureau.
const (
	KindCultureTourism    = "culture_tourism"
	KindMarketSupervision = "market_supervision"
	KindHealth            = "health"
	KindJointOffice       = "joint_office"
)

// Region is an administrative area.
type Region struct {
	Code string `db:"code" json:"code"`
	Name string `db:"name" json:"name"`
}

// Bureau is a tenant.
type Bureau struct {
	ID         int64  `db:"id" json:"id"`
	Code       string `db:"code" json:"code"`
	RegionCode string `db:"region_code" json:"regionCode"`
	Name       string `db:"name" json:"name"`
	Kind       string `db:"kind" json:"kind"`
}

// Member is a user's roles in one bureau.
type Member struct {
	BureauID int64     `json:"bureauId"`
	UserID   int64     `json:"userId"`
	Username string    `json:"username"`
	Roles    []string  `json:"roles"`
	Since    time.Time `json:"since"`
}

// Membership is one bureau a user belongs to and their roles there.
type Membership struct {
	Bureau Bureau
	Roles  []string
}

// MemberFilter narrows a list of members.
type MemberFilter struct {
	Role   string // only members holding this role
	Search string // part of the username or display name
}

// NewMember is what an admin enters to invite someone to their bureau: a
// username and roles, and for a user to create (if the name is free) a
// display name and an initial password.
type NewMember struct {
	Username        string
	DisplayName     string
	InitialPassword string
	Roles           []string
}

// Store keeps bureaus, members and invitations. Methods taking an actor
// run as the serving role in the actor's bureau.
type Store interface {
	InvitationStore
	BureauByCode(ctx context.Context, code string) (Bureau, error)
	BureausByID(ctx context.Context, ids []int64) ([]Bureau, error)
	Regions(ctx context.Context, codes []string) ([]Region, error)
	Memberships(ctx context.Context, userID int64) ([]Membership, error)
	ListMembers(ctx context.Context, actor *authz.Actor, f MemberFilter, p page.Request) ([]Member, error)
	// CountMembers counts every page of ListMembers.
	CountMembers(ctx context.Context, actor *authz.Actor, f MemberFilter) (int, error)
	// Member returns the actor's bureau's member with this username;
	// NOT_FOUND if there is none.
	Member(ctx context.Context, actor *authz.Actor, username string) (Member, error)
	// SetMemberRoles replaces a member's roles (none: removes the member);
	// NOT_FOUND if the user is not a member of the actor's bureau.
	SetMemberRoles(ctx context.Context, actor *authz.Actor, username string, roles []string) (Member, error)
	// Leave removes the actor from their bureau; CONFLICT if they are its
	// last admin, NOT_FOUND if they are no member.
	Leave(ctx context.Context, actor *authz.Actor) (Member, error)
	UsersByID(ctx context.Context, ids []int64) ([]account.User, error)
	// ResetPassword gives a member a temporary password and ends their
	// sessions; NOT_FOUND if not a member, CONFLICT if other bureaus
	// hold them too.
	ResetPassword(ctx context.Context, actor *authz.Actor, username, passwordHash string) error
}

// Service answers for bureaus and their members.
type Service struct {
	Store Store
	Authz *authz.Enforcer
}

// Acting returns the actor's bureau. Any member may read it.
func (s *Service) Acting(ctx context.Context) (Bureau, error) {
	actor, err := s.Authz.Require(ctx, "bureau:read")
	if err != nil {
		return Bureau{}, err
	}
	return s.Store.BureauByCode(ctx, actor.BureauCode)
}

// Members lists the acting bureau's members by username. Needs member:read
// (not inspectors).
func (s *Service) Members(ctx context.Context, f MemberFilter, p page.Request) (*page.Connection[Member], error) {
	actor, err := s.Authz.Require(ctx, "member:read")
	if err != nil {
		return nil, err
	}
	if f.Role != "" && !authz.ValidRole(f.Role) {
		return nil, errs.InvalidField("filter.role", "unknown role %q", f.Role)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := s.Store.ListMembers(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(m Member) string { return m.Username }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountMembers(ctx, actor, f)
	}), nil
}

// Member returns the acting bureau's member with this username. Needs
// member:read; NOT_FOUND if the user is no member of the acting bureau.
func (s *Service) Member(ctx context.Context, username string) (Member, error) {
	actor, err := s.Authz.Require(ctx, "member:read")
	if err != nil {
		return Member{}, err
	}
	return s.Store.Member(ctx, actor, username)
}

// User returns a user the caller may see: themself, or a member of the
// acting bureau (member:read). NOT_FOUND for anyone else.
func (s *Service) User(ctx context.Context, id int64) (account.User, error) {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return account.User{}, err
	}
	users, err := s.Store.UsersByID(ctx, []int64{id})
	if err != nil {
		return account.User{}, err
	}
	if len(users) == 0 {
		return account.User{}, errs.NotFoundf("no user %d", id)
	}
	if id != signer.UserID {
		if _, err := s.Member(ctx, users[0].Username); err != nil {
			return account.User{}, err
		}
	}
	return users[0], nil
}

// Bureau returns a bureau of the acting bureau's region (bureau:read):
// the region's bureaus work together and may name each other. NOT_FOUND
// for a bureau of another region.
func (s *Service) Bureau(ctx context.Context, id int64) (Bureau, error) {
	actor, err := s.Authz.Require(ctx, "bureau:read")
	if err != nil {
		return Bureau{}, err
	}
	bs, err := s.Store.BureausByID(ctx, []int64{id})
	if err != nil {
		return Bureau{}, err
	}
	if len(bs) == 0 || bs[0].RegionCode != actor.RegionCode {
		return Bureau{}, errs.NotFoundf("no bureau %d", id)
	}
	return bs[0], nil
}

func validateNewMember(m NewMember) error {
	if err := validateUsername(m.Username); err != nil {
		return err
	}
	if utf8.RuneCountInString(m.DisplayName) > 100 {
		return errs.InvalidField("input.displayName", "is at most 100 characters")
	}
	// Whether a user is created is decided by what the admin entered,
	// never by whether the name is taken: both or neither.
	if m.InitialPassword != "" {
		if err := account.ValidateNewPassword("input.initialPassword", m.InitialPassword); err != nil {
			return err
		}
		if m.DisplayName == "" {
			return errs.InvalidField("input.displayName", "is required with an initial password, to create a user")
		}
	} else if m.DisplayName != "" {
		return errs.InvalidField("input.initialPassword", "is required with a display name, to create a user; leave both empty to invite a user who exists")
	}
	if len(m.Roles) == 0 {
		return errs.InvalidField("input.roles", "give at least one role")
	}
	return validateRoles(m.Roles)
}

func validateUsername(u string) error {
	if u == "" {
		return errs.InvalidField("input.username", "is required")
	}
	if len(u) < 2 || len(u) > 63 || !usernameChars(u) {
		return errs.InvalidField("input.username",
			"must be 2 to 63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func usernameChars(u string) bool {
	for i, r := range u {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}

func validateRoles(roles []string) error {
	for _, r := range roles {
		if !authz.ValidRole(r) {
			return errs.InvalidField("input.roles", "unknown role %q", r)
		}
	}
	return nil
}

// rolesFitBureau keeps the coordinator role to joint offices, which run
// joint inspections, and roles that inspect or plan out of them: a joint
// office sends no inspectors and keeps no roster of its own.
func rolesFitBureau(actor *authz.Actor, roles []string) error {
	joint := actor.BureauKind == KindJointOffice
	for _, r := range roles {
		if r == authz.RoleCoordinator && !joint {
			return errs.InvalidField("input.roles", "coordinator is a role of a joint office, not of %s", actor.BureauCode)
		}
		if joint && (r == authz.RoleInspector || r == authz.RoleReviewer) {
			return errs.InvalidField("input.roles", "a joint office has no %s: its bureaus inspect and review", r)
		}
	}
	return nil
}

// SetMemberRoles replaces a member's roles in the acting bureau (admins
// only); an empty list removes the member. NOT_FOUND when the user is not a
// member of the acting bureau; CONFLICT when it would leave no admin.
func (s *Service) SetMemberRoles(ctx context.Context, username string, roles []string) (Member, error) {
	actor, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		return Member{}, err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if err := validateUsername(username); err != nil {
		return Member{}, err
	}
	if err := validateRoles(roles); err != nil {
		return Member{}, err
	}
	if err := rolesFitBureau(actor, roles); err != nil {
		return Member{}, err
	}
	slices.Sort(roles)
	m, err := s.Store.SetMemberRoles(ctx, actor, username, slices.Compact(roles))
	if err != nil {
		return Member{}, err
	}
	return m, s.Authz.Reload(ctx)
}

// Leave takes the signed-in user out of the acting bureau: every role
// there ends at once. Any member (bureau:read); CONFLICT when they are the
// bureau's last admin, who must hand the role on first.
func (s *Service) Leave(ctx context.Context) (Bureau, error) {
	actor, err := s.Authz.Require(ctx, "bureau:read")
	if err != nil {
		return Bureau{}, err
	}
	b, err := s.Store.BureauByCode(ctx, actor.BureauCode)
	if err != nil {
		return Bureau{}, err
	}
	if _, err := s.Store.Leave(ctx, actor); err != nil {
		return Bureau{}, err
	}
	return b, s.Authz.Reload(ctx)
}

// ResetPassword gives a member of the acting bureau a new temporary
// password, returned once to the admin, and ends every session of theirs.
// The member must change it when they next sign in, after which the admin
// no longer knows it. Admins only (member:manage); NOT_FOUND when the user
// is not a member; CONFLICT when they belong to another bureau too (an
// admin of one bureau does not take over an account others rely on).
func (s *Service) ResetPassword(ctx context.Context, username string) (string, error) {
	actor, err := s.Authz.Require(ctx, "member:manage")
	if err != nil {
		return "", err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if err := validateUsername(username); err != nil {
		return "", err
	}
	password := account.TemporaryPassword()
	hash, err := account.HashPasswordLimited(ctx, password)
	if err != nil {
		return "", err
	}
	if err := s.Store.ResetPassword(ctx, actor, username, hash); err != nil {
		return "", err
	}
	return password, nil
}

// Me returns the signed-in user and every bureau they belong to.
// UNAUTHENTICATED when nobody is signed in.
func (s *Service) Me(ctx context.Context) (account.User, []Membership, error) {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return account.User{}, nil, err
	}
	users, err := s.Store.UsersByID(ctx, []int64{signer.UserID})
	if err != nil || len(users) == 0 {
		return account.User{}, nil, errs.E(errs.Unauthenticated, "the signed-in user no longer exists")
	}
	ms, err := s.Store.Memberships(ctx, signer.UserID)
	return users[0], ms, err
}

// MemberChange is the audit change of a membership mutation: stores call it
// with the member's state before and after (nil where there is none).
func MemberChange(action, username string, before, after *Member) audit.Change {
	c := audit.Change{Action: action, ObjectType: "member", ObjectID: username}
	if before != nil {
		c.Before = before
	}
	if after != nil {
		c.After = after
	}
	return c
}
