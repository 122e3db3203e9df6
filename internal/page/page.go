// Package page is Relay-style pagination: a Request (first/after forward,
// last/before backward) and a Connection of edges with keyset cursors and a
// total count.
//
// A cursor is an opaque encoding of the sort key of a row a client saw,
// never an offset, so pages stay right while rows are added. It carries a
// check of that key, so a cursor that was edited, cut short or made up is
// refused as BAD_USER_INPUT ("not a cursor from this list") rather than
// read as some other position. The check catches mistakes, not forgers:
// a forged cursor could only name a position in a list its caller may read
// anyway.
//
// A store reads a page in three steps: it puts the page's Bounds on its
// sort key, orders by Order, and fetches Limit rows; New then turns what
// it read into the page, in the list's order whichever way it was read.
package page

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
)

// Limits on page size.
const (
	DefaultSize = 50
	MaxSize     = 500
)

// Request asks for the first rows after a cursor, or the last rows before
// one. After and Before may both be given: the page then lies between
// them.
type Request struct {
	First  int
	After  string // cursor from a previous page, "" for the start
	Last   int
	Before string // cursor from a later page, "" for the end
}

// Validate refuses sizes out of range, first with last, and malformed
// cursors, naming the argument.
func (r Request) Validate() error {
	if r.First < 0 || r.First > MaxSize {
		return errs.InvalidField("first", "must be between 0 and %d", MaxSize)
	}
	if r.Last < 0 || r.Last > MaxSize {
		return errs.InvalidField("last", "must be between 0 and %d", MaxSize)
	}
	if r.First > 0 && r.Last > 0 {
		return errs.InvalidField("last", "give first or last, not both")
	}
	if _, err := r.AfterKey(); err != nil {
		return err
	}
	_, err := r.BeforeKey()
	return err
}

// CheckKeys validates the request and hands each cursor's key to parse,
// which says whether it is a key of this list (an id, a day and an id…);
// a key it refuses is BAD_USER_INPUT naming the argument.
func (r Request) CheckKeys(parse func(key string) bool) error {
	if err := r.Validate(); err != nil {
		return err
	}
	after, _ := r.AfterKey()
	before, _ := r.BeforeKey()
	if after != "" && !parse(after) {
		return notACursor("after")
	}
	if before != "" && !parse(before) {
		return notACursor("before")
	}
	return nil
}

// Backward reports whether the page is read from its end: last was given,
// or before without first.
func (r Request) Backward() bool { return r.Last > 0 || (r.First == 0 && r.Before != "") }

// Size is the number of rows to return.
func (r Request) Size() int {
	switch {
	case r.Last > 0:
		return r.Last
	case r.First > 0:
		return r.First
	}
	return DefaultSize
}

// Limit is the number of rows a store should fetch: one more than Size, to
// know whether another page exists beyond this one.
func (r Request) Limit() int { return r.Size() + 1 }

// AfterKey decodes the After cursor into the sort key it holds ("" at the
// start).
func (r Request) AfterKey() (string, error) { return decode(r.After, "after") }

// BeforeKey decodes the Before cursor ("" at the end).
func (r Request) BeforeKey() (string, error) { return decode(r.Before, "before") }

// Bound is one limit a page puts on a list's sort key: the rows whose key
// compares to Key by Op ("<" or ">").
type Bound struct {
	Op  string
	Key string
}

// Bounds are the limits the page's cursors put on a list sorted by its
// key, ascending or (desc) descending. Cursors that do not decode are left
// out: Validate refuses them before a store runs.
func (r Request) Bounds(desc bool) []Bound {
	past, upTo := ">", "<"
	if desc {
		past, upTo = upTo, past
	}
	var b []Bound
	if k, _ := r.AfterKey(); k != "" {
		b = append(b, Bound{Op: past, Key: k})
	}
	if k, _ := r.BeforeKey(); k != "" {
		b = append(b, Bound{Op: upTo, Key: k})
	}
	return b
}

// Order is the ORDER BY a store reads a page in, for a list sorted by the
// columns ("t.draw_id, t.seq"), ascending or (desc) descending: the list's
// own order, reversed for a backward page (New puts the rows back).
func (r Request) Order(columns string, desc bool) string {
	if desc == r.Backward() {
		return columns
	}
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c) + " DESC"
	}
	return strings.Join(cols, ", ")
}

// Cursor encodes a sort key with its check.
func Cursor(key string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte(key), check(key)...))
}

// checkLen is the length of a cursor's check, in bytes.
const checkLen = 4

func check(key string) []byte {
	sum := sha256.Sum256([]byte("shuangsuiji/page\x00" + key))
	return sum[:checkLen]
}

func decode(cursor, arg string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) <= checkLen {
		return "", notACursor(arg)
	}
	key, sum := b[:len(b)-checkLen], b[len(b)-checkLen:]
	if !utf8.Valid(key) || bytes.IndexByte(key, 0) >= 0 || !bytes.Equal(sum, check(string(key))) {
		return "", notACursor(arg)
	}
	return string(key), nil
}

func notACursor(arg string) error { return errs.InvalidField(arg, "not a cursor from this list") }

// Info tells whether more rows lie beyond either end of this page and
// where it starts and ends.
type Info struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Edge is one row and its cursor.
type Edge[T any] struct {
	Node   T
	Cursor string
}

// Connection is one page of rows.
type Connection[T any] struct {
	Edges    []Edge[T]
	PageInfo Info
	count    func(context.Context) (int, error)
}

// Nodes returns the rows of the page.
func (c *Connection[T]) Nodes() []T {
	nodes := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

// Counted sets how the connection counts its rows, every page together;
// the count runs only when a client asks for totalCount.
func (c *Connection[T]) Counted(count func(context.Context) (int, error)) *Connection[T] {
	c.count = count
	return c
}

// TotalCount is the number of rows in the list, every page together (the
// cursors aside, the filter applied).
func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) {
	if c.count == nil {
		return len(c.Edges), nil
	}
	return c.count(ctx)
}

// New builds a page from rows a store fetched with r.Limit(), r.Bounds and
// r.Order: the extra row, if any, only says that another page lies beyond
// this one. A backward page's rows, read from the end, are put back in
// the list's order.
func New[T any](rows []T, r Request, key func(T) string) *Connection[T] {
	c := &Connection[T]{}
	more := len(rows) > r.Size()
	if more {
		rows = rows[:r.Size()]
	}
	if r.Backward() {
		c.PageInfo.HasPreviousPage = more
		c.PageInfo.HasNextPage = r.Before != ""
	} else {
		c.PageInfo.HasNextPage = more
		c.PageInfo.HasPreviousPage = r.After != ""
	}
	n := len(rows)
	c.Edges = make([]Edge[T], n)
	for i, row := range rows {
		at := i
		if r.Backward() {
			at = n - 1 - i
		}
		c.Edges[at] = Edge[T]{Node: row, Cursor: Cursor(key(row))}
	}
	if n > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
		c.PageInfo.EndCursor = &c.Edges[n-1].Cursor
	}
	return c
}

// IsID says whether a key is an id (a positive integer): the key of lists
// sorted by id.
func IsID(key string) bool {
	n, err := strconv.ParseInt(key, 10, 64)
	return err == nil && n > 0
}

// IsNumber says whether a key is a whole number, 0 or more: the key of
// lists sorted by a sequence number.
func IsNumber(key string) bool {
	n, err := strconv.ParseInt(key, 10, 64)
	return err == nil && n >= 0
}

// IsAny accepts every key: the key of lists sorted by a text (a code, a
// username), where any text is a position.
func IsAny(string) bool { return true }

// Versions builds a page of a list of versions, keyed by version number
// (from 1), from rows a store fetched with r.Limit(), r.Bounds and
// r.Order, counted by count; or returns err.
func Versions[T any](rows []T, err error, r Request, version func(T) int, count func(context.Context) (int, error)) (*Connection[T], error) {
	if err != nil {
		return nil, err
	}
	return New(rows, r, func(row T) string { return strconv.Itoa(version(row)) }).Counted(count), nil
}

// PerParent builds the same page of a nested list for each of several
// parents (a page of the versions of each item on a page of items) from
// the rows a store read for all of them at once, each parent's rows as
// New wants them. The pages count their rows, every parent's at once, the
// first time one of them is asked for its total.
func PerParent[P comparable, T any](parents []P, rows []T, r Request, parentOf func(T) P, key func(T) string,
	count func(context.Context) (map[P]int, error)) map[P]*Connection[T] {
	byParent := make(map[P][]T, len(parents))
	for _, row := range rows {
		byParent[parentOf(row)] = append(byParent[parentOf(row)], row)
	}
	var once sync.Once
	var counts map[P]int
	var countErr error
	out := make(map[P]*Connection[T], len(parents))
	for _, parent := range parents {
		out[parent] = New(byParent[parent], r, key).Counted(func(ctx context.Context) (int, error) {
			once.Do(func() { counts, countErr = count(ctx) })
			return counts[parent], countErr
		})
	}
	return out
}
