package draw

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"runtime"
	"slices"
	"sync/atomic"
)

// Digest is a SHA-256 digest: a hash of the spec, a salt, a commitment, the seed or a ticket. In
// JSON it is 64 lowercase hex characters. Digests compare as unsigned big-endian integers, which is
// also the order of their hex forms.
type Digest [sha256.Size]byte

// String returns the lowercase hex form.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText returns the lowercase hex form.
func (d Digest) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, d[:]), nil }

// UnmarshalText accepts exactly 64 lowercase hex characters: any other spelling of the same
// number would print differently, and published documents must reproduce byte for byte.
func (d *Digest) UnmarshalText(text []byte) error {
	if !isLowerHex64(string(text)) {
		return fmt.Errorf("%q is not 64 lowercase hex characters", text)
	}
	_, err := hex.Decode(d[:], text)
	return err
}

func (d Digest) compare(e Digest) int { return bytes.Compare(d[:], e[:]) }

// appendHex appends d's lowercase hex form, two digits a byte from one table: a million-row draw
// writes three million digests in hex (salts into commitments, commitments into the public lines),
// and encoding/hex looks each digit up on its own.
func appendHex(b []byte, d Digest) []byte {
	b = slices.Grow(b, 2*len(d))
	for _, c := range d {
		pair := hexPairs[c]
		b = append(b, pair[0], pair[1])
	}
	return b
}

// hexPairs holds each byte's two lowercase hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0xf]}
	}
	return t
}()

func isLowerHex64(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// framedHash computes the spec's H(f1, …, fn): SHA-256 over each field's byte length (4 bytes,
// big-endian) followed by its bytes.
//
// Most hashes of a draw begin with the same fields (ALG+" salt" and the row key; "entity" and the
// seed; "inspector", the seed and one entity), so a framedHash is built with those shared fields
// and compresses their whole 64-byte blocks once; every hash then compresses only the blocks that
// hold its own fields. A draw of a million rows computes some four million such hashes of one to
// three blocks each. crypto/sha256 can only resume from a saved state by unmarshalling it, which
// cost more than a block per hash, so on x86-64 with SHA-NI the blocks go straight to the
// compression function (compress_amd64.s); elsewhere each message is hashed whole with
// crypto/sha256. It is not safe for concurrent use; each goroutine builds its own.
type framedHash struct {
	state  [8]uint32 // SHA-256 state after the shared fields' whole blocks
	shared []byte    // the shared fields, framed
	whole  int       // length of shared's whole blocks
	// buf holds shared[whole:] and then the fields added since the last sum: the message's last
	// blocks, which sum pads and compresses.
	buf  []byte
	full hash.Hash // without SHA-NI: hashes shared and buf whole
	out  []byte    // full's digest, which would escape to the heap if it were d
}

func newFramedHash(shared ...string) *framedHash {
	f := &framedHash{}
	if !useSHANI {
		f.full = sha256.New()
	}
	f.share(shared...)
	return f
}

// sha256Init is SHA-256's initial state (FIPS 180-4, 5.3.3).
var sha256Init = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// sha256Padding starts every message's padding: a 1 bit, then zeros.
var sha256Padding = [sha256.BlockSize]byte{0x80}

// share sets the fields every following hash starts with.
func (f *framedHash) share(fields ...string) {
	f.buf = f.buf[:0]
	for _, s := range fields {
		f.field(s)
	}
	f.shared = append(f.shared[:0], f.buf...)
	f.whole = len(f.shared) &^ (sha256.BlockSize - 1)
	f.state = sha256Init
	if useSHANI {
		compressSHANI(&f.state, f.shared[:f.whole])
	}
	f.buf = append(f.buf[:0], f.shared[f.whole:]...)
}

// field adds one field to the hash being built.
func (f *framedHash) field(s string) {
	f.buf = binary.BigEndian.AppendUint32(f.buf, uint32(len(s)))
	f.buf = append(f.buf, s...)
}

// hexField adds d's lowercase hex form as one field: the spec chains hashes through their hex.
func (f *framedHash) hexField(d Digest) {
	f.buf = binary.BigEndian.AppendUint32(f.buf, 2*sha256.Size)
	f.buf = appendHex(f.buf, d)
}

// framed adds bytes that already hold a length and a field, prepared once by frameField.
func (f *framedHash) framed(b []byte) { f.buf = append(f.buf, b...) }

// openField starts a field whose bytes the caller appends to f.buf; closeField writes its length.
func (f *framedHash) openField() int {
	f.buf = append(f.buf, 0, 0, 0, 0)
	return len(f.buf)
}

func (f *framedHash) closeField(start int) {
	binary.BigEndian.PutUint32(f.buf[start-4:], uint32(len(f.buf)-start))
}

// sum returns H(shared fields, fields added since the last sum) and starts the next hash.
func (f *framedHash) sum() (d Digest) {
	if !useSHANI {
		f.full.Reset()
		f.full.Write(f.shared[:f.whole])
		f.full.Write(f.buf)
		f.out = f.full.Sum(f.out[:0])
		copy(d[:], f.out)
		f.restart()
		return d
	}
	f.pad()
	state := f.state
	compressSHANI(&state, f.buf)
	f.restart()
	return digestOf(&state)
}

// sumPair is f.sum() and g.sum(), computed together: when the two messages have as many blocks,
// as rows of one list do, they go through the compression function at once, which costs little
// more than one of them (see compress2SHANI).
func sumPair(f, g *framedHash) (Digest, Digest) {
	if !useSHANI {
		return f.sum(), g.sum()
	}
	f.pad()
	g.pad()
	fState, gState := f.state, g.state
	if len(f.buf) == len(g.buf) {
		compress2SHANI(&fState, &gState, f.buf, g.buf)
	} else {
		compressSHANI(&fState, f.buf)
		compressSHANI(&gState, g.buf)
	}
	f.restart()
	g.restart()
	return digestOf(&fState), digestOf(&gState)
}

// pad ends the message in buf with SHA-256's padding (FIPS 180-4, 5.1.1): a 1 bit, zeros up to
// 56 bytes into a block, and the message's length in bits.
func (f *framedHash) pad() {
	bits := uint64(f.whole+len(f.buf)) * 8
	zeros := (sha256.BlockSize + 55 - len(f.buf)%sha256.BlockSize) % sha256.BlockSize
	f.buf = append(f.buf, sha256Padding[:1+zeros]...)
	f.buf = binary.BigEndian.AppendUint64(f.buf, bits)
}

// restart makes buf hold the shared fields' last partial block again, for the next hash.
func (f *framedHash) restart() { f.buf = append(f.buf[:0], f.shared[f.whole:]...) }

func digestOf(state *[8]uint32) (d Digest) {
	for i, word := range state {
		binary.BigEndian.PutUint32(d[4*i:], word)
	}
	return d
}

// frameField returns s framed as a field, for a value added to many hashes.
func frameField(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

// hashLines returns the SHA-256 of rows as JSON Lines, each row canonical and followed by "\n"
// (the empty list hashes the empty string).
func hashLines[T any](rows []T, appendRow func([]byte, T) []byte) Digest {
	return hashEncoded(len(rows), runtime.GOMAXPROCS(0), linesOf(rows, appendRow))
}

// linesOf makes encoders of rows as JSON Lines, for hashEncoded.
func linesOf[T any](rows []T, appendRow func([]byte, T) []byte) func() segmentEncoder {
	return func() segmentEncoder {
		return func(buf []byte, lo, hi int) []byte { return appendLines(buf, rows[lo:hi], appendRow) }
	}
}

// lineSegment is how many rows one encoded segment holds, and lineBytes the room a buffer starts
// with per row: a frame line is some 110 bytes, so a segment's buffer never grows.
const (
	lineSegment = 8192
	lineBytes   = 128
)

func appendLines[T any](buf []byte, rows []T, appendRow func([]byte, T) []byte) []byte {
	for _, r := range rows {
		buf = append(appendRow(buf, r), '\n')
	}
	return buf
}

// segmentEncoder appends the bytes of rows [lo, hi) to buf and returns it. It may also write
// results of its own for those rows (sealFrame stores their commitments).
type segmentEncoder func(buf []byte, lo, hi int) []byte

// hashEncoded returns the SHA-256 of the bytes encoders produce for n rows, segment after segment.
// The hash is one sequential stream but the encoding is not: with more than one worker, segments
// are encoded on every CPU, each worker with its own encoder from newEncoder, while this goroutine
// hashes the finished segments in order (at a million frame rows the encoding is most of the
// work). Either way no buffer holds more than a segment.
func hashEncoded(n, workers int, newEncoder func() segmentEncoder) Digest {
	h := sha256.New()
	if workers > 1 && n > 2*lineSegment {
		hashSegments(h, n, workers, newEncoder)
	} else {
		encode := newEncoder()
		buf := make([]byte, 0, min(n, lineSegment)*lineBytes)
		for lo := 0; lo < n; lo += lineSegment {
			buf = encode(buf[:0], lo, min(n, lo+lineSegment))
			h.Write(buf)
		}
	}
	var d Digest
	h.Sum(d[:0])
	return d
}

// hashSegments writes the segments' bytes to h in order, encoded by workers goroutines. Buffers
// are recycled through free, and a worker takes a buffer before it claims a segment: so the
// lowest segment not yet hashed always has a buffer, and memory stays at 2 buffers a worker.
func hashSegments(h hash.Hash, n, workers int, newEncoder func() segmentEncoder) {
	segments := (n + lineSegment - 1) / lineSegment
	done := make([]chan []byte, segments)
	for i := range done {
		done[i] = make(chan []byte, 1)
	}
	free := make(chan []byte, 2*workers)
	for range 2 * workers {
		free <- make([]byte, 0, lineSegment*lineBytes)
	}
	var next atomic.Int64
	for range workers {
		go func() {
			encode := newEncoder()
			for buf := range free {
				i := int(next.Add(1) - 1)
				if i >= segments {
					return
				}
				done[i] <- encode(buf[:0], i*lineSegment, min(n, (i+1)*lineSegment))
			}
		}()
	}
	for _, segment := range done {
		buf := <-segment
		h.Write(buf)
		free <- buf
	}
	close(free)
}
