package dashboard

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"sync"
	"time"
)

// A dashboard of 100,000 entities costs tens of milliseconds of
// PostgreSQL, and leaders ask for the same year again and again: the
// figures are kept, per acting bureau and year, under a stamp of what
// they were counted from (the region's data version, the minute, the
// deadline cutoffs), and counted again only when the stamp moves. Any
// committed change in the region moves the version (each writes an audit
// entry), so a leader who publishes records sees them on the next ask.
// Requests that find the same stale stamp at once wait for one count.

// stamp says what a tally was counted from.
type stamp struct {
	version int64
	minute  int64  // the focus rules' instant, to the minute
	cutoffs uint64 // a hash of the deadline cutoffs (today and the calendar)
}

type cacheKey struct {
	bureau int64
	year   int
}

// cached is one count, done or under way (done closes when it ends).
type cached struct {
	stamp stamp
	done  chan struct{}
	tally Tally
	err   error
}

// tallies keeps the latest count of each bureau and year.
type tallies struct {
	mu      sync.Mutex
	entries map[cacheKey]*cached
}

// get returns the tally of key at st, counting it with count when none
// is kept at st or being counted. The count runs without the caller's
// cancellation, since others may be waiting for it; each caller waits at
// most until its own context ends.
func (c *tallies) get(ctx context.Context, key cacheKey, st stamp, count func(context.Context) (Tally, error)) (Tally, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[cacheKey]*cached{}
	}
	e, ok := c.entries[key]
	if !ok || e.stamp != st {
		e = &cached{stamp: st, done: make(chan struct{})}
		c.entries[key] = e
		go c.fill(context.WithoutCancel(ctx), key, e, count)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.tally, e.err
	case <-ctx.Done():
		return Tally{}, ctx.Err()
	}
}

func (c *tallies) fill(ctx context.Context, key cacheKey, e *cached, count func(context.Context) (Tally, error)) {
	e.tally, e.err = count(ctx)
	if e.err != nil { // not kept: the next ask counts again
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	close(e.done)
}

// stampOf is the stamp of a query at a region's version.
func stampOf(version int64, q Query) stamp {
	h := fnv.New64a()
	var b [8]byte
	for _, ds := range [][]time.Time{q.Overdue, q.DueBy} {
		for _, d := range ds {
			binary.LittleEndian.PutUint64(b[:], uint64(d.Unix()))
			h.Write(b[:])
		}
	}
	return stamp{version: version, minute: q.At.Unix() / 60, cutoffs: h.Sum64()}
}
