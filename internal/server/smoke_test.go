package server_test

import "testing"

func TestSignInAndMe(t *testing.T) {
	e := newEnv(t)
	var data struct {
		Me struct {
			User         struct{ Username string }
			ActingBureau struct{ Code string }
		}
	}
	e.Do(e.As("wl-planner"), `{ me { user { username } actingBureau { code } } }`, nil).mustData(t, &data)
	if got, want := data.Me.User.Username, "wl-planner"; got != want {
		t.Errorf("username = %q, want %q", got, want)
	}
	if got, want := data.Me.ActingBureau.Code, "140522-wl"; got != want {
		t.Errorf("acting bureau = %q, want %q", got, want)
	}
}
