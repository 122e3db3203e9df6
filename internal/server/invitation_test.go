package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const (
	inviteMember       = `mutation($in: InviteMemberInput!) { inviteMember(input: $in) { invitation { id username roles state bureau { code } answeredAt } } }`
	answerMemberInvite = `mutation($in: AnswerMemberInvitationInput!) { answerMemberInvitation(input: $in) { invitation { id state roles answeredAt } } }`
	withdrawInvite     = `mutation($in: WithdrawMemberInvitationInput!) { withdrawMemberInvitation(input: $in) { invitation { id state } } }`
	invitationsToMe    = `{ invitationsToMe(first: 10) { totalCount nodes { id username roles state bureau { code } } } }`
	outgoing           = `query($s: MemberInvitationState) { memberInvitations(first: 50, filter: {state: $s}) { totalCount nodes { id username roles state } } }`
)

// invite has the admin invite username with roles and returns the
// invitation's id.
func invite(t *testing.T, e *env, admin request, username string, roles ...string) string {
	t.Helper()
	var data struct {
		InviteMember struct{ Invitation struct{ ID string } }
	}
	e.Do(admin, inviteMember, map[string]any{"in": map[string]any{"username": username, "roles": roles}}).mustData(t, &data)
	return data.InviteMember.Invitation.ID
}

func answerVars(id string, accept bool) map[string]any {
	return map[string]any{"in": map[string]any{"invitationId": id, "accept": accept}}
}

func withdrawVars(id string) map[string]any {
	return map[string]any{"in": map[string]any{"invitationId": id}}
}

// sjRolesOf reads a user's roles in 140522-sj, as the schema owner.
func sjRolesOf(t *testing.T, e *env, username string) []string {
	t.Helper()
	var roles []string
	const q = `
SELECT m.role FROM members m JOIN users u ON u.id = m.user_id JOIN bureaus b ON b.id = m.bureau_id
WHERE b.code = '140522-sj' AND u.username = $1 ORDER BY m.role`
	if err := e.DB.Select(&roles, q, username); err != nil {
		t.Fatal(err)
	}
	return roles
}

// sjActions lists the audit actions of 140522-sj from seq on.
func sjActions(t *testing.T, e *env, from int) []string {
	t.Helper()
	var actions []string
	const q = `SELECT a.action FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id WHERE b.code = '140522-sj' AND a.seq > $1 ORDER BY a.seq`
	if err := e.DB.Select(&actions, q, from); err != nil {
		t.Fatal(err)
	}
	return actions
}

func sjAuditLen(t *testing.T, e *env) int {
	t.Helper()
	var n int
	const q = `SELECT coalesce(max(a.seq), 0) FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id WHERE b.code = '140522-sj'`
	if err := e.DB.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInviteMember(t *testing.T) {
	tests := []struct {
		name      string
		in        map[string]any
		wantCode  string
		wantField string
	}{
		{"OKNewUser", map[string]any{"username": "wl-zhang", "displayName": "张三", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}, "", ""},
		{"OKExistingUserOfAnotherBureau", map[string]any{"username": "sj-planner", "roles": []string{"PLANNER"}}, "", ""},
		{"OKNameNobodyHolds", map[string]any{"username": "nobody-here", "roles": []string{"PLANNER"}}, "", ""},
		{"ErrAlreadyMember", map[string]any{"username": "wl-planner", "roles": []string{"PLANNER"}}, "CONFLICT", ""},
		{"ErrBadUsername", map[string]any{"username": "Zhang San", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.username"},
		{"ErrShortPassword", map[string]any{"username": "wl-li", "displayName": "李四", "initialPassword": "short", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.initialPassword"},
		{"ErrNameWithoutPassword", map[string]any{"username": "wl-li", "displayName": "李四", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.initialPassword"},
		{"ErrPasswordWithoutName", map[string]any{"username": "wl-li", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}, "BAD_USER_INPUT", "input.displayName"},
		{"ErrNoRoles", map[string]any{"username": "wl-li", "roles": []string{}}, "BAD_USER_INPUT", "input.roles"},
		{"ErrCoordinatorOutsideAJointOffice", map[string]any{"username": "wl-li", "roles": []string{"COORDINATOR"}}, "BAD_USER_INPUT", "input.roles"},
		{"ErrUnknownRole", map[string]any{"username": "wl-li", "roles": []string{"KING"}}, "BAD_USER_INPUT", ""},
	}
	e := newEnv(t)
	admin := e.As("wl-admin")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount(t, e)
			r := e.Do(admin, inviteMember, map[string]any{"in": tt.in})
			wantCodeOrOK(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
			wantAudit := before
			if tt.wantCode == "" {
				wantAudit++
				if !strings.Contains(string(r.Data), `"state":"PENDING"`) {
					t.Errorf("invitation = %s, want a pending one", r.Data)
				}
			}
			if got := auditCount(t, e); got != wantAudit {
				t.Errorf("audit entries = %d, want %d: a refused mutation must change nothing", got, wantAudit)
			}
		})
	}
	t.Run("InvitingGrantsNothing", func(t *testing.T) {
		if roles := wlRoles(t, e, "planner"); slices.Contains(roles, "sj-planner") {
			t.Errorf("wl planners %v: sj-planner got the role before accepting", roles)
		}
	})
}

// The admin of a bureau learns nothing from inviting a name about whether
// anyone holds it: the answers differ only in the ids and the names asked
// for, whether the name is held (in another bureau, or by a user of no
// bureau) or not, and whether the admin asked to create the user or not.
func TestInvitationNamesNoExistence(t *testing.T) {
	e := newEnv(t)
	admin := e.As("wl-admin")
	// A user who holds no bureau any more: sj-inspector2 leaves 140522-sj.
	e.Do(e.As("sj-inspector2"), `mutation { leaveBureau { bureau { code } } }`, nil).mustData(t, nil)
	normal := func(r response, username string) string {
		var data struct {
			InviteMember struct{ Invitation struct{ ID string } }
		}
		_ = json.Unmarshal(r.Data, &data)
		out := string(r.Data)
		if id := data.InviteMember.Invitation.ID; id != "" {
			out = strings.ReplaceAll(out, id, "ID")
		}
		return strings.ReplaceAll(out, username, "NAME") + fmt.Sprint(r.Errors)
	}
	for _, create := range []bool{false, true} {
		t.Run(fmt.Sprintf("Create%v", create), func(t *testing.T) {
			answers := map[string]string{}
			for _, username := range []string{"sj-planner", "sj-inspector2", "free-name-" + fmt.Sprint(create)} {
				in := map[string]any{"username": username, "roles": []string{"INSPECTOR"}}
				if create {
					in["displayName"], in["initialPassword"] = "新同事", "correct-horse-1"
				}
				r := e.Do(admin, inviteMember, map[string]any{"in": in})
				r.mustData(t, nil)
				answers[username] = normal(r, username)
			}
			var first string
			for username, a := range answers {
				if first == "" {
					first = a
					continue
				}
				if a != first {
					t.Errorf("answer for %s differs:\n%s\nwant\n%s", username, a, first)
				}
			}
		})
	}
	t.Run("ExistingUsersPasswordUntouched", func(t *testing.T) {
		e.SignIn("sj-planner") // still the demo password: the admin's was dropped
	})
}

func TestAnswerMemberInvitation(t *testing.T) {
	e := newEnv(t)
	sjAdmin := e.As("sj-admin")
	planner := e.As("wl-planner")
	t.Run("OKAccept", func(t *testing.T) {
		from := sjAuditLen(t, e)
		id := invite(t, e, sjAdmin, "wl-planner", "REVIEWER", "LEADER")
		onSJ := request{Token: planner.Token, Bureau: "140522-sj"}
		wantCode(t, e.Do(onSJ, `{ members { nodes { roles } } }`, nil), "FORBIDDEN")
		var mine struct {
			InvitationsToMe struct {
				TotalCount int
				Nodes      []struct {
					ID     string
					Bureau struct{ Code string }
				}
			}
		}
		e.Do(planner, invitationsToMe, nil).mustData(t, &mine)
		if n := mine.InvitationsToMe.Nodes; len(n) != 1 || n[0].ID != id || n[0].Bureau.Code != "140522-sj" || mine.InvitationsToMe.TotalCount != 1 {
			t.Fatalf("invitations to wl-planner = %+v, want the one of 140522-sj", mine.InvitationsToMe)
		}
		r := e.Do(planner, answerMemberInvite, answerVars(id, true))
		r.mustData(t, nil)
		if !strings.Contains(string(r.Data), `"state":"ACCEPTED"`) {
			t.Errorf("answer = %s, want accepted", r.Data)
		}
		if got := sjRolesOf(t, e, "wl-planner"); !slices.Equal(got, []string{"leader", "reviewer"}) {
			t.Errorf("roles in 140522-sj = %v, want [leader reviewer]", got)
		}
		e.Do(onSJ, `{ members { nodes { roles } } }`, nil).mustData(t, nil) // casbin sees the roles
		want := []string{"member.invite", "member.answer_invitation", "member.join"}
		if got := sjActions(t, e, from); !slices.Equal(got, want) {
			t.Errorf("140522-sj audit = %v, want %v", got, want)
		}
		wantCode(t, e.Do(planner, answerMemberInvite, answerVars(id, true)), "CONFLICT")
	})
	t.Run("OKDecline", func(t *testing.T) {
		id := invite(t, e, sjAdmin, "wl-inspector1", "INSPECTOR")
		e.Do(e.As("wl-inspector1"), answerMemberInvite, answerVars(id, false)).mustData(t, nil)
		if got := sjRolesOf(t, e, "wl-inspector1"); len(got) != 0 {
			t.Errorf("roles after declining = %v, want none", got)
		}
	})
	t.Run("ErrSomeoneElsesInvitation", func(t *testing.T) {
		id := invite(t, e, sjAdmin, "wl-reviewer", "INSPECTOR")
		wantCode(t, e.Do(e.As("wl-leader"), answerMemberInvite, answerVars(id, true)), "NOT_FOUND")
		if got := sjRolesOf(t, e, "wl-leader"); len(got) != 0 {
			t.Errorf("wl-leader took another's invitation: roles %v", got)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		id := invite(t, e, sjAdmin, "wl-leader", "LEADER")
		if _, err := e.DB.Exec(`UPDATE member_invitations SET expires_at = now() - interval '1 second' WHERE username = 'wl-leader'`); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.Do(e.As("wl-leader"), answerMemberInvite, answerVars(id, true)), "CONFLICT")
		var data struct {
			MemberInvitations struct {
				Nodes []struct{ Username, State string }
			}
		}
		e.Do(sjAdmin, outgoing, map[string]any{"s": "EXPIRED"}).mustData(t, &data)
		if n := data.MemberInvitations.Nodes; len(n) != 1 || n[0].Username != "wl-leader" {
			t.Errorf("expired invitations = %+v, want wl-leader's", n)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, answerMemberInvite, answerVars(invite(t, e, sjAdmin, "wl-admin", "LEADER"), true)), "UNAUTHENTICATED")
		wantCode(t, e.Do(request{}, invitationsToMe, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrPasswordSetByAnAdmin", func(t *testing.T) {
		in := map[string]any{"username": "sj-new", "displayName": "新人", "initialPassword": "correct-horse-1", "roles": []string{"INSPECTOR"}}
		var data struct {
			InviteMember struct{ Invitation struct{ ID string } }
		}
		e.Do(sjAdmin, inviteMember, map[string]any{"in": in}).mustData(t, &data)
		var signIn struct{ SignIn struct{ Token string } }
		e.Do(request{}, signInMutation, map[string]any{"u": "sj-new", "p": "correct-horse-1"}).mustData(t, &signIn)
		newcomer := request{Token: signIn.SignIn.Token}
		e.Do(newcomer, invitationsToMe, nil).mustData(t, nil)
		wantCode(t, e.Do(newcomer, answerMemberInvite, answerVars(data.InviteMember.Invitation.ID, true)), "FORBIDDEN")
	})
}

func TestWithdrawMemberInvitation(t *testing.T) {
	e := newEnv(t)
	sjAdmin := e.As("sj-admin")
	t.Run("OK", func(t *testing.T) {
		id := invite(t, e, sjAdmin, "wl-planner", "PLANNER")
		r := e.Do(sjAdmin, withdrawInvite, withdrawVars(id))
		r.mustData(t, nil)
		if !strings.Contains(string(r.Data), `"state":"WITHDRAWN"`) {
			t.Errorf("withdrawn = %s", r.Data)
		}
		wantCode(t, e.Do(e.As("wl-planner"), answerMemberInvite, answerVars(id, true)), "CONFLICT")
		wantCode(t, e.Do(sjAdmin, withdrawInvite, withdrawVars(id)), "CONFLICT")
		if got := sjRolesOf(t, e, "wl-planner"); len(got) != 0 {
			t.Errorf("roles after a withdrawn invitation = %v", got)
		}
	})
	id := invite(t, e, sjAdmin, "wl-reviewer", "REVIEWER")
	t.Run("ErrForbiddenRole", func(t *testing.T) {
		wantCode(t, e.Do(e.As("sj-planner"), withdrawInvite, withdrawVars(id)), "FORBIDDEN")
		wantCode(t, e.Do(e.As("sj-planner"), inviteMember, map[string]any{"in": map[string]any{"username": "x-y", "roles": []string{"PLANNER"}}}), "FORBIDDEN")
		wantCode(t, e.Do(e.As("sj-planner"), outgoing, nil), "FORBIDDEN")
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, withdrawInvite, withdrawVars(id)), "UNAUTHENTICATED")
		wantCode(t, e.Do(request{}, inviteMember, map[string]any{"in": map[string]any{"username": "x-y", "roles": []string{"PLANNER"}}}), "UNAUTHENTICATED")
		wantCode(t, e.Do(request{}, outgoing, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrOtherBureau", func(t *testing.T) {
		wlAdmin := e.As("wl-admin")
		wantCode(t, e.Do(wlAdmin, withdrawInvite, withdrawVars(id)), "NOT_FOUND")
		var data struct {
			MemberInvitations struct{ TotalCount int }
		}
		e.Do(wlAdmin, outgoing, nil).mustData(t, &data)
		if data.MemberInvitations.TotalCount != 0 {
			t.Errorf("140522-wl sees %d invitations, want none of 140522-sj's", data.MemberInvitations.TotalCount)
		}
		wantCode(t, e.Do(wlAdmin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}), "NOT_FOUND")
		e.Do(e.As("wl-reviewer"), `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).mustData(t, nil)
	})
	t.Run("ErrOtherBureauInviting", func(t *testing.T) {
		// wl-admin inviting into 140522-sj, where it holds no role.
		rq := e.As("wl-admin")
		rq.Bureau = "140522-sj"
		wantCode(t, e.Do(rq, inviteMember, map[string]any{"in": map[string]any{"username": "x-y", "roles": []string{"PLANNER"}}}), "FORBIDDEN")
	})
}

// Two acceptances and a withdrawal of one invitation race, in each of 20
// rounds: exactly one wins, and the user ends with one membership (the
// invitation's roles) or none.
func TestConcurrentAcceptAndWithdraw(t *testing.T) {
	e := newEnv(t)
	sjAdmin := e.As("sj-admin")
	invitee := e.As("wl-inspector2")
	for round := range 20 {
		id := invite(t, e, sjAdmin, "wl-inspector2", "INSPECTOR")
		call := func(rq request, q string, vars map[string]any) func() (response, error) {
			return func() (response, error) { return tryGraphQL(e.Server.URL, rq, q, vars) }
		}
		rs := race(e, call(invitee, answerMemberInvite, answerVars(id, true)), call(invitee, answerMemberInvite, answerVars(id, true)),
			call(sjAdmin, withdrawInvite, withdrawVars(id)))
		won := 0
		for _, r := range rs {
			switch r.Code() {
			case "":
				won++
			case "CONFLICT":
			default:
				t.Fatalf("round %d: answer %d %+v, want data or CONFLICT", round, r.Status, r.Errors)
			}
		}
		roles := sjRolesOf(t, e, "wl-inspector2")
		accepted := rs[0].Code() == "" || rs[1].Code() == ""
		if won != 1 || accepted != slices.Equal(roles, []string{"inspector"}) || !accepted && len(roles) != 0 {
			t.Fatalf("round %d: %d won (accepted %v), roles in 140522-sj %v; want one winner and roles only if accepted", round, won, accepted, roles)
		}
		if accepted {
			e.Do(sjAdmin, setRoles, map[string]any{"in": map[string]any{"username": "wl-inspector2", "roles": []string{}}}).mustData(t, nil)
		}
	}
}
