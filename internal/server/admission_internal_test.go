package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitQueued waits until n requests wait in a's queue.
func waitQueued(t *testing.T, a *admission, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.queued() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", a.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Requests that wait are admitted in the order they arrived, each as a
// request ahead of it leaves.
func TestAdmissionQueuesInArrivalOrder(t *testing.T) {
	a := newAdmission(1, time.Minute)
	if err := a.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	const waiting = 5
	order := make(chan int, waiting)
	for i := range waiting {
		go func() {
			if err := a.acquire(t.Context()); err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			order <- i
		}()
		waitQueued(t, a, i+1) // the next one arrives after this one queued
	}
	for want := range waiting {
		a.release() // the slot passes to the oldest waiter
		if got := <-order; got != want {
			t.Fatalf("admitted waiter %d, want %d (arrival order)", got, want)
		}
	}
	a.release()
	if a.executing != 0 || a.queued() != 0 {
		t.Errorf("after everyone left: %d executing, %d queued", a.executing, a.queued())
	}
}

// A request whose turn does not come within the wait gives up and leaves
// the queue; one whose client hangs up leaves it too; neither takes a slot.
func TestAdmissionGivesUp(t *testing.T) {
	a := newAdmission(1, 20*time.Millisecond)
	if err := a.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.acquire(t.Context()); !errors.Is(err, errQueueTimeout) {
		t.Fatalf("acquire while the slot is held: %v, want errQueueTimeout", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire by a client that hung up: %v, want context.Canceled", err)
	}
	if a.queued() != 0 {
		t.Errorf("%d left in the queue", a.queued())
	}
	a.release()
	if err := a.acquire(t.Context()); err != nil {
		t.Fatalf("acquire after the slot was freed: %v", err)
	}
	a.release()
	if a.executing != 0 {
		t.Errorf("%d executing after everyone left", a.executing)
	}
}

// Under contention, with waiters giving up as slots are handed over, no
// more than the limit ever execute at once, and every slot comes back.
func TestAdmissionNeverExceedsItsLimit(t *testing.T) {
	const limit = 3
	a := newAdmission(limit, 2*time.Millisecond)
	var executing, most atomic.Int64
	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 50 {
				if err := a.acquire(t.Context()); err != nil {
					refused.Add(1)
					continue
				}
				admitted.Add(1)
				n := executing.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(100 * time.Microsecond)
				executing.Add(-1)
				a.release()
			}
		})
	}
	wg.Wait()
	if most.Load() > limit {
		t.Errorf("%d executed at once, limit %d", most.Load(), limit)
	}
	if admitted.Load() == 0 || admitted.Load()+refused.Load() != 32*50 {
		t.Errorf("admitted %d, refused %d of %d", admitted.Load(), refused.Load(), 32*50)
	}
	if a.executing != 0 || a.queued() != 0 {
		t.Errorf("after everyone left: %d executing, %d queued", a.executing, a.queued())
	}
}

// Over HTTP: a request that finds every slot taken for longer than the
// wait is answered 503 UNAVAILABLE with Retry-After; file uploads are not
// queued.
func TestAdmissionRefusesWith503(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	a := newAdmission(1, 20*time.Millisecond)
	srv := httptest.NewServer(a.admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isMultipart(r) {
			entered <- struct{}{}
			<-release
		}
		w.Write([]byte("done"))
	})))
	defer srv.Close()
	first := make(chan int)
	go func() {
		res, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Error(err)
			first <- 0
			return
		}
		res.Body.Close()
		first <- res.StatusCode
	}()
	<-entered // the one slot is taken

	res, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
	}
	json.NewDecoder(res.Body).Decode(&answer)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		len(answer.Errors) != 1 || answer.Errors[0].Extensions.Code != "UNAVAILABLE" {
		t.Errorf("busy: status %d, Retry-After %q, errors %+v; want 503 UNAVAILABLE with Retry-After",
			res.StatusCode, res.Header.Get("Retry-After"), answer.Errors)
	}

	upload, err := http.Post(srv.URL, "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	upload.Body.Close()
	if upload.StatusCode != http.StatusOK {
		t.Errorf("upload while the slot is taken: status %d, want 200 (uploads are not queued)", upload.StatusCode)
	}

	close(release)
	if status := <-first; status != http.StatusOK {
		t.Errorf("the request executing: status %d, want 200", status)
	}
}

func TestAdmissionFromEnv(t *testing.T) {
	for _, c := range []struct {
		max, wait string
		want      Deps
		bad       bool
	}{
		{max: "", wait: "", want: Deps{}},
		{max: "12", wait: "500ms", want: Deps{MaxExecuting: 12, ExecutionQueueWait: 500 * time.Millisecond}},
		{max: "off", want: Deps{MaxExecuting: -1}},
		{max: "0", want: Deps{MaxExecuting: -1}},
		{max: "-3", bad: true},
		{max: "many", bad: true},
		{wait: "soon", bad: true},
		{wait: "0s", bad: true},
	} {
		t.Setenv(MaxExecutingEnv, c.max)
		t.Setenv(QueueTimeoutEnv, c.wait)
		var d Deps
		err := AdmissionFromEnv(&d)
		if (err != nil) != c.bad {
			t.Errorf("%s=%q %s=%q: error %v, want one: %v", MaxExecutingEnv, c.max, QueueTimeoutEnv, c.wait, err, c.bad)
			continue
		}
		if !c.bad && (d.MaxExecuting != c.want.MaxExecuting || d.ExecutionQueueWait != c.want.ExecutionQueueWait) {
			t.Errorf("%s=%q %s=%q: %d, %s; want %d, %s", MaxExecutingEnv, c.max, QueueTimeoutEnv, c.wait,
				d.MaxExecuting, d.ExecutionQueueWait, c.want.MaxExecuting, c.want.ExecutionQueueWait)
		}
	}
	if n := DefaultMaxExecuting(); n < 1 {
		t.Errorf("DefaultMaxExecuting() = %d", n)
	}
}
