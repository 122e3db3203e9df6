package draw

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unsafe"
)

// The binary form of an Input is how a store keeps a frozen draw: a million-row frame as JSON
// took a second to decode at the ceremony, this form a few tens of milliseconds. It is private to
// this code base (the spec's form is JSON; see ParseInput) and never published.
//
//	magic "SSJD" 0x01
//	header: uvarint length, JSON of {params, nonce, row_key, ceremony}
//	dictionary: uvarint count, strings (strata, bureaus, units, reasons, qualifications,
//	            inspector ids); a string is uvarint length and its bytes
//	frame: uvarint count, uvarint total length of the ids, then per row its id front-coded
//	       against the previous row's (uvarint bytes shared, string of the rest), its stratum,
//	       and uvarint k: k > 0 (v2) is followed by k (bureau, unit) pairs, k = 0 (v1) by its unit
//	exclusions: uvarint count, per row id (string) and reason
//	inspectors: uvarint count, per row id, bureau, unit, uvarint count and qualifications
//	conflicts: uvarint count, per row inspector and entity (string)
//
// Every field written "as a dictionary entry" is a uvarint index into the dictionary.
var binaryMagic = []byte("SSJD\x01")

type binaryHeader struct {
	Params   Params `json:"params"`
	Nonce    string `json:"nonce"`
	RowKey   string `json:"row_key"`
	Ceremony string `json:"ceremony"`
}

// MarshalBinary encodes the input in its binary form. The rows are written first, numbering the
// repeated strings as they come (one map lookup each), and the dictionary is put before them.
func (in Input) MarshalBinary() ([]byte, error) {
	header, err := json.Marshal(binaryHeader{in.Params, in.Nonce, in.RowKey, in.Ceremony})
	if err != nil {
		return nil, err
	}
	w := &binWriter{buf: make([]byte, 0, 64+16*len(in.Frame)), index: map[string]int{}}
	w.frame(in.Frame)
	w.uint(len(in.Exclusions))
	for _, x := range in.Exclusions {
		w.string(x.ID)
		w.word(x.Reason)
	}
	w.uint(len(in.Inspectors))
	for _, i := range in.Inspectors {
		w.word(i.ID)
		w.word(i.Bureau)
		w.word(i.Unit)
		w.uint(len(i.Qualifications))
		for _, q := range i.Qualifications {
			w.word(q)
		}
	}
	w.uint(len(in.Conflicts))
	for _, c := range in.Conflicts {
		w.word(c.Inspector)
		w.string(c.Entity)
	}
	head := &binWriter{buf: append(make([]byte, 0, len(w.buf)+len(header)+64), binaryMagic...)}
	head.string(string(header))
	head.uint(len(w.words))
	for _, s := range w.words {
		head.string(s)
	}
	return append(head.buf, w.buf...), nil
}

// binWriter writes the binary form; words are the dictionary's strings, numbered by index.
type binWriter struct {
	buf   []byte
	words []string
	index map[string]int
}

// word writes s as its number in the dictionary, adding it when new.
func (w *binWriter) word(s string) {
	i, ok := w.index[s]
	if !ok {
		i = len(w.words)
		w.index[s] = i
		w.words = append(w.words, s)
	}
	w.uint(i)
}

func (w *binWriter) uint(n int) { w.buf = binary.AppendUvarint(w.buf, uint64(n)) }
func (w *binWriter) string(s string) {
	w.uint(len(s))
	w.buf = append(w.buf, s...)
}

func (w *binWriter) frame(frame []FrameRow) {
	total := 0
	for _, r := range frame {
		total += len(r.ID)
	}
	w.uint(len(frame))
	w.uint(total)
	previous := ""
	for _, r := range frame {
		w.frontCoded(previous, r.ID)
		previous = r.ID
		w.word(r.Stratum)
		w.uint(len(r.Units))
		if r.Units == nil {
			w.word(r.Unit)
		}
		for _, u := range r.Units {
			w.word(u.Bureau)
			w.word(u.Unit)
		}
	}
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// UnmarshalBinaryInput decodes the binary form. Strings share a few large allocations instead of
// one each; corrupt data is an error, never a panic.
func UnmarshalBinaryInput(data []byte) (in Input, err error) {
	if !bytes.HasPrefix(data, binaryMagic) {
		return Input{}, errors.New("binary input: not in the binary form")
	}
	r := &binReader{data: string(data[len(binaryMagic):])}
	var h binaryHeader
	if err := json.Unmarshal([]byte(r.string()), &h); r.err == nil && err != nil {
		return Input{}, fmt.Errorf("binary input: header: %w", err)
	}
	in.Params, in.Nonce, in.RowKey, in.Ceremony = h.Params, h.Nonce, h.RowKey, h.Ceremony
	word := r.dictionary()
	in.Frame = r.frame(word)
	in.Exclusions = make([]Exclusion, r.count(2))
	for i := range in.Exclusions {
		in.Exclusions[i] = Exclusion{ID: r.string(), Reason: word()}
	}
	in.Inspectors = make([]Inspector, r.count(4))
	for i := range in.Inspectors {
		x := Inspector{ID: word(), Bureau: word(), Unit: word()}
		x.Qualifications = make([]string, r.count(1))
		for q := range x.Qualifications {
			x.Qualifications[q] = word()
		}
		in.Inspectors[i] = x
	}
	in.Conflicts = make([]Conflict, r.count(2))
	for i := range in.Conflicts {
		in.Conflicts[i] = Conflict{Inspector: word(), Entity: r.string()}
	}
	if r.err == nil && r.pos != len(r.data) {
		r.fail("data after the conflicts")
	}
	if r.err != nil {
		return Input{}, r.err
	}
	return in, nil
}

// binReader reads the binary form; the first problem sticks and every later read returns zero.
type binReader struct {
	data string
	pos  int
	err  error
}

func (r *binReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("binary input: %s at byte %d", what, r.pos+len(binaryMagic))
	}
}

func (r *binReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	var n uint64
	for shift := 0; shift < 64; shift += 7 {
		if r.pos >= len(r.data) {
			r.fail("truncated data")
			return 0
		}
		b := r.data[r.pos]
		r.pos++
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return n
		}
	}
	r.fail("a number too large")
	return 0
}

// count reads a number of items that take at least minBytes each, refusing one that the rest of
// the data could not hold (so a corrupt count cannot ask for gigabytes).
func (r *binReader) count(minBytes int) int {
	n := r.uint()
	if n > uint64(len(r.data)-r.pos)/uint64(minBytes) {
		r.fail("a count larger than the data")
		return 0
	}
	return int(n)
}

func (r *binReader) string() string {
	n := r.uint()
	if n > uint64(len(r.data)-r.pos) {
		r.fail("truncated string")
		return ""
	}
	s := r.data[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

// dictionary reads the table of repeated strings (strata, units, bureaus, names) and returns
// the reader of one reference into it; a reference out of range fails r.
func (r *binReader) dictionary() (word func() string) {
	dict := make([]string, r.count(1))
	for i := range dict {
		dict[i] = r.string()
	}
	return func() string {
		if i := r.uint(); i < uint64(len(dict)) {
			return dict[i]
		}
		r.fail("a dictionary index out of range")
		return ""
	}
}

// frame decodes the frame rows, their ids rebuilt into one buffer. Rows with the same units share
// one Units slice (see unitSets).
func (r *binReader) frame(word func() string) []FrameRow {
	n := r.count(4)
	total := r.uint()
	if total > uint64(n)*uint64(len(r.data)) {
		r.fail("an implausible length of the frame's ids")
	}
	ids := newFrontCodedIDs(n, min(total, uint64(len(r.data))*8))
	frame := make([]FrameRow, n)
	sets := newUnitSets(n)
	for i := range frame {
		if !ids.read(r) {
			return nil
		}
		frame[i].Stratum = word()
		k := r.count(2)
		if k == 0 {
			frame[i].Unit = word()
			continue
		}
		frame[i].Units = sets.read(r, k, word)
	}
	ids.each(func(i int, id string) { frame[i].ID = id })
	return frame
}

// unitSets gives the rows' Units. A frame of a million rows names a few hundred distinct sets of
// (bureau, unit): rows whose sets are written with the same bytes share one slice, so that the
// frame holds no array of a million sets, two strings each, for the collector to scan at every
// cycle while the input lives. Past maxUnitSets distinct sets (a frame no county has) the rest
// are appended to one array, as before sets were shared.
type unitSets struct {
	seen  map[string]Units // by the bytes that encode the set
	pairs Units            // the sets not in seen, one after another
	read1 Units            // scratch for the set being read
}

const maxUnitSets = 4096

func newUnitSets(rows int) *unitSets {
	return &unitSets{seen: map[string]Units{}, pairs: make(Units, 0, min(rows, 1024))}
}

// read decodes a row's k (bureau, unit) pairs. Rows share the slice: nothing may modify it.
func (u *unitSets) read(r *binReader, k int, word func() string) Units {
	start := r.pos
	u.read1 = u.read1[:0]
	for range k {
		u.read1 = append(u.read1, UnitOf{Bureau: word(), Unit: word()})
	}
	key := r.data[start:r.pos]
	if set, ok := u.seen[key]; ok {
		return set
	}
	if len(u.seen) < maxUnitSets {
		set := slices.Clip(slices.Clone(u.read1))
		u.seen[key] = set
		return set
	}
	u.pairs = append(u.pairs, u.read1...)
	return u.pairs[len(u.pairs)-k : len(u.pairs) : len(u.pairs)]
}

// frontCoded writes id as the length it shares with the previous id and the rest: sorted ids
// share most of their bytes, so a million of them take a few megabytes.
func (w *binWriter) frontCoded(previous, id string) {
	shared := commonPrefix(previous, id)
	w.uint(shared)
	w.string(id[shared:])
}

// frontCodedIDs rebuilds ids written by frontCoded into one buffer, so that a million ids cost
// one string's allocation instead of a million.
type frontCodedIDs struct {
	buf      []byte
	ends     []int // where each id ends in buf
	previous int   // where the last id read starts in buf
}

func newFrontCodedIDs(n int, bytes uint64) *frontCodedIDs {
	return &frontCodedIDs{buf: make([]byte, 0, bytes), ends: make([]int, 0, n)}
}

// read reads the next id, reporting false (and r's error) when it is malformed.
func (f *frontCodedIDs) read(r *binReader) bool {
	shared := r.uint()
	rest := r.string()
	if r.err != nil {
		return false
	}
	if shared > uint64(len(f.buf)-f.previous) {
		r.fail("a shared prefix longer than the previous id")
		return false
	}
	start := len(f.buf)
	f.buf = append(f.buf, f.buf[f.previous:f.previous+int(shared)]...)
	f.buf = append(f.buf, rest...)
	f.ends = append(f.ends, len(f.buf))
	f.previous = start
	return true
}

// each gives the ids read, in order, as strings sharing one allocation: f's buffer, which is not
// written again, rather than a copy of it (18 MB at a million rows). A buffer much larger than
// its ids (a total in the data above their real length) is copied, so as not to keep the rest.
func (f *frontCodedIDs) each(use func(i int, id string)) {
	all := unsafe.String(unsafe.SliceData(f.buf), len(f.buf))
	if cap(f.buf)-len(f.buf) > len(f.buf)/8 {
		all = string(f.buf)
	}
	f.buf = nil
	start := 0
	for i, end := range f.ends {
		use(i, all[start:end])
		start = end
	}
}
