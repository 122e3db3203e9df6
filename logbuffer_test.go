package main

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLogBufferKeepsEveryLine: lines written from many goroutines come out
// whole, every one of them, by the interval's flush or at Close.
func TestLogBufferKeepsEveryLine(t *testing.T) {
	var out lockedBuffer
	b := newLogBuffer(&out, 10*time.Millisecond)
	log, err := newLogger(b)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("request", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.Contains(l, "msg=request") {
			t.Fatalf("line cut or mixed: %q", l)
		}
	}
}
