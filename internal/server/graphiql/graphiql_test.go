package graphiql

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const testEndpoint = "/graphql"

// serve sends one request through the handler mounted the way the server
// mounts it.
func serve(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	h := Handler(testEndpoint)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("/graphiql/", h)
	req := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pageRef is one URL-valued attribute in the page.
type pageRef struct {
	tag, attr, rel, value string
}

type parsedPage struct {
	refs  []pageRef
	title string
	root  map[string]string // attributes of #graphiql
	csp   string
}

// urlAttrs are the HTML attributes whose values are fetched as URLs.
var urlAttrs = map[string]bool{
	"src": true, "href": true, "srcset": true, "action": true, "formaction": true,
	"poster": true, "data": true, "manifest": true, "background": true, "cite": true,
}

func getPage(t *testing.T) parsedPage {
	t.Helper()
	res := serve(t, http.MethodGet, "/", nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET / Content-Type = %q", ct)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	p := parsedPage{root: map[string]string{}, csp: res.Header.Get("Content-Security-Policy")}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attrs := map[string]string{}
		for _, a := range n.Attr {
			attrs[a.Key] = a.Val
		}
		for _, a := range n.Attr {
			if urlAttrs[a.Key] {
				p.refs = append(p.refs, pageRef{n.Data, a.Key, attrs["rel"], a.Val})
			}
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: inline style/handler would be blocked by the CSP", n.Data, a.Key, a.Val)
			}
		}
		switch n.Data {
		case "title":
			if n.FirstChild != nil {
				p.title = n.FirstChild.Data
			}
		case "script":
			if n.FirstChild != nil && strings.TrimSpace(n.FirstChild.Data) != "" {
				t.Errorf("inline <script> would be blocked by script-src 'self': %.80q", n.FirstChild.Data)
			}
		case "style":
			t.Errorf("inline <style> element would be blocked by the CSP")
		case "div":
			if attrs["id"] == "graphiql" {
				p.root = attrs
			}
		}
	}
	return p
}

func TestPageReferencesOnlySameOrigin(t *testing.T) {
	p := getPage(t)
	if len(p.refs) == 0 {
		t.Fatal("page references no URLs at all")
	}
	for _, r := range p.refs {
		v := strings.TrimSpace(r.value)
		u, err := url.Parse(v)
		if err != nil {
			t.Errorf("<%s %s=%q>: %v", r.tag, r.attr, v, err)
			continue
		}
		switch {
		case strings.HasPrefix(v, "//") || strings.HasPrefix(v, `\\`):
			t.Errorf("<%s %s=%q> is protocol-relative", r.tag, r.attr, v)
		case u.Scheme == "data":
			// inline data (the empty favicon), fetched from nowhere
		case u.Scheme != "" || u.Host != "":
			t.Errorf("<%s %s=%q> is not same-origin", r.tag, r.attr, v)
		}
	}
}

func TestPageContent(t *testing.T) {
	p := getPage(t)
	if p.title != "Shuangsuiji 双随机 GraphQL" {
		t.Errorf("title = %q", p.title)
	}
	if nonce := p.root["data-style-nonce"]; nonce == "" || !strings.Contains(p.csp, "'nonce-"+nonce+"'") {
		t.Errorf("page hands init.js nonce %q, not the one in its CSP: %s", nonce, p.csp)
	}
	if got := p.root["data-endpoint"]; got != testEndpoint {
		t.Errorf("data-endpoint = %q, want %q", got, testEndpoint)
	}
	var headers map[string]string
	if err := json.Unmarshal([]byte(p.root["data-default-headers"]), &headers); err != nil {
		t.Fatalf("data-default-headers is not JSON: %v", err)
	}
	want := map[string]string{"Authorization": "Bearer <token>", "X-Bureau": "140522-wl"}
	for k, v := range want {
		if headers[k] != v {
			t.Errorf("default header %s = %q, want %q", k, headers[k], v)
		}
	}

	var scripts, styles []string
	for _, r := range p.refs {
		name := assetName(r.value)
		switch {
		case r.tag == "script":
			scripts = append(scripts, name)
		case r.tag == "link" && r.rel == "stylesheet":
			styles = append(styles, name)
		}
	}
	wantScripts := []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "init.js"}
	if strings.Join(scripts, " ") != strings.Join(wantScripts, " ") {
		t.Errorf("scripts in order = %v, want %v", scripts, wantScripts)
	}
	if !contains(styles, "graphiql.min.css") {
		t.Errorf("stylesheets = %v, want graphiql.min.css among them", styles)
	}
}

// assetName is the file name of an asset URL.
func assetName(ref string) string {
	u, _ := url.Parse(ref)
	return strings.TrimPrefix(u.Path, "."+AssetPrefix)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestPageSecurityHeaders(t *testing.T) {
	res := serve(t, http.MethodGet, "/", nil)
	readBody(t, res)
	csp := res.Header.Get("Content-Security-Policy")
	directives := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"connect-src":     "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	} {
		if directives[name] != want {
			t.Errorf("CSP %s = %q, want %q (CSP: %s)", name, directives[name], want, csp)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("CSP allows unsafe sources: %s", csp)
	}
	if !regexp.MustCompile(`^'self' 'nonce-[A-Za-z0-9_-]{22,}'$`).MatchString(directives["style-src"]) {
		t.Errorf("CSP style-src = %q, want 'self' and a nonce", directives["style-src"])
	}
	if again := serve(t, http.MethodGet, "/", nil).Header.Get("Content-Security-Policy"); again == csp {
		t.Error("the style nonce is the same on two responses")
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-cache",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestReferencedAssetsAreServed(t *testing.T) {
	p := getPage(t)
	base, _ := url.Parse("http://shuangsuiji.test/")
	n := 0
	for _, r := range p.refs {
		ref, _ := url.Parse(r.value)
		if ref.Scheme == "data" {
			continue
		}
		var wantType string
		switch {
		case r.tag == "script" && r.attr == "src":
			wantType = "text/javascript"
		case r.tag == "link" && r.rel == "stylesheet":
			wantType = "text/css"
		default:
			t.Errorf("unexpected reference <%s %s=%q rel=%q>", r.tag, r.attr, r.value, r.rel)
			continue
		}
		n++
		target := base.ResolveReference(ref).RequestURI()
		res := serve(t, http.MethodGet, target, nil)
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", target, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
			t.Errorf("GET %s Content-Type = %q, want %s", target, ct, wantType)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", target)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s Cache-Control = %q, want immutable (the URL is versioned)", target, cc)
		}
		if res.Header.Get("ETag") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing ETag or nosniff: %v", target, res.Header)
		}
	}
	if n < 5 {
		t.Errorf("only %d assets referenced", n)
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	for _, p := range []string{
		"/index.html",
		"/graphql-not-mounted-here",
		"/favicon.ico",
		"/graphiql/",
		"/graphiql/nope.js",
		"/graphiql/README.md",
		"/graphiql/SHA256SUMS",
		"/graphiql/assets/init.js",
		"/graphiql/init.js/x",
		"/graphiql/%2e%2e/graphiql.go",
		"/assets/init.js",
		"/init.js",
	} {
		res := serve(t, http.MethodGet, p, nil)
		readBody(t, res)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
	// The bare handler, without a mux in front, behaves the same.
	rec := httptest.NewRecorder()
	Handler(testEndpoint).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphiql", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("bare GET /graphiql = %d, want 404", rec.Code)
	}
}

func TestMethods(t *testing.T) {
	for _, p := range []string{"/", "/graphiql/init.js"} {
		res := serve(t, http.MethodPost, p, nil)
		readBody(t, res)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s = %d Allow=%q, want 405 GET, HEAD", p, res.StatusCode, res.Header.Get("Allow"))
		}
		res = serve(t, http.MethodHead, p, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s = %d with %d body bytes", p, res.StatusCode, len(body))
		}
	}
}

func TestAssetCachingAndGzip(t *testing.T) {
	raw, err := fs.ReadFile(embedded, "assets/graphiql.min.js")
	if err != nil {
		t.Fatal(err)
	}

	// Unversioned URL: modest max-age, revalidated through the ETag.
	res := serve(t, http.MethodGet, "/graphiql/graphiql.min.js", nil)
	body := readBody(t, res)
	if !bytes.Equal(body, raw) {
		t.Fatal("identity body differs from the embedded file")
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("unversioned Cache-Control = %q", cc)
	}
	etag := res.Header.Get("ETag")
	res = serve(t, http.MethodGet, "/graphiql/graphiql.min.js", http.Header{"If-None-Match": {etag}})
	readBody(t, res)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s = %d, want 304", etag, res.StatusCode)
	}

	// gzip when accepted, same bytes after decoding, distinct ETag.
	res = serve(t, http.MethodGet, "/graphiql/graphiql.min.js", http.Header{"Accept-Encoding": {"br, gzip"}})
	gz := readBody(t, res)
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	if res.Header.Get("ETag") == etag {
		t.Error("gzip and identity share an ETag")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, raw) {
		t.Errorf("gunzipped body differs from the embedded file (err %v)", err)
	}
	if len(gz) >= len(raw) {
		t.Errorf("gzip %d bytes >= raw %d", len(gz), len(raw))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"deflate, gzip;q=0.5":  true,
		"gzip;q=0":             false,
		"gzip; q=0.000":        false,
		"br, gzip ; q = 0.001": true,
		"br":                   false,
		"x-gzip":               false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			r.Header.Set("Accept-Encoding", header)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestAbsoluteEndpoint(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("https://api.shuangsuiji.test:8443/graphql").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.shuangsuiji.test:8443;") {
		t.Errorf("CSP does not allow the endpoint's origin: %s", csp)
	}
	for _, bad := range []string{"", "ftp://x/graphql", "http:///graphql", "javascript:alert(1)"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(%q) did not panic", bad)
				}
			}()
			Handler(bad)
		}()
	}
}

// TestVendoredChecksums guards the vendored files against accidental edits:
// they must match SHA256SUMS, which refresh.sh writes.
func TestVendoredChecksums(t *testing.T) {
	f, err := embedded.Open("assets/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", sc.Text())
		}
		data, err := fs.ReadFile(embedded, "assets/"+name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s does not match SHA256SUMS; re-run refresh.sh instead of editing it", name)
		}
		n++
	}
	if n != 7 {
		t.Errorf("SHA256SUMS lists %d files, want 7", n)
	}
}

// TestNoRemoteURLsInStyles catches a refresh that makes the stylesheet load
// fonts or images from the network: every url() must be a data: URL.
func TestNoRemoteURLsInStyles(t *testing.T) {
	for _, name := range []string{"graphiql.min.css", "page.css"} {
		css, err := fs.ReadFile(embedded, "assets/"+name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`url\(\s*['"]?([^'")]{0,40})`).FindAllSubmatch(css, -1) {
			if !bytes.HasPrefix(m[1], []byte("data:")) {
				t.Errorf("%s: url(%s…) is not a data: URL", name, m[1])
			}
		}
		if bytes.Contains(css, []byte("@import")) {
			t.Errorf("%s uses @import", name)
		}
	}
	initJS, _ := fs.ReadFile(embedded, "assets/init.js")
	if regexp.MustCompile(`https?://`).Match(initJS) {
		t.Error("init.js mentions an absolute URL")
	}
}
