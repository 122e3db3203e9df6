package draw

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSortFrameSortsByID holds sortFrame to a plain sort of the rows by id, over ids that share
// 16 bytes and more, ids that are prefixes of others, zero bytes (a padded key cannot tell "ab"
// from "ab\x00"), repeated ids or none, and sizes on both sides of the parallel halves; and its
// report of repeated ids to a look at the sorted rows.
func TestSortFrameSortsByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"\x00", "0", "9", "A", "Z", "\xff", "统"}
	randomID := func() string {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString("91140522ABCDEF01") // 16 shared bytes
		}
		for range rng.IntN(20) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for _, n := range []int{0, 1, 2, 100, 1<<15 + 3, 100_000, -100, -(1<<15 + 3)} {
		repeats := n > 0 // a negative n: that many rows, none repeated on purpose
		n = max(n, -n)
		frame := make([]FrameRow, n)
		seen := map[string]bool{}
		for i := range frame {
			frame[i] = FrameRow{ID: randomID(), Stratum: strconv.Itoa(i)} // the stratum tells rows apart
			for !repeats && seen[frame[i].ID] {
				frame[i].ID = randomID()
			}
			seen[frame[i].ID] = true
			if repeats && i > 0 && rng.IntN(50) == 0 {
				frame[i].ID = frame[rng.IntN(i)].ID
			}
		}
		original := slices.Clone(frame)
		got, distinct := sortFrame(frame)
		sameRow := func(a, b FrameRow) bool { return a.ID == b.ID && a.Stratum == b.Stratum }
		if got == nil || !slices.EqualFunc(frame, original, sameRow) {
			t.Fatalf("%d rows: sortFrame returned nil or modified its argument", n)
		}
		want := slices.SortedStableFunc(slices.Values(frame), compareFrameRows)
		if !slices.EqualFunc(got, want, func(a, b FrameRow) bool { return a.ID == b.ID }) {
			t.Fatalf("%d rows: not in id order", n)
		}
		repeated := false
		for i := 1; i < n; i++ {
			repeated = repeated || want[i].ID == want[i-1].ID
		}
		if distinct == repeated {
			t.Fatalf("%d rows: distinct is %v, want %v", n, distinct, !repeated)
		}
		if !slices.Equal(sortedStrata(got), sortedStrata(frame)) {
			t.Fatalf("%d rows: the rows are not the frame's, each once", n)
		}
	}
}

func sortedStrata(frame []FrameRow) []string {
	s := make([]string, len(frame))
	for i, r := range frame {
		s[i] = r.Stratum
	}
	slices.Sort(s)
	return s
}
