package postgres

import (
	"fmt"
	"slices"
	"strings"
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
			if err := b.addRow(frameRowText(r.active, r.stratum, r.id, r.bureau, "u-"+r.bureau)); err != nil {
				t.Fatal(err)
			}
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

// frameRowText is a row as frameRowSQL writes it.
func frameRowText(active bool, stratum, id, bureau, unit string) []byte {
	a := "f"
	if active {
		a = "t"
	}
	return []byte(a + stratum + string(rune(len(id)+1)) + string(rune(len(bureau)+1)) + id + bureau + unit)
}

// TestSplitFrameRow: rows are split back into what was written, whatever
// the unit holds and however long the id and bureau code (a length over
// 126 is a character of two bytes), and a row that is not of
// frameRowSQL is an error.
func TestSplitFrameRow(t *testing.T) {
	long := strings.Repeat("长", 100) // 300 bytes
	for _, c := range []struct {
		active                    bool
		stratum, id, bureau, unit string
	}{
		{true, "A", "91140522000000001X", "140522-wl", "第3中队"},
		{false, "F", long, long + "b", "\t\x00 'unit' \u0001 " + long},
		{true, "B", "E", "b", ""},
	} {
		active, stratum, id, bureau, unit, err := splitFrameRow(frameRowText(c.active, c.stratum, c.id, c.bureau, c.unit))
		if err != nil || active != c.active || string(stratum) != c.stratum || string(id) != c.id || string(bureau) != c.bureau || string(unit) != c.unit {
			t.Errorf("%+v split as %v %q %q %q %q, %v", c, active, stratum, id, bureau, unit, err)
		}
	}
	for _, bad := range []string{"", "tA", "xA\x02\x02ab", "tA\x09\x02ab", "tA\x00\x02ab"} {
		if _, _, _, _, _, err := splitFrameRow([]byte(bad)); err == nil {
			t.Errorf("%q split without an error", bad)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
