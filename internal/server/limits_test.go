package server_test

import (
	"bytes"
	"net/http"
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
