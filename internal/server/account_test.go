package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/postgres"
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
	for i := 0; i < account.MaxFailuresPerPair; i++ {
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

// Parallel wrong guesses are counted before they are checked: however
// many arrive at once, only MaxFailuresPerPair passwords are checked.
func TestSignInRaceIsCounted(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	var checked, refused atomic.Int32
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := doGraphQL(t, e.Server.URL, request{}, signInMutation, map[string]any{"u": "wl-planner", "p": fmt.Sprintf("guess-%02d-xxxxxx", i)})
			switch {
			case r.Code() != "UNAUTHENTICATED":
				t.Errorf("guess %d: code %q, want UNAUTHENTICATED", i, r.Code())
			case strings.Contains(r.Errors[0].Message, "wrong username or password"):
				checked.Add(1)
			case strings.Contains(r.Errors[0].Message, "too many failed sign-ins"):
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if checked.Load() != account.MaxFailuresPerPair || refused.Load() != 24-account.MaxFailuresPerPair {
		t.Fatalf("checked %d, refused %d; want %d and %d", checked.Load(), refused.Load(), account.MaxFailuresPerPair, 24-account.MaxFailuresPerPair)
	}
}

// A flood of wrong passwords from other addresses backs those addresses
// off and slows the username down, but its owner still signs in.
func TestFloodDoesNotLockOutTheOwner(t *testing.T) {
	e := newEnv(t)
	accounts := &account.Service{Store: postgres.AccountStore{DB: e.DB}}
	ctx := t.Context()
	for i := 0; i < 22; i++ {
		address := fmt.Sprintf("198.51.100.%d", i/account.MaxFailuresPerPair)
		_, err := accounts.SignIn(ctx, account.Credentials{Username: "wl-planner", Password: fmt.Sprintf("flood-guess-%03d", i), Address: address})
		if errs.KindOf(err) != errs.Unauthenticated {
			t.Fatalf("flood guess %d: %v, want UNAUTHENTICATED", i, err)
		}
	}
	_, err := accounts.SignIn(ctx, account.Credentials{Username: "wl-planner", Password: "flood-guess-999", Address: "198.51.100.0"})
	if err == nil || !strings.Contains(err.Error(), "too many failed sign-ins") {
		t.Errorf("a flooding address signing in again: %v, want it backed off", err)
	}
	e.SignIn("wl-planner") // from 127.0.0.1, with the right password
}

const changePassword = `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { changed } }`

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	other := e.As("wl-planner")
	rq := e.As("wl-planner")
	tests := []struct {
		name, current, next, wantCode, wantField string
	}{
		{"ErrWrongCurrent", "not-the-password", "a-new-long-password", "BAD_USER_INPUT", "input.currentPassword"},
		{"ErrShortNew", postgres.DemoPassword, "short", "BAD_USER_INPUT", "input.newPassword"},
		{"ErrSame", postgres.DemoPassword, postgres.DemoPassword, "BAD_USER_INPUT", "input.newPassword"},
		{"OK", postgres.DemoPassword, "a-new-long-password", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(rq, changePassword, map[string]any{"in": map[string]any{"currentPassword": tt.current, "newPassword": tt.next}})
			wantCodeOrOK(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
		})
	}
	e.Do(rq, `{ actingBureau { code } }`, nil).mustData(t, nil)
	wantCode(t, e.Do(other, `{ me { user { username } } }`, nil), "UNAUTHENTICATED")
	wantCode(t, e.Do(request{}, signInMutation, map[string]any{"u": "wl-planner", "p": postgres.DemoPassword}), "UNAUTHENTICATED")
	e.Do(request{}, signInMutation, map[string]any{"u": "wl-planner", "p": "a-new-long-password"}).mustData(t, nil)
	wantCode(t, e.Do(request{}, changePassword, map[string]any{"in": map[string]any{"currentPassword": "x", "newPassword": "a-new-long-password"}}), "UNAUTHENTICATED")
}

const resetPassword = `mutation($u: String!) { resetMemberPassword(input: {username: $u}) { temporaryPassword } }`

func TestResetMemberPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.As("wl-admin")
	victim := e.As("wl-inspector1")
	t.Run("ErrForbiddenRole", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-planner"), resetPassword, map[string]any{"u": "wl-inspector1"}), "FORBIDDEN")
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, resetPassword, map[string]any{"u": "wl-inspector1"}), "UNAUTHENTICATED")
	})
	t.Run("ErrOtherBureau", func(t *testing.T) {
		wantCode(t, e.Do(admin, resetPassword, map[string]any{"u": "sj-inspector1"}), "NOT_FOUND")
	})
	t.Run("ErrHeldByAnotherBureauToo", func(t *testing.T) {
		const q = `INSERT INTO members (bureau_id, user_id, role)
SELECT b.id, u.id, 'leader' FROM bureaus b, users u WHERE b.code = '140522-sj' AND u.username = 'wl-leader'`
		if _, err := e.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.Do(admin, resetPassword, map[string]any{"u": "wl-leader"}), "CONFLICT")
	})
	var data struct {
		ResetMemberPassword struct{ TemporaryPassword string }
	}
	e.Do(admin, resetPassword, map[string]any{"u": "wl-inspector1"}).mustData(t, &data)
	temporary := data.ResetMemberPassword.TemporaryPassword
	wantCode(t, e.Do(victim, `{ me { user { username } } }`, nil), "UNAUTHENTICATED")
	wantCode(t, e.Do(request{}, signInMutation, map[string]any{"u": "wl-inspector1", "p": postgres.DemoPassword}), "UNAUTHENTICATED")

	var signed struct {
		SignIn struct {
			Token              string
			MustChangePassword bool
		}
	}
	e.Do(request{}, `mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { token mustChangePassword } }`,
		map[string]any{"u": "wl-inspector1", "p": temporary}).mustData(t, &signed)
	if !signed.SignIn.MustChangePassword {
		t.Fatal("mustChangePassword = false after a reset, want true")
	}
	rq := request{Token: signed.SignIn.Token}
	wantCode(t, e.Do(rq, `{ actingBureau { code } }`, nil), "FORBIDDEN")
	e.Do(rq, changePassword, map[string]any{"in": map[string]any{"currentPassword": temporary, "newPassword": "only-i-know-this"}}).mustData(t, nil)
	e.Do(rq, `{ actingBureau { code } }`, nil).mustData(t, nil)
	var n int
	const q = `SELECT count(*) FROM audit_log WHERE action IN ('member.reset_password', 'account.change_password')`
	if err := e.DB.Get(&n, q); err != nil || n != 2 {
		t.Errorf("audit entries of the reset and the change = %d (%v), want 2", n, err)
	}
}
