package server

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/pdf"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/workday"
)

//go:embed templates/record_form.html
var formFiles embed.FS

var formTemplate = template.Must(template.New("record_form.html").Funcs(template.FuncMap{
	"date":  func(t time.Time) string { return t.Format("2006年1月2日") },
	"join":  strings.Join,
	"deref": func(p *int64) int64 { return *p },
	"labels": func(r record.Record) string {
		return strings.Join(r.ResultCodes, "、") // replaced per request by the code table's labels
	},
	"followUp": followUpText,
}).ParseFS(formFiles, "templates/record_form.html"))

func followUpText(f record.FollowUp) string {
	switch f.Status {
	case record.FollowUpOpen:
		if f.Due != nil {
			return "跟进中，期限 " + f.Due.Format("2006年1月2日")
		}
		return "跟进中"
	case record.FollowUpClosed:
		return "已办结 " + f.ClosedOn.Format("2006年1月2日")
	}
	return ""
}

// recordForms serves the printable record form (随机抽查情况记录表) of a
// task: GET /records/tasks/{draw}/{seq}/form (HTML) and …/form.pdf, for
// members of a bureau taking part in the task (record:read).
type recordForms struct {
	records *record.Service
	pdf     *pdf.Renderer
}

func (h recordForms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	drawID, err1 := strconv.ParseInt(r.PathValue("draw"), 10, 64)
	seq, err2 := strconv.Atoi(r.PathValue("seq"))
	format := r.PathValue("file")
	if err1 != nil || err2 != nil || (format != "form" && format != "form.pdf") {
		writeErrorStatus(w, http.StatusNotFound, errs.NotFoundf("no such form"))
		return
	}
	page, err := h.render(r.Context(), drawID, seq)
	if err != nil {
		writeRecordError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	if format == "form" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
		return
	}
	doc, err := h.pdf.Render(r.Context(), page)
	if err != nil {
		writeError(w, err)
		return
	}
	name := fmt.Sprintf("随机抽查情况记录表-%d-%d.pdf", drawID, seq)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(name))
	w.Write(doc)
}

// render fills the form of a task with the records the bureau may read.
func (h recordForms) render(ctx context.Context, drawID int64, seq int) ([]byte, error) {
	task, err := h.records.Task(ctx, drawID, seq)
	if err != nil {
		return nil, err
	}
	recs, err := h.records.RecordsOfTasks(ctx, []record.Key{{DrawID: drawID, Seq: seq}})
	if err != nil {
		return nil, err
	}
	labels, err := h.labels(ctx, recs)
	if err != nil {
		return nil, err
	}
	t, err := formTemplate.Clone()
	if err != nil {
		return nil, err
	}
	t.Funcs(template.FuncMap{"labels": labels})
	var buf bytes.Buffer
	err = t.Execute(&buf, map[string]any{"Task": task, "Records": recs,
		"Printed": time.Now().In(workday.China).Format("2006-01-02 15:04")})
	return buf.Bytes(), err
}

// labels gives the template the result codes' labels from each record's
// table version.
func (h recordForms) labels(ctx context.Context, recs []record.Record) (func(record.Record) string, error) {
	tables := map[int]record.CodeTable{}
	for _, r := range recs {
		if _, ok := tables[r.CodeVersion]; ok {
			continue
		}
		t, err := h.records.CodeTable(ctx, r.CodeVersion)
		if err != nil {
			return nil, err
		}
		tables[r.CodeVersion] = t
	}
	return func(r record.Record) string {
		out := make([]string, len(r.ResultCodes))
		for i, c := range r.ResultCodes {
			out[i] = c
			if rc, ok := tables[r.CodeVersion].Lookup(c); ok {
				out[i] = rc.Label
			}
		}
		return strings.Join(out, "；")
	}, nil
}

// evidenceDownload serves GET /records/evidence/{id}: an evidence file of
// a record of the acting bureau (record:read), as stored, never sniffed
// again by the browser.
func evidenceDownload(records *record.Service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeErrorStatus(w, http.StatusNotFound, errs.NotFoundf("no evidence %q", r.PathValue("id")))
			return
		}
		ev, content, err := records.EvidenceContent(r.Context(), id)
		if err != nil {
			writeRecordError(w, err)
			return
		}
		w.Header().Set("Content-Type", ev.ContentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "sandbox")
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(ev.Filename))
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		w.Header().Set("Digest", "sha-256="+ev.SHA256)
		w.Write(content)
	}
}

// writeRecordError answers NOT_FOUND with 404: another bureau's record is
// as absent as one that never was.
func writeRecordError(w http.ResponseWriter, err error) {
	if errs.KindOf(err) == errs.NotFound {
		writeErrorStatus(w, http.StatusNotFound, err)
		return
	}
	writeError(w, err)
}
