package draw

import (
	"slices"
	"unsafe"
)

// rowChecker tells whether frame rows are valid (validateFrameRow finds no error) at a fraction of
// that function's cost, for the pass that seals a million rows. A row names a few distinct
// strata, bureaus and units among a million rows: a stratum or bureau equal to one of params'
// (whose text validateParams checked) needs no check of its own, and a unit string already found
// valid is remembered by its address, which the rows of a stored input share (its strings come
// from one dictionary). An id of printable ASCII, as every 统一社会信用代码 is, is checked eight
// bytes at a time. Anything else goes to validateFrameRow, so the answer is always its answer.
// Each goroutine uses its own.
type rowChecker struct {
	params  *Params
	v1      bool
	strata  []string // params.strata's labels
	bureaus []string // params.team's bureaus
	units   [unitCacheSize]string
}

// unitCacheSize is how many valid unit strings a checker remembers, by address: a county has a
// few dozen units per bureau.
const unitCacheSize = 64

func newRowChecker(p *Params) *rowChecker {
	return &rowChecker{params: p, v1: p.Algorithm == AlgorithmV1, strata: sortedKeys(p.Strata), bureaus: sortedKeys(p.Team)}
}

// valid reports whether the row at i is valid.
func (c *rowChecker) valid(i int, r FrameRow) bool {
	return c.quick(r) || validateFrameRow(i, r, c.params) == nil
}

// quick reports true only for a valid row; false means "check it in full".
func (c *rowChecker) quick(r FrameRow) bool {
	if !printableASCII(r.ID) || !slices.Contains(c.strata, r.Stratum) {
		return false
	}
	if c.v1 {
		return r.Units == nil && c.knownUnit(r.Unit)
	}
	if len(r.Units) == 0 || r.Unit != "" {
		return false
	}
	for _, u := range r.Units {
		if !slices.Contains(c.bureaus, u.Bureau) || !c.knownUnit(u.Unit) {
			return false
		}
	}
	return true
}

// knownUnit reports whether unit holds no forbidden character, remembering it when it does not.
func (c *rowChecker) knownUnit(unit string) bool {
	if unit == "" {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(unit)))
	slot := &c.units[(p>>3^uintptr(len(unit)))%unitCacheSize]
	if unsafe.StringData(*slot) == unsafe.StringData(unit) && len(*slot) == len(unit) {
		return true
	}
	if _, bad := forbiddenRune(unit); bad {
		return false
	}
	*slot = unit
	return true
}

// printableASCII reports whether every byte of s is in 0x20–0x7e: such a string holds no
// character the spec forbids and is valid UTF-8. It reads s eight bytes at a time.
func printableASCII(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// No byte has its high bit (so none is 0x80 or more and adding 1 carries nowhere), none
		// becomes 0x80 by adding 1 (0x7f, DEL), and none borrows when 0x20 is taken away (a C0
		// control): the last test is exact once the high bits are known clear.
		if w&highs != 0 || (w+ones)&highs != 0 || (w-0x20*ones)&^w&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
