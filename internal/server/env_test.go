package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
	"shuangsuiji/internal/server"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// env is a running service over a fresh seeded database.
type env struct {
	t      testing.TB
	DB     *postgres.DB
	URL    string // the owner's connection string of the test database
	Server *httptest.Server
}

// newEnv starts the whole service, as `serve` wires it, over a fresh
// database holding the demo county.
func newEnv(t testing.TB) *env {
	t.Helper()
	e, _ := newEnvCounting(t)
	return e
}

// newEnvCounting is newEnv with the statements the service sends counted.
func newEnvCounting(t testing.TB) (*env, *testdb.Statements) {
	t.Helper()
	conf := testdb.Config(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, stmts := testdb.OpenCounting(t, conf.URL())
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	e := &env{t: t, DB: db, URL: conf.URL()}
	e.Server = httptest.NewServer(e.app(ctx))
	t.Cleanup(e.Server.Close)
	return e, stmts
}

// testNow is the day the tests live on: the start of 2026, so that draws of
// any quarter of 2026 (the demo plans' year) are planned for the future.
func testNow() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*60*60)) }

// app builds one more instance of the service over the same database.
func (e *env) app(ctx context.Context) http.Handler {
	e.t.Helper()
	h, err := server.App(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), e.DB, e.URL, server.WithClock(testNow))
	if err != nil {
		e.t.Fatalf("server.App: %v", err)
	}
	return h
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code  string `json:"code"`
		Field string `json:"field"`
	} `json:"extensions"`
	Path []any `json:"path"`
}

// response is a GraphQL response.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// Code is the first error's extensions.code, or "" when there is none.
func (r response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Extensions.Code
}

// request says who sends a GraphQL request: a session token ("" for
// nobody) and the X-Bureau header ("" for none).
type request struct {
	Token  string
	Bureau string
}

// Do posts a GraphQL operation to server and decodes the answer.
func (e *env) Do(rq request, query string, vars map[string]any) response {
	e.t.Helper()
	return doGraphQL(e.t, e.Server.URL, rq, query, vars)
}

func doGraphQL(t testing.TB, baseURL string, rq request, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	if rq.Bureau != "" {
		req.Header.Set("X-Bureau", rq.Bureau)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	r.Status = res.StatusCode
	return r
}

// mustData fails the test when the response has errors, and decodes data.
func (r response) mustData(t testing.TB, into any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if into != nil {
		if err := json.Unmarshal(r.Data, into); err != nil {
			t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

const signInMutation = `mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { token expiresAt user { id username } } }`

// SignIn signs a demo user in and returns the session token.
func (e *env) SignIn(username string) string {
	e.t.Helper()
	var data struct {
		SignIn struct{ Token string }
	}
	e.Do(request{}, signInMutation, map[string]any{"u": username, "p": postgres.DemoPassword}).mustData(e.t, &data)
	if data.SignIn.Token == "" {
		e.t.Fatalf("sign in %s: empty token", username)
	}
	return data.SignIn.Token
}

// As signs the user in and returns a request acting in their only bureau.
func (e *env) As(username string) request {
	e.t.Helper()
	return request{Token: e.SignIn(username)}
}
