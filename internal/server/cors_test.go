package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/server"
)

const dashboard = "https://dashboard.example.cn"

func preflight(t *testing.T, base, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, base+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, x-bureau")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func postFrom(t *testing.T, base, origin, query string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestCORS(t *testing.T) {
	t.Setenv("CORS_ORIGINS", dashboard+", http://127.0.0.1:5173")
	e := newEnv(t)

	t.Run("OKPreflightAllowedOrigin", func(t *testing.T) {
		res := preflight(t, e.Server.URL, dashboard)
		h := res.Header
		if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != dashboard {
			t.Fatalf("preflight: %d, Allow-Origin %q; want 204 and %s", res.StatusCode, h.Get("Access-Control-Allow-Origin"), dashboard)
		}
		for _, want := range []string{"Authorization", "Content-Type", "X-Bureau"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
			}
		}
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("Allow-Methods %q, Allow-Credentials %q", h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Credentials"))
		}
	})
	t.Run("OKRequestAllowedOrigin", func(t *testing.T) {
		res := postFrom(t, e.Server.URL, dashboard, `{ __typename }`)
		if got := res.Header.Get("Access-Control-Allow-Origin"); res.StatusCode != http.StatusOK || got != dashboard {
			t.Errorf("POST from %s: %d, Allow-Origin %q", dashboard, res.StatusCode, got)
		}
	})
	t.Run("ErrPreflightRefusedOrigin", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example.com", "https://dashboard.example.cn.evil.com", "null", "http://dashboard.example.cn"} {
			res := preflight(t, e.Server.URL, origin)
			if res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight from %s: %d, Allow-Origin %q; want 403 and none", origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
			}
		}
	})
	t.Run("ErrRequestRefusedOriginUnreadable", func(t *testing.T) {
		res := postFrom(t, e.Server.URL, "https://evil.example.com", `{ __typename }`)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("POST from a refused origin got Allow-Origin %q", got)
		}
	})
}

func TestCORSNoneByDefault(t *testing.T) {
	t.Setenv("CORS_ORIGINS", "")
	e := newEnv(t)
	if res := preflight(t, e.Server.URL, dashboard); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight with no origins configured: %d, Allow-Origin %q; want 403", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestParseOrigins(t *testing.T) {
	got, err := server.ParseOrigins(" https://A.example.cn ,http://127.0.0.1:8081,")
	if err != nil || strings.Join(got, " ") != "https://a.example.cn http://127.0.0.1:8081" {
		t.Errorf("ParseOrigins = %q, %v", got, err)
	}
	for _, bad := range []string{"*", "example.cn", "https://example.cn/", "https://example.cn/app", "ftp://example.cn", "https://u@example.cn"} {
		if _, err := server.ParseOrigins(bad); err == nil {
			t.Errorf("ParseOrigins(%q) accepted it", bad)
		}
	}
}

func getGraphQL(t *testing.T, base string, rq request, query string) (int, response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/graphql?query="+url.QueryEscape(query), nil)
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("GET %s: status %d, decode: %v", query, res.StatusCode, err)
	}
	return res.StatusCode, r
}

func TestGETQueries(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	t.Run("OKQuery", func(t *testing.T) {
		status, r := getGraphQL(t, e.Server.URL, planner, `{ me { user { username } } }`)
		if status != http.StatusOK || !strings.Contains(string(r.Data), `"wl-planner"`) {
			t.Fatalf("GET query: %d %s %+v", status, r.Data, r.Errors)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		_, r := getGraphQL(t, e.Server.URL, request{}, `{ actingBureau { code } }`)
		wantCode(t, r, "UNAUTHENTICATED")
	})
	t.Run("ErrMutationRefused", func(t *testing.T) {
		status, r := getGraphQL(t, e.Server.URL, planner, `mutation { signOut { ok } }`)
		if status == http.StatusOK || len(r.Errors) == 0 {
			t.Fatalf("GET mutation: %d %s; want it refused", status, r.Data)
		}
		// The session still works: the mutation did not run.
		e.Do(planner, `{ me { user { username } } }`, nil).mustData(t, nil)
	})
}

// syncBuffer is a log the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestJSONRequestLog: with a JSON logger (LOG_FORMAT=json), each request's
// line is one JSON object naming the GraphQL operation it ran.
func TestJSONRequestLog(t *testing.T) {
	e := newEnv(t)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h, err := server.App(ctx, slog.New(slog.NewJSONHandler(&logs, nil)), e.DB, e.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	token := e.SignIn("wl-planner")
	doGraphQL(t, srv.URL, request{Token: token}, `query WhoAmI { me { user { username } } }`, nil).mustData(t, nil)
	doGraphQL(t, srv.URL, request{Token: token}, `{ me { user { username } } }`, nil).mustData(t, nil)

	want := map[string]string{"WhoAmI": "query", "(anonymous)": "query"}
	deadline := time.Now().Add(5 * time.Second) // the line follows the answer
	for len(want) > 0 && time.Now().Before(deadline) {
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var l map[string]any
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			name, _ := l["operation"].(string)
			if l["msg"] == "request" && l["path"] == "/graphql" && want[name] != "" && l["operation_type"] == want[name] {
				delete(want, name)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(want) > 0 {
		t.Errorf("no request line names %v; log:\n%s", want, logs.String())
	}
}
