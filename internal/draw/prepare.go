package draw

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// draft is a validated input in its sorted private form (the full manifest's inputs) with the
// indexes a draw looks things up in.
type draft struct {
	alg       string // params.algorithm: AlgorithmV1 or AlgorithmV2
	in        Input
	strata    []string // labels of params.strata, in byte order
	stratumOf []int32  // per frame row, the index of its stratum in strata
	excluded  []bool   // per frame row
	frame     []int    // per stratum, |N|: its frame rows
	eligible  []int    // per stratum, |E|: its rows not excluded
	// uncheckedRows is set when the frame's rows are left for commit to check as it seals them;
	// given is then the caller's frame, in which an invalid row is reported.
	uncheckedRows bool
	given         []FrameRow
}

// prepare validates in and returns its draft.
func prepare(in Input, needCeremony bool) (*draft, error) {
	if err := validate(&in, needCeremony); err != nil {
		return nil, err
	}
	d, err := sortAndIndex(in, &draft{})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// prepareToSeal is prepare for a caller that commits to the draft at once (Run, Commit): the
// frame's rows are checked by commit while it seals them, so that a million rows are read once,
// not twice. The error for an invalid input is the one prepare gives, whatever else is wrong.
func prepareToSeal(in Input, needCeremony bool) (*draft, error) {
	if err := validateHeader(&in, needCeremony); err != nil {
		return nil, err
	}
	d := &draft{uncheckedRows: true, given: in.Frame}
	if err := validateLists(&in); err != nil {
		return nil, d.frameRowsFirst(&in.Params, err)
	}
	d, err := sortAndIndex(in, d)
	if err != nil {
		return nil, d.frameRowsFirst(&in.Params, err)
	}
	return d, nil
}

// frameRowsFirst returns the error for an input found invalid by a later check when the frame's
// rows are not checked yet: an invalid frame row, if there is one, is reported first, as validate
// finds it first.
func (d *draft) frameRowsFirst(p *Params, later error) error {
	if d.uncheckedRows {
		if err := validateFrame(d.given, p); err != nil {
			return err
		}
	}
	return later
}

// sortAndIndex fills d from an input whose values are valid: the sorted form, the repeated ids,
// the exclusions and the strata. On an error it still returns d, for frameRowsFirst.
func sortAndIndex(in Input, d *draft) (*draft, error) {
	var frameDistinct bool
	d.alg = in.Params.Algorithm
	d.in, frameDistinct = sortedForm(in)
	if err := checkRepeats(in, d.in, frameDistinct); err != nil {
		return d, err
	}
	if err := d.markExclusions(in.Exclusions); err != nil {
		return d, err
	}
	d.countStrata()
	return d, nil
}

// sortedForm returns the lists of in sorted as the spec orders them, with every inspector's
// qualifications de-duplicated and sorted. The caller's slices are never modified; a frame already
// in order is shared rather than copied (see inIDOrder), and then its ids are known distinct.
func sortedForm(in Input) (out Input, frameDistinct bool) {
	out = in
	out.Frame, frameDistinct = inIDOrder(in.Frame)
	out.Exclusions = sortedClone(in.Exclusions, compareExclusions)
	out.Inspectors = sortedClone(in.Inspectors, compareInspectors)
	for i := range out.Inspectors {
		out.Inspectors[i].Qualifications = sortedSet(out.Inspectors[i].Qualifications)
	}
	out.Conflicts = sortedClone(in.Conflicts, compareConflicts)
	out.Params = withEmptyMaps(in.Params)
	return out, frameDistinct
}

func compareFrameRows(a, b FrameRow) int   { return strings.Compare(a.ID, b.ID) }
func compareExclusions(a, b Exclusion) int { return strings.Compare(a.ID, b.ID) }
func compareInspectors(a, b Inspector) int { return strings.Compare(a.ID, b.ID) }
func compareConflicts(a, b Conflict) int {
	return cmp.Or(strings.Compare(a.Inspector, b.Inspector), strings.Compare(a.Entity, b.Entity))
}

// inIDOrder returns frame itself when its ids are strictly increasing, as in a frame read with
// ORDER BY id COLLATE "C" from a table keyed by id, and a sorted copy otherwise. At a million rows
// the copy alone is 72 MB: a draw never writes to its frame, so sharing the caller's rows is safe.
// distinct reports that no id is repeated, which the strict order proves.
func inIDOrder(frame []FrameRow) (sorted []FrameRow, distinct bool) {
	if frame != nil && idsIncrease(frame) {
		return frame, true
	}
	return sortFrame(frame)
}

// idsIncrease reports whether every id of frame is below the next, comparing in parallel chunks:
// at a million rows this is a million string comparisons.
func idsIncrease(frame []FrameRow) bool {
	var disorder atomic.Bool
	inParallel(max(0, len(frame)-1), 16384, func(lo, hi int) {
		for i := lo; i < hi && !disorder.Load(); i++ {
			if frame[i].ID >= frame[i+1].ID {
				disorder.Store(true)
			}
		}
	})
	return !disorder.Load()
}

// sortedClone returns a sorted copy of rows, never nil. Rows already in order cost one pass
// instead of a sort.
func sortedClone[T any](rows []T, compare func(a, b T) int) []T {
	out := slices.Clone(rows)
	if out == nil {
		out = []T{}
	}
	if !slices.IsSortedFunc(out, compare) {
		slices.SortFunc(out, compare)
	}
	return out
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	if out == nil {
		return []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// withEmptyMaps turns absent maps into empty ones, so that the manifest shows {} even when it is
// encoded with encoding/json, which writes a nil map as null.
func withEmptyMaps(p Params) Params {
	if p.Strata == nil {
		p.Strata = map[string]Stratum{}
	}
	if p.Team == nil {
		p.Team = map[string]int{}
	}
	if p.RequiredQualifications == nil {
		p.RequiredQualifications = map[string][]string{}
	}
	return p
}

// checkRepeats refuses a repeated id (frame, exclusions, inspectors) or pair (conflicts). The
// frame's ids need no check when they are known distinct.
func checkRepeats(original, sorted Input, frameDistinct bool) error {
	frameID := func(r FrameRow) string { return r.ID }
	if !frameDistinct {
		if id, at, found := firstRepeat(sorted.Frame, original.Frame, frameID); found {
			return invalid("frame[%d].id: repeated id %q", at, id)
		}
	}
	exclusionID := func(x Exclusion) string { return x.ID }
	if id, at, found := firstRepeat(sorted.Exclusions, original.Exclusions, exclusionID); found {
		return invalid("exclusions[%d].id: repeated id %q", at, id)
	}
	inspectorID := func(in Inspector) string { return in.ID }
	if id, at, found := firstRepeat(sorted.Inspectors, original.Inspectors, inspectorID); found {
		return invalid("inspectors[%d].id: repeated id %q", at, id)
	}
	pair := func(c Conflict) Conflict { return c }
	if c, at, found := firstRepeat(sorted.Conflicts, original.Conflicts, pair); found {
		return invalid("conflicts[%d]: repeated pair (inspector %q, entity %q)", at, c.Inspector, c.Entity)
	}
	return nil
}

// firstRepeat finds a key that occurs twice in rows sorted by it, and the position of its second
// occurrence in the original list: the row the user can find in what they sent.
func firstRepeat[T any, K comparable](sorted, original []T, key func(T) K) (k K, at int, found bool) {
	for i := 1; i < len(sorted); i++ {
		if k = key(sorted[i]); k == key(sorted[i-1]) {
			seen := 0
			for j, r := range original {
				if key(r) == k {
					if seen++; seen == 2 {
						return k, j, true
					}
				}
			}
		}
	}
	return k, 0, false
}

// markExclusions flags the excluded frame rows and refuses an exclusion of an entity that is not
// in the frame. Both lists are sorted by id, so each exclusion is looked for from the row of the
// previous one, first in steps that double (nearby rows, nearby in memory) and then by binary
// search within the last step: ten thousand binary searches over a million rows, each probe a row
// and an id elsewhere in memory, took 20 ms on one CPU. Chunks of the exclusions are looked for in
// parallel; the first missing one in id order is reported, as a serial walk would.
func (d *draft) markExclusions(original []Exclusion) error {
	frame, exclusions := d.in.Frame, d.in.Exclusions
	d.excluded = make([]bool, len(frame))
	missing := make([]int, 0, 1) // per chunk that finds one, the position of its first
	var mu sync.Mutex
	inParallel(len(exclusions), 2048, func(lo, hi int) {
		from := 0
		for k := lo; k < hi; k++ {
			at, found := gallop(frame, from, exclusions[k].ID)
			if !found {
				mu.Lock()
				missing = append(missing, k)
				mu.Unlock()
				return
			}
			d.excluded[at] = true
			from = at
		}
	})
	if len(missing) == 0 {
		return nil
	}
	id := exclusions[slices.Min(missing)].ID
	at := slices.IndexFunc(original, func(o Exclusion) bool { return o.ID == id })
	return invalid("exclusions[%d].id: %q is not in the frame", at, id)
}

// gallop finds id in frame[from:], sorted by id, probing from+1, from+2, from+4, … until it passes
// id and then searching the last step in halves.
func gallop(frame []FrameRow, from int, id string) (at int, found bool) {
	lo, step := from, 1
	for lo+step < len(frame) && frame[lo+step].ID < id {
		lo += step
		step *= 2
	}
	hi := min(len(frame), lo+step+1)
	i, found := slices.BinarySearchFunc(frame[lo:hi], id, func(r FrameRow, id string) int { return strings.Compare(r.ID, id) })
	return lo + i, found
}

// countStrata finds each row's stratum and counts the strata's rows, in parallel chunks. A row
// names one of a few labels, so they are compared in turn rather than hashed into a map. A row
// whose stratum is not in params.strata counts in the first: such a draft is refused anyway.
func (d *draft) countStrata() {
	d.strata = sortedKeys(d.in.Params.Strata)
	d.frame = make([]int, len(d.strata))
	d.eligible = make([]int, len(d.strata))
	d.stratumOf = make([]int32, len(d.in.Frame))
	if len(d.strata) == 0 {
		return // every row is invalid, and commit refuses the draft
	}
	var mu sync.Mutex
	inParallel(len(d.in.Frame), 16384, func(lo, hi int) {
		frame, eligible := make([]int, len(d.strata)), make([]int, len(d.strata))
		for i := lo; i < hi; i++ {
			h := stratumIndex(d.strata, d.in.Frame[i].Stratum)
			d.stratumOf[i] = h
			frame[h]++
			if !d.excluded[i] {
				eligible[h]++
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for h := range d.strata {
			d.frame[h] += frame[h]
			d.eligible[h] += eligible[h]
		}
	})
}

func stratumIndex(labels []string, label string) int32 {
	for h, l := range labels {
		if l == label {
			return int32(h)
		}
	}
	return 0
}

// quota is the spec's n = min(|E|, max(min if |E| > 0 else 0, ceil(p·|N|/q))): the ratio applies
// to the whole stratum, exclusions only shrink the pool. s has passed validation.
func quota(s Stratum, frame, eligible int) int {
	p, q, _ := parseRatio(s.Ratio)
	// p ≤ q, so p·|N| < q·2^64 and the 128-bit quotient fits in 64 bits (it is at most |N|).
	hi, lo := bits.Mul64(p, uint64(frame))
	n, rem := bits.Div64(hi, lo, q)
	if rem > 0 {
		n++
	}
	floor := 0
	if eligible > 0 {
		floor = s.Min
	}
	return min(eligible, max(floor, int(n)))
}
