package draw

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestFramedHashIsSHA256 holds framedHash's sum and sumPair to crypto/sha256 over every length of
// shared fields and of added bytes up to three blocks, on both of its paths: SHA-NI (where the CPU has it) and
// crypto/sha256 with the whole message.
func TestFramedHashIsSHA256(t *testing.T) {
	paths := map[string]bool{"crypto/sha256": false}
	if useSHANI {
		paths["SHA-NI"] = true
	} else {
		t.Log("this CPU has no SHA-NI: only the crypto/sha256 path is checked")
	}
	for name, shani := range paths {
		t.Run(name, func(t *testing.T) {
			defer func(saved bool) { useSHANI = saved }(useSHANI)
			useSHANI = shani
			checkFramedHashLengths(t)
		})
	}
}

func checkFramedHashLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for sharedLen := 0; sharedLen <= 3*sha256.BlockSize; sharedLen++ {
		field := string(random(sharedLen))
		h := newFramedHash(field)
		framedField := frameField(field)
		other := newFramedHash(field)
		for addedLen := 0; addedLen <= 3*sha256.BlockSize; addedLen++ {
			added := random(addedLen)
			h.framed(added)
			got := h.sum()
			want := sha256.Sum256(append(append([]byte(nil), framedField...), added...))
			if got != want {
				t.Fatalf("shared field of %d bytes, %d bytes added: got %x, want %x", sharedLen, addedLen, got, want)
			}
			// sumPair, with a second message as long or of another length.
			otherAdded := added
			if rng.IntN(2) == 0 {
				otherAdded = random(rng.IntN(3 * sha256.BlockSize))
			}
			h.framed(added)
			other.framed(otherAdded)
			gotA, gotB := sumPair(h, other)
			wantB := sha256.Sum256(append(append([]byte(nil), framedField...), otherAdded...))
			if gotA != want || gotB != wantB {
				t.Fatalf("sumPair, shared field of %d bytes, %d and %d bytes added: got %x and %x, want %x and %x",
					sharedLen, addedLen, len(otherAdded), gotA, gotB, want, wantB)
			}
		}
	}
}

// FuzzCompressSHANI holds the assembly compression function to crypto/sha256 over whole
// messages of any length: the message is padded as FIPS 180-4 pads it and compressed from the
// initial state, which must give sha256.Sum256 of the message.
func FuzzCompressSHANI(f *testing.F) {
	if !useSHANI {
		f.Skip("this CPU has no SHA-NI")
	}
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000} {
		f.Add(make([]byte, n))
	}
	f.Fuzz(func(t *testing.T, message []byte) {
		state := [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
		compressSHANI(&state, padSHA256(message))
		var got [sha256.Size]byte
		for i, word := range state {
			binary.BigEndian.PutUint32(got[4*i:], word)
		}
		if want := sha256.Sum256(message); got != want {
			t.Fatalf("%d bytes: got %x, want %x", len(message), got, want)
		}
	})
}

// padSHA256 appends SHA-256's padding: a one bit, zeros, and the message's length in bits.
func padSHA256(message []byte) []byte {
	padded := append(append([]byte(nil), message...), 0x80)
	for len(padded)%sha256.BlockSize != 56 {
		padded = append(padded, 0)
	}
	return binary.BigEndian.AppendUint64(padded, uint64(len(message))*8)
}

// BenchmarkCompressSHANI is the cost of one 64-byte block, the unit every draw hash is paid in.
func BenchmarkCompressSHANI(b *testing.B) {
	if !useSHANI {
		b.Skip("this CPU has no SHA-NI")
	}
	var state [8]uint32
	block := make([]byte, sha256.BlockSize)
	b.SetBytes(sha256.BlockSize)
	for b.Loop() {
		compressSHANI(&state, block)
	}
}

// TestCompress2SHANI holds the two-message compression to the one-message one over messages of
// one to four blocks, each pair the same number of blocks but different bytes and states.
func TestCompress2SHANI(t *testing.T) {
	if !useSHANI {
		t.Skip("this CPU has no SHA-NI")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		blocks := 1 + rng.IntN(4)
		pa, pb := make([]byte, blocks*sha256.BlockSize), make([]byte, blocks*sha256.BlockSize)
		var a, b [8]uint32
		for i := range pa {
			pa[i], pb[i] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		for i := range a {
			a[i], b[i] = rng.Uint32(), rng.Uint32()
		}
		wantA, wantB := a, b
		compressSHANI(&wantA, pa)
		compressSHANI(&wantB, pb)
		compress2SHANI(&a, &b, pa, pb)
		if a != wantA || b != wantB {
			t.Fatalf("%d blocks: got %x and %x, want %x and %x", blocks, a, b, wantA, wantB)
		}
	}
}

// BenchmarkCompress2SHANI is the cost of two 64-byte blocks of two messages at once.
func BenchmarkCompress2SHANI(b *testing.B) {
	if !useSHANI {
		b.Skip("this CPU has no SHA-NI")
	}
	var s1, s2 [8]uint32
	block := make([]byte, sha256.BlockSize)
	b.SetBytes(2 * sha256.BlockSize)
	for b.Loop() {
		compress2SHANI(&s1, &s2, block, block)
	}
}

// TestAppendHexIsLowercaseHex holds appendHex to encoding/hex.
func TestAppendHexIsLowercaseHex(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 1000 {
		var d Digest
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		if got, want := string(appendHex([]byte("x"), d)), "x"+hex.EncodeToString(d[:]); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}
