package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuangsuiji/internal/browser"
	"shuangsuiji/internal/server/graphiql"
)

// runExample posts one operation of GraphiQL's example document with the
// example's headers, the token put in place of <token>.
func runExample(t *testing.T, base, operation, token string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": graphiql.DefaultQuery, "operationName": operation})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var headers map[string]string
	if err := json.Unmarshal([]byte(graphiql.DefaultHeaders), &headers); err != nil {
		t.Fatalf("DefaultHeaders: %v", err)
	}
	for k, v := range headers {
		if token != "" {
			req.Header.Set(k, strings.ReplaceAll(v, "<token>", token))
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("%s: status %d: %v", operation, res.StatusCode, err)
	}
	return r
}

// TestGraphiQLExampleRuns does what the example's comments say: run
// SignIn, put the token in the headers, run FirstQuery.
func TestGraphiQLExampleRuns(t *testing.T) {
	e := newEnv(t)
	var signIn struct{ SignIn struct{ Token string } }
	runExample(t, e.Server.URL, "SignIn", "").mustData(t, &signIn)
	if signIn.SignIn.Token == "" {
		t.Fatal("SignIn gave no token")
	}
	var first struct {
		Me struct {
			User        struct{ Username string }
			Memberships []struct{ Bureau struct{ Code string } }
		}
	}
	runExample(t, e.Server.URL, "FirstQuery", signIn.SignIn.Token).mustData(t, &first)
	if first.Me.User.Username != "wl-planner" || len(first.Me.Memberships) == 0 || first.Me.Memberships[0].Bureau.Code != "140522-wl" {
		t.Errorf("FirstQuery = %+v, want wl-planner of 140522-wl", first.Me)
	}
}

// TestGraphiQLOpensWithTheExample: in a real browser, the editor shows the
// example instead of GraphiQL's welcome text, and the headers pane the
// example headers.
func TestGraphiQLOpensWithTheExample(t *testing.T) {
	e := newEnv(t)
	b := browser.New(t)
	b.Open(e.Server.URL + "/")
	b.Do(chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")))
	var editor string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		editor = browser.Eval[string](b, `document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue()`)
		if editor != "" {
			break
		}
	}
	if editor != graphiql.DefaultQuery {
		t.Errorf("the editor opens with:\n%s\nwant the example", editor)
	}
	if strings.Contains(editor, "Welcome to GraphiQL") {
		t.Error("the editor shows GraphiQL's welcome text")
	}
	headers := browser.Eval[string](b, `Array.from(document.querySelectorAll(".CodeMirror")).map(e => e.CodeMirror.getValue()).join("\n")`)
	if !strings.Contains(headers, "Bearer <token>") || !strings.Contains(headers, "X-Bureau") {
		t.Errorf("the headers pane shows %q, want the example headers", headers)
	}
	b.Screenshot("graphiql")
}
