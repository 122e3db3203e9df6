// Command gqlgen runs gqlgen's code generation (as `go tool gqlgen
// generate` does, from gqlgen.yml) with one plugin and one rewrite of its
// output, so that a list whose elements cannot wait on anything is
// marshalled on the calling goroutine instead of on a goroutine per
// element.
//
// gqlgen marshals every list of objects through
// graphql.MarshalSliceConcurrently: a goroutine per element, whose stack
// then grows through the marshalling's deep calls. That is what lets the
// elements' resolvers meet in one dataloader batch, and it is pure cost
// when nothing under the elements is a resolver: a page of 200 tasks of 3
// members each starts some 800 goroutines to copy fields. gqlgen 0.17.98
// has no setting for it (worker_limit only bounds how many run at once).
//
// The plugin writes, beside the generated executor, the table of the
// fields gqlgen resolves concurrently (resolvers and methods that take a
// context): graph/concurrent_fields_gen.go. The rewrite sends each list
// through the executor's marshalSlice (graph/marshal_slice.go), which
// looks at what the operation selects under the list and marshals the
// elements in order when none of it is in that table.
//
// It also spares each object the group gqlgen prepares for its @defer
// fragments (the object's path, a field set and a map) when the object
// has none (graph/deferred_group.go).
//
//	go run ./internal/gqlgen   (from the module's root; go generate ./... runs it)
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return fmt.Errorf("loading gqlgen.yml: %w", err)
	}
	table := concurrentFieldsPlugin{
		filename: filepath.Join(cfg.Exec.Dir(), "concurrent_fields_gen.go"),
		pkg:      cfg.Exec.Package,
	}
	if err := api.Generate(cfg, api.AddPlugin(table)); err != nil {
		return err
	}
	return rewriteExecutor(cfg.Exec.Filename)
}

// rewrites are the calls of gqlgen's generated executor that go through
// ours instead, with the same arguments and one or two more: every list of
// objects (graph/marshal_slice.go) and every object's group of deferred
// fields (graph/deferred_group.go).
var rewrites = []struct{ gqlgen, ours, called string }{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), ", "ec.marshalSlice(ctx, sel, len(v), ", "graphql.MarshalSliceConcurrently("},
	{"graphql.NewDeferredGroup(ctx)", "newDeferredGroup(ctx, fields)", "graphql.NewDeferredGroup("},
}

// rewriteExecutor makes the executor at filename call ours where gqlgen's
// calls are listed in rewrites. It fails if gqlgen calls one of them in a
// way the rewrite does not know, which a new gqlgen may do.
func rewriteExecutor(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		n := bytes.Count(src, []byte(r.gqlgen))
		if n == 0 || n != bytes.Count(src, []byte(r.called)) {
			return fmt.Errorf("%s: gqlgen no longer calls %q as %q: review the rewrite", filename, r.called, r.gqlgen)
		}
		src = bytes.ReplaceAll(src, []byte(r.gqlgen), []byte(r.ours))
	}
	formatted, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("%s after the rewrite: %w", filename, err)
	}
	return os.WriteFile(filename, formatted, 0o644)
}
