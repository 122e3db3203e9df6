package server_test

import (
	"strings"
	"testing"
)

// operation is one query or mutation of the API, with who may run it.
type operation struct {
	name  string
	query string
	vars  map[string]any
	// allowed may run it in their bureau (140522-wl); forbidden holds a
	// role that may not ("" when every member may).
	allowed, forbidden string
	// foreign runs it, as allowed's counterpart in another bureau, against
	// an object of 140522-wl: the answer must not reveal that object. nil
	// when the operation names no object; then otherBureau checks the
	// answer holds nothing of 140522-wl.
	foreign     *foreignCase
	otherBureau func(t *testing.T, r response)
}

type foreignCase struct {
	as    string
	query string
	vars  map[string]any
}

// operations is the authorization matrix; every new query and mutation
// gets a row.
var operations = []operation{
	{
		name: "me", query: `{ me { user { username } memberships { bureau { code } roles } } }`,
		allowed: "wl-inspector1",
	},
	{
		name: "actingBureau", query: `{ actingBureau { code name kind region { code name } } }`,
		allowed: "wl-inspector1",
		otherBureau: func(t *testing.T, r response) {
			mustNotMention(t, r, "140522-wl")
		},
	},
	{
		name: "members", query: `{ members(first: 100) { nodes { user { username } roles } } }`,
		allowed: "wl-planner", forbidden: "wl-inspector1",
		otherBureau: func(t *testing.T, r response) { mustNotMention(t, r, "wl-") },
	},
	{
		name: "auditLog", query: `{ auditLog(first: 100) { nodes { seq action objectId actorUsername after } } }`,
		allowed: "wl-leader", forbidden: "wl-planner",
		otherBureau: func(t *testing.T, r response) { mustNotMention(t, r, "wl-") },
	},
	{
		name:    "inviteMember",
		query:   `mutation($u: String!) { inviteMember(input: {username: $u, displayName: "新同事", initialPassword: "a-long-password-1", roles: [INSPECTOR]}) { invitation { username roles state } } }`,
		vars:    map[string]any{"u": "wl-new-inspector"},
		allowed: "wl-admin", forbidden: "wl-leader",
		otherBureau: func(t *testing.T, r response) { mustNotMention(t, r, "wl-admin") },
	},
	{
		name:    "setMemberRoles",
		query:   `mutation($u: String!) { setMemberRoles(input: {username: $u, roles: [PLANNER, REVIEWER]}) { member { user { username } roles } } }`,
		vars:    map[string]any{"u": "wl-planner"},
		allowed: "wl-admin", forbidden: "wl-planner",
		foreign: &foreignCase{as: "sj-admin",
			query: `mutation($u: String!) { setMemberRoles(input: {username: $u, roles: [PLANNER]}) { member { roles } } }`,
			vars:  map[string]any{"u": "wl-planner"}},
	},
	{
		name: "signOut", query: `mutation { signOut { signedOut } }`,
		allowed: "wl-inspector1",
	},
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEnv(t)
			t.Run("Allowed", func(t *testing.T) {
				e.Do(e.As(op.allowed), op.query, op.vars).mustData(t, nil)
			})
			if op.forbidden != "" {
				t.Run("ForbiddenRole", func(t *testing.T) {
					wantCode(t, e.Do(e.As(op.forbidden), op.query, op.vars), "FORBIDDEN")
				})
			}
			t.Run("Unauthenticated", func(t *testing.T) {
				wantCode(t, e.Do(request{}, op.query, op.vars), "UNAUTHENTICATED")
			})
			t.Run("BadToken", func(t *testing.T) {
				wantCode(t, e.Do(request{Token: "not-a-session"}, op.query, op.vars), "UNAUTHENTICATED")
			})
			t.Run("NotAMemberOfXBureau", func(t *testing.T) {
				rq := e.As(op.allowed)
				rq.Bureau = "140522-sj"
				wantCode(t, e.Do(rq, op.query, op.vars), "FORBIDDEN")
			})
			if op.foreign != nil {
				t.Run("OtherBureauNotFound", func(t *testing.T) {
					wantCode(t, e.Do(e.As(op.foreign.as), op.foreign.query, op.foreign.vars), "NOT_FOUND")
				})
			}
			if op.otherBureau != nil {
				t.Run("OtherBureauSeesNothing", func(t *testing.T) {
					counterpart := "sj-" + strings.TrimPrefix(op.allowed, "wl-")
					r := e.Do(e.As(counterpart), op.query, withOtherUsername(op.vars))
					r.mustData(t, nil)
					op.otherBureau(t, r)
				})
			}
		})
	}
}

// withOtherUsername keeps the other bureau's run of a mutation from
// colliding with the allowed run's object.
func withOtherUsername(vars map[string]any) map[string]any {
	if u, ok := vars["u"].(string); ok {
		return map[string]any{"u": strings.Replace(u, "wl-", "sj-", 1)}
	}
	return vars
}

func wantCode(t *testing.T, r response, want string) {
	t.Helper()
	if got := r.Code(); got != want {
		t.Fatalf("code = %q, want %q (errors %+v, data %s)", got, want, r.Errors, r.Data)
	}
}

func mustNotMention(t *testing.T, r response, s string) {
	t.Helper()
	if strings.Contains(string(r.Data), s) {
		t.Fatalf("another bureau's answer mentions %q: %s", s, r.Data)
	}
}
