// Package pdf prints server-rendered HTML pages to PDF with headless
// Chromium (Debian's chromium package), for the printable forms users
// file: the record form (随机抽查情况记录表) and the inspection notice
// (检查通知书).
//
// Why a browser and not a Go PDF library: the pages exist as HTML already
// (html/template, readable on a phone), and Chinese text needs a CJK font
// with proper shaping and line breaking. The pure-Go writers
// (go-pdf/fpdf, signintech/gopdf) take TrueType glyf fonts only, while the
// CJK fonts Debian ships (fonts-noto-cjk, fonts-wqy-*) are OpenType CFF
// collections; they would also mean drawing every form twice, once as
// HTML and once as PDF coordinates. Chromium prints the very page a user
// sees, with the system's fonts through fontconfig. .ci/run installs
// chromium and fonts-noto-cjk on a fresh Debian machine.
//
// One browser process is started on first use and shared; each document
// gets its own tab, so renders run in parallel. Close ends the browser.
package pdf

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser means Chromium is not installed where the renderer looks.
var ErrNoBrowser = errors.New("pdf: Chromium not found (install Debian's chromium package, or set CHROMIUM)")

// ExecPath is the Chromium binary: $CHROMIUM, else the first of chromium
// and chromium-browser on PATH.
func ExecPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Renderer prints HTML to PDF. The zero value is ready; it starts the
// browser on first use.
type Renderer struct {
	// Timeout bounds one document (30 s when zero).
	Timeout time.Duration

	mu        sync.Mutex
	browser   context.Context
	cancelAll func()
}

// start launches the shared browser once.
func (r *Renderer) start() (context.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.browser != nil && r.browser.Err() == nil {
		return r.browser, nil
	}
	path, err := ExecPath()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		// the sandbox needs user namespaces, which containers and root lack
		chromedp.NoSandbox,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browserCtx); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, fmt.Errorf("pdf: start Chromium: %w", err)
	}
	r.browser, r.cancelAll = browserCtx, func() { cancelBrowser(); cancelAlloc() }
	return browserCtx, nil
}

// Render prints an HTML document to an A4 PDF, backgrounds included. The
// document must be self-contained: it is loaded as a data: URL, with no
// server to fetch anything from.
func (r *Renderer) Render(ctx context.Context, html []byte) ([]byte, error) {
	browser, err := r.start()
	if err != nil {
		return nil, err
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	tab, cancelTimeout := context.WithTimeout(tab, timeout)
	defer cancelTimeout()
	stop := context.AfterFunc(ctx, cancelTab) // the caller gave up
	defer stop()
	if err := chromedp.Do(tab, chromedp.Navigate("data:text/html;charset=utf-8;base64,"+base64.StdEncoding.EncodeToString(html))); err != nil {
		return nil, fmt.Errorf("pdf: load: %w", err)
	}
	out, err := chromedp.Run(tab, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFPrintBackground(), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		return nil, fmt.Errorf("pdf: print: %w", err)
	}
	return out, nil
}

// Close ends the browser, if it was started.
func (r *Renderer) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancelAll != nil {
		r.cancelAll()
		r.browser, r.cancelAll = nil, nil
	}
}
