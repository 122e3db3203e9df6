package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

// race sends the requests at once, each from its own goroutine, and
// returns their responses in order.
func race(e *env, calls ...func() (response, error)) []response {
	out := make([]response, len(calls))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := call()
			if err != nil {
				r = response{Status: -1}
			}
			out[i] = r
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func setRolesCall(e *env, rq request, username string, roles ...string) func() (response, error) {
	return func() (response, error) {
		return tryGraphQL(e.Server.URL, rq, setRoles, map[string]any{"in": map[string]any{"username": username, "roles": roles}})
	}
}

// wlRoles reads the member roles of 140522-wl, as the schema owner.
func wlRoles(t *testing.T, e *env, role string) []string {
	t.Helper()
	var users []string
	const q = `
SELECT u.username FROM members m JOIN users u ON u.id = m.user_id JOIN bureaus b ON b.id = m.bureau_id
WHERE b.code = '140522-wl' AND m.role = $1 ORDER BY u.username`
	if err := e.DB.Select(&users, q, role); err != nil {
		t.Fatal(err)
	}
	return users
}

// Two admins removing each other's admin role at once: exactly one wins,
// and the bureau keeps exactly one admin, in each of 20 rounds.
func TestAdminsRemovingEachOther(t *testing.T) {
	e := newEnv(t)
	admin, leader := e.As("wl-admin"), e.As("wl-leader")
	for round := range 20 {
		e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": "wl-leader", "roles": []string{"ADMIN", "LEADER"}}}).mustData(t, nil)
		rs := race(e, setRolesCall(e, admin, "wl-leader", "LEADER"), setRolesCall(e, leader, "wl-admin", "LEADER"))
		won := 0
		for _, r := range rs {
			if r.Status == 200 && len(r.Errors) == 0 {
				won++
			} else if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "CONFLICT" && r.Errors[0].Extensions.Code != "FORBIDDEN" {
				t.Fatalf("round %d: a loser answered %+v, want CONFLICT or FORBIDDEN", round, r)
			}
		}
		admins := wlRoles(t, e, "admin")
		if won != 1 || len(admins) != 1 {
			t.Fatalf("round %d: %d of 2 removals succeeded, admins now %v; want 1 and one admin", round, won, admins)
		}
		if admins[0] == "wl-leader" { // the leader won: hand admin back for the next round
			e.Do(leader, setRoles, map[string]any{"in": map[string]any{"username": "wl-admin", "roles": []string{"ADMIN"}}}).mustData(t, nil)
		}
	}
}

// Two role changes of one member at once end in exactly one of the
// requested sets, and the audit's before of each is the true previous
// value, in each of 20 rounds.
func TestConcurrentRoleChanges(t *testing.T) {
	e := newEnv(t)
	admin := e.As("wl-admin")
	setA, setB := []string{"PLANNER", "REVIEWER"}, []string{"INSPECTOR", "LEADER"}
	lower := func(s []string) []string {
		out := make([]string, len(s))
		for i, r := range s {
			out[i] = strings.ToLower(r)
		}
		return out
	}
	previous := []string{"planner"}
	for round := range 20 {
		rs := race(e, setRolesCall(e, admin, "wl-planner", setA...), setRolesCall(e, admin, "wl-planner", setB...))
		for _, r := range rs {
			r.mustData(t, nil)
		}
		var got []string
		const q = `
SELECT m.role FROM members m JOIN users u ON u.id = m.user_id JOIN bureaus b ON b.id = m.bureau_id
WHERE b.code = '140522-wl' AND u.username = 'wl-planner' ORDER BY m.role`
		if err := e.DB.Select(&got, q); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, lower(setA)) && !slices.Equal(got, lower(setB)) {
			t.Fatalf("round %d: roles %v, want exactly %v or %v", round, got, lower(setA), lower(setB))
		}
		var entries []struct {
			Before json.RawMessage `db:"before"`
			After  json.RawMessage `db:"after"`
		}
		const audits = `
SELECT a.before, a.after FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id
WHERE b.code = '140522-wl' AND a.action = 'member.set_roles' AND a.object_id = 'wl-planner' ORDER BY a.seq DESC LIMIT 2`
		if err := e.DB.Select(&entries, audits); err != nil {
			t.Fatal(err)
		}
		rolesOf := func(raw json.RawMessage) []string {
			var m struct{ Roles []string }
			json.Unmarshal(raw, &m)
			return m.Roles
		}
		first, second := entries[1], entries[0]
		if !slices.Equal(rolesOf(first.Before), previous) || !slices.Equal(rolesOf(second.Before), rolesOf(first.After)) ||
			!slices.Equal(rolesOf(second.After), got) {
			t.Fatalf("round %d: audit before/after %v→%v, %v→%v; want a chain from %v to %v", round,
				rolesOf(first.Before), rolesOf(first.After), rolesOf(second.Before), rolesOf(second.After), previous, got)
		}
		previous = got
	}
}

func TestLeaveBureau(t *testing.T) {
	const leave = `mutation { leaveBureau { bureau { code } } }`
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		planner := e.As("wl-planner")
		before := auditCount(t, e)
		var data struct {
			LeaveBureau struct{ Bureau struct{ Code string } }
		}
		e.Do(planner, leave, nil).mustData(t, &data)
		if data.LeaveBureau.Bureau.Code != "140522-wl" || slices.Contains(wlRoles(t, e, "planner"), "wl-planner") {
			t.Fatalf("left %q; planners now %v", data.LeaveBureau.Bureau.Code, wlRoles(t, e, "planner"))
		}
		if got := auditCount(t, e); got != before+1 {
			t.Errorf("audit entries = %d, want %d", got, before+1)
		}
		wantCode(t, e.Do(planner, `{ members { nodes { roles } } }`, nil), "FORBIDDEN")
	})
	t.Run("ErrLastAdmin", func(t *testing.T) {
		admin := e.As("wl-admin")
		before := auditCount(t, e)
		wantCode(t, e.Do(admin, leave, nil), "CONFLICT")
		if got := auditCount(t, e); got != before || len(wlRoles(t, e, "admin")) != 1 {
			t.Errorf("audit entries %d (want %d), admins %v: a refused leave changes nothing", got, before, wlRoles(t, e, "admin"))
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, leave, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrOtherBureau", func(t *testing.T) {
		// sj-inspector1 names 140522-wl, where it holds no role: refused,
		// and sj keeps it.
		rq := e.As("sj-inspector1")
		rq.Bureau = "140522-wl"
		if r := e.Do(rq, leave, nil); len(r.Errors) == 0 {
			t.Fatalf("leaving a bureau one is no member of answered %s", r.Data)
		}
		var n int
		const q = `SELECT count(*) FROM members m JOIN users u ON u.id = m.user_id WHERE u.username = 'sj-inspector1'`
		if err := e.DB.Get(&n, q); err != nil || n == 0 {
			t.Errorf("sj-inspector1 memberships = %d (%v), want kept", n, err)
		}
	})
}
