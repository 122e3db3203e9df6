package draw

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
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
}

func prepare(in Input, needCeremony bool) (*draft, error) {
	if err := validate(&in, needCeremony); err != nil {
		return nil, err
	}
	d := &draft{alg: in.Params.Algorithm, in: sortedForm(in)}
	if err := checkRepeats(in, d.in); err != nil {
		return nil, err
	}
	if err := d.markExclusions(in.Exclusions); err != nil {
		return nil, err
	}
	d.countStrata()
	return d, nil
}

// sortedForm returns the lists of in sorted as the spec orders them, with every inspector's
// qualifications de-duplicated and sorted. The caller's slices are never modified; a frame already
// in order is shared rather than copied (see inIDOrder).
func sortedForm(in Input) Input {
	out := in
	out.Frame = inIDOrder(in.Frame)
	out.Exclusions = sortedClone(in.Exclusions, compareExclusions)
	out.Inspectors = sortedClone(in.Inspectors, compareInspectors)
	for i := range out.Inspectors {
		out.Inspectors[i].Qualifications = sortedSet(out.Inspectors[i].Qualifications)
	}
	out.Conflicts = sortedClone(in.Conflicts, compareConflicts)
	out.Params = withEmptyMaps(in.Params)
	return out
}

func compareFrameRows(a, b FrameRow) int   { return strings.Compare(a.ID, b.ID) }
func compareExclusions(a, b Exclusion) int { return strings.Compare(a.ID, b.ID) }
func compareInspectors(a, b Inspector) int { return strings.Compare(a.ID, b.ID) }
func compareConflicts(a, b Conflict) int {
	return cmp.Or(strings.Compare(a.Inspector, b.Inspector), strings.Compare(a.Entity, b.Entity))
}

// inIDOrder returns frame itself when it is already in id order, as a frame read with ORDER BY
// id COLLATE "C" is, and a sorted copy otherwise. At a million rows the copy alone is 72 MB: a
// draw never writes to its frame, so sharing the caller's rows is safe.
func inIDOrder(frame []FrameRow) []FrameRow {
	if frame != nil && slices.IsSortedFunc(frame, compareFrameRows) {
		return frame
	}
	return sortedClone(frame, compareFrameRows)
}

// sortedClone returns a sorted copy of rows, never nil. Rows already in order (a frame read with
// ORDER BY id COLLATE "C") cost one pass instead of a sort.
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

// checkRepeats refuses a repeated id (frame, exclusions, inspectors) or pair (conflicts).
func checkRepeats(original, sorted Input) error {
	frameID := func(r FrameRow) string { return r.ID }
	if id, at, found := firstRepeat(sorted.Frame, original.Frame, frameID); found {
		return invalid("frame[%d].id: repeated id %q", at, id)
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

// markExclusions flags the excluded frame rows, merging the two lists sorted by id, and refuses an
// exclusion of an entity that is not in the frame.
func (d *draft) markExclusions(original []Exclusion) error {
	frame := d.in.Frame
	d.excluded = make([]bool, len(frame))
	i := 0
	for _, x := range d.in.Exclusions {
		for i < len(frame) && frame[i].ID < x.ID {
			i++
		}
		if i == len(frame) || frame[i].ID != x.ID {
			at := slices.IndexFunc(original, func(o Exclusion) bool { return o.ID == x.ID })
			return invalid("exclusions[%d].id: %q is not in the frame", at, x.ID)
		}
		d.excluded[i] = true
	}
	return nil
}

func (d *draft) countStrata() {
	d.strata = sortedKeys(d.in.Params.Strata)
	index := make(map[string]int32, len(d.strata))
	for i, label := range d.strata {
		index[label] = int32(i)
	}
	d.frame = make([]int, len(d.strata))
	d.eligible = make([]int, len(d.strata))
	d.stratumOf = make([]int32, len(d.in.Frame))
	for i, r := range d.in.Frame {
		h := index[r.Stratum]
		d.stratumOf[i] = h
		d.frame[h]++
		if !d.excluded[i] {
			d.eligible[h]++
		}
	}
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
