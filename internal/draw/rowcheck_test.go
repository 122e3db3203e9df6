package draw

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPrintableASCIIAgreesBytewise holds the eight-bytes-at-a-time check to the plain definition
// on strings of every length up to 40 with one byte of every value at every place.
func TestPrintableASCIIAgreesBytewise(t *testing.T) {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return false
			}
		}
		return true
	}
	checked := 0
	for n := 0; n <= 40; n++ {
		base := []byte(strings.Repeat("9", n))
		if !printableASCII(string(base)) {
			t.Fatalf("printableASCII(%q) = false", base)
		}
		for at := range n {
			for c := range 256 {
				s := []byte(string(base))
				s[at] = byte(c)
				if got, want := printableASCII(string(s)), plain(string(s)); got != want {
					t.Fatalf("printableASCII(%q) = %v, want %v", s, got, want)
				}
				checked++
			}
		}
	}
	if checked < 200_000 {
		t.Fatalf("only %d strings checked", checked)
	}
}

// TestRowCheckerAgreesWithValidateFrameRow: the checker's quick answers must be validateFrameRow's
// for rows valid and invalid in every field, under both algorithms, with units shared by address
// (as a stored input's are) and units of their own.
func TestRowCheckerAgreesWithValidateFrameRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	texts := []string{"", "第1所", "第2所", "A", "x\x01", "bad\u2028", "\xff\xfe", "91350100M000100Y43", "91350100M0001\x7f0Y4", "重点", "ok"}
	pick := func() string {
		if rng.IntN(3) == 0 {
			return strings.Clone(texts[rng.IntN(len(texts))]) // a string of its own address
		}
		return texts[rng.IntN(len(texts))]
	}
	params := []Params{
		{Algorithm: AlgorithmV2, Strata: map[string]Stratum{"A": {}, "重点": {}}, Team: map[string]int{"ok": 1, "第1所": 2}},
		{Algorithm: AlgorithmV1, Strata: map[string]Stratum{"A": {}, "ok": {}}, Team: map[string]int{"ok": 1}},
	}
	valid, invalidRows := 0, 0
	for _, p := range params {
		check := newRowChecker(&p)
		for i := range 20_000 {
			r := FrameRow{ID: pick(), Stratum: pick()}
			switch rng.IntN(3) {
			case 0:
				r.Unit = pick()
			case 1:
				r.Units = Units{}
				for range rng.IntN(3) {
					r.Units = append(r.Units, UnitOf{Bureau: pick(), Unit: pick()})
				}
			default:
				r.Unit, r.Units = pick(), Units{{Bureau: pick(), Unit: pick()}}
			}
			want := validateFrameRow(i, r, &p) == nil
			if got := check.valid(i, r); got != want {
				t.Fatalf("%s row %+v: valid = %v, validateFrameRow says %v", p.Algorithm, r, got, want)
			}
			if want {
				valid++
			} else {
				invalidRows++
			}
		}
	}
	if valid < 500 || invalidRows < 500 {
		t.Fatalf("too few of a kind: %d valid, %d invalid rows", valid, invalidRows)
	}
}
