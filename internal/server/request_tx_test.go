package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// twoInstances is the test's service and one more instance over the same
// database, with the same signed-in users.
func twoInstances(t *testing.T) (e *env, a, b string) {
	t.Helper()
	e = newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	other := httptest.NewServer(e.app(ctx))
	t.Cleanup(other.Close)
	return e, e.Server.URL, other.URL
}

// TestSignOutRefusedOnEveryInstance: a token signed out on one instance is
// refused by the very next request on another, with no wait for any
// notification: the session is read in the request's transaction.
func TestSignOutRefusedOnEveryInstance(t *testing.T) {
	e, a, b := twoInstances(t)
	rq := e.As("wl-planner")
	const me = `{ me { user { username } } }`
	for _, url := range []string{a, b} {
		doGraphQL(t, url, rq, me, nil).mustData(t, nil)
	}
	doGraphQL(t, a, rq, `mutation { signOut { signedOut } }`, nil).mustData(t, nil)
	for name, url := range map[string]string{"A": a, "B": b} {
		if r := doGraphQL(t, url, rq, me, nil); r.Code() != "UNAUTHENTICATED" || r.Status != 401 {
			t.Errorf("instance %s after sign-out: status %d, errors %+v; want 401 UNAUTHENTICATED", name, r.Status, r.Errors)
		}
	}
}

// TestRoleChangeAppliesOnNextRequest: a role granted or taken away on one
// instance applies to the next request on another at once: the roles are
// read with the session, not from the instance's cache that NOTIFY
// refreshes a moment later.
func TestRoleChangeAppliesOnNextRequest(t *testing.T) {
	e, a, b := twoInstances(t)
	admin := e.As("wl-admin")
	setRoles := func(user string, roles ...string) {
		t.Helper()
		doGraphQL(t, a, admin, `mutation($in: SetMemberRolesInput!) { setMemberRoles(input: $in) { member { roles } } }`,
			map[string]any{"in": map[string]any{"username": user, "roles": append([]string{}, roles...)}}).mustData(t, nil)
	}
	const drawsRead = `{ draws(first: 1) { nodes { id } } }`
	planner := e.As("wl-planner")
	planner.Bureau = "140522-wl"
	doGraphQL(t, b, planner, drawsRead, nil).mustData(t, nil)

	setRoles("wl-planner") // no role left: no longer a member
	r := doGraphQL(t, b, planner, drawsRead, nil)
	if r.Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "not a member") {
		t.Errorf("instance B right after the planner's roles were taken: status %d, errors %+v; want FORBIDDEN not a member", r.Status, r.Errors)
	}

	inspector := e.As("wl-inspector1")
	const audit = `{ auditLog(first: 1) { nodes { action } } }`
	wantCode(t, doGraphQL(t, b, inspector, audit, nil), "FORBIDDEN")
	setRoles("wl-inspector1", "INSPECTOR", "LEADER")
	doGraphQL(t, b, inspector, audit, nil).mustData(t, nil)
}
