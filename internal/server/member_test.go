package server_test

import (
	"strings"
	"testing"
)

const setRoles = `mutation($in: SetMemberRolesInput!) { setMemberRoles(input: $in) { member { user { username } roles } } }`

// auditCount counts the audit entries of 140522-wl, as the schema owner.
func auditCount(t *testing.T, e *env) int {
	t.Helper()
	var n int
	const q = `SELECT count(*) FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id WHERE b.code = '140522-wl'`
	if err := e.DB.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestActingBureauChoice(t *testing.T) {
	e := newEnv(t)
	// sj-admin invites wl-planner to 140522-sj too, and wl-planner accepts.
	token := e.SignIn("wl-planner")
	e.Do(request{Token: token}, answerMemberInvite, map[string]any{"in": map[string]any{
		"invitationId": invite(t, e, e.As("sj-admin"), "wl-planner", "REVIEWER"), "accept": true}}).mustData(t, nil)

	t.Run("MeListsBoth", func(t *testing.T) {
		var data struct {
			Me struct {
				Memberships  []struct{ Bureau struct{ Code string } }
				ActingBureau *struct{ Code string }
			}
		}
		e.Do(request{Token: token}, `{ me { memberships { bureau { code } } actingBureau { code } } }`, nil).mustData(t, &data)
		if len(data.Me.Memberships) != 2 || data.Me.ActingBureau != nil {
			t.Fatalf("me = %+v, want two memberships and no acting bureau", data.Me)
		}
	})
	t.Run("ErrNoBureauChosen", func(t *testing.T) {
		wantCode(t, e.Do(request{Token: token}, `{ members { nodes { roles } } }`, nil), "FORBIDDEN")
	})
	t.Run("XBureauPicksOne", func(t *testing.T) {
		var data struct{ ActingBureau struct{ Code string } }
		e.Do(request{Token: token, Bureau: "140522-sj"}, `{ actingBureau { code } }`, nil).mustData(t, &data)
		if data.ActingBureau.Code != "140522-sj" {
			t.Fatalf("acting bureau = %q, want 140522-sj", data.ActingBureau.Code)
		}
	})
	t.Run("RolesArePerBureau", func(t *testing.T) {
		// A reviewer of 140522-sj may read members there; the audit log
		// needs leader or admin in either bureau.
		e.Do(request{Token: token, Bureau: "140522-sj"}, `{ members { nodes { roles } } }`, nil).mustData(t, nil)
		wantCode(t, e.Do(request{Token: token, Bureau: "140522-sj"}, `{ auditLog { nodes { seq } } }`, nil), "FORBIDDEN")
	})
}

func TestSetMemberRoles(t *testing.T) {
	e := newEnv(t)
	admin := e.As("wl-admin")
	t.Run("RemovingRolesTakesEffectAtOnce", func(t *testing.T) {
		planner := e.As("wl-planner")
		e.Do(planner, `{ members { nodes { roles } } }`, nil).mustData(t, nil)
		e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": "wl-planner", "roles": []string{}}}).mustData(t, nil)
		wantCode(t, e.Do(planner, `{ members { nodes { roles } } }`, nil), "FORBIDDEN")
	})
	t.Run("ErrLastAdmin", func(t *testing.T) {
		r := e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": "wl-admin", "roles": []string{"LEADER"}}})
		wantCode(t, r, "CONFLICT")
	})
	t.Run("ErrNotAMember", func(t *testing.T) {
		r := e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": "nobody", "roles": []string{"LEADER"}}})
		wantCode(t, r, "NOT_FOUND")
	})
}

func TestMembersPagination(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-admin")
	var seen []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		var data struct {
			Members struct {
				Nodes    []struct{ User struct{ Username string } }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		e.Do(rq, `query($after: String) { members(first: 4, after: $after) { nodes { user { username } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}).mustData(t, &data)
		for _, n := range data.Members.Nodes {
			seen = append(seen, n.User.Username)
		}
		if !data.Members.PageInfo.HasNextPage {
			break
		}
		after = data.Members.PageInfo.EndCursor
	}
	want := "wl-admin wl-inspector1 wl-inspector2 wl-leader wl-planner wl-reviewer"
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("members over pages = %q, want %q", got, want)
	}
	t.Run("FilterByRole", func(t *testing.T) {
		var data struct {
			Members struct {
				Nodes []struct{ User struct{ Username string } }
			}
		}
		e.Do(rq, `{ members(filter: {role: INSPECTOR}) { nodes { user { username } } } }`, nil).mustData(t, &data)
		if len(data.Members.Nodes) != 2 {
			t.Fatalf("inspectors = %+v, want 2", data.Members.Nodes)
		}
	})
	t.Run("ErrBadCursor", func(t *testing.T) {
		wantCode(t, e.Do(rq, `{ members(after: "!!!") { nodes { roles } } }`, nil), "BAD_USER_INPUT")
	})
	t.Run("ErrPageTooLarge", func(t *testing.T) {
		wantCode(t, e.Do(rq, `{ members(first: 100000) { nodes { roles } } }`, nil), "BAD_USER_INPUT")
	})
}
