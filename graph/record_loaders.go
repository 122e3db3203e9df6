package graph

import (
	"context"

	"shuangsuiji/internal/record"
)

// recordLoaders batch what a page of tasks or records asks per row: one
// statement each for the page's records, evidence and consequences.
type recordLoaders struct {
	TaskRecords  *batched[taskKey, []record.Record]
	Evidence     *batched[int64, []record.Evidence]
	Consequences *batched[int64, []record.Consequence]
	CodeTables   *batched[int, record.CodeTable]
}

// taskKey names a task (draw and sequence).
type taskKey struct {
	DrawID int64
	Seq    int
}

func newRecordLoaders(s *record.Service) *recordLoaders {
	return &recordLoaders{
		TaskRecords: newBatched(func(ctx context.Context, keys []taskKey) ([][]record.Record, []error) {
			tasks := make([]record.Key, len(keys))
			for i, k := range keys {
				tasks[i] = record.Key{DrawID: k.DrawID, Seq: k.Seq}
			}
			recs, err := s.RecordsOfTasks(ctx, tasks)
			return groupByKey(keys, recs, err, func(r record.Record) taskKey { return taskKey{r.DrawID, r.Seq} })
		}),
		Evidence: newBatched(func(ctx context.Context, ids []int64) ([][]record.Evidence, []error) {
			evs, err := s.EvidenceOf(ctx, ids)
			return groupByKey(ids, evs, err, func(e record.Evidence) int64 { return e.RecordID })
		}),
		Consequences: newBatched(func(ctx context.Context, ids []int64) ([][]record.Consequence, []error) {
			cs, err := s.ConsequencesOf(ctx, ids)
			return groupByKey(ids, cs, err, func(c record.Consequence) int64 { return c.RecordID })
		}),
		CodeTables: newBatched(func(ctx context.Context, versions []int) ([]record.CodeTable, []error) {
			tables := make([]record.CodeTable, len(versions))
			errs := make([]error, len(versions))
			for i, v := range versions { // one version in practice, rarely two
				tables[i], errs[i] = s.CodeTable(ctx, v)
			}
			return tables, errs
		}),
	}
}
