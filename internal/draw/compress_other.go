//go:build !amd64 || purego

package draw

// useSHANI is false off x86-64: framedHash hashes its messages whole with crypto/sha256.
var useSHANI = false

func compressSHANI(*[8]uint32, []byte) { panic("draw: SHA-NI is only used on amd64") }

func compress2SHANI(*[8]uint32, *[8]uint32, []byte, []byte) {
	panic("draw: SHA-NI is only used on amd64")
}
