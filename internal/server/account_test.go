package server_test

import (
	"strings"
	"testing"

	"shuangsuiji/internal/account"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, username, password, wantCode, wantField string
	}{
		{"OK", "wl-planner", "shuangsuiji-demo", "", ""},
		{"UsernameIsCaseInsensitive", "WL-Planner", "shuangsuiji-demo", "", ""},
		{"ErrWrongPassword", "wl-planner", "wrong-password", "UNAUTHENTICATED", ""},
		{"ErrUnknownUser", "nobody", "shuangsuiji-demo", "UNAUTHENTICATED", ""},
		{"ErrUsernameRequired", " ", "x", "BAD_USER_INPUT", "input.username"},
		{"ErrPasswordRequired", "wl-planner", "", "BAD_USER_INPUT", "input.password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(request{}, signInMutation, map[string]any{"u": tt.username, "p": tt.password})
			wantCodeOrOK(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
		})
	}
}

func wantCodeOrOK(t *testing.T, r response, want string) {
	t.Helper()
	if want == "" {
		r.mustData(t, nil)
		return
	}
	wantCode(t, r, want)
}

func TestSignInRateLimit(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < account.MaxFailuresPerUser; i++ {
		r := e.Do(request{}, signInMutation, map[string]any{"u": "wl-planner", "p": "guess-" + string(rune('a'+i))})
		wantCode(t, r, "UNAUTHENTICATED")
	}
	r := e.Do(request{}, signInMutation, map[string]any{"u": "wl-planner", "p": "shuangsuiji-demo"})
	wantCode(t, r, "UNAUTHENTICATED")
	if got := r.Errors[0].Message; !strings.Contains(got, "too many failed sign-ins") {
		t.Errorf("message = %q, want it to say too many failed sign-ins", got)
	}
	// Another user is not held back by wl-planner's failures.
	e.SignIn("wl-leader")
}

func TestSignOutRevokesToken(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-planner")
	e.Do(rq, `mutation { signOut { signedOut } }`, nil).mustData(t, nil)
	wantCode(t, e.Do(rq, `{ me { user { username } } }`, nil), "UNAUTHENTICATED")
}

func TestSignInIsAudited(t *testing.T) {
	e := newEnv(t)
	e.SignIn("wl-planner")
	var data struct {
		AuditLog struct {
			Nodes []struct{ Action, ObjectID, ActorUsername string }
		}
	}
	e.Do(e.As("wl-leader"), `{ auditLog(filter: {action: "session.sign_in", actor: "wl-planner"}) { nodes { action objectId actorUsername } } }`, nil).mustData(t, &data)
	if len(data.AuditLog.Nodes) != 1 || data.AuditLog.Nodes[0].ObjectID != "wl-planner" {
		t.Fatalf("sign-in entries of wl-planner = %+v, want one", data.AuditLog.Nodes)
	}
}
