package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/server"
)

// proxy forwards TCP connections to PostgreSQL and can be cut and restored,
// standing in for the database going away and coming back.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

// newProxy starts a proxy to the database of dbURL and returns it with the
// same URL pointing through it.
func newProxy(t *testing.T, dbURL string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, target: u.Host}
	p.listen("127.0.0.1:0")
	u.Host = p.addr
	t.Cleanup(p.cut)
	return p, u.String()
}

func (p *proxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go p.accept(ln)
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// cut closes the listener and every connection: the database is gone.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address: the database is back.
func (p *proxy) restore() { p.listen(p.addr) }

// instance starts one more server over db, listening for role changes at
// listenURL, with the options applied, and returns its URL.
func instance(t *testing.T, db *postgres.DB, listenURL string, log io.Writer, options ...server.Option) string {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	h, err := server.App(t.Context(), slog.New(slog.NewTextHandler(log, nil)), db, listenURL, options...)
	if err != nil {
		t.Fatalf("server.App: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// listenerUp reads the instance's authz listener gauge.
func listenerUp(t *testing.T, baseURL string) bool {
	res, err := http.Get(baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.Contains(string(b), "\nshuangsuiji_authz_listener_up 1")
}

// waitFor polls cond every 20 ms for at most limit and returns how long it
// took, or fails the test.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

const planOnly = `{ plans { year } }` // planners, admins and readers of plans; not reviewers-only

// While an instance cannot listen for role changes it re-reads roles
// before each check, and once the database is back it listens again
// within 2 s, so a second instance never enforces old roles.
func TestRoleListenerRecovers(t *testing.T) {
	e := newEnv(t)
	p, listenURL := newProxy(t, e.URL)
	b := instance(t, e.DB, listenURL, nil)
	waitFor(t, 5*time.Second, "listener up at start", func() bool { return listenerUp(t, b) })

	admin := e.As("wl-admin")
	setRolesOf := func(username string, roles ...string) {
		t.Helper()
		e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": username, "roles": roles}}).mustData(t, nil)
	}
	inspector := request{Token: e.SignIn("wl-inspector1")}
	const adminOnly = `{ members { nodes { roles } } }`
	wantCode(t, doGraphQL(t, b, inspector, adminOnly, nil), "FORBIDDEN")

	p.cut()
	waitFor(t, 5*time.Second, "listener down", func() bool { return !listenerUp(t, b) })
	setRolesOf("wl-inspector1", "INSPECTOR", "REVIEWER") // announced while b cannot hear
	doGraphQL(t, b, inspector, adminOnly, nil).mustData(t, nil)

	p.restore()
	took := waitFor(t, 5*time.Second, "listener back", func() bool { return listenerUp(t, b) })
	t.Logf("listener back %s after the database", took)
	if took > 2*time.Second {
		t.Errorf("listener took %s to come back, want at most 2 s", took)
	}
	setRolesOf("wl-inspector1", "INSPECTOR") // heard by notification now
	waitFor(t, 2*time.Second, "role change heard", func() bool {
		return doGraphQL(t, b, inspector, adminOnly, nil).Code() == "FORBIDDEN"
	})
}

// A database outage answers 503 with code UNAVAILABLE, on GraphQL and
// before it (authentication), and the service recovers by itself.
func TestDatabaseOutageAnswers503(t *testing.T) {
	e := newEnv(t)
	p, viaProxy := newProxy(t, e.URL)
	db, err := postgres.Open(t.Context(), viaProxy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var log bytes.Buffer
	var logMu sync.Mutex
	c := instance(t, db, viaProxy, writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return log.Write(b)
	}))
	token := e.SignIn("wl-planner")
	doGraphQL(t, c, request{Token: token}, planOnly, nil).mustData(t, nil)

	p.cut()
	for name, rq := range map[string]request{"Authenticated": {Token: token}, "Anonymous": {}} {
		t.Run(name, func(t *testing.T) {
			q := planOnly
			if rq.Token == "" {
				q = `mutation { signIn(input: {username: "wl-planner", password: "shuangsuiji-demo"}) { token } }`
			}
			r := doGraphQL(t, c, rq, q, nil)
			if r.Status != http.StatusServiceUnavailable || r.Code() != "UNAVAILABLE" {
				t.Errorf("status %d, code %q (%+v); want 503 UNAVAILABLE", r.Status, r.Code(), r.Errors)
			}
		})
	}
	p.restore()
	waitFor(t, 5*time.Second, "service back", func() bool {
		return doGraphQL(t, c, request{Token: token}, planOnly, nil).Code() == ""
	})
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(log.String(), "level=ERROR msg=\"internal error\"") {
		t.Errorf("the outage was logged as an internal error:\n%s", log.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// slowPost starts a POST whose body arrives only as the test writes it;
// the answer comes on the returned channel.
func slowPost(t *testing.T, baseURL, contentType string, header http.Header) (*io.PipeWriter, <-chan *http.Response) {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/graphql", pr)
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	answers := make(chan *http.Response, 1)
	go func() {
		res, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			answers <- nil
			return
		}
		answers <- res
	}()
	return pw, answers
}

func answerWithin(t *testing.T, answers <-chan *http.Response, limit time.Duration) *http.Response {
	t.Helper()
	select {
	case res := <-answers:
		if res == nil {
			t.Fatal("no answer: the connection failed")
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	case <-time.After(limit):
		t.Fatalf("no answer within %s", limit)
	}
	return nil
}

func codeOfAnswer(t *testing.T, res *http.Response) string {
	t.Helper()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("decode answer (status %d): %v", res.StatusCode, err)
	}
	return r.Code()
}

// Beyond its capacity the server answers 503 at once instead of letting
// requests queue for a minute; the requests it took still finish.
func TestBurstIsShed(t *testing.T) {
	e := newEnv(t)
	c := instance(t, e.DB, e.URL, nil, server.WithDeps(func(d *server.Deps) { d.MaxInFlight, d.QueueWait = 2, 50*time.Millisecond }))
	var held []*io.PipeWriter
	var pending []<-chan *http.Response
	for i := 0; i < 2; i++ {
		pw, answers := slowPost(t, c, "application/json", nil)
		pw.Write([]byte(`{"query": "{ __typename `))
		held, pending = append(held, pw), append(pending, answers)
	}
	time.Sleep(100 * time.Millisecond) // both are in, reading their bodies
	shed := 0
	for i := 0; i < 10; i++ {
		r := doGraphQL(t, c, request{}, `{ __typename }`, nil)
		if r.Status == http.StatusServiceUnavailable && r.Code() == "UNAVAILABLE" {
			shed++
		}
	}
	if shed != 10 {
		t.Errorf("%d of 10 requests beyond capacity shed, want all", shed)
	}
	for i, pw := range held {
		pw.Write([]byte(`}"}`))
		pw.Close()
		if res := answerWithin(t, pending[i], 10*time.Second); res.StatusCode != http.StatusOK {
			t.Errorf("held request %d: status %d, want 200", i, res.StatusCode)
		}
	}
	doGraphQL(t, c, request{}, `{ __typename }`, nil).mustData(t, nil)
}

// An upload without a session is refused before its body is read: the
// answer comes although the body never finishes.
func TestUploadWithoutSessionIsRefusedUnread(t *testing.T) {
	e := newEnv(t)
	for name, header := range map[string]http.Header{
		"NoSession":  nil,
		"BadSession": {"Authorization": {"Bearer not-a-token"}},
	} {
		t.Run(name, func(t *testing.T) {
			pw, answers := slowPost(t, e.Server.URL, "multipart/form-data; boundary=x", header)
			defer pw.Close()
			pw.Write([]byte("--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"))
			res := answerWithin(t, answers, 10*time.Second)
			if res.StatusCode != http.StatusUnauthorized || codeOfAnswer(t, res) != "UNAUTHENTICATED" {
				t.Errorf("status %d, want 401 UNAUTHENTICATED", res.StatusCode)
			}
		})
	}
}

// A body that does not arrive in time is cut with 408, and the client that
// hangs up mid-body is logged as such, not as an error.
func TestSlowBodyIsCut(t *testing.T) {
	e := newEnv(t)
	var log bytes.Buffer
	var mu sync.Mutex
	c := instance(t, e.DB, e.URL, writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(b)
	}), server.WithDeps(func(d *server.Deps) { d.BodyTimeout = 200 * time.Millisecond }))

	pw, answers := slowPost(t, c, "application/json", nil)
	pw.Write([]byte(`{"query": "{ __typ`))
	res := answerWithin(t, answers, 10*time.Second)
	pw.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", res.StatusCode)
	}

	pw, answers = slowPost(t, c, "application/json", nil)
	pw.Write([]byte(`{"query": "{ __typ`))
	time.Sleep(50 * time.Millisecond)
	pw.CloseWithError(fmt.Errorf("the client hangs up"))
	<-answers
	waitFor(t, 5*time.Second, "hang-up logged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(log.String(), "client hung up")
	})
}
