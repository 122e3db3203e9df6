package public

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/notice"
)

// task answers /public/tasks/{code} (扫码入企): the task a notice's code
// names, or 404. A malformed, wrong or withdrawn code get the very same
// page, so that nobody learns which codes once existed.
func (h *Handler) task(w http.ResponseWriter, r *http.Request) {
	t, err := h.Notices.Verify(r.Context(), r.PathValue("code"))
	if errs.KindOf(err) == errs.NotFound {
		h.render(w, r, http.StatusNotFound, "error.html", "核验失败", "没有与此核验码对应的抽查任务。请核对核验码；如有疑问，请向检查部门求证。")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "task.html", "检查任务核验", t)
}

//go:embed static/notice.css
var noticeCSS string

// noticeView is what the notice template receives.
type noticeView struct {
	notice.Notice
	Grouped   string
	VerifyURL string
	QR        template.URL // data: URL of the QR image of VerifyURL
	CSS       template.CSS
	Opening   string
}

// Printer turns a notice page into PDF (internal/pdf's Renderer).
type Printer interface {
	Render(ctx context.Context, html []byte) ([]byte, error)
}

// Notice answers GET /notices/{draw}/{file}, file {seq}.html or
// {seq}.pdf: a task's notice for printing. It needs the signed-in actor
// in the request (the server wraps it in its authentication).
func (h *Handler) Notice(w http.ResponseWriter, r *http.Request) {
	drawID, err1 := strconv.ParseInt(r.PathValue("draw"), 10, 64)
	seqText, ext, _ := strings.Cut(r.PathValue("file"), ".")
	seq, err2 := strconv.Atoi(seqText)
	if err1 != nil || err2 != nil || (ext != "html" && ext != "pdf") || (ext == "pdf" && h.Printer == nil) {
		h.fail(w, r, errs.NotFoundf("no such notice"))
		return
	}
	n, err := h.Notices.Notice(r.Context(), drawID, seq)
	if err != nil {
		h.failStatus(w, r, err)
		return
	}
	page, err := h.noticePage(r, n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if ext == "html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
		w.Write(page)
		return
	}
	pdf, err := h.Printer.Render(r.Context(), page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="notice-`+strconv.FormatInt(drawID, 10)+"-"+seqText+`.pdf"`)
	w.Write(pdf)
}

// noticePage renders the notice as one self-contained page (style and QR
// inline), so that the PDF printer needs nothing else.
func (h *Handler) noticePage(r *http.Request, n notice.Notice) ([]byte, error) {
	v := noticeView{Notice: n, Grouped: notice.Grouped(n.Code), CSS: template.CSS(noticeCSS), Opening: string(n.Opening)}
	v.VerifyURL = h.baseURL(r) + "/public/tasks/" + n.Code
	png, err := qrcode.Encode(v.VerifyURL, qrcode.Medium, 200)
	if err != nil {
		return nil, err
	}
	v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	var buf bytes.Buffer
	err = h.pages["notice.html"].ExecuteTemplate(&buf, "notice", v)
	return buf.Bytes(), err
}

// baseURL is the configured public address, or the request's.
func (h *Handler) baseURL(r *http.Request) string {
	if h.BaseURL != "" {
		return strings.TrimSuffix(h.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// failStatus answers the signed-in route's errors with their status.
func (h *Handler) failStatus(w http.ResponseWriter, r *http.Request, err error) {
	switch errs.KindOf(err) {
	case errs.Unauthenticated:
		http.Error(w, "请先登录 (sign in first)", http.StatusUnauthorized)
	case errs.Forbidden:
		http.Error(w, "无权查看 (forbidden)", http.StatusForbidden)
	default:
		h.fail(w, r, err)
	}
}
