package public

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/notice"
	"shuangsuiji/internal/page"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the public pages under /public/. Every page is
// server-rendered from the embedded templates; the only other file a page
// loads is the embedded stylesheet.
type Handler struct {
	Service *Service
	Notices *notice.Service
	Log     *slog.Logger
	// BaseURL is the service's public address (https://host), printed in
	// notices' QR codes; empty: the address of the request.
	BaseURL string
	// Printer prints notices to PDF; nil: notices are HTML only.
	Printer Printer
	// Manifests gives executed draws' public manifests to the draw page.
	Manifests Manifests

	mux   *http.ServeMux
	pages map[string]*template.Template
}

// NewHandler parses the templates and routes the public pages.
func NewHandler(s *Service, notices *notice.Service, log *slog.Logger) *Handler {
	h := &Handler{Service: s, Notices: notices, Log: log, mux: http.NewServeMux(), pages: parsePages()}
	h.routes()
	return h
}

// routes lists every public page. Pages of other parts of the public side
// add their line here and live in files of their own.
func (h *Handler) routes() {
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /public/static/", http.StripPrefix("/public/static/", staticFiles(static)))
	h.mux.HandleFunc("GET /public/{$}", h.index)
	h.mux.HandleFunc("GET /public/plans", h.plans)
	h.mux.HandleFunc("GET /public/draws", h.draws)
	h.mux.HandleFunc("GET /public/draws/{number}", h.drawPage)
	h.mux.HandleFunc("GET /public/results", h.results)
	h.mux.HandleFunc("GET /public/results.csv", h.resultsCSV)
	h.mux.HandleFunc("GET /public/results.xlsx", h.resultsXLSX)
	h.mux.HandleFunc("GET /public/tasks/{code}", h.task)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// staticFiles serves the embedded files, cached for a day.
func staticFiles(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}

// parsePages builds one template set per page: the layout and the page.
func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, name))
	}
	return pages
}

// view is what every page's template receives.
type view struct {
	Title string
	Path  string // the page's path, to mark the current tab
	Data  any
}

// render writes a page, or a plain error page when rendering fails (the
// page is rendered to a buffer first, so a half page never goes out).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var buf bytes.Buffer
	err := h.pages[name].ExecuteTemplate(&buf, "layout.html", view{Title: title, Path: r.URL.Path, Data: data})
	if err != nil {
		h.Log.Error("render public page", "page", name, "err", err)
		http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail answers an error as a page: the kinds a client may see keep their
// message; anything else is logged and shown as an internal error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "内部错误，请稍后再试 (internal error)"
	var e *errs.Error
	switch kind := errs.KindOf(err); {
	case kind == errs.NotFound:
		status, msg = http.StatusNotFound, "未找到 (not found)"
	case kind == errs.Invalid && errors.As(err, &e):
		status, msg = http.StatusBadRequest, e.Error()
	default:
		h.Log.Error("public page", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, status, "error.html", msg, msg)
}

// intParam reads an optional integer query parameter; bad numbers are
// BAD_USER_INPUT naming it.
func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.InvalidField(name, "is not a whole number")
	}
	return n, nil
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	bureaus, err := h.Service.Bureaus(r.Context(), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type region struct {
		Code, Name string
		Bureaus    []Bureau
	}
	var regions []*region
	for _, b := range bureaus {
		if len(regions) == 0 || regions[len(regions)-1].Code != b.RegionCode {
			regions = append(regions, &region{Code: b.RegionCode, Name: b.RegionName})
		}
		last := regions[len(regions)-1]
		last.Bureaus = append(last.Bureaus, b)
	}
	h.render(w, r, http.StatusOK, "index.html", "双随机、一公开", regions)
}

func (h *Handler) plans(w http.ResponseWriter, r *http.Request) {
	year, err := intParam(r, "year")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := PlanFilter{Bureau: q.Get("bureau"), Year: year}
	conn, err := h.Service.Plans(r.Context(), f, page.Request{First: 20, After: q.Get("after")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "plans.html", "年度抽查计划", struct {
		Bureau string
		Year   int
		Plans  []Plan
		Next   string
	}{f.Bureau, year, conn.Nodes(), nextPage(r, conn.PageInfo)})
}

func (h *Handler) draws(w http.ResponseWriter, r *http.Request) {
	var f DrawFilter
	var err error
	q := r.URL.Query()
	f.Bureau, f.Region = q.Get("bureau"), q.Get("region")
	if f.Year, err = intParam(r, "year"); err == nil {
		f.Quarter, err = intParam(r, "quarter")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	conn, err := h.Service.Draws(r.Context(), f, page.Request{First: 20, After: q.Get("after")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cards, err := h.drawCards(r.Context(), conn.Nodes())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "draws.html", "抽查任务", struct {
		Filter DrawFilter
		Draws  []drawCard
		Next   string
	}{f, cards, nextPage(r, conn.PageInfo)})
}

// drawCard is a draw in the list of draws with the first of its selected
// entities; the draw's own page lists them all.
type drawCard struct {
	Draw
	Selected      []Entity
	SelectedCount int
}

// cardSelected is how many selected entities a card of the list shows.
const cardSelected = 20

// drawCards adds to each draw its first selected entities and their
// count: two statements for the whole list.
func (h *Handler) drawCards(ctx context.Context, draws []Draw) ([]drawCard, error) {
	numbers := make([]int64, len(draws))
	for i, d := range draws {
		numbers[i] = d.Number
	}
	pages, err := h.Service.Selected(ctx, numbers, page.Request{First: cardSelected})
	if err != nil {
		return nil, err
	}
	cards := make([]drawCard, len(draws))
	for i, d := range draws {
		n, err := pages[d.Number].TotalCount(ctx)
		if err != nil {
			return nil, err
		}
		cards[i] = drawCard{Draw: d, Selected: pages[d.Number].Nodes(), SelectedCount: n}
	}
	return cards, nil
}

// nextPage is the address of the page after this one, with the same
// query parameters; "" when this page is the last.
func nextPage(r *http.Request, info page.Info) string {
	if !info.HasNextPage {
		return ""
	}
	q := r.URL.Query()
	q.Set("after", *info.EndCursor)
	return r.URL.Path + "?" + q.Encode()
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"percent": func(bp int) string { // basis points as a percentage: 300 → 3%, 250 → 2.5%
		s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
		return s + "%"
	},
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.Format("2006-01-02")
		case *time.Time:
			if t != nil {
				return t.In(chinaTime).Format("2006-01-02 15:04")
			}
		}
		return ""
	},
	"statusLabel": func(s Status) string {
		return map[Status]string{StatusFrozen: "已冻结，待抽取", StatusExecuted: "已抽取", StatusFailed: "抽取失败"}[s]
	},
	"list4":        func() []int { return []int{1, 2, 3, 4} },
	"quarterLabel": func(q int) string { return fmt.Sprintf("第%s季度", []string{"", "一", "二", "三", "四"}[q]) },
}

// chinaTime is the time zone of the people reading the pages (UTC+8, no
// daylight saving), fixed so that no zone database is needed.
var chinaTime = time.FixedZone("CST", 8*3600)
