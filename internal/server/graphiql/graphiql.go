// Package graphiql serves the GraphiQL IDE for Shuangsuiji entirely from the
// binary: the page, GraphiQL itself, React and React DOM are embedded, so the
// IDE works on intranets that cannot reach a CDN.
//
// # Routes
//
// [Handler] returns one http.Handler meant to be mounted at the root of the
// server and at /graphiql/:
//
//	mux.Handle("/", graphiql.Handler("/graphql"))
//	mux.Handle("/graphiql/", graphiql.Handler("/graphql"))
//
// It answers:
//
//	GET /                            the GraphiQL page (text/html, Cache-Control: no-cache)
//	GET /graphiql/init.js            our bootstrap script (reads its settings from the page)
//	GET /graphiql/graphiql.min.js    GraphiQL UMD bundle (includes graphql-js and CodeMirror)
//	GET /graphiql/graphiql.min.css   GraphiQL styles (fonts inlined as data: URLs)
//	GET /graphiql/page.css           our full-height page layout
//	GET /graphiql/react.production.min.js
//	GET /graphiql/react-dom.production.min.js
//	GET /graphiql/LICENSE.graphiql.txt, LICENSE.react.txt, LICENSE.react-dom.txt
//
// HEAD is accepted wherever GET is; other methods get 405. Any other path,
// including /graphiql/ itself and anything below the root, is 404.
//
// # Caching
//
// The page links every asset as /graphiql/NAME?v=HASH, where HASH is a prefix
// of the SHA-256 of the file. A request whose v matches gets
// "Cache-Control: public, max-age=31536000, immutable"; any other request of
// an asset gets "public, max-age=3600". Every asset carries a strong ETag
// (the same hash), so revalidation answers 304. Text assets are gzipped on
// the fly (once, then kept in memory) for clients that accept gzip.
//
// # Security headers
//
// The page is sent with a Content-Security-Policy that allows scripts only
// from the server itself (script-src 'self', no inline script, no eval): the
// bootstrap code lives in init.js, and the page passes it the endpoint and
// the example headers through data-* attributes. Styles are allowed from
// 'self' plus a per-response nonce, which init.js hands to the one library
// in GraphiQL that injects a <style> tag (dialog scroll locking). Fonts and
// images may also be data: URLs, which GraphiQL's stylesheet and icons use.
// connect-src allows 'self' and, when the endpoint is an absolute URL, that
// URL's origin.
//
// # Headers pane
//
// The editor opens with [DefaultQuery] (a sign-in and a first query) until
// the user has typed their own, which GraphiQL keeps in localStorage.
// The headers pane is enabled and opened on load, showing [DefaultHeaders].
// Headers are kept in memory only (not in localStorage). A header whose value
// still contains the placeholder "<token>" is not sent, so the schema can be
// introspected before the user has pasted a real token.
//
// # Vendored files
//
// The third-party files in assets/ are byte-for-byte copies from the npm
// packages named by [GraphiQLVersion] and [ReactVersion]; assets/README.md
// and refresh.sh say how to update them.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Versions of the vendored npm packages in assets/.
const (
	GraphiQLVersion = "3.9.0"  // npm graphiql: graphiql.min.js, graphiql.min.css
	ReactVersion    = "18.3.1" // npm react and react-dom: umd/*.production.min.js
)

// AssetPrefix is the URL path under which the static files are served.
const AssetPrefix = "/graphiql/"

// DefaultHeaders is the example shown in GraphiQL's headers pane.
const DefaultHeaders = `{
  "Authorization": "Bearer <token>",
  "X-Bureau": "140522-wl"
}`

// DefaultQuery is what the editor opens with, instead of GraphiQL's
// welcome text, until the user has typed their own: a working sign-in as
// a demo user, and a first query to run once the token is in the headers.
const DefaultQuery = `# Shuangsuiji 双随机 GraphQL. Demo users (see README) all have the password shuangsuiji-demo.
#
# 1. Run SignIn (the ▶ button, then choose SignIn) and copy the token it returns.
# 2. In Headers below, put the token in place of <token>. X-Bureau names the
#    bureau you act in: 140522-wl for wl-… users, 140522-sj for sj-…, 140522-lh for lh-….
# 3. Run FirstQuery. Docs (the book icon) describes every type and field.

mutation SignIn {
  signIn(input: {username: "wl-planner", password: "shuangsuiji-demo"}) {
    token
    expiresAt
    user { username displayName }
  }
}

query FirstQuery {
  me {
    user { username }
    memberships { bureau { code name } roles }
  }
  draws(first: 5) {
    nodes { id title status publicUrl }
  }
}
`

// Title is the page title.
const Title = "Shuangsuiji 双随机 GraphQL"

//go:embed assets
var embedded embed.FS

// servedTypes maps the extensions that are served to their content types.
// Files with other extensions (README.md, SHA256SUMS) stay unserved.
var servedTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".txt": "text/plain; charset=utf-8",
}

type asset struct {
	name        string
	contentType string
	hash        string // hex SHA-256 prefix, used in ?v= and the ETag
	data        []byte

	gzOnce sync.Once
	gz     []byte // gzip of data, or nil when it would not be smaller
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.data)
		zw.Close()
		if buf.Len() < len(a.data) {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// assets is the table of served files, keyed by base name.
var assets = sync.OnceValue(func() map[string]*asset {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err)
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		panic(err)
	}
	m := make(map[string]*asset)
	for _, e := range entries {
		ct, ok := servedTypes[path.Ext(e.Name())]
		if e.IsDir() || !ok {
			continue
		}
		data, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		m[e.Name()] = &asset{
			name:        e.Name(),
			contentType: ct,
			hash:        hex.EncodeToString(sum[:8]),
			data:        data,
		}
	}
	return m
})

// Files of the page, in load order.
var (
	pageStyles  = []string{"graphiql.min.css"}
	pageScripts = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "init.js"}
)

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}{{range .Scripts}}<script src="{{.}}" defer></script>
{{end}}<link rel="stylesheet" href="{{.PageCSS}}">
</head>
<body>
<noscript>GraphiQL 需要启用 JavaScript。GraphiQL needs JavaScript enabled.</noscript>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-default-headers="{{.DefaultHeaders}}" data-default-query="{{.DefaultQuery}}" data-style-nonce="{{.Nonce}}">加载中… Loading…</div>
</body>
</html>
`))

type pageData struct {
	Title, Endpoint, DefaultHeaders, DefaultQuery, Nonce string
	Styles, Scripts                                      []string
	PageCSS                                              string
}

type handler struct {
	endpoint   string
	connectSrc string
	styles     []string
	scripts    []string
	pageCSS    string
}

// Handler returns the handler for the GraphiQL page and its assets; see the
// package documentation for its routes. endpoint is the URL the IDE sends
// GraphQL requests to, usually "/graphql"; it may be an absolute http(s) URL,
// whose origin is then allowed by the page's Content-Security-Policy.
// Handler panics if endpoint is empty or not a valid URL.
func Handler(endpoint string) http.Handler {
	if endpoint == "" {
		panic("graphiql: empty endpoint")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		panic(fmt.Sprintf("graphiql: bad endpoint %q: %v", endpoint, err))
	}
	connectSrc := "'self'"
	if u.Scheme != "" || u.Host != "" {
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			panic(fmt.Sprintf("graphiql: endpoint %q must be a path or an http(s) URL", endpoint))
		}
		connectSrc += " " + u.Scheme + "://" + u.Host
	}
	h := &handler{endpoint: endpoint, connectSrc: connectSrc, pageCSS: assetURL("page.css")}
	for _, name := range pageStyles {
		h.styles = append(h.styles, assetURL(name))
	}
	for _, name := range pageScripts {
		h.scripts = append(h.scripts, assetURL(name))
	}
	return h
}

// assetURL is the versioned URL of an embedded file, relative to the page at
// "/" so that the IDE also works behind a proxy that strips a path prefix.
func assetURL(name string) string {
	a, ok := assets()[name]
	if !ok {
		panic("graphiql: missing embedded asset " + name)
	}
	return "." + AssetPrefix + name + "?v=" + a.hash
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/":
		if !allowGetHead(w, r) {
			return
		}
		h.servePage(w, r)
	case strings.HasPrefix(p, AssetPrefix):
		a, ok := assets()[strings.TrimPrefix(p, AssetPrefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !allowGetHead(w, r) {
			return
		}
		serveAsset(w, r, a)
	default:
		http.NotFound(w, r)
	}
}

func allowGetHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	var nb [18]byte
	rand.Read(nb[:])
	nonce := base64.RawURLEncoding.EncodeToString(nb[:]) // no characters that need escaping

	var body bytes.Buffer
	err := pageTemplate.Execute(&body, pageData{
		Title:          Title,
		Endpoint:       h.endpoint,
		DefaultHeaders: DefaultHeaders,
		DefaultQuery:   DefaultQuery,
		Nonce:          nonce,
		Styles:         h.styles,
		Scripts:        h.scripts,
		PageCSS:        h.pageCSS,
	})
	if err != nil {
		http.Error(w, "graphiql: rendering page failed", http.StatusInternalServerError)
		return
	}

	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", contentSecurityPolicy(h.connectSrc, nonce))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(body.Bytes()))
}

// contentSecurityPolicy is the policy of the page; see the package doc.
func contentSecurityPolicy(connectSrc, nonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + connectSrc,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	data, etag := a.data, `"`+a.hash+`"`
	if acceptsGzip(r) {
		if gz := a.gzipped(); gz != nil {
			data, etag = gz, `"`+a.hash+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(data))
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// ("gzip" listed with a non-zero q value).
func acceptsGzip(r *http.Request) bool {
	for _, field := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(field, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			for param := range strings.SplitSeq(params, ";") {
				name, value, _ := strings.Cut(param, "=")
				if strings.EqualFold(strings.TrimSpace(name), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
					return err == nil && q > 0
				}
			}
			return true
		}
	}
	return false
}
