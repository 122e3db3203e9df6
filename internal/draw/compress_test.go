package draw

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestFramedHashIsSHA256 holds framedHash to crypto/sha256 over every length of shared fields
// and of added bytes up to three blocks, on both of its paths: SHA-NI (where the CPU has it) and
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
		for addedLen := 0; addedLen <= 3*sha256.BlockSize; addedLen++ {
			added := random(addedLen)
			h.framed(added)
			got := h.sum()
			want := sha256.Sum256(append(append([]byte(nil), framedField...), added...))
			if got != want {
				t.Fatalf("shared field of %d bytes, %d bytes added: got %x, want %x", sharedLen, addedLen, got, want)
			}
		}
	}
}
