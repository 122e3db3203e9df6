package server

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/postgres"
)

// Admission: how many GraphQL requests execute at once.
//
// A request spends most of its time in PostgreSQL round trips, and
// PostgreSQL runs on the same few cores as the service. Letting every
// arrival execute at once does not make the work go faster: sixteen
// requests on two cores share them with sixteen PostgreSQL backends, each
// request's round trips wait behind the others' in the kernel's run queue,
// and which request happens to wait longest is chance, so latencies spread
// (p99 three to five times p50 with identical requests). Executing a few
// at a time, in arrival order, keeps both cores as busy and makes every
// request wait about as long as the others: the queue is first come, first
// served, where the run queue is not. It also bounds the memory that
// requests in execution hold.

// Defaults of admission; Deps and the environment may override them.
const (
	// executingPerCore is how many requests execute at once per core
	// (GOMAXPROCS): enough that the cores stay busy while requests wait
	// on their round trips.
	executingPerCore = 4
	// DefaultExecutionQueueWait is how long a request waits for its turn
	// before it is refused with 503 and Retry-After: long enough for a
	// full queue to drain on a loaded machine (shedLoad bounds how many
	// requests wait at all, MaxInFlight a route; a request waiting longer
	// has most likely been given up by its client).
	DefaultExecutionQueueWait = 10 * time.Second
)

// The environment variables that size admission, listed in help.
const (
	MaxExecutingEnv = "GRAPHQL_MAX_EXECUTING"
	QueueTimeoutEnv = "GRAPHQL_QUEUE_TIMEOUT"
)

// DefaultMaxExecuting is executingPerCore requests per core, and no more
// than the serving pool's connections: a request executing holds one.
func DefaultMaxExecuting() int {
	return min(executingPerCore*runtime.GOMAXPROCS(0), postgres.ServingPoolSize)
}

// AdmissionFromEnv reads GRAPHQL_MAX_EXECUTING (a number, or 0 or "off"
// for no limit) and GRAPHQL_QUEUE_TIMEOUT (a duration such as 10s) into d,
// leaving d's values where a variable is unset.
func AdmissionFromEnv(d *Deps) error {
	if v := strings.TrimSpace(os.Getenv(MaxExecutingEnv)); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case strings.EqualFold(v, "off") || err == nil && n == 0:
			d.MaxExecuting = -1
		case err != nil || n < 0:
			return fmt.Errorf("%s=%q: want a number of requests, or off", MaxExecutingEnv, v)
		default:
			d.MaxExecuting = n
		}
	}
	if v := strings.TrimSpace(os.Getenv(QueueTimeoutEnv)); v != "" {
		wait, err := time.ParseDuration(v)
		if err != nil || wait <= 0 {
			return fmt.Errorf("%s=%q: want a positive duration such as 10s", QueueTimeoutEnv, v)
		}
		d.ExecutionQueueWait = wait
	}
	return nil
}

// admission lets at most limit requests execute at once; the others wait
// in a queue, first come first served, each for at most wait.
type admission struct {
	limit int
	wait  time.Duration

	mu        sync.Mutex
	executing int
	queue     list.List // of *waiter, oldest first
}

// A waiter is a request in the queue. A request leaving executes hands
// its slot to the oldest waiter directly, so a newcomer never overtakes
// the queue.
type waiter struct {
	admitted chan struct{} // closed when given a slot
	handed   bool          // given a slot (under admission.mu)
}

// errQueueTimeout is what acquire reports when a request's turn did not
// come within the wait.
var errQueueTimeout = errors.New("no turn to execute within the queue's wait")

func newAdmission(limit int, wait time.Duration) *admission {
	return &admission{limit: limit, wait: wait}
}

// acquire waits for a slot: nil once the request may execute (it must
// call release when done), errQueueTimeout after the wait, or ctx's error
// when the client gave up first.
func (a *admission) acquire(ctx context.Context) error {
	a.mu.Lock()
	if a.executing < a.limit && a.queue.Len() == 0 {
		a.executing++
		a.mu.Unlock()
		return nil
	}
	w := &waiter{admitted: make(chan struct{})}
	el := a.queue.PushBack(w)
	a.mu.Unlock()

	timer := time.NewTimer(a.wait)
	defer timer.Stop()
	var err error
	select {
	case <-w.admitted:
		return nil
	case <-timer.C:
		err = errQueueTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.mu.Lock()
	if !w.handed {
		a.queue.Remove(el)
		a.mu.Unlock()
		return err
	}
	a.mu.Unlock()
	a.release() // given a slot as it gave up: pass it on
	return err
}

// release gives the slot of a request that has finished to the oldest
// waiter, or frees it.
func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if front := a.queue.Front(); front != nil {
		w := a.queue.Remove(front).(*waiter)
		w.handed = true
		close(w.admitted)
		return
	}
	a.executing--
}

// queued is how many requests wait for a slot.
func (a *admission) queued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.queue.Len()
}

// admit runs next once a admits the request; a request whose turn does
// not come in time is answered 503 UNAVAILABLE with Retry-After. A nil a
// admits every request at once. File uploads are not queued: they spend
// their time receiving the file at the client's pace, and holding a slot
// meanwhile would stall the queries behind them (they stay under
// shedLoad's bound).
func (a *admission) admit(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isMultipart(r) {
			next.ServeHTTP(w, r)
			return
		}
		if err := a.acquire(r.Context()); err != nil {
			if errors.Is(err, errQueueTimeout) {
				w.Header().Set("Retry-After", "1")
				writeErrorStatus(w, http.StatusServiceUnavailable, errs.E(errs.Unavailable, "the server is busy: try again in a second"))
			}
			return // a client that hung up is answered by nobody
		}
		defer a.release()
		next.ServeHTTP(w, r)
	})
}
