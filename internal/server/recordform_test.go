package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"shuangsuiji/internal/browser"
)

// TestRecordForm: the record form (随机抽查情况记录表) of a task, as HTML in
// a real Chromium at a phone's width and as a PDF, to members of the
// bureau only.
func TestRecordForm(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	rec := rt.enter(t, e, map[string]any{"resultCodes": []string{"CORRECTED"}, "findings": "未在显著位置悬挂许可证", "disposal": "当场责令改正"})
	var task struct {
		InspectionTask struct{ FormURL string }
	}
	e.Do(e.As("wl-inspector1"), `query($d: ID!) { inspectionTask(drawId: $d, seq: 1) { formUrl } }`, map[string]any{"d": rt.DrawID}).mustData(t, &task)
	url := task.InspectionTask.FormURL
	page := e.get(t, e.As("wl-reviewer"), url)
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", url, page.status, page.body)
	}
	for _, want := range []string{"随机抽查情况记录表", rt.Entity, "发现问题已责令改正", "未在显著位置悬挂许可证", "营业性演出场所检查", "执法证号"} {
		if !bytes.Contains(page.body, []byte(want)) {
			t.Errorf("the form lacks %q", want)
		}
	}
	t.Run("OtherBureauNotFound", func(t *testing.T) {
		if got := e.get(t, e.As("sj-reviewer"), url); got.status != 404 {
			t.Errorf("another bureau: status %d, want 404", got.status)
		}
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		if got := e.get(t, request{}, url); got.status != 401 {
			t.Errorf("no sign-in: status %d, want 401", got.status)
		}
	})
	t.Run("PDF", func(t *testing.T) {
		pdf := e.get(t, e.As("wl-inspector1"), url+".pdf")
		if pdf.status != 200 || !bytes.HasPrefix(pdf.body, []byte("%PDF-")) || !bytes.Contains(pdf.body, []byte("CJK")) {
			t.Fatalf("GET %s.pdf: status %d, %d bytes, want a PDF with a CJK font", url, pdf.status, len(pdf.body))
		}
		if dir := os.Getenv(browser.ScreenshotDirEnv); dir != "" {
			os.WriteFile(dir+"/record-form.pdf", pdf.body, 0o644)
		}
	})
	t.Run("Phone", func(t *testing.T) {
		// the browser cannot send the session header: it reads the page the server answered
		body := page.body
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(body)
		}))
		defer srv.Close()
		b := browser.New(t)
		b.Open(srv.URL)
		if got := b.Text("h1"); got != "随机抽查情况记录表" {
			t.Errorf("h1 = %q", got)
		}
		b.FitsWidth()
		b.NoErrors()
		b.Screenshot("record-form")
	})
	_ = rec
}
