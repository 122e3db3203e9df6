// Code derived from Go's crypto/internal/fips140/sha256 (blockSHANI, sha256block_amd64.s),
// Copyright 2017 The Go Authors, BSD-style licence (see Go's LICENSE). Changed: the round
// constants are one copy (Go's table is laid out for AVX2), added from a register, and the loads
// are SSE (MOVOU) so that only SHA, SSSE3 and SSE4.1 are required, which hasSHANI checks.

//go:build amd64 && !purego

#include "textflag.h"

// func compressSHANI(state *[8]uint32, p []byte)
TEXT ·compressSHANI(SB), NOSPLIT, $0-32
	MOVQ        state+0(FP), DI
	MOVQ        p_base+8(FP), SI
	MOVQ        p_len+16(FP), DX
	SHRQ        $0x06, DX
	SHLQ        $0x06, DX
	CMPQ        DX, $0x00
	JEQ         done
	ADDQ        SI, DX
	MOVOU       (DI), X1
	MOVOU       16(DI), X2
	PSHUFD      $0xb1, X1, X1
	PSHUFD      $0x1b, X2, X2
	MOVO        X1, X7
	PALIGNR     $0x08, X2, X1
	PBLENDW     $0xf0, X7, X2
	MOVOU       shaFlipMask<>+0(SB), X8
	LEAQ        shaK<>+0(SB), AX

roundLoop:
	// save hash values for addition after rounds
	MOVO        X1, X9
	MOVO        X2, X10

	// do rounds 0-59
	MOVOU       (SI), X0
	PSHUFB      X8, X0
	MOVO        X0, X3
	MOVOU       (AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	MOVOU       16(SI), X0
	PSHUFB      X8, X0
	MOVO        X0, X4
	MOVOU       16(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X4, X3
	MOVOU       32(SI), X0
	PSHUFB      X8, X0
	MOVO        X0, X5
	MOVOU       32(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X5, X4
	MOVOU       48(SI), X0
	PSHUFB      X8, X0
	MOVO        X0, X6
	MOVOU       48(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X6, X7
	PALIGNR     $0x04, X5, X7
	PADDD       X7, X3
	SHA256MSG2  X6, X3
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X6, X5
	MOVO        X3, X0
	MOVOU       64(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X3, X7
	PALIGNR     $0x04, X6, X7
	PADDD       X7, X4
	SHA256MSG2  X3, X4
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X3, X6
	MOVO        X4, X0
	MOVOU       80(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X4, X7
	PALIGNR     $0x04, X3, X7
	PADDD       X7, X5
	SHA256MSG2  X4, X5
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X4, X3
	MOVO        X5, X0
	MOVOU       96(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X5, X7
	PALIGNR     $0x04, X4, X7
	PADDD       X7, X6
	SHA256MSG2  X5, X6
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X5, X4
	MOVO        X6, X0
	MOVOU       112(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X6, X7
	PALIGNR     $0x04, X5, X7
	PADDD       X7, X3
	SHA256MSG2  X6, X3
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X6, X5
	MOVO        X3, X0
	MOVOU       128(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X3, X7
	PALIGNR     $0x04, X6, X7
	PADDD       X7, X4
	SHA256MSG2  X3, X4
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X3, X6
	MOVO        X4, X0
	MOVOU       144(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X4, X7
	PALIGNR     $0x04, X3, X7
	PADDD       X7, X5
	SHA256MSG2  X4, X5
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X4, X3
	MOVO        X5, X0
	MOVOU       160(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X5, X7
	PALIGNR     $0x04, X4, X7
	PADDD       X7, X6
	SHA256MSG2  X5, X6
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X5, X4
	MOVO        X6, X0
	MOVOU       176(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X6, X7
	PALIGNR     $0x04, X5, X7
	PADDD       X7, X3
	SHA256MSG2  X6, X3
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X6, X5
	MOVO        X3, X0
	MOVOU       192(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X3, X7
	PALIGNR     $0x04, X6, X7
	PADDD       X7, X4
	SHA256MSG2  X3, X4
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	SHA256MSG1  X3, X6
	MOVO        X4, X0
	MOVOU       208(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X4, X7
	PALIGNR     $0x04, X3, X7
	PADDD       X7, X5
	SHA256MSG2  X4, X5
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1
	MOVO        X5, X0
	MOVOU       224(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	MOVO        X5, X7
	PALIGNR     $0x04, X4, X7
	PADDD       X7, X6
	SHA256MSG2  X5, X6
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1

	// do rounds 60-63
	MOVO        X6, X0
	MOVOU       240(AX), X11
	PADDD       X11, X0
	SHA256RNDS2 X0, X1, X2
	PSHUFD      $0x0e, X0, X0
	SHA256RNDS2 X0, X2, X1

	// add current hash values with previously saved
	PADDD       X9, X1
	PADDD       X10, X2

	// advance data pointer; loop until buffer empty
	ADDQ        $0x40, SI
	CMPQ        DX, SI
	JNE         roundLoop

	// write hash values back in the correct order
	PSHUFD      $0x1b, X1, X1
	PSHUFD      $0xb1, X2, X2
	MOVO        X1, X7
	PBLENDW     $0xf0, X2, X1
	PALIGNR     $0x08, X7, X2
	MOVOU       X1, (DI)
	MOVOU       X2, 16(DI)

done:
	RET

DATA shaK<>+0(SB)/4, $0x428a2f98
DATA shaK<>+4(SB)/4, $0x71374491
DATA shaK<>+8(SB)/4, $0xb5c0fbcf
DATA shaK<>+12(SB)/4, $0xe9b5dba5
DATA shaK<>+16(SB)/4, $0x3956c25b
DATA shaK<>+20(SB)/4, $0x59f111f1
DATA shaK<>+24(SB)/4, $0x923f82a4
DATA shaK<>+28(SB)/4, $0xab1c5ed5
DATA shaK<>+32(SB)/4, $0xd807aa98
DATA shaK<>+36(SB)/4, $0x12835b01
DATA shaK<>+40(SB)/4, $0x243185be
DATA shaK<>+44(SB)/4, $0x550c7dc3
DATA shaK<>+48(SB)/4, $0x72be5d74
DATA shaK<>+52(SB)/4, $0x80deb1fe
DATA shaK<>+56(SB)/4, $0x9bdc06a7
DATA shaK<>+60(SB)/4, $0xc19bf174
DATA shaK<>+64(SB)/4, $0xe49b69c1
DATA shaK<>+68(SB)/4, $0xefbe4786
DATA shaK<>+72(SB)/4, $0x0fc19dc6
DATA shaK<>+76(SB)/4, $0x240ca1cc
DATA shaK<>+80(SB)/4, $0x2de92c6f
DATA shaK<>+84(SB)/4, $0x4a7484aa
DATA shaK<>+88(SB)/4, $0x5cb0a9dc
DATA shaK<>+92(SB)/4, $0x76f988da
DATA shaK<>+96(SB)/4, $0x983e5152
DATA shaK<>+100(SB)/4, $0xa831c66d
DATA shaK<>+104(SB)/4, $0xb00327c8
DATA shaK<>+108(SB)/4, $0xbf597fc7
DATA shaK<>+112(SB)/4, $0xc6e00bf3
DATA shaK<>+116(SB)/4, $0xd5a79147
DATA shaK<>+120(SB)/4, $0x06ca6351
DATA shaK<>+124(SB)/4, $0x14292967
DATA shaK<>+128(SB)/4, $0x27b70a85
DATA shaK<>+132(SB)/4, $0x2e1b2138
DATA shaK<>+136(SB)/4, $0x4d2c6dfc
DATA shaK<>+140(SB)/4, $0x53380d13
DATA shaK<>+144(SB)/4, $0x650a7354
DATA shaK<>+148(SB)/4, $0x766a0abb
DATA shaK<>+152(SB)/4, $0x81c2c92e
DATA shaK<>+156(SB)/4, $0x92722c85
DATA shaK<>+160(SB)/4, $0xa2bfe8a1
DATA shaK<>+164(SB)/4, $0xa81a664b
DATA shaK<>+168(SB)/4, $0xc24b8b70
DATA shaK<>+172(SB)/4, $0xc76c51a3
DATA shaK<>+176(SB)/4, $0xd192e819
DATA shaK<>+180(SB)/4, $0xd6990624
DATA shaK<>+184(SB)/4, $0xf40e3585
DATA shaK<>+188(SB)/4, $0x106aa070
DATA shaK<>+192(SB)/4, $0x19a4c116
DATA shaK<>+196(SB)/4, $0x1e376c08
DATA shaK<>+200(SB)/4, $0x2748774c
DATA shaK<>+204(SB)/4, $0x34b0bcb5
DATA shaK<>+208(SB)/4, $0x391c0cb3
DATA shaK<>+212(SB)/4, $0x4ed8aa4a
DATA shaK<>+216(SB)/4, $0x5b9cca4f
DATA shaK<>+220(SB)/4, $0x682e6ff3
DATA shaK<>+224(SB)/4, $0x748f82ee
DATA shaK<>+228(SB)/4, $0x78a5636f
DATA shaK<>+232(SB)/4, $0x84c87814
DATA shaK<>+236(SB)/4, $0x8cc70208
DATA shaK<>+240(SB)/4, $0x90befffa
DATA shaK<>+244(SB)/4, $0xa4506ceb
DATA shaK<>+248(SB)/4, $0xbef9a3f7
DATA shaK<>+252(SB)/4, $0xc67178f2
GLOBL shaK<>(SB), RODATA|NOPTR, $256

DATA shaFlipMask<>+0(SB)/8, $0x0405060700010203
DATA shaFlipMask<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL shaFlipMask<>(SB), RODATA|NOPTR, $16

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL        leaf+0(FP), AX
	MOVL        subleaf+4(FP), CX
	CPUID
	MOVL        AX, eax+8(FP)
	MOVL        BX, ebx+12(FP)
	MOVL        CX, ecx+16(FP)
	MOVL        DX, edx+20(FP)
	RET
