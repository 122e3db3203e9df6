package graph

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Limits on what one request may ask.
type Limits struct {
	// MaxCost bounds the price of an operation (see costOf).
	MaxCost int
	// MaxDepth bounds the nesting of fields, introspection not counted.
	MaxDepth int
	// MaxResponseBytes bounds the data of one answer.
	MaxResponseBytes int
	// AnonymousIntrospection lets callers without a session read the
	// schema; off, only signed-in callers may.
	AnonymousIntrospection bool
}

// MaxDepth is the deepest nesting of fields allowed by default.
const MaxDepth = 12

// DefaultLimits are the limits the server runs with unless configured.
var DefaultLimits = Limits{MaxCost: 2000, MaxDepth: MaxDepth, MaxResponseBytes: 8 << 20, AnonymousIntrospection: true}

// Prices of the introspection fields. A whole schema is a large answer
// (GraphiQL's standard query is about 100 kB here), so one fits in a
// request's budget and a few dozen do not.
const (
	schemaPrice = 600
	typePrice   = 20
)

// oncePerRequest are mutations that may appear once in a request: each
// hashes a password with argon2id, costly by design.
var oncePerRequest = map[string]bool{"signIn": true, "changePassword": true}

// limitExtension enforces Limits on every operation before it runs: its
// price, its depth, the mutations allowed once, introspection for
// anonymous callers, NUL bytes in its strings; and, after it ran, the size
// of its answer.
type limitExtension struct{ Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = limitExtension{}

func (limitExtension) ExtensionName() string                   { return "Limits" }
func (limitExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (l limitExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if _, signed := authz.SignerFrom(ctx); !signed && !l.AnonymousIntrospection {
		oc.DisableIntrospection = true
	}
	w := walker{fragments: oc.Doc.Fragments, vars: oc.Variables, memo: map[string]int{}}
	if cost := w.cost(oc.Operation.SelectionSet); cost > l.MaxCost {
		return refuse("", "the query costs %d, more than %d: ask for fewer rows (first:) or fewer fields, aliases and introspection", cost, l.MaxCost)
	}
	if n := (depth{oc.Doc.Fragments, map[string]int{}}).of(oc.Operation.SelectionSet); n > l.MaxDepth {
		return refuse("", "the query is nested %d levels deep; at most %d are allowed", n, l.MaxDepth)
	}
	if oc.Operation.Operation == ast.Mutation {
		counts := rootFields{oc.Doc.Fragments, map[string]map[string]int{}}.count(oc.Operation.SelectionSet)
		for name, n := range counts {
			if oncePerRequest[name] && n > 1 {
				return refuse("", "%s may appear once per request, not %d times", name, n)
			}
		}
	}
	if path, ok := nulIn(oc.Variables, "variables"); ok {
		return refuse(path, "must not contain NUL bytes")
	}
	if nulInDocument(oc.Doc, oc.Operation) {
		return refuse("query", "string arguments must not contain NUL bytes")
	}
	return nil
}

// InterceptResponse replaces an answer larger than MaxResponseBytes by an
// error, so that no request can make the server write megabytes.
func (l limitExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Data) <= l.MaxResponseBytes {
		return resp
	}
	size := len(resp.Data)
	resp.Data = nil
	resp.Errors = gqlerror.List{refuse("", "the answer would be %d bytes, more than %d: ask for fewer rows or fields", size, l.MaxResponseBytes)}
	return resp
}

func refuse(field, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": string(errs.Invalid)}
	if field != "" {
		err.Extensions["field"] = field
	}
	return err
}

// walker prices selections. A field costs 1 plus its children's cost; a
// connection (a field returning a …Connection type) multiplies its
// children's cost by a tenth of the rows it may return; a field taking
// ids multiplies them by the number of ids; introspection
// costs its fixed price. Fragments are priced once each, so nested
// spreads cannot make the walk itself costly.
type walker struct {
	fragments ast.FragmentDefinitionList
	vars      map[string]any
	memo      map[string]int
}

func (w walker) cost(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = saturatingAdd(total, w.fieldCost(s))
		case *ast.InlineFragment:
			total = saturatingAdd(total, w.cost(s.SelectionSet))
		case *ast.FragmentSpread:
			total = saturatingAdd(total, w.fragmentCost(s.Name))
		}
	}
	return total
}

func (w walker) fragmentCost(name string) int {
	if c, ok := w.memo[name]; ok {
		return c
	}
	w.memo[name] = 0 // a cycle (refused by validation anyway) costs nothing more
	c := 0
	if f := w.fragments.ForName(name); f != nil {
		c = w.cost(f.SelectionSet)
	}
	w.memo[name] = c
	return c
}

func (w walker) fieldCost(f *ast.Field) int {
	switch f.Name {
	case "__typename":
		return 0
	case "__schema":
		return schemaPrice
	case "__type":
		return typePrice
	}
	child := w.cost(f.SelectionSet)
	if ids, ok := f.ArgumentMap(w.vars)["ids"].([]any); ok {
		return saturatingAdd(1, saturatingMul(child, len(ids))) // nodes(ids:) loads each
	}
	if f.Definition == nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return saturatingAdd(1, child)
	}
	args := f.ArgumentMap(w.vars)
	rows := page.Request{First: firstArgument(args["first"]), Last: firstArgument(args["last"])}.Size()
	return saturatingAdd(1, saturatingMul(child, max(rows/10, 1)))
}

// firstArgument reads a connection's first: (or last:) argument as the page size it
// asks for, 0 (the default size) when absent and the largest page when it
// is out of range (the resolver refuses it anyway).
func firstArgument(v any) int {
	var n int64
	switch v := v.(type) {
	case nil:
		return 0
	case int:
		n = int64(v)
	case int64:
		n = v
	case int32:
		n = int64(v)
	default:
		return page.MaxSize
	}
	if n < 0 || n > page.MaxSize {
		return page.MaxSize
	}
	return int(n)
}

func saturatingAdd(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

func saturatingMul(a, b int) int {
	if b != 0 && a > math.MaxInt32/b {
		return math.MaxInt32
	}
	return a * b
}

// rootFields counts the fields of a selection set by name, a fragment's
// once however often it is spread.
type rootFields struct {
	fragments ast.FragmentDefinitionList
	memo      map[string]map[string]int
}

func (r rootFields) count(set ast.SelectionSet) map[string]int {
	counts := map[string]int{}
	for _, sel := range set {
		var inner map[string]int
		switch s := sel.(type) {
		case *ast.Field:
			counts[s.Name]++
		case *ast.InlineFragment:
			inner = r.count(s.SelectionSet)
		case *ast.FragmentSpread:
			inner = r.fragment(s.Name)
		}
		for name, n := range inner {
			counts[name] = saturatingAdd(counts[name], n)
		}
	}
	return counts
}

func (r rootFields) fragment(name string) map[string]int {
	if c, ok := r.memo[name]; ok {
		return c
	}
	r.memo[name] = nil
	var c map[string]int
	if f := r.fragments.ForName(name); f != nil {
		c = r.count(f.SelectionSet)
	}
	r.memo[name] = c
	return c
}

// nulIn finds a string holding a NUL byte in the variables: PostgreSQL's
// text cannot store one, so it is bad input, never an internal error.
func nulIn(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, strings.ContainsRune(v, 0)
	case map[string]any:
		for k, x := range v {
			if p, ok := nulIn(x, path+"."+k); ok {
				return p, true
			}
		}
	case []any:
		for i, x := range v {
			if p, ok := nulIn(x, fmt.Sprintf("%s.%d", path, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// nulInDocument finds a NUL byte in a string literal of the operation or
// of a fragment; each is looked at once, spreads are not followed.
func nulInDocument(doc *ast.QueryDocument, op *ast.OperationDefinition) bool {
	if nulInSelections(op.SelectionSet) {
		return true
	}
	for _, f := range doc.Fragments {
		if nulInSelections(f.SelectionSet) {
			return true
		}
	}
	return false
}

func nulInSelections(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if nulInValue(a.Value) {
					return true
				}
			}
			if nulInSelections(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if nulInSelections(s.SelectionSet) {
				return true
			}
		}
	}
	return false
}

func nulInValue(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && strings.ContainsRune(v.Raw, 0) {
		return true
	}
	for _, c := range v.Children {
		if nulInValue(c.Value) {
			return true
		}
	}
	return false
}

// depth measures the nesting of selections, not counting the
// introspection fields, whose standard query is deep by design (and priced
// by the cost instead). Fragments are measured once each.
type depth struct {
	fragments ast.FragmentDefinitionList
	memo      map[string]int
}

func (d depth) of(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var n int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			n = 1 + d.of(s.SelectionSet)
		case *ast.InlineFragment:
			n = d.of(s.SelectionSet)
		case *ast.FragmentSpread:
			n = d.fragment(s.Name)
		}
		deepest = max(deepest, n)
	}
	return deepest
}

func (d depth) fragment(name string) int {
	if n, ok := d.memo[name]; ok {
		return n
	}
	d.memo[name] = 0 // a cycle: validation refuses it anyway
	n := 0
	if f := d.fragments.ForName(name); f != nil {
		n = d.of(f.SelectionSet)
	}
	d.memo[name] = n
	return n
}
