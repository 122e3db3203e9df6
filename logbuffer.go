package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logBuffer gathers log lines in memory and writes them out every
// interval, or when 64 KiB have gathered: a request's log line costs a
// copy under the buffer's lock instead of a write to stderr under the log
// handler's, which every request of a busy server would queue for. A
// crash loses at most the last interval's lines; Close writes the rest.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer, interval time.Duration) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(interval)
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *logBuffer) flushEvery(interval time.Duration) {
	defer close(b.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
			b.flush()
		}
	}
}

func (b *logBuffer) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flushing and writes what is left.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.flush()
}
