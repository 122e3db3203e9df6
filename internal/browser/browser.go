// Package browser opens the service's pages in a real headless Chromium
// (Debian's chromium package) for tests: what people see is what the test
// checks. A Browser is one fresh profile in a phone-sized window; it
// records every request the pages make and every error they log, so a test
// can insist that a page loads nothing from outside the server (no CDN)
// and runs without a script error.
//
//	b := browser.New(t)
//	b.Open(srv.URL + "/public/")
//	b.Screenshot("index")            // look at it
//	if got := b.Text("h1"); got != "…" { … }
//	b.NoErrors()                    // no script error, nothing fetched from elsewhere
package browser

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Phone is the window a Browser starts with: the width of a common phone,
// since the public pages are read on phones first.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// ExecPath is the Chromium binary: $CHROMIUM, or Debian's /usr/bin/chromium.
func ExecPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// ScreenshotDir is where Screenshot writes: $SHUANGSUIJI_SCREENSHOTS when
// set (to keep them after the test), else the test's temporary folder.
const ScreenshotDirEnv = "SHUANGSUIJI_SCREENSHOTS"

// Browser is one headless Chromium with a fresh profile and one tab.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	requests []string // every URL the tab asked for
	problems []string // script exceptions, console errors, failed loads
}

// New starts Chromium for the test and stops it when the test ends. It
// fails the test when Chromium is missing: `.ci/run` installs Debian's
// chromium; elsewhere install it or set $CHROMIUM.
func New(t testing.TB) *Browser {
	t.Helper()
	path := ExecPath()
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install chromium, or set CHROMIUM): %v", path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(PhoneWidth, PhoneHeight),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now (not under a timeout: that would stop it) and
	// listen from the first page on.
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// record runs on the tab's reading goroutine: it only appends.
func (b *Browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		b.problems = append(b.problems, "exception: "+exceptionText(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			b.problems = append(b.problems, "console.error: "+consoleText(ev.Args))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			b.problems = append(b.problems, fmt.Sprintf("log: %s %s", ev.Entry.Text, ev.Entry.URL))
		}
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return fmt.Sprintf("%s (%s:%d)", d.Exception.Description, d.URL, d.LineNumber+1)
	}
	return fmt.Sprintf("%s (%s:%d)", d.Text, d.URL, d.LineNumber+1)
}

func consoleText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		}
	}
	return strings.Join(parts, " ")
}

// Context is the tab's chromedp context, for actions this package does
// not wrap. Bound each action with Run's timeout, not this context.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs chromedp actions on the tab, failing the test on error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.timeout(), actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Run runs one action that returns a value, failing the test on error.
func Run[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.timeout(), a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// timeout bounds one step; the cancel is left to the test's end so that
// the returned context stays valid for the action.
func (b *Browser) timeout() context.Context {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	b.t.Cleanup(cancel)
	return ctx
}

// Open loads url and waits for its body.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// Text is the visible text of the first element matching the CSS selector.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return Run(b, chromedp.Text(chromedp.CSS(selector)))
}

// HTML is the page's whole document as the browser holds it now.
func (b *Browser) HTML() string {
	b.t.Helper()
	return Run(b, chromedp.OuterHTML(chromedp.CSS("html")))
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](b *Browser, expression string) T {
	b.t.Helper()
	return Run(b, chromedp.Evaluate[T](expression))
}

// Screenshot writes a full-page PNG named name.png and returns its path,
// also in the test log, so that a person can look at the page.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Run(b, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	dir := os.Getenv(ScreenshotDirEnv)
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	return path
}

// FitsWidth fails the test when the page scrolls sideways at the phone
// width: text must wrap and tables scroll inside themselves.
func (b *Browser) FitsWidth() {
	b.t.Helper()
	scroll := Eval[int](b, `document.documentElement.scrollWidth`)
	client := Eval[int](b, `document.documentElement.clientWidth`)
	if scroll > client {
		b.t.Errorf("the page is %d px wide in a %d px window: it scrolls sideways", scroll, client)
	}
}

// NoErrors fails the test when a page so far logged a script error or a
// failed load, or asked for anything outside the hosts it was opened on
// (loopback, data:, blob: and file: URLs are fine).
func (b *Browser) NoErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page error: %s", p)
	}
	for _, r := range b.requests {
		if !local(r) {
			b.t.Errorf("the page fetched %s: everything must come from the server itself", r)
		}
	}
}

// Requests lists every URL the tab asked for so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

func local(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about", "file":
		return true
	case "http", "https":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}
