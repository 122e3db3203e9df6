package postgres

import (
	"fmt"
	"slices"
	"testing"

	"shuangsuiji/internal/draw"
)

// TestFrameBuilder: the frame built from rows as they come is the frame
// in byte order of the ids, an entity's rows of several bureaus merged
// (its units in bureau order, its higher stratum, active when active in
// one roster), whether the rows came in byte order (draw_frame(), sorted,
// or a roster's index under C.UTF-8) or in another collation's order, and
// over more rows than a chunk holds.
func TestFrameBuilder(t *testing.T) {
	type row struct {
		id, stratum, bureau string
		active              bool
	}
	var rows []row
	for i := range frameChunk + 10 {
		rows = append(rows, row{fmt.Sprintf("E%07d", i), "A", "wl", i%3 != 0})
	}
	rows[5] = row{"E0000004", "F", "sj", true} // E0000004's second bureau, rated F by it
	rows[6] = row{"E0000004", "C", "zz", false}
	want := map[string]draw.FrameRow{}
	wantActive := map[string]bool{}
	for _, r := range rows {
		w := want[r.id]
		w.ID, w.Stratum = r.id, higherStratum(cmpOr(w.Stratum, r.stratum), r.stratum)
		w.Units = append(w.Units, draw.UnitOf{Bureau: r.bureau, Unit: "u-" + r.bureau})
		want[r.id] = w
		wantActive[r.id] = wantActive[r.id] || r.active
	}
	build := func(rows []row, size int) ([]draw.FrameRow, []bool) {
		b := frameBuilder{size: size}
		for _, r := range rows {
			b.add(r.id, r.stratum, draw.UnitOf{Bureau: r.bureau, Unit: "u-" + r.bureau}, r.active)
		}
		frame, active := b.done()
		if !b.sorted {
			sortFrame(frame, active)
		}
		return frame, active
	}
	reversed := slices.Clone(rows[7:]) // one row an entity, as a single roster's are
	slices.Reverse(reversed)
	for name, c := range map[string]struct {
		rows []row
		size int
	}{
		"in byte order":                 {rows, 0},
		"in another order":              {reversed, 0},
		"as many as expected":           {rows, len(rows) - 2},
		"more than expected":            {rows, frameChunk / 2},
		"far fewer than expected":       {rows, 10 * len(rows)},
		"in another order, as expected": {reversed, len(reversed)},
	} {
		in := c.rows
		t.Run(name, func(t *testing.T) {
			frame, active := build(in, c.size)
			ids := map[string]bool{}
			for _, r := range in {
				ids[r.id] = true
			}
			if len(frame) != len(ids) || len(active) != len(frame) {
				t.Fatalf("%d rows and %d activities for %d entities", len(frame), len(active), len(ids))
			}
			for i, r := range frame {
				if i > 0 && frame[i-1].ID >= r.ID {
					t.Fatalf("row %d: %s after %s", i, r.ID, frame[i-1].ID)
				}
				w := want[r.ID]
				if r.Stratum != w.Stratum || !slices.Equal(r.Units, w.Units) || active[i] != wantActive[r.ID] {
					t.Fatalf("row %d = %+v active %v, want %+v active %v", i, r, active[i], w, wantActive[r.ID])
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
