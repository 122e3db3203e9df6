// Package authz is the first wall of tenancy: who is acting, in which
// bureau, and whether their roles there allow an operation.
//
// The Actor (signed-in user and acting bureau) travels in the request
// context. Permissions are "resource:action" names. Roles are granted per
// bureau (casbin RBAC with domains, domain = bureau code); what each role may
// do is one policy shared by all bureaus (policy.csv). Assignments are read
// from the members table and reloaded whenever memberships change, on every
// server instance.
package authz

import (
	"context"
	"slices"

	"shuangsuiji/internal/errs"
)

// Roles a member may hold in a bureau.
const (
	RoleAdmin       = "admin"       // manages the bureau's members
	RolePlanner     = "planner"     // keeps rosters, plans and runs draws
	RoleInspector   = "inspector"   // inspects and records results
	RoleReviewer    = "reviewer"    // approves recorded results
	RoleLeader      = "leader"      // reads everything of the bureau, audit trail included
	RoleCoordinator = "coordinator" // runs joint inspections in a joint office
)

// Roles lists every role, in a stable order.
var Roles = []string{RoleAdmin, RolePlanner, RoleInspector, RoleReviewer, RoleLeader, RoleCoordinator}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// Actor is the signed-in user acting in one bureau for one request.
type Actor struct {
	UserID     int64
	Username   string
	BureauID   int64
	BureauCode string
	RegionCode string
	BureauKind string
	Roles      []string // the user's roles in the acting bureau
}

// Has reports whether the actor holds role in the acting bureau.
func (a *Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the request's actor, if someone is signed in and acting
// in a bureau.
func ActorFrom(ctx context.Context) (*Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(*Actor)
	return a, ok && a != nil
}

// Signer is the signed-in user of a request that has not (yet) chosen a
// bureau: enough to sign out or read "me".
type Signer struct {
	UserID   int64
	Username string
	Token    string
	// MustChangePassword: the password was chosen by an admin; the user
	// acts in no bureau until they change it.
	MustChangePassword bool
}

type signerKey struct{}

// WithSigner returns ctx carrying s.
func WithSigner(ctx context.Context, s *Signer) context.Context {
	return context.WithValue(ctx, signerKey{}, s)
}

// SignerFrom returns the request's signed-in user, if any.
func SignerFrom(ctx context.Context) (*Signer, bool) {
	s, ok := ctx.Value(signerKey{}).(*Signer)
	return s, ok && s != nil
}

// RequireSignedIn returns the signed-in user or UNAUTHENTICATED.
func RequireSignedIn(ctx context.Context) (*Signer, error) {
	s, ok := SignerFrom(ctx)
	if !ok {
		return nil, errs.E(errs.Unauthenticated, "sign in first: send Authorization: Bearer <token>")
	}
	return s, nil
}
