package graph

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/vikstrous/dataloadgen"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/public"
	"shuangsuiji/internal/roster"
)

// Loaders batch the lookups of one request: each field that names a user
// or region adds a key, and one query answers them all.
type Loaders struct {
	Users   *batched[int64, account.User]
	Regions *batched[string, bureau.Region]
	Bureaus *batched[int64, bureau.Bureau]
	Entries *batched[entriesKey, []roster.Entry]
	// Participants of draws, by draw id.
	Participants  *batched[int64, []draw.Participant]
	Roster        *rosterLoaders            // inspectors and inspection items, in roster_loaders.go
	Records       *recordLoaders            // tasks' records, evidence, consequences, in record_loaders.go
	TaskPages     *pageCache[draw.TaskRow]  // draws' pages of tasks, prefetched by a page of draws (draw_prefetch.go)
	SelectedPages *pageCache[public.Entity] // public draws' pages of selected entities, prefetched by a page of public draws
}

// entriesKey asks for the roster entries of an entity as of an instant
// (zero: now).
type entriesKey struct {
	Code string
	AsOf time.Time
}

type loadersKey struct{}

// loaderWait is how long a loader gathers keys before it asks.
const loaderWait = time.Millisecond

// NewLoaders builds a request's loaders over the resolver's services.
func NewLoaders(r *Resolver) *Loaders {
	store := r.Bureaus.Store
	return &Loaders{
		Roster:        newRosterLoaders(r.Roster),
		Records:       newRecordLoaders(r.Records),
		TaskPages:     &pageCache[draw.TaskRow]{},
		SelectedPages: &pageCache[public.Entity]{},
		Bureaus: newBatched(func(ctx context.Context, ids []int64) ([]bureau.Bureau, []error) {
			bureaus, err := store.BureausByID(ctx, ids)
			return inKeyOrder(ids, bureaus, err, func(b bureau.Bureau) int64 { return b.ID })
		}),
		Participants: newBatched(func(ctx context.Context, ids []int64) ([][]draw.Participant, []error) {
			ps, err := r.Draws.ParticipantsOfDraws(ctx, ids)
			return groupByKey(ids, ps, err, func(p draw.Participant) int64 { return p.DrawID })
		}),
		Entries: newBatched(func(ctx context.Context, keys []entriesKey) ([][]roster.Entry, []error) {
			return loadEntries(ctx, r.Roster, keys)
		}),
		Users: newBatched(func(ctx context.Context, ids []int64) ([]account.User, []error) {
			users, err := store.UsersByID(ctx, ids)
			return inKeyOrder(ids, users, err, func(u account.User) int64 { return u.ID })
		}),
		Regions: newBatched(func(ctx context.Context, codes []string) ([]bureau.Region, []error) {
			regions, err := store.Regions(ctx, codes)
			return inKeyOrder(codes, regions, err, func(r bureau.Region) string { return r.Code })
		}),
	}
}

// batched is a request's dataloader whose batch function a list resolver
// may also call itself: Prefetch asks once for every key of a page and
// primes the cache, so that what a page costs does not depend on how its
// field goroutines happen to meet the loader's wait window.
type batched[K comparable, V any] struct {
	*dataloadgen.Loader[K, V]
	fetch func(context.Context, []K) ([]V, []error)
}

func newBatched[K comparable, V any](fetch func(context.Context, []K) ([]V, []error)) *batched[K, V] {
	return &batched[K, V]{dataloadgen.NewLoader(fetch, dataloadgen.WithWait(loaderWait)), fetch}
}

// Prefetch loads the keys in one call, leaves the answers in the loader's
// cache and returns them in key order (a key that failed gives the zero
// value; its field will ask again and report the error).
func (b *batched[K, V]) Prefetch(ctx context.Context, keys []K) []V {
	seen := make(map[K]int, len(keys))
	var unique []K
	for _, k := range keys {
		if _, ok := seen[k]; !ok {
			seen[k] = len(unique)
			unique = append(unique, k)
		}
	}
	out := make([]V, len(keys))
	if len(unique) == 0 {
		return out
	}
	values, errs := b.fetch(ctx, unique)
	for i, k := range unique {
		if errs[i] == nil {
			b.Prime(k, values[i])
		}
	}
	for i, k := range keys {
		if j := seen[k]; errs[j] == nil {
			out[i] = values[j]
		}
	}
	return out
}

// inKeyOrder re-orders rows to match the requested keys, as dataloaders
// require, with a not-found error for each missing key.
func inKeyOrder[K comparable, V any](keys []K, rows []V, err error, key func(V) K) ([]V, []error) {
	out := make([]V, len(keys))
	errs := make([]error, len(keys))
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	byKey := make(map[K]V, len(rows))
	for _, r := range rows {
		byKey[key(r)] = r
	}
	for i, k := range keys {
		v, ok := byKey[k]
		if !ok {
			errs[i] = dataloadgen.ErrNotFound
		}
		out[i] = v
	}
	return out, errs
}

// WithRequestScope is middleware giving every request its own loaders and
// remembering the client's address (for sign-in rate limits).
func WithRequestScope(resolver *Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), loadersKey{}, NewLoaders(resolver))
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ctx = context.WithValue(ctx, addressKey{}, host)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type addressKey struct{}

func clientAddress(ctx context.Context) string {
	a, _ := ctx.Value(addressKey{}).(string)
	return a
}

// groupByKey answers each key with the rows that belong to it (none is an
// empty answer, not an error).
func groupByKey[K comparable, V any](keys []K, rows []V, err error, key func(V) K) ([][]V, []error) {
	out := make([][]V, len(keys))
	errs := make([]error, len(keys))
	byKey := map[K][]V{}
	for _, r := range rows {
		byKey[key(r)] = append(byKey[key(r)], r)
	}
	for i, k := range keys {
		out[i], errs[i] = byKey[k], err
	}
	return out, errs
}

// loadEntries answers entry keys with one query per distinct instant.
func loadEntries(ctx context.Context, rosters *roster.Service, keys []entriesKey) ([][]roster.Entry, []error) {
	out := make([][]roster.Entry, len(keys))
	errs := make([]error, len(keys))
	byInstant := map[time.Time][]int{}
	for i, k := range keys {
		byInstant[k.AsOf] = append(byInstant[k.AsOf], i)
	}
	for at, idx := range byInstant {
		codes := make([]string, len(idx))
		for j, i := range idx {
			codes[j] = keys[i].Code
		}
		var asOf *time.Time
		if !at.IsZero() {
			asOf = &at
		}
		entries, err := rosters.EntriesOf(ctx, codes, asOf)
		byCode := map[string][]roster.Entry{}
		for _, e := range entries {
			byCode[e.EntityCode] = append(byCode[e.EntityCode], e)
		}
		for _, i := range idx {
			out[i], errs[i] = byCode[keys[i].Code], err
		}
	}
	return out, errs
}

func loaders(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}

// parentPage names one parent's page of a nested connection (an item's
// versions), as a loader's key.
type parentPage[P comparable] struct {
	Parent P
	Page   page.Request
}

// pagesPerParent answers a loader's keys with one call of pages (a service
// reading the same page of every parent at once) per distinct page asked:
// parents on a page of a list asking the same page cost one statement.
func pagesPerParent[P comparable, T any](ctx context.Context, keys []parentPage[P],
	pages func(context.Context, []P, page.Request) (map[P]*page.Connection[T], error)) ([]*page.Connection[T], []error) {
	var asked []page.Request
	parents := map[page.Request][]P{}
	for _, k := range keys {
		if _, ok := parents[k.Page]; !ok {
			asked = append(asked, k.Page)
		}
		parents[k.Page] = append(parents[k.Page], k.Parent)
	}
	got := map[page.Request]map[P]*page.Connection[T]{}
	failed := map[page.Request]error{}
	for _, p := range asked {
		got[p], failed[p] = pages(ctx, parents[p], p)
	}
	out, errs := make([]*page.Connection[T], len(keys)), make([]error, len(keys))
	for i, k := range keys {
		out[i], errs[i] = got[k.Page][k.Parent], failed[k.Page]
	}
	return out, errs
}
