package draw

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The binary form gives back the input it was made from: the same canonical JSON, for every
// vector of both versions and for a synthetic frame of either version.
func TestBinaryFormRoundTrip(t *testing.T) {
	inputs := map[string]Input{}
	for _, v := range drawVectors(t) {
		inputs[v.Name] = v.input(t)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	inputs["synthetic v2"] = syntheticInput(rng, shape{rows: 3000, inspectors: 50, conflicts: 100, bureaus: 2})
	inputs["synthetic v1"] = syntheticInput(rng, shape{rows: 3000, inspectors: 50, conflicts: 100, bureaus: 2, v1: true})
	inputs["empty"] = Input{}
	for name, in := range inputs {
		data, err := in.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := UnmarshalBinaryInput(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := canonicalOrFatal(t, in); !bytes.Equal(canonicalOrFatal(t, got), want) {
			t.Errorf("%s: the round trip changed the input:\n got %s\nwant %s", name, canonicalOrFatal(t, got), want)
		}
	}
}

// Every truncation of a valid binary form is refused with an error, never a panic.
func TestBinaryFormTruncated(t *testing.T) {
	in := syntheticInput(rand.New(rand.NewPCG(33, 34)), shape{rows: 40, inspectors: 6, conflicts: 5, bureaus: 2})
	data, _ := in.MarshalBinary()
	for n := range len(data) {
		if _, err := UnmarshalBinaryInput(data[:n]); err == nil {
			t.Fatalf("a form cut at byte %d of %d was accepted", n, len(data))
		}
	}
}

// FuzzUnmarshalBinaryInput: corrupt data is an error or an input, never a panic or a huge
// allocation; what decodes encodes again to the same bytes' meaning.
func FuzzUnmarshalBinaryInput(f *testing.F) {
	for _, rows := range []int{0, 3, 20} {
		in := syntheticInput(rand.New(rand.NewPCG(35, uint64(rows))), shape{rows: rows, inspectors: 4, conflicts: 2, bureaus: 2})
		data, _ := in.MarshalBinary()
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := UnmarshalBinaryInput(data)
		if err != nil {
			return
		}
		again, err := in.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalBinaryInput(again)
		if err != nil {
			t.Fatalf("re-encoded input refused: %v", err)
		}
		if !bytes.Equal(canonicalOrFatal(t, back), canonicalOrFatal(t, in)) {
			t.Fatal("re-encoding changed the input")
		}
	})
}

// Rows with the same units share one Units slice once decoded, and a frame with more distinct sets
// than are shared still round-trips: the sets past maxUnitSets go to one array of their own.
func TestBinaryFormSharesUnitSets(t *testing.T) {
	var in Input
	for i := range maxUnitSets + 100 {
		in.Frame = append(in.Frame,
			FrameRow{ID: fmt.Sprintf("A%06d", i), Stratum: "A", Units: Units{{"b1", "u1"}, {"b2", "u2"}}},
			FrameRow{ID: fmt.Sprintf("B%06d", i), Stratum: "A", Units: Units{{"b1", fmt.Sprint("unit ", i)}}})
	}
	data, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalBinaryInput(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := canonicalOrFatal(t, in); !bytes.Equal(canonicalOrFatal(t, got), want) {
		t.Fatal("the round trip changed the input")
	}
	first, last := got.Frame[0].Units, got.Frame[len(got.Frame)-2].Units
	if unsafe.SliceData(first) != unsafe.SliceData(last) {
		t.Error("rows with the same units do not share them")
	}
	for _, r := range got.Frame {
		if cap(r.Units) != len(r.Units) {
			t.Fatalf("row %s: units with room to grow (%d of %d): an append would write into another row's", r.ID, len(r.Units), cap(r.Units))
		}
	}
}
