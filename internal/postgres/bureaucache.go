package postgres

import (
	"sync"

	"shuangsuiji/internal/bureau"
)

// BureausChannel is the NOTIFY channel on which every change to the
// bureaus table is announced (migration 00036's trigger).
const BureausChannel = "bureaus_changed"

// bureauCache keeps the bureaus a request has read, so that the lead
// bureaus of a dashboard cost no statement. It is used only while its
// instance hears the announcements of changes (CacheBureaus): a change
// made while nobody listens could not be heard, so the cache is off then,
// and emptied when it comes back on.
type bureauCache struct {
	mu      sync.RWMutex
	on      bool
	version uint64 // counts forgettings: a read begun before one is not kept
	byID    map[int64]bureau.Bureau
}

// lookup returns the bureaus with the ids, in the order of ids, when the
// cache holds every one; version is for keep.
func (c *bureauCache) lookup(ids []int64) (bs []bureau.Bureau, ok bool, version uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.on {
		return nil, false, c.version
	}
	bs = make([]bureau.Bureau, 0, len(ids))
	for _, id := range ids {
		b, found := c.byID[id]
		if !found {
			return nil, false, c.version
		}
		bs = append(bs, b)
	}
	return bs, true, c.version
}

// keep remembers bureaus read from the database, unless the cache was
// forgotten since the read began (at version): they may be older than
// the change that made it forget.
func (c *bureauCache) keep(version uint64, bs []bureau.Bureau) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || c.version != version {
		return
	}
	for _, b := range bs {
		c.byID[b.ID] = b
	}
}

// forget empties the cache, and turns it on or off when on says so.
func (c *bureauCache) forget(on *bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on != nil {
		c.on = *on
	}
	c.version++
	c.byID = map[int64]bureau.Bureau{}
}

// BureausChanged empties the bureaus' cache: call it on every notification
// on BureausChannel.
func (db *DB) BureausChanged() { db.bureaus.forget(nil) }

// CacheBureaus turns the bureaus' cache on, empty, once the instance
// listens on BureausChannel, and off when the listening connection is
// lost (changes are missed until it is back).
func (db *DB) CacheBureaus(on bool) { db.bureaus.forget(&on) }
