//go:build amd64 && !purego

package draw

// useSHANI tells whether compressSHANI can run here: SHA-NI with SSSE3 and SSE4.1, which every
// x86-64 CPU with SHA-NI has, but the three are separate CPUID bits.
var useSHANI = hasSHANI()

// compressSHANI runs SHA-256's compression function over the whole 64-byte blocks of p,
// updating state.
//
//go:noescape
func compressSHANI(state *[8]uint32, p []byte)

// compress2SHANI is compressSHANI on two messages at once, a's and b's: pa and pb must hold the
// same number of whole blocks (pb's length is not looked at). It takes little more time than one.
//
//go:noescape
func compress2SHANI(a, b *[8]uint32, pa, pb []byte)

func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

func hasSHANI() bool {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return false
	}
	_, _, features, _ := cpuid(1, 0)
	_, extended, _, _ := cpuid(7, 0)
	const (
		ssse3  = 1 << 9  // leaf 1, ECX
		sse41  = 1 << 19 // leaf 1, ECX
		shaExt = 1 << 29 // leaf 7, EBX
	)
	return features&ssse3 != 0 && features&sse41 != 0 && extended&shaExt != 0
}
