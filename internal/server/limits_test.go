package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"shuangsuiji/internal/server"
)

func TestQueryLimits(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-admin")
	t.Run("IntrospectionIsNotLimitedByDepth", func(t *testing.T) {
		q := "{ __schema { types { fields { type " + strings.Repeat("{ ofType ", 11) + "{ name }" + strings.Repeat(" }", 11) + " } } } }"
		e.Do(rq, q, nil).mustData(t, nil)
	})
	t.Run("ErrTooComplex", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < 20; i++ {
			b.WriteString(" a" + strconv.Itoa(i) + ": members(first: 500) { nodes { roles } }")
		}
		b.WriteString(" }")
		wantCode(t, e.Do(rq, b.String(), nil), "BAD_USER_INPUT")
	})
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		body := `{"query": "{ me { user { username } } }", "pad": "` + strings.Repeat("x", server.MaxBodyBytes) + `"}`
		res, err := http.Post(e.Server.URL+"/graphql", "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("status = %d, want a 4xx refusal", res.StatusCode)
		}
	})
}

func TestNestedConnectionsArePriced(t *testing.T) {
	e := newEnv(t)
	// 500 draws × 500 tasks each would be 250,000 rows in one request.
	q := `{ draws(first: 500) { nodes { tasks(first: 500) { nodes { entityCode team { certificate } } } } } }`
	wantCode(t, e.Do(e.As("wl-planner"), q, nil), "BAD_USER_INPUT")
	e.Do(e.As("wl-planner"), `{ draws(first: 10) { nodes { tasks(first: 20) { nodes { entityCode } } } } }`, nil).mustData(t, nil)
}

// aliased repeats a selection n times under distinct aliases.
func aliased(n int, selection string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: %s", i, selection)
	}
	b.WriteString(" }")
	return b.String()
}

func TestIntrospectionIsPriced(t *testing.T) {
	e := newEnv(t)
	t.Run("OneSchemaIsFine", func(t *testing.T) {
		e.Do(request{}, `{ __schema { types { name fields { name } } } }`, nil).mustData(t, nil)
	})
	t.Run("ErrThousandsOfAliasedSchemas", func(t *testing.T) {
		r := e.Do(request{}, aliased(4000, "__schema { types { name fields { name type { name } } } }"), nil)
		wantCode(t, r, "BAD_USER_INPUT")
		if len(r.Data) > 0 && string(r.Data) != "null" {
			t.Errorf("data = %.100s…, want none", r.Data)
		}
	})
	t.Run("ErrManyAliasedTypes", func(t *testing.T) {
		wantCode(t, e.Do(request{}, aliased(200, `__type(name: "Query") { fields { name } }`), nil), "BAD_USER_INPUT")
	})
}

func TestEveryConnectionIsPriced(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-planner")
	r := e.Do(rq, aliased(47, "rosterEntities(first: 500) { nodes { entity { code name } } }"), nil)
	wantCode(t, r, "BAD_USER_INPUT")
	e.Do(rq, aliased(2, "rosterEntities(first: 50) { nodes { entity { code name } } }"), nil).mustData(t, nil)
}

func TestSignInOncePerRequest(t *testing.T) {
	e := newEnv(t)
	sessions := func() int {
		var n int
		if err := e.DB.Get(&n, `SELECT count(*) FROM sessions`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := sessions()
	q := `mutation { a: signIn(input: {username: "wl-planner", password: "shuangsuiji-demo"}) { token }
		b: signIn(input: {username: "wl-planner", password: "shuangsuiji-demo"}) { token } }`
	wantCode(t, e.Do(request{}, q, nil), "BAD_USER_INPUT")
	q = `mutation { ...S ...S2 } fragment S on Mutation { a: signIn(input: {username: "wl-planner", password: "x"}) { token } }
		fragment S2 on Mutation { b: signIn(input: {username: "wl-planner", password: "y"}) { token } }`
	wantCode(t, e.Do(request{}, q, nil), "BAD_USER_INPUT")
	if got := sessions(); got != before {
		t.Errorf("sessions = %d, want %d: a refused request must not sign anyone in", got, before)
	}
	e.SignIn("wl-planner")
}

func TestAnonymousIntrospectionCanBeTurnedOff(t *testing.T) {
	e := newEnv(t)
	t.Setenv("ANONYMOUS_INTROSPECTION", "off")
	srv := httptest.NewServer(e.app(t.Context()))
	defer srv.Close()
	const q = `{ __schema { queryType { name } } }`
	if r := doGraphQL(t, srv.URL, request{}, q, nil); len(r.Errors) == 0 {
		t.Fatalf("anonymous introspection answered %s, want it refused", r.Data)
	}
	doGraphQL(t, srv.URL, request{Token: e.SignIn("wl-planner")}, q, nil).mustData(t, nil)
}

func TestBadInputIsNeverInternal(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-leader")
	tests := []struct {
		name      string
		query     string
		vars      map[string]any
		wantCode  string
		wantField string
	}{
		{"NULInVariable", `query($a: String) { auditLog(filter: {action: $a}) { nodes { seq } } }`, map[string]any{"a": "x\x00y"}, "BAD_USER_INPUT", "variables.a"},
		{"NULInLiteral", `{ auditLog(filter: {action: "x\u0000y"}) { nodes { seq } } }`, nil, "BAD_USER_INPUT", ""},
		{"TamperedCursor", `{ auditLog(after: "bm90LWEtbnVtYmVy") { nodes { seq } } }`, nil, "BAD_USER_INPUT", "after"},
		{"CursorWithNUL", `{ members(after: "AA") { nodes { roles } } }`, nil, "BAD_USER_INPUT", "after"},
		{"MalformedTime", `{ auditLog(filter: {from: "yesterday"}) { nodes { seq } } }`, nil, "BAD_USER_INPUT", ""},
		{"MalformedTimeVariable", `query($t: Time) { auditLog(filter: {from: $t}) { nodes { seq } } }`, map[string]any{"t": "2026-13-45"}, "BAD_USER_INPUT", ""},
		{"ParseFailed", `{ me { `, nil, "GRAPHQL_PARSE_FAILED", ""},
		{"ValidationFailed", `{ noSuchField }`, nil, "GRAPHQL_VALIDATION_FAILED", ""},
		{"WrongVariableType", `query($n: Int) { members(first: $n) { nodes { roles } } }`, map[string]any{"n": "many"}, "BAD_USER_INPUT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(rq, tt.query, tt.vars)
			wantCode(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
		})
	}
}

func TestMalformedBodyIsNotEchoed(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{`{"query": "{ me }", <script>secret-marker</script>`, `["secret-marker"]`, `{"query": ["secret-marker"]}`} {
		res, err := http.Post(e.Server.URL+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || strings.Contains(string(got), "secret-marker") {
			t.Errorf("%s: status %d, answer %s; want 400 without the body", body, res.StatusCode, got)
		}
	}
}

// TestCachedQueriesArePricedEachTime: a query text is parsed and validated
// once and kept, but its price depends on its variables, so it is priced
// on every request; a text that failed validation is not kept.
func TestCachedQueriesArePricedEachTime(t *testing.T) {
	e := newEnv(t)
	rq := e.As("wl-planner")
	q := `query($draws: Int, $tasks: Int) { draws(first: $draws) { nodes { tasks(first: $tasks) { nodes { entityCode team { certificate } } } } } }`
	small := map[string]any{"draws": 10, "tasks": 20}
	e.Do(rq, q, small).mustData(t, nil)
	wantCode(t, e.Do(rq, q, map[string]any{"draws": 500, "tasks": 500}), "BAD_USER_INPUT")
	e.Do(rq, q, small).mustData(t, nil)

	invalid := `{ draws(first: 1) { nodes { noSuchField } } }`
	for range 2 {
		wantCode(t, e.Do(rq, invalid, nil), "GRAPHQL_VALIDATION_FAILED")
	}
}
