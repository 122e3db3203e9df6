package main

import (
	"context"
	"testing"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

// TestDemoHasRecordsInEveryState: a new user of the demo county finds the
// whole flow, with the credit feedback of the published records.
func TestDemoHasRecordsInEveryState(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, testdb.Config(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := seedDemoData(ctx, db); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	var states []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := db.Select(&states, `SELECT state, count(*) AS n FROM inspection_records GROUP BY state ORDER BY state`); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range states {
		got[s.State] = s.N
	}
	for _, want := range []string{"draft", "submitted", "returned", "approved", "published"} {
		if got[want] == 0 {
			t.Errorf("no %s record in the demo: %v", want, got)
		}
	}
	var proposed, focus int
	db.Get(&proposed, `SELECT count(*) FROM record_consequences WHERE kind = 'abnormal_operations' AND state = 'proposed'`)
	db.Get(&focus, `SELECT count(*) FROM roster_entries WHERE source_record_id IS NOT NULL AND focus_found_on IS NOT NULL`)
	if proposed != 1 || focus != 1 {
		t.Errorf("proposals %d, focus versions %d; want 1 and 1", proposed, focus)
	}
	var linked int
	db.Get(&linked, `SELECT count(*) FROM inspectors WHERE user_id IS NOT NULL`)
	if linked != 2 {
		t.Errorf("%d inspectors linked to demo logins, want 2", linked)
	}
}
