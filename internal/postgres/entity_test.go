package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// TestConcurrentImports runs 10 imports at once into one region (two
// bureaus sharing its entities) and into one bureau's inspector roster:
// each succeeds in some serial order, or is a CONFLICT; none fails
// because another ran at the same time.
func TestConcurrentImports(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	entities := postgres.EntityStore{DB: s.DB}
	inspectors := postgres.InspectorStore{DB: s.DB}
	planners := []string{"wl-planner", "sj-planner"}
	codes := make([]string, 20)
	for i := range codes {
		codes[i] = testUSCC(t, 900+i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			actor := actingAs(t, s, planners[i%2])
			rows := make([]roster.EntityRow, len(codes))
			for j, c := range codes {
				rows[j] = roster.EntityRow{Row: j + 2, Code: c, CodeKind: roster.CodeUSCC, Name: fmt.Sprintf("并发测试%d号", j),
					Address: fmt.Sprintf("凤城镇%d号", i), Unit: fmt.Sprintf("中队%d", i), Status: roster.StatusActive,
					Complaints: i, Given: roster.AllFields}
			}
			_, err := entities.ImportEntities(ctx, actor, rows, roster.ImportMeta{Filename: fmt.Sprintf("e%d.csv", i)})
			errc <- err
		}()
		go func() {
			defer wg.Done()
			actor := actingAs(t, s, "wl-planner")
			rows := []roster.InspectorRow{{Row: 2, Name: "并发", CertificateNumber: "14052219999",
				Unit: fmt.Sprintf("中队%d", i), ExpiresOn: civil(2030, 1, 1), Status: roster.InspectorActive, Given: roster.AllFields}}
			_, err := inspectors.ImportInspectors(ctx, actor, rows, roster.ImportMeta{Filename: fmt.Sprintf("i%d.csv", i)})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil && errs.KindOf(err) != errs.Conflict {
			t.Errorf("concurrent import: %v (%s)", err, errs.KindOf(err))
		}
	}
	// Versions of one entity follow each other without gap or overlap.
	bad := count(t, s, `SELECT count(*) FROM roster_entries a JOIN roster_entries b
ON b.bureau_id = a.bureau_id AND b.entity_code = a.entity_code AND b.version = a.version + 1
WHERE a.valid_to IS DISTINCT FROM b.valid_from`)
	if bad != 0 {
		t.Errorf("%d entry versions do not end where the next begins", bad)
	}
}
