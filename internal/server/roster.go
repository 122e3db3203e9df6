package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/roster"
)

// rosterFile reads "{entities|inspectors|items}.{csv|xlsx}".
func rosterFile(name string) (roster.Kind, roster.Format, error) {
	base, ext, ok := strings.Cut(name, ".")
	format, err := roster.ParseFormat(ext)
	if !ok || err != nil {
		return 0, 0, errs.NotFoundf("no such file %q: ask for entities, inspectors or items, .csv or .xlsx", name)
	}
	kinds := map[string]roster.Kind{"entities": roster.KindEntities, "inspectors": roster.KindInspectors, "items": roster.KindItems}
	kind, ok := kinds[base]
	if !ok {
		return 0, 0, errs.NotFoundf("no such file %q: ask for entities, inspectors or items, .csv or .xlsx", name)
	}
	return kind, format, nil
}

var contentTypes = map[roster.Format]string{
	roster.FormatCSV:  "text/csv; charset=utf-8",
	roster.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// serveTemplate answers GET /roster/template/{file}: the empty import file
// of a kind, with its headers and one example row. Public.
func serveTemplate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	kind, format, err := rosterFile(name)
	if err != nil {
		writeErrorStatus(w, http.StatusNotFound, err)
		return
	}
	var buf bytes.Buffer
	if err := roster.WriteTemplate(&buf, kind, format); err != nil {
		writeError(w, err)
		return
	}
	sendFile(w, format, "template-"+name, buf.Bytes())
}

// exportHandler answers GET /roster/export/{file}?asOf=RFC3339: the acting
// bureau's roster in the import format. Needs a session and roster:read.
func exportHandler(rosters *roster.Service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		kind, format, err := rosterFile(name)
		if err != nil {
			writeErrorStatus(w, http.StatusNotFound, err)
			return
		}
		asOf, err := asOfParam(r.URL.Query().Get("asOf"))
		if err != nil {
			writeError(w, err)
			return
		}
		var buf bytes.Buffer
		if err := rosters.Export(r.Context(), kind, format, asOf, &buf); err != nil {
			writeError(w, err)
			return
		}
		sendFile(w, format, name, buf.Bytes())
	}
}

func asOfParam(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, errs.InvalidField("asOf", "%q is not an RFC 3339 time such as 2026-01-31T23:59:59+08:00", s)
	}
	return &t, nil
}

func sendFile(w http.ResponseWriter, format roster.Format, name string, body []byte) {
	w.Header().Set("Content-Type", contentTypes[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", url.PathEscape(name)))
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write(body)
}
