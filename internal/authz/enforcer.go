package authz

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"shuangsuiji/internal/errs"
)

var (
	//go:embed model.conf
	modelText string
	//go:embed policy.csv
	policyText string
)

// Assignment grants a user a role in a bureau.
type Assignment struct {
	UserID     int64
	Role       string
	BureauCode string
}

// LoadFunc reads every role assignment of every bureau.
type LoadFunc func(ctx context.Context) ([]Assignment, error)

// Enforcer answers permission questions from the shared policy and the
// current assignments.
type Enforcer struct {
	mu     sync.RWMutex // guards e
	reload sync.Mutex   // orders reloads, so an older snapshot never lands after a newer one
	e      *casbin.Enforcer
	load   LoadFunc
	// stale is set while this instance cannot hear of role changes (its
	// LISTEN connection is down): every check re-reads the assignments.
	stale atomic.Bool
}

// SetStale says whether the instance may have missed role changes. While
// stale, Refresh re-reads the assignments before each check.
func (enf *Enforcer) SetStale(stale bool) { enf.stale.Store(stale) }

// Stale reports whether the instance may have missed role changes.
func (enf *Enforcer) Stale() bool { return enf.stale.Load() }

// Refresh re-reads the assignments if the instance may have missed a
// change; UNAVAILABLE when they cannot be read.
func (enf *Enforcer) Refresh(ctx context.Context) error {
	if !enf.stale.Load() {
		return nil
	}
	if err := enf.Reload(ctx); err != nil {
		return &errs.Error{Kind: errs.Unavailable, Message: "roles cannot be read right now: try again shortly", Cause: err}
	}
	return nil
}

// NewEnforcer builds an enforcer and loads the assignments once.
func NewEnforcer(ctx context.Context, load LoadFunc) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	enf := &Enforcer{e: e, load: load}
	return enf, enf.Reload(ctx)
}

// Reload rebuilds the policy from policy.csv and fresh assignments. Call it
// when memberships change (the server does, on NOTIFY).
func (enf *Enforcer) Reload(ctx context.Context) error {
	enf.reload.Lock()
	defer enf.reload.Unlock()
	assignments, err := enf.load(ctx)
	if err != nil {
		return fmt.Errorf("load role assignments: %w", err)
	}
	m := enf.e.GetModel()
	enf.mu.Lock()
	defer enf.mu.Unlock()
	m.ClearPolicy()
	if err := loadPolicyLines(m, policyText); err != nil {
		return err
	}
	for _, a := range assignments {
		line := fmt.Sprintf("g, %s, %s, %s", subject(a.UserID), a.Role, a.BureauCode)
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return err
		}
	}
	return enf.e.BuildRoleLinks()
}

func loadPolicyLines(m model.Model, text string) error {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return err
		}
	}
	return nil
}

func subject(userID int64) string { return fmt.Sprintf("user:%d", userID) }

// RolesIn returns the user's roles in the bureau; none means not a member.
func (enf *Enforcer) RolesIn(userID int64, bureauCode string) []string {
	enf.mu.RLock()
	defer enf.mu.RUnlock()
	return enf.e.GetRolesForUserInDomain(subject(userID), bureauCode)
}

// Allowed reports whether the user may perform permission ("resource:action")
// in the bureau.
func (enf *Enforcer) Allowed(userID int64, bureauCode, permission string) bool {
	obj, act, _ := strings.Cut(permission, ":")
	enf.mu.RLock()
	defer enf.mu.RUnlock()
	ok, err := enf.e.Enforce(subject(userID), bureauCode, obj, act)
	return err == nil && ok
}

// RolesAllow reports whether one of roles allows permission
// ("resource:action") in the bureau: the policy's role permissions alone,
// for roles read with the request (see Actor.Roles).
func (enf *Enforcer) RolesAllow(roles []string, bureauCode, permission string) bool {
	obj, act, _ := strings.Cut(permission, ":")
	enf.mu.RLock()
	defer enf.mu.RUnlock()
	for _, role := range roles {
		for _, dom := range []string{"*", bureauCode} {
			if ok, _ := enf.e.HasPolicy(role, dom, obj, act); ok {
				return true
			}
		}
	}
	return false
}

// Require returns the acting user if they may perform permission in their
// acting bureau: UNAUTHENTICATED when nobody is signed in, FORBIDDEN when
// their roles there (read with the request, never stale) do not allow it.
func (enf *Enforcer) Require(ctx context.Context, permission string) (*Actor, error) {
	a, ok := ActorFrom(ctx)
	if !ok {
		if s, signed := SignerFrom(ctx); signed {
			if s.MustChangePassword {
				return nil, errs.E(errs.Forbidden, "your password was set by an admin: change it first (changePassword)")
			}
			return nil, errs.E(errs.Forbidden, "choose a bureau to act in with the X-Bureau header")
		}
		return nil, errs.E(errs.Unauthenticated, "sign in first: send Authorization: Bearer <token>")
	}
	if !enf.RolesAllow(a.Roles, a.BureauCode, permission) {
		return nil, errs.E(errs.Forbidden, "your roles in %s do not allow %s", a.BureauCode, permission)
	}
	return a, nil
}

// BureausOf returns the codes of the bureaus the user belongs to.
func (enf *Enforcer) BureausOf(userID int64) []string {
	enf.mu.RLock()
	defer enf.mu.RUnlock()
	bureaus, _ := enf.e.GetDomainsForUser(subject(userID))
	return bureaus
}
