package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// A front end sends the same few query texts over and over; parsing and
// validating one against the schema costs more than pricing and running a
// small page of it. The handler keeps the documents it parsed and
// validated, keyed by their text, and goes straight to pricing
// (limitExtension, which depends on the variables and so runs on every
// request) when a text comes again. Only documents that passed validation
// are kept.
const (
	// queryCacheEntries is how many query texts are kept, least recently
	// used first out: far more than the front end's operations.
	queryCacheEntries = 500
	// maxCachedQueryBytes keeps long texts (a generated query, a hostile
	// one made unique per request) from filling the cache: at most
	// queryCacheEntries of these are held, a few megabytes with their
	// documents. GraphiQL's introspection query is about 2 kB.
	maxCachedQueryBytes = 16 << 10
)

// queryCache is an LRU of parsed and validated documents that ignores
// query texts over maxCachedQueryBytes.
type queryCache struct{ docs *lru.LRU[*ast.QueryDocument] }

var _ graphql.Cache[*ast.QueryDocument] = queryCache{}

func newQueryCache() queryCache {
	return queryCache{docs: lru.New[*ast.QueryDocument](queryCacheEntries)}
}

func (c queryCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if len(query) > maxCachedQueryBytes {
		return nil, false
	}
	return c.docs.Get(ctx, query)
}

func (c queryCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQueryBytes {
		c.docs.Add(ctx, query, doc)
	}
}
