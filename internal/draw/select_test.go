package draw

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLowestTicketsWhateverTheCutoffs: the picks taken per stratum are the quota's worth of lowest
// tickets of every eligible row, with the cutoffs computed, with cutoffs so low that every stratum
// falls short and is drawn again keeping all, and with no cutoff at all.
func TestLowestTicketsWhateverTheCutoffs(t *testing.T) {
	in := syntheticInput(rand.New(rand.NewPCG(3, 4)), bigCounty(50_000))
	d, err := prepare(in, true)
	if err != nil {
		t.Fatal(err)
	}
	seed := Digest{1, 2, 3}
	quotas := make([]int, len(d.strata))
	for h, label := range d.strata {
		quotas[h] = quota(d.in.Params.Strata[label], d.frame[h], d.eligible[h])
	}
	lowestOf := func(kept [][]pick) [][]pick {
		for h := range kept {
			slices.SortFunc(kept[h], pick.compare)
			kept[h] = kept[h][:quotas[h]]
		}
		return kept
	}
	all := make([]uint64, len(quotas))
	for h := range all {
		all[h] = math.MaxUint64
	}
	want := lowestOf(d.ticketsUpTo(seed, all))
	taken := 0
	for h := range want {
		taken += len(want[h])
	}
	if taken < 1000 {
		t.Fatalf("only %d picks in all: the test draws too little", taken)
	}
	for name, got := range map[string][][]pick{
		"computed cutoffs":    lowestOf(d.lowestTickets(seed, quotas)),
		"every stratum short": lowestOf(d.lowestTicketsBelow(seed, quotas, make([]uint64, len(quotas)))),
	} {
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: picks differ from the lowest of all tickets", name)
		}
	}
}

// TestMarkExclusionsInChunks: ten thousand exclusions are looked for in parallel chunks; every
// one is flagged, and of two missing ones in different chunks the first in id order is reported,
// by its place in the list as given.
func TestMarkExclusionsInChunks(t *testing.T) {
	frame := make([]FrameRow, 30_000)
	for i := range frame {
		frame[i].ID = fmt.Sprintf("ID%06d", i)
	}
	var exclusions []Exclusion
	for i := 0; i < len(frame); i += 3 {
		exclusions = append(exclusions, Exclusion{ID: frame[i].ID})
	}
	d := &draft{in: Input{Frame: frame, Exclusions: exclusions}}
	if err := d.markExclusions(exclusions); err != nil {
		t.Fatal(err)
	}
	for i, x := range d.excluded {
		if x != (i%3 == 0) {
			t.Fatalf("row %d: excluded = %v", i, x)
		}
	}
	missing := slices.Clone(exclusions)
	missing[9000].ID = "ID027000x" // in a late chunk
	missing[1200].ID = "ID003600x" // in the first chunk, first in id order
	given := slices.Clone(missing)
	slices.Reverse(given)
	d = &draft{in: Input{Frame: frame, Exclusions: missing}}
	err := d.markExclusions(given)
	want := fmt.Sprintf(`exclusions[%d].id: "ID003600x" is not in the frame`, len(given)-1-1200)
	if err == nil || err.Error() != "invalid_input: "+want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
