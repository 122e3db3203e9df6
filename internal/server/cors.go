package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Cross-origin calls of the API (CORS): a dashboard served from another
// origin may call /graphql when its origin is configured (CORS_ORIGINS);
// none is by default. Sessions travel in the Authorization header, never
// in cookies, so credentials are not allowed and "*" is never answered.

// corsMaxAge is how long a browser may keep a preflight's answer (seconds).
const corsMaxAge = "600"

// ParseOrigins reads a comma-separated list of origins (CORS_ORIGINS), each
// scheme://host[:port] with no path, as browsers send them in Origin.
func ParseOrigins(list string) ([]string, error) {
	var origins []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("CORS origin %q: want scheme://host[:port], e.g. https://dashboard.example.cn", o)
		}
		origins = append(origins, strings.ToLower(o))
	}
	return origins, nil
}

// withCORS answers preflights and marks the answers of allowed origins.
// A refused origin's preflight gets 403 with no CORS headers, so the
// browser does not send the request; a simple request from it is served
// without them, so the page cannot read the answer.
func withCORS(origins []string, next http.Handler) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		ok := origin != "" && allowed[strings.ToLower(origin)]
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			w.Header().Add("Vary", "Access-Control-Request-Method")
			w.Header().Add("Vary", "Access-Control-Request-Headers")
			if !ok {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Bureau, X-Request-Id")
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		}
		next.ServeHTTP(w, r)
	})
}
