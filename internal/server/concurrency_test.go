package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/postgres"
)

// tryGraphQL is doGraphQL for goroutines other than the test's: it returns
// errors instead of failing the test (t.Fatal must not be called there).
// It asks as a well-behaved client does: fifty workers at once exceed the
// bounded argon2 queue (sign-ins, new members' passwords) on a loaded
// machine, and a 503 UNAVAILABLE means ask again a little later.
func tryGraphQL(baseURL string, rq request, query string, vars map[string]any) (response, error) {
	for attempt := 1; ; attempt++ {
		r, err := tryGraphQLOnce(baseURL, rq, query, vars)
		if err != nil || r.Status != http.StatusServiceUnavailable || attempt == 20 {
			return r, err
		}
		time.Sleep(time.Second)
	}
}

func tryGraphQLOnce(baseURL string, rq request, query string, vars map[string]any) (response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	if rq.Bureau != "" {
		req.Header.Set("X-Bureau", rq.Bureau)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return response{}, fmt.Errorf("decode response (status %d): %w", res.StatusCode, err)
	}
	r.Status = res.StatusCode
	return r, nil
}

// tryData decodes a response's data, or says why it cannot.
func tryData(r response, err error, into any) error {
	if err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("status %d, errors %+v", r.Status, r.Errors)
	}
	return json.Unmarshal(r.Data, into)
}

const (
	meQuery           = `{ me { user { username } actingBureau { code } } }`
	inviteMemberQuery = `mutation($u: String!) { inviteMember(input: {username: $u, displayName: "并发测试执法员",
		initialPassword: "concurrency-test-pw", roles: [LEADER]}) { invitation { username roles } } }`
	signOutQuery = `mutation { signOut { signedOut } }`
)

// signInAs signs in (asking again after a 503, as tryGraphQL does).
func signInAs(baseURL, username string) (string, error) {
	var signIn struct{ SignIn struct{ Token string } }
	r, err := tryGraphQL(baseURL, request{}, signInMutation, map[string]any{"u": username, "p": postgres.DemoPassword})
	if err := tryData(r, err, &signIn); err != nil || signIn.SignIn.Token == "" {
		return "", fmt.Errorf("sign in %s: token %q, %v", username, signIn.SignIn.Token, err)
	}
	return signIn.SignIn.Token, nil
}

// worker is what one goroutine of TestConcurrentRequests does: sign in as a
// demo user, ask who it is, then change something. Admins add a member of
// their own (a distinct new username per worker); everyone else signs out.
// It returns the audit actions it caused.
func worker(baseURL string, i int, u postgres.DemoUser, bureau string) ([]string, error) {
	token, err := signInAs(baseURL, u.Username)
	if err != nil {
		return nil, err
	}
	rq := request{Token: token}
	var me struct {
		Me struct {
			User         struct{ Username string }
			ActingBureau struct{ Code string }
		}
	}
	r, err := tryGraphQL(baseURL, rq, meQuery, nil)
	if err := tryData(r, err, &me); err != nil {
		return nil, fmt.Errorf("me as %s: %v", u.Username, err)
	}
	if got, want := [2]string{me.Me.User.Username, me.Me.ActingBureau.Code}, [2]string{u.Username, bureau}; got != want {
		return nil, fmt.Errorf("me as %s = %v, want %v", u.Username, got, want)
	}
	actions := []string{"session.sign_in"}
	if slices.Contains(u.Roles, "admin") {
		newUser := fmt.Sprintf("conc-%02d", i)
		var added struct {
			InviteMember struct {
				Invitation struct {
					Username string
					Roles    []string
				}
			}
		}
		r, err = tryGraphQL(baseURL, rq, inviteMemberQuery, map[string]any{"u": newUser})
		if err := tryData(r, err, &added); err != nil {
			return nil, fmt.Errorf("%s invites %s: %v", u.Username, newUser, err)
		}
		if got := added.InviteMember.Invitation; got.Username != newUser || !slices.Equal(got.Roles, []string{"LEADER"}) {
			return nil, fmt.Errorf("%s invites %s: invitation %+v, want %s with [LEADER]", u.Username, newUser, got, newUser)
		}
		return append(actions, "member.invite"), nil
	}
	var out struct{ SignOut struct{ SignedOut bool } }
	r, err = tryGraphQL(baseURL, rq, signOutQuery, nil)
	if err := tryData(r, err, &out); err != nil || !out.SignOut.SignedOut {
		return nil, fmt.Errorf("sign out %s: signedOut %v, %v", u.Username, out.SignOut.SignedOut, err)
	}
	return append(actions, "session.sign_out"), nil
}

// TestConcurrentRequests runs 50 clients at once against one instance and
// then checks that every bureau's audit chain is intact and holds exactly
// one entry per change made.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	type demoUser struct {
		postgres.DemoUser
		bureau string
	}
	var users []demoUser
	for _, b := range postgres.Demo {
		for _, u := range b.Users {
			users = append(users, demoUser{u, b.Code})
		}
	}
	if got, want := len(users), 15; got != want {
		t.Fatalf("demo users = %d, want %d", got, want)
	}

	const workers = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		want    = map[string]int{"bureau.seed_demo": len(postgres.Demo)} // audit entries by action
		failed  []string
		started = make(chan struct{})
	)
	for i := range workers {
		u := users[i%len(users)]
		wg.Go(func() {
			<-started
			actions, err := worker(e.Server.URL, i, u.DemoUser, u.bureau)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("worker %d: %v", i, err))
			}
			for _, a := range actions {
				want[a]++
			}
		})
	}
	close(started)
	wg.Wait()
	for _, f := range failed {
		t.Error(f)
	}
	if t.Failed() {
		t.FailNow()
	}

	total := 0
	for _, n := range want {
		total += n
	}
	checked, err := postgres.VerifyAudit(ctx, e.DB)
	if err != nil {
		t.Fatalf("VerifyAudit after concurrent requests: %v", err)
	}
	if checked != total {
		t.Errorf("audit entries checked = %d, want %d", checked, total)
	}

	got := map[string]int{}
	rows, err := e.DB.QueryContext(ctx, `SELECT action, count(*) FROM audit_log GROUP BY action ORDER BY action`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var action string
		var n int
		if err := rows.Scan(&action, &n); err != nil {
			t.Fatal(err)
		}
		got[action] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("audit entries by action = %v, want %v", got, want)
	}
	if want["member.invite"] == 0 || want["session.sign_out"] == 0 {
		t.Errorf("the workers made %v: the test needs both kinds of change", want)
	}

	var added int
	if err := e.DB.Get(&added, `SELECT count(*) FROM users WHERE username LIKE 'conc-%'`); err != nil {
		t.Fatal(err)
	}
	if added != want["member.invite"] {
		t.Errorf("users added = %d, want %d", added, want["member.invite"])
	}
}

// TestRoleChangeReachesOtherInstances runs two instances of the service on
// one database: after instance A removes wl-planner from the bureau,
// instance B must refuse wl-planner too, once the NOTIFY has reached it.
func TestRoleChangeReachesOtherInstances(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b := httptest.NewServer(e.app(ctx))
	t.Cleanup(b.Close)

	planner := request{Token: e.SignIn("wl-planner"), Bureau: "140522-wl"}
	const members = `{ members(filter: {search: "wl-planner"}) { nodes { user { username } roles } } }`
	doAt := func(baseURL string) response {
		t.Helper()
		return doGraphQL(t, baseURL, planner, members, nil)
	}

	// Both instances let the planner in first.
	for name, url := range map[string]string{"A": e.Server.URL, "B": b.URL} {
		var data struct {
			Members struct {
				Nodes []struct {
					User  struct{ Username string }
					Roles []string
				}
			}
		}
		doAt(url).mustData(t, &data)
		if len(data.Members.Nodes) != 1 || data.Members.Nodes[0].User.Username != "wl-planner" {
			t.Fatalf("instance %s, members as wl-planner = %+v, want wl-planner", name, data.Members.Nodes)
		}
	}

	admin := request{Token: e.SignIn("wl-admin")}
	var set struct {
		SetMemberRoles struct{ Member struct{ Roles []string } }
	}
	e.Do(admin, `mutation { setMemberRoles(input: {username: "wl-planner", roles: []}) { member { roles } } }`, nil).
		mustData(t, &set)
	if got := set.SetMemberRoles.Member.Roles; len(got) != 0 {
		t.Fatalf("roles after removal = %v, want none", got)
	}

	refused := func(r response) bool {
		return r.Status == http.StatusForbidden && r.Code() == "FORBIDDEN" && strings.Contains(r.Errors[0].Message, "not a member")
	}
	// A reloaded before answering the mutation: it refuses at once.
	if r := doAt(e.Server.URL); !refused(r) {
		t.Errorf("instance A after the removal: status %d, errors %+v; want 403 FORBIDDEN not a member", r.Status, r.Errors)
	}
	// B hears of it through LISTEN/NOTIFY: allow it a while (a deadline
	// for eventual consistency, not a timing assertion).
	deadline := time.Now().Add(5 * time.Second)
	var last response
	for {
		last = doAt(b.URL)
		if refused(last) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !refused(last) {
		t.Errorf("instance B 5 s after the removal: status %d, errors %+v, data %s; want 403 FORBIDDEN not a member",
			last.Status, last.Errors, last.Data)
	}
}
