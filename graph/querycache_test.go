package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

func TestQueryCacheKeepsOnlyShortTexts(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache()
	doc := &ast.QueryDocument{}
	short := `{ me { user { username } } }`
	long := "{ me { user { username } } }" + strings.Repeat(" ", maxCachedQueryBytes)
	c.Add(ctx, short, doc)
	c.Add(ctx, long, doc)
	if got, ok := c.Get(ctx, short); !ok || got != doc {
		t.Errorf("Get(short) = %p, %v; want the document added", got, ok)
	}
	if _, ok := c.Get(ctx, long); ok {
		t.Errorf("a text of %d bytes was kept; at most %d are", len(long), maxCachedQueryBytes)
	}
}
