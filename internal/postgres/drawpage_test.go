package postgres_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/postgres"
)

// TestDrawsWithTasksReadsAsApart: DrawsWithTasks answers what Draws and
// then TasksOfDraws of the draws on the page answer, for the lead bureau
// (an executed draw with its teams, a draft without tasks) and for a
// bureau that sees neither.
func TestDrawsWithTasksReadsAsApart(t *testing.T) {
	s := newSeeded(t)
	fillBenchRoster(t, s, "140522-wl", 200)
	ctx := context.Background()
	store := postgres.DrawStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	for i, title := range []string{"executed", "draft"} {
		d, err := store.CreateDraw(ctx, planner, draw.NewDraw{Year: 2026, Quarter: 1 + i, Title: title, TeamSize: 2,
			WindowStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), WindowEnd: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if title == "draft" {
			break
		}
		if _, err := store.Freeze(ctx, planner, d.ID, draw.Seal); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Execute(ctx, planner, d.ID, "together", draw.RunCeremony); err != nil {
			t.Fatal(err)
		}
	}
	for _, user := range []string{"wl-planner", "sj-planner"} {
		actor := actingAs(t, s, user)
		for i, c := range []struct {
			f            draw.Filter
			draws, tasks page.Request
		}{
			{draw.Filter{}, page.Request{First: 10}, page.Request{First: 3}},
			{draw.Filter{}, page.Request{First: 1}, page.Request{First: 50}},
			{draw.Filter{Year: 2026, Quarter: 1}, page.Request{First: 5}, page.Request{First: 2, After: page.Cursor("2")}},
		} {
			draws, tasks, err := store.DrawsWithTasks(ctx, actor, c.f, c.draws, c.tasks)
			if err != nil {
				t.Fatalf("%s: %v", user, err)
			}
			wantDraws, err := store.Draws(ctx, actor, c.f, c.draws)
			if err != nil {
				t.Fatal(err)
			}
			if (len(draws) > 0 || len(wantDraws) > 0) && !reflect.DeepEqual(draws, wantDraws) {
				t.Fatalf("%s %+v: draws\n%+v\nwant\n%+v", user, c, draws, wantDraws)
			}
			ids := []int64{}
			for i, d := range wantDraws {
				if i < c.draws.Size() {
					ids = append(ids, d.ID)
				}
			}
			wantTasks, err := store.TasksOfDraws(ctx, actor, ids, c.tasks)
			if err != nil {
				t.Fatal(err)
			}
			// TasksOfDraws orders by draw number, the list newest first.
			byDraw := func(rows []draw.TaskRow) map[int64][]draw.TaskRow {
				m := map[int64][]draw.TaskRow{}
				for _, r := range rows {
					m[r.DrawID] = append(m[r.DrawID], r)
				}
				return m
			}
			if got, want := byDraw(tasks), byDraw(wantTasks); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %+v: tasks\n%+v\nwant\n%+v", user, c, got, want)
			}
			if user == "wl-planner" && i == 0 && (len(draws) != 2 || len(tasks) != 4) {
				t.Fatalf("%+v: %d draws and %d tasks, want both draws and the executed one's 3 tasks and the one that says more follow", c, len(draws), len(tasks))
			}
			if user == "sj-planner" && (len(tasks) > 0) {
				t.Fatalf("another bureau read %d tasks", len(tasks))
			}
		}
	}
}
