package server_test

import (
	"strings"
	"testing"
)

const addMember = `mutation($in: AddMemberInput!) { addMember(input: $in) { member { user { username displayName } roles } } }`
const setRoles = `mutation($in: SetMemberRolesInput!) { setMemberRoles(input: $in) { member { user { username } roles } } }`

func TestAddMember(t *testing.T) {
	tests := []struct {
		name      string
		in        map[string]any
		wantCode  string
		wantField string
	}{
		{"OK", map[string]any{"username": "wl-zhang", "displayName": "张三", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}, "", ""},
		{"OKExistingUserOfAnotherBureau", map[string]any{"username": "sj-planner", "roles": []string{"PLANNER"}}, "", ""},
		{"ErrAlreadyMember", map[string]any{"username": "wl-planner", "roles": []string{"PLANNER"}}, "CONFLICT", ""},
		{"ErrBadUsername", map[string]any{"username": "Zhang San", "displayName": "张三", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.username"},
		{"ErrShortPassword", map[string]any{"username": "wl-li", "displayName": "李四", "initialPassword": "short", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.initialPassword"},
		{"ErrNewUserWithoutPassword", map[string]any{"username": "wl-li", "displayName": "李四", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.initialPassword"},
		{"ErrNewUserWithoutName", map[string]any{"username": "wl-li", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.displayName"},
		{"ErrNoRoles", map[string]any{"username": "wl-li", "displayName": "李四", "initialPassword": "correct-horse-1", "roles": []string{}}, "BAD_USER_INPUT", "input.roles"},
		{"ErrCoordinatorOutsideAJointOffice", map[string]any{"username": "wl-li", "displayName": "李四", "initialPassword": "correct-horse-1", "roles": []string{"COORDINATOR"}}, "BAD_USER_INPUT", "input.roles"},
		{"ErrUnknownRole", map[string]any{"username": "wl-li", "displayName": "李四", "initialPassword": "correct-horse-1", "roles": []string{"KING"}}, "BAD_USER_INPUT", ""},
	}
	e := newEnv(t)
	admin := e.As("wl-admin")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount(t, e)
			r := e.Do(admin, addMember, map[string]any{"in": tt.in})
			wantCodeOrOK(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
			wantAudit := before
			if tt.wantCode == "" {
				wantAudit++
			}
			if got := auditCount(t, e); got != wantAudit {
				t.Errorf("audit entries = %d, want %d: a refused mutation must change nothing", got, wantAudit)
			}
		})
	}
}

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

func TestNewMemberCanSignIn(t *testing.T) {
	e := newEnv(t)
	in := map[string]any{"username": "wl-zhao", "displayName": "赵六", "initialPassword": "correct-horse-1", "roles": []string{"PLANNER"}}
	e.Do(e.As("wl-admin"), addMember, map[string]any{"in": in}).mustData(t, nil)
	r := e.Do(request{}, signInMutation, map[string]any{"u": "wl-zhao", "p": "correct-horse-1"})
	r.mustData(t, nil)
}

func TestActingBureauChoice(t *testing.T) {
	e := newEnv(t)
	// sj-admin makes wl-planner a member of 140522-sj too.
	e.Do(e.As("sj-admin"), addMember, map[string]any{"in": map[string]any{"username": "wl-planner", "roles": []string{"REVIEWER"}}}).mustData(t, nil)
	token := e.SignIn("wl-planner")

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
