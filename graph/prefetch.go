package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"shuangsuiji/internal/page"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/roster"
)

// selects reports whether the current field's selection asks, at any
// depth, for a field of that name.
func selects(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return false
	}
	return selectsIn(fc.Field.Selections, graphql.GetOperationContext(ctx).Doc.Fragments, name, 0)
}

func selectsIn(set ast.SelectionSet, fragments ast.FragmentDefinitionList, name string, depth int) bool {
	if depth > MaxDepth*2 {
		return false
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name || selectsIn(s.SelectionSet, fragments, name, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if selectsIn(s.SelectionSet, fragments, name, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil && selectsIn(f.SelectionSet, fragments, name, depth+1) {
				return true
			}
		}
	}
	return false
}

// prefetchRosterPage loads, one batch per kind, what a page of roster rows
// refers to (every entity's entries, the users and bureaus they name, the
// bureaus' regions) and leaves it in the request's loaders. The fields then
// read from the loaders' caches, so a page costs the same few statements
// whatever its size, however the field goroutines are scheduled.
func prefetchRosterPage(ctx context.Context, rows []roster.RosterEntity, asOf *time.Time) {
	l := loaders(ctx)
	entries := make([]roster.Entry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, r.Entry)
	}
	if selects(ctx, "entries") {
		keys := make([]entriesKey, len(rows))
		for i, r := range rows {
			keys[i] = entriesKey{Code: r.Entity.Code, AsOf: deref(asOf)}
		}
		lists := l.Entries.Prefetch(ctx, keys)
		for _, list := range lists {
			entries = append(entries, list...)
		}
	}
	prefetchEntryRefs(ctx, entries)
}

// prefetchEntryRefs loads the users and bureaus the entries name.
func prefetchEntryRefs(ctx context.Context, entries []roster.Entry) {
	l := loaders(ctx)
	if selects(ctx, "changedBy") {
		var ids []int64
		for _, e := range entries {
			if e.ChangedBy != nil {
				ids = append(ids, *e.ChangedBy)
			}
		}
		l.Users.Prefetch(ctx, ids)
	}
	if !selects(ctx, "bureau") {
		return
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.BureauID
	}
	bureaus := l.Bureaus.Prefetch(ctx, ids)
	if selects(ctx, "region") {
		codes := make([]string, len(bureaus))
		for i, b := range bureaus {
			codes[i] = b.RegionCode
		}
		l.Regions.Prefetch(ctx, codes)
	}
}

// prefetchTaskPage loads what a page of tasks asks of its rows (their
// records, and what those records refer to) in one batch per kind, so the
// page costs the same statements however many rows it has.
func prefetchTaskPage(ctx context.Context, tasks *page.Connection[record.Task]) {
	if tasks == nil || !selects(ctx, "records") && !selects(ctx, "record") {
		return
	}
	keys := make([]taskKey, len(tasks.Edges))
	for i, e := range tasks.Edges {
		keys[i] = taskKey{e.Node.DrawID, e.Node.Seq}
	}
	lists := loaders(ctx).Records.TaskRecords.Prefetch(ctx, keys)
	var recs []record.Record
	for _, list := range lists {
		recs = append(recs, list...)
	}
	prefetchRecordRefs(ctx, recs)
}

// prefetchRecordRefs loads the evidence, consequences and code tables that
// the selected fields of these records read.
func prefetchRecordRefs(ctx context.Context, recs []record.Record) {
	l := loaders(ctx).Records
	ids := make([]int64, len(recs))
	versions := make([]int, 0, 1)
	seen := map[int]bool{}
	for i, r := range recs {
		ids[i] = r.ID
		if !seen[r.CodeVersion] {
			seen[r.CodeVersion] = true
			versions = append(versions, r.CodeVersion)
		}
	}
	if selects(ctx, "evidence") {
		l.Evidence.Prefetch(ctx, ids)
	}
	if selects(ctx, "consequences") {
		l.Consequences.Prefetch(ctx, ids)
	}
	if selects(ctx, "results") {
		l.CodeTables.Prefetch(ctx, versions)
	}
}
