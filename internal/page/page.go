// Package page is Relay-style pagination: a Request (first, after) and a
// Connection of edges with keyset cursors. A cursor is an opaque encoding of
// the sort key of the last row a client saw, never an offset, so pages stay
// right while rows are added.
package page

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
)

// Limits on page size.
const (
	DefaultSize = 50
	MaxSize     = 500
)

// Request asks for the first rows after a cursor.
type Request struct {
	First int
	After string // cursor from a previous page, "" for the start
}

// Validate refuses sizes out of range and malformed cursors.
func (r Request) Validate() error {
	if r.First < 0 || r.First > MaxSize {
		return errs.InvalidField("first", "must be between 0 and %d", MaxSize)
	}
	if _, err := r.Key(); err != nil {
		return err
	}
	return nil
}

// Size is the number of rows to return.
func (r Request) Size() int {
	if r.First == 0 {
		return DefaultSize
	}
	return r.First
}

// Limit is the number of rows a store should fetch: one more than Size, to
// know whether a next page exists.
func (r Request) Limit() int { return r.Size() + 1 }

// Key decodes the After cursor into the sort key it holds ("" at the start).
func (r Request) Key() (string, error) {
	if r.After == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(r.After)
	if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", errs.InvalidField("after", "not a cursor from this list")
	}
	return string(b), nil
}

// Cursor encodes a sort key.
func Cursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// Info tells whether more rows follow and where this page ends.
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
}

// Nodes returns the rows of the page.
func (c *Connection[T]) Nodes() []T {
	nodes := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

// New builds a page from rows fetched with r.Limit(): the extra row, if
// any, only says that a next page exists.
func New[T any](rows []T, r Request, key func(T) string) *Connection[T] {
	c := &Connection[T]{}
	if len(rows) > r.Size() {
		rows = rows[:r.Size()]
		c.PageInfo.HasNextPage = true
	}
	c.PageInfo.HasPreviousPage = r.After != ""
	c.Edges = make([]Edge[T], len(rows))
	for i, row := range rows {
		c.Edges[i] = Edge[T]{Node: row, Cursor: Cursor(key(row))}
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
		c.PageInfo.EndCursor = &c.Edges[n-1].Cursor
	}
	return c
}
