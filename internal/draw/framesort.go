package draw

import (
	"cmp"
	"encoding/binary"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// sortFrame returns a copy of frame sorted by id, never nil, and whether its ids are distinct. Sorting a million rows of 72 bytes
// by ids that lie elsewhere in memory cost over a second: every comparison chased two pointers
// and every move copied two rows. Instead each row gets a key holding its id's first 16 bytes as
// two integers, the keys are sorted (in parallel halves, then merged) and the rows are copied
// once, in the keys' order. Ids that agree on their first 16 bytes are compared whole, then by
// position, so equal ids (which the draw refuses) still sort the same way every time. Repeated
// ids are looked for in the sorted keys too: only neighbours equal on 16 bytes are compared whole.
func sortFrame(frame []FrameRow) (sorted []FrameRow, distinct bool) {
	keys := make([]idKey, len(frame))
	inParallel(len(frame), 16384, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			keys[i] = newIDKey(frame[i].ID, int32(i))
		}
	})
	compare := func(a, b idKey) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		return cmp.Or(strings.Compare(frame[a.row].ID, frame[b.row].ID), cmp.Compare(a.row, b.row))
	}
	keys = sortInHalves(keys, compare)
	distinct = true
	for i := 1; i < len(keys) && distinct; i++ {
		a, b := keys[i-1], keys[i]
		distinct = a.hi != b.hi || a.lo != b.lo || frame[a.row].ID != frame[b.row].ID
	}
	sorted = make([]FrameRow, len(frame))
	inParallel(len(frame), 16384, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sorted[i] = frame[keys[i].row]
		}
	})
	return sorted, distinct
}

// idKey orders a frame row by its id's first 16 bytes, zero-padded, as big-endian integers: where
// two keys differ, their ids differ in the same order (a shorter id padded with zeros sorts before
// the longer ids it begins), and where they are equal the ids must be compared whole.
type idKey struct {
	hi, lo uint64
	row    int32
}

func newIDKey(id string, row int32) idKey {
	var b [16]byte
	copy(b[:], id)
	return idKey{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), row: row}
}

// sortInHalves sorts keys, each half on its own CPU when there are two, and returns them sorted
// (in a new slice when the halves were merged).
func sortInHalves(keys []idKey, compare func(a, b idKey) int) []idKey {
	if runtime.GOMAXPROCS(0) < 2 || len(keys) < 1<<15 {
		slices.SortFunc(keys, compare)
		return keys
	}
	left, right := keys[:len(keys)/2], keys[len(keys)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(left, compare) })
	slices.SortFunc(right, compare)
	wg.Wait()
	merged := make([]idKey, 0, len(keys))
	for len(left) > 0 && len(right) > 0 {
		if compare(right[0], left[0]) < 0 {
			merged, right = append(merged, right[0]), right[1:]
		} else {
			merged, left = append(merged, left[0]), left[1:]
		}
	}
	return append(append(merged, left...), right...)
}
