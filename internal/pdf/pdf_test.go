package pdf

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

func TestRenderChinese(t *testing.T) {
	if _, err := ExecPath(); err != nil {
		t.Skip(err) // .ci/run installs chromium; a machine without it cannot print
	}
	var r Renderer
	defer r.Close()
	html := []byte(`<!doctype html><meta charset="utf-8"><h1>随机抽查情况记录表</h1><p>阳城县文化和旅游局</p>`)
	// two documents at once share the browser
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = r.Render(context.Background(), html)
		}()
	}
	wg.Wait()
	for i, out := range outs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.HasPrefix(out, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %q", out[:min(len(out), 20)])
		}
		// Chromium embeds the font the text was set in: a CJK one, not boxes.
		if !bytes.Contains(out, []byte("CJK")) {
			t.Errorf("document %d embeds no CJK font", i)
		}
	}
}
