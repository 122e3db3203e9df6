package browser

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestBrowserSeesPagesAndTheirErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			w.Write([]byte(`<!doctype html><meta name=viewport content="width=device-width"><h1>抽查结果公示</h1><p id=n></p><script>document.getElementById("n").textContent = String(6*7)</script>`))
		case "/broken":
			w.Write([]byte(`<!doctype html><h1>x</h1><script>undefinedFunction()</script><img src="https://cdn.example.com/a.png">`))
		}
	}))
	defer srv.Close()

	b := New(t)
	b.Open(srv.URL + "/")
	if got := b.Text("h1"); got != "抽查结果公示" {
		t.Errorf("h1 = %q", got)
	}
	if got := b.Text("#n"); got != "42" {
		t.Errorf("scripts did not run: #n = %q", got)
	}
	png, err := os.ReadFile(b.Screenshot("hello"))
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("screenshot is no PNG: %v", err)
	}
	b.FitsWidth()
	b.NoErrors()

	b.Open(srv.URL + "/broken")
	b.mu.Lock()
	problems, requests := strings.Join(b.problems, "\n"), b.requests
	b.mu.Unlock()
	if !strings.Contains(problems, "undefinedFunction") {
		t.Errorf("the script error went unseen; problems: %q", problems)
	}
	external := 0
	for _, r := range requests {
		if !local(r) {
			external++
		}
	}
	if external == 0 {
		t.Errorf("the request to another host went unseen: %q", requests)
	}
}
