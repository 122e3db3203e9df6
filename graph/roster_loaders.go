package graph

import (
	"context"
	"time"

	"github.com/vikstrous/dataloadgen"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/roster"
)

// rosterLoaders batch the per-row lookups of the inspector roster and the
// item list: a conflict's inspector, an item's versions. They go through
// the roster service, so permission and tenancy hold as for any query.
type rosterLoaders struct {
	Inspectors   *dataloadgen.Loader[int64, roster.Inspector]
	ItemVersions *dataloadgen.Loader[string, []roster.Item]
}

func newRosterLoaders(rosters *roster.Service) *rosterLoaders {
	wait := dataloadgen.WithWait(time.Millisecond)
	return &rosterLoaders{
		Inspectors: dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([]roster.Inspector, []error) {
			list, err := rosters.InspectorsByID(ctx, ids)
			return inKeyOrder(ids, list, err, func(i roster.Inspector) int64 { return i.ID })
		}, wait),
		ItemVersions: dataloadgen.NewLoader(func(ctx context.Context, codes []string) ([][]roster.Item, []error) {
			items, err := rosters.ItemVersions(ctx, codes)
			byCode := make(map[string][]roster.Item, len(codes))
			for _, it := range items {
				byCode[it.Code] = append(byCode[it.Code], it)
			}
			out, errs := make([][]roster.Item, len(codes)), make([]error, len(codes))
			for i, c := range codes {
				out[i], errs[i] = byCode[c], err
			}
			return out, errs
		}, wait),
	}
}

// loadUser loads the user with the id, nil for none.
func loadUser(ctx context.Context, id *int64) (*account.User, error) {
	if id == nil {
		return nil, nil
	}
	u, err := loaders(ctx).Users.Load(ctx, *id)
	return &u, err
}
