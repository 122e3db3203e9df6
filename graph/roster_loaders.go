package graph

import (
	"context"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// rosterLoaders batch the per-row lookups of the inspector roster and the
// item list: a conflict's inspector, an item's versions. They go through
// the roster service, so permission and tenancy hold as for any query.
type rosterLoaders struct {
	Inspectors   *batched[int64, roster.Inspector]
	ItemVersions *batched[itemVersionsPage, *page.Connection[roster.Item]]
}

// itemVersionsPage names a page of an item's versions.
type itemVersionsPage = parentPage[string]

func newRosterLoaders(rosters *roster.Service) *rosterLoaders {
	return &rosterLoaders{
		Inspectors: newBatched(func(ctx context.Context, ids []int64) ([]roster.Inspector, []error) {
			list, err := rosters.InspectorsByID(ctx, ids)
			return inKeyOrder(ids, list, err, func(i roster.Inspector) int64 { return i.ID })
		}),
		ItemVersions: newBatched(func(ctx context.Context, keys []itemVersionsPage) ([]*page.Connection[roster.Item], []error) {
			return pagesPerParent(ctx, keys, rosters.ItemVersions)
		}),
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
