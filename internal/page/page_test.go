package page

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
)

// list is a sorted list of keys, read the way a store reads it: the
// page's bounds, its order and its limit.
func read(list []int, r Request, desc bool) []int {
	var rows []int
	for _, v := range list {
		ok := true
		for _, b := range r.Bounds(desc) {
			k, _ := strconv.Atoi(b.Key)
			if b.Op == ">" && !(v > k) || b.Op == "<" && !(v < k) {
				ok = false
			}
		}
		if ok {
			rows = append(rows, v)
		}
	}
	if (r.Order("k", desc) == "k DESC") != desc {
		slices.Reverse(rows) // the store reads the list from its other end
	}
	if len(rows) > r.Limit() {
		rows = rows[:r.Limit()]
	}
	return rows
}

func key(v int) string { return strconv.Itoa(v) }

func keys(c *Connection[int]) []int { return c.Nodes() }

func TestPagingBothWays(t *testing.T) {
	for _, desc := range []bool{false, true} {
		list := []int{1, 2, 3, 4, 5, 6, 7}
		if desc {
			slices.Reverse(list)
		}
		// Forward with first: 3 walks the list in its order.
		var forward []int
		r := Request{First: 3}
		for pages := 0; ; pages++ {
			c := New(read(list, r, desc), r, key)
			forward = append(forward, keys(c)...)
			if got, want := c.PageInfo.HasPreviousPage, pages > 0; got != want {
				t.Errorf("desc %v: forward page %d hasPreviousPage %v", desc, pages, got)
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			r.After = *c.PageInfo.EndCursor
		}
		if !slices.Equal(forward, list) {
			t.Errorf("desc %v: forward %v, want %v", desc, forward, list)
		}
		// Backward with last: 3 walks it from the end, each page in the
		// list's order.
		var backward [][]int
		r = Request{Last: 3}
		for pages := 0; ; pages++ {
			c := New(read(list, r, desc), r, key)
			backward = append([][]int{keys(c)}, backward...)
			if got, want := c.PageInfo.HasNextPage, pages > 0; got != want {
				t.Errorf("desc %v: backward page %d hasNextPage %v", desc, pages, got)
			}
			if !c.PageInfo.HasPreviousPage {
				break
			}
			r.Before = *c.PageInfo.StartCursor
		}
		if got := slices.Concat(backward...); !slices.Equal(got, list) {
			t.Errorf("desc %v: backward pages %v, want %v", desc, backward, list)
		}
		if want := list[4:]; !slices.Equal(backward[len(backward)-1], want) {
			t.Errorf("desc %v: last page %v, want %v", desc, backward[len(backward)-1], want)
		}
		// Between two cursors.
		r = Request{After: Cursor(key(list[1])), Before: Cursor(key(list[5]))}
		if got := keys(New(read(list, r, desc), r, key)); !slices.Equal(got, list[2:5]) {
			t.Errorf("desc %v: between %d and %d: %v, want %v", desc, list[1], list[5], got, list[2:5])
		}
		r.Last = 2
		if got := keys(New(read(list, r, desc), r, key)); !slices.Equal(got, list[3:5]) {
			t.Errorf("desc %v: last 2 between %d and %d: %v, want %v", desc, list[1], list[5], got, list[3:5])
		}
	}
}

func TestBadRequests(t *testing.T) {
	good := Cursor("42")
	tampered := []byte(good)
	tampered[0] ^= 1
	tests := []struct {
		name  string
		r     Request
		field string
	}{
		{"FirstTooLarge", Request{First: MaxSize + 1}, "first"},
		{"LastNegative", Request{Last: -1}, "last"},
		{"FirstAndLast", Request{First: 2, Last: 2}, "last"},
		{"AfterNotBase64", Request{After: "!!!"}, "after"},
		{"AfterTampered", Request{After: string(tampered)}, "after"},
		{"BeforeTampered", Request{Before: string(tampered)}, "before"},
		{"BeforeMadeUp", Request{Before: "NDI"}, "before"}, // base64 of "42", no check
		{"AfterCutShort", Request{After: good[:len(good)-2]}, "after"},
		{"AfterNotThisList", Request{After: Cursor("x/1")}, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.CheckKeys(IsID)
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != tt.field {
				t.Fatalf("CheckKeys(%+v) = %v, want BAD_USER_INPUT naming %s", tt.r, err, tt.field)
			}
		})
	}
	if err := (Request{Last: 3, Before: good, After: Cursor("1")}).CheckKeys(IsID); err != nil {
		t.Errorf("a good request refused: %v", err)
	}
}

func TestTotalCount(t *testing.T) {
	c := New([]int{1, 2}, Request{}, key)
	if n, _ := c.TotalCount(t.Context()); n != 2 {
		t.Errorf("uncounted page: totalCount %d, want its rows, 2", n)
	}
	c.Counted(func(ctx context.Context) (int, error) { return 9, nil })
	if n, _ := c.TotalCount(t.Context()); n != 9 {
		t.Errorf("totalCount %d, want the count's 9", n)
	}
}

func FuzzCursor(f *testing.F) {
	f.Add("42", "")
	f.Add("2026-01-02/7", "x")
	f.Fuzz(func(t *testing.T, key, junk string) {
		if strings.IndexByte(key, 0) >= 0 || !utf8.ValidString(key) || key == "" {
			return
		}
		got, err := Request{After: Cursor(key)}.AfterKey()
		if err != nil || got != key {
			t.Fatalf("Cursor(%q) decodes to %q, %v", key, got, err)
		}
		// Anything else decodes to a key with a matching check, or is
		// refused: never a panic.
		_, _ = Request{Before: Cursor(key) + junk}.BeforeKey()
	})
}

// TestPerParent: each parent gets its own page of the rows read for all,
// and one count answers every parent's total.
func TestPerParent(t *testing.T) {
	type row struct {
		parent string
		n      int
	}
	rows := []row{{"a", 1}, {"a", 2}, {"a", 3}, {"b", 1}}
	counted := 0
	pages := PerParent([]string{"a", "b", "c"}, rows, Request{First: 2}, func(r row) string { return r.parent },
		func(r row) string { return strconv.Itoa(r.n) },
		func(context.Context) (map[string]int, error) { counted++; return map[string]int{"a": 7, "b": 1}, nil })
	a, b, c := pages["a"], pages["b"], pages["c"]
	if len(a.Edges) != 2 || !a.PageInfo.HasNextPage || len(b.Edges) != 1 || b.PageInfo.HasNextPage || len(c.Edges) != 0 {
		t.Fatalf("pages: a %+v, b %+v, c %+v", a, b, c)
	}
	for parent, want := range map[string]int{"a": 7, "b": 1, "c": 0} {
		if n, err := pages[parent].TotalCount(t.Context()); n != want || err != nil {
			t.Errorf("totalCount of %s = %d, %v; want %d", parent, n, err, want)
		}
	}
	if counted != 1 {
		t.Errorf("counted %d times, want once for every parent", counted)
	}
}
