//go:build amd64 && !purego

#include "textflag.h"

// SHA-256's compression function with the SHA extensions (SHA-NI), written from the instructions'
// definitions in Intel's SDM: SHA256RNDS2 runs two rounds on the state held as ABEF and CDGH,
// SHA256MSG1 and SHA256MSG2 extend the message schedule four words at a time. Only SSE loads and
// SSSE3/SSE4.1 shuffles are used besides, which hasSHANI checks.
//
// Registers: X1 = ABEF, X2 = CDGH, X3–X6 the last sixteen schedule words (four to a register,
// in a ring), X0 the rounds' message-plus-constant input (SHA256RNDS2 reads it implicitly),
// X7 scratch, X8 the byte-order mask, X9/X10 the state before the block, AX the round
// constants of the next four groups, CX the groups left, SI the block, DX the end of the input.

// FOUR_ROUNDS runs rounds 4k to 4k+3 with schedule words W and constants at off(AX).
#define FOUR_ROUNDS(W, off) \
	MOVO        W, X0; \
	MOVOU       off(AX), X7; \
	PADDD       X7, X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD      $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1

// NEXT_WORDS replaces OLDEST (W[t-16..t-13]) by W[t..t+3], given W[t-12..t-9] in A,
// W[t-8..t-5] in B and W[t-4..t-1] in NEWEST: σ0 terms, the W[t-7] terms, then σ1 terms.
#define NEXT_WORDS(OLDEST, A, B, NEWEST) \
	SHA256MSG1  A, OLDEST; \
	MOVO        NEWEST, X7; \
	PALIGNR     $4, B, X7; \
	PADDD       X7, OLDEST; \
	SHA256MSG2  NEWEST, OLDEST

// LOAD_WORDS reads four big-endian message words at off(SI) into W.
#define LOAD_WORDS(W, off) \
	MOVOU       off(SI), W; \
	PSHUFB      X8, W

// func compressSHANI(state *[8]uint32, p []byte)
TEXT ·compressSHANI(SB), NOSPLIT, $0-32
	MOVQ        state+0(FP), DI
	MOVQ        p_base+8(FP), SI
	MOVQ        p_len+16(FP), DX
	ANDQ        $~63, DX
	JZ          done
	ADDQ        SI, DX

	// state is A B C D | E F G H; the instructions want F E B A and H G D C.
	MOVOU       (DI), X1
	MOVOU       16(DI), X2
	PSHUFD      $0xb1, X1, X1      // B A D C
	PSHUFD      $0x1b, X2, X2      // H G F E
	MOVO        X1, X7
	PALIGNR     $8, X2, X1         // F E B A
	PBLENDW     $0xf0, X7, X2      // H G D C
	MOVOU       byteOrder<>(SB), X8

block:
	MOVO        X1, X9
	MOVO        X2, X10
	LEAQ        roundConstants<>(SB), AX

	LOAD_WORDS(X3, 0)
	FOUR_ROUNDS(X3, 0)
	LOAD_WORDS(X4, 16)
	FOUR_ROUNDS(X4, 16)
	LOAD_WORDS(X5, 32)
	FOUR_ROUNDS(X5, 32)
	LOAD_WORDS(X6, 48)
	FOUR_ROUNDS(X6, 48)

	// Rounds 16 to 63: three turns of the ring of four schedule registers.
	MOVQ        $3, CX

schedule:
	ADDQ        $64, AX
	NEXT_WORDS(X3, X4, X5, X6)
	FOUR_ROUNDS(X3, 0)
	NEXT_WORDS(X4, X5, X6, X3)
	FOUR_ROUNDS(X4, 16)
	NEXT_WORDS(X5, X6, X3, X4)
	FOUR_ROUNDS(X5, 32)
	NEXT_WORDS(X6, X3, X4, X5)
	FOUR_ROUNDS(X6, 48)
	DECQ        CX
	JNZ         schedule

	PADDD       X9, X1
	PADDD       X10, X2
	ADDQ        $64, SI
	CMPQ        SI, DX
	JB          block

	// Back to A B C D | E F G H.
	PSHUFD      $0x1b, X1, X1      // A B E F
	PSHUFD      $0xb1, X2, X2      // G H C D
	MOVO        X1, X7
	PBLENDW     $0xf0, X2, X1      // A B C D
	PALIGNR     $8, X7, X2         // E F G H
	MOVOU       X1, (DI)
	MOVOU       X2, 16(DI)

done:
	RET

// compress2SHANI runs two independent messages through the compression function together. A
// block's 32 SHA256RNDS2 form one chain, each waiting for the one before, so one message keeps the
// unit idle between them; a second message's chain fills those gaps. The macros below are those
// above with the registers as parameters: stream A uses X1/X2 (state), X3–X6 (schedule) and X7
// (scratch), stream B X11/X12, X13/X14/X15/X9 and X10; X0 and X8 are shared as above, and the
// states before the block are kept on the stack, since sixteen registers are all in use.

// ROUNDS4 is FOUR_ROUNDS on state ABEF, CDGH with scratch T.
#define ROUNDS4(W, off, ABEF, CDGH, T) \
	MOVO        W, X0; \
	MOVOU       off(AX), T; \
	PADDD       T, X0; \
	SHA256RNDS2 X0, ABEF, CDGH; \
	PSHUFD      $0x0e, X0, X0; \
	SHA256RNDS2 X0, CDGH, ABEF

// NEXT4 is NEXT_WORDS with scratch T.
#define NEXT4(OLDEST, A, B, NEWEST, T) \
	SHA256MSG1  A, OLDEST; \
	MOVO        NEWEST, T; \
	PALIGNR     $4, B, T; \
	PADDD       T, OLDEST; \
	SHA256MSG2  NEWEST, OLDEST

// LOAD4 is LOAD_WORDS from the block at P.
#define LOAD4(W, off, P) \
	MOVOU       off(P), W; \
	PSHUFB      X8, W

// STATE_IN loads A B C D | E F G H from S as F E B A into ABEF and H G D C into CDGH.
#define STATE_IN(S, ABEF, CDGH, T) \
	MOVOU       (S), ABEF; \
	MOVOU       16(S), CDGH; \
	PSHUFD      $0xb1, ABEF, ABEF; \
	PSHUFD      $0x1b, CDGH, CDGH; \
	MOVO        ABEF, T; \
	PALIGNR     $8, CDGH, ABEF; \
	PBLENDW     $0xf0, T, CDGH

// STATE_OUT stores ABEF and CDGH back to S as A B C D | E F G H.
#define STATE_OUT(S, ABEF, CDGH, T) \
	PSHUFD      $0x1b, ABEF, ABEF; \
	PSHUFD      $0xb1, CDGH, CDGH; \
	MOVO        ABEF, T; \
	PBLENDW     $0xf0, CDGH, ABEF; \
	PALIGNR     $8, T, CDGH; \
	MOVOU       ABEF, (S); \
	MOVOU       CDGH, 16(S)

// func compress2SHANI(a, b *[8]uint32, pa, pb []byte)
TEXT ·compress2SHANI(SB), NOSPLIT, $64-64
	MOVQ        a+0(FP), DI
	MOVQ        b+8(FP), R8
	MOVQ        pa_base+16(FP), SI
	MOVQ        pa_len+24(FP), DX
	MOVQ        pb_base+40(FP), R9
	ANDQ        $~63, DX
	JZ          done2
	ADDQ        SI, DX

	STATE_IN(DI, X1, X2, X7)
	STATE_IN(R8, X11, X12, X10)
	MOVOU       byteOrder<>(SB), X8

block2:
	MOVOU       X1, 0(SP)
	MOVOU       X2, 16(SP)
	MOVOU       X11, 32(SP)
	MOVOU       X12, 48(SP)
	LEAQ        roundConstants<>(SB), AX

	LOAD4(X3, 0, SI)
	LOAD4(X13, 0, R9)
	ROUNDS4(X3, 0, X1, X2, X7)
	ROUNDS4(X13, 0, X11, X12, X10)
	LOAD4(X4, 16, SI)
	LOAD4(X14, 16, R9)
	ROUNDS4(X4, 16, X1, X2, X7)
	ROUNDS4(X14, 16, X11, X12, X10)
	LOAD4(X5, 32, SI)
	LOAD4(X15, 32, R9)
	ROUNDS4(X5, 32, X1, X2, X7)
	ROUNDS4(X15, 32, X11, X12, X10)
	LOAD4(X6, 48, SI)
	LOAD4(X9, 48, R9)
	ROUNDS4(X6, 48, X1, X2, X7)
	ROUNDS4(X9, 48, X11, X12, X10)

	MOVQ        $3, CX

schedule2:
	ADDQ        $64, AX
	NEXT4(X3, X4, X5, X6, X7)
	NEXT4(X13, X14, X15, X9, X10)
	ROUNDS4(X3, 0, X1, X2, X7)
	ROUNDS4(X13, 0, X11, X12, X10)
	NEXT4(X4, X5, X6, X3, X7)
	NEXT4(X14, X15, X9, X13, X10)
	ROUNDS4(X4, 16, X1, X2, X7)
	ROUNDS4(X14, 16, X11, X12, X10)
	NEXT4(X5, X6, X3, X4, X7)
	NEXT4(X15, X9, X13, X14, X10)
	ROUNDS4(X5, 32, X1, X2, X7)
	ROUNDS4(X15, 32, X11, X12, X10)
	NEXT4(X6, X3, X4, X5, X7)
	NEXT4(X9, X13, X14, X15, X10)
	ROUNDS4(X6, 48, X1, X2, X7)
	ROUNDS4(X9, 48, X11, X12, X10)
	DECQ        CX
	JNZ         schedule2

	MOVOU       0(SP), X7
	PADDD       X7, X1
	MOVOU       16(SP), X7
	PADDD       X7, X2
	MOVOU       32(SP), X10
	PADDD       X10, X11
	MOVOU       48(SP), X10
	PADDD       X10, X12
	ADDQ        $64, SI
	ADDQ        $64, R9
	CMPQ        SI, DX
	JB          block2

	STATE_OUT(DI, X1, X2, X7)
	STATE_OUT(R8, X11, X12, X10)

done2:
	RET

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

// The bytes of each 32-bit word reversed: message words are big-endian.
DATA byteOrder<>+0(SB)/8, $0x0405060700010203
DATA byteOrder<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL byteOrder<>(SB), RODATA|NOPTR, $16

// SHA-256's 64 round constants (FIPS 180-4 §4.2.2), two to a line.
DATA roundConstants<>+0(SB)/8, $0x71374491428a2f98
DATA roundConstants<>+8(SB)/8, $0xe9b5dba5b5c0fbcf
DATA roundConstants<>+16(SB)/8, $0x59f111f13956c25b
DATA roundConstants<>+24(SB)/8, $0xab1c5ed5923f82a4
DATA roundConstants<>+32(SB)/8, $0x12835b01d807aa98
DATA roundConstants<>+40(SB)/8, $0x550c7dc3243185be
DATA roundConstants<>+48(SB)/8, $0x80deb1fe72be5d74
DATA roundConstants<>+56(SB)/8, $0xc19bf1749bdc06a7
DATA roundConstants<>+64(SB)/8, $0xefbe4786e49b69c1
DATA roundConstants<>+72(SB)/8, $0x240ca1cc0fc19dc6
DATA roundConstants<>+80(SB)/8, $0x4a7484aa2de92c6f
DATA roundConstants<>+88(SB)/8, $0x76f988da5cb0a9dc
DATA roundConstants<>+96(SB)/8, $0xa831c66d983e5152
DATA roundConstants<>+104(SB)/8, $0xbf597fc7b00327c8
DATA roundConstants<>+112(SB)/8, $0xd5a79147c6e00bf3
DATA roundConstants<>+120(SB)/8, $0x1429296706ca6351
DATA roundConstants<>+128(SB)/8, $0x2e1b213827b70a85
DATA roundConstants<>+136(SB)/8, $0x53380d134d2c6dfc
DATA roundConstants<>+144(SB)/8, $0x766a0abb650a7354
DATA roundConstants<>+152(SB)/8, $0x92722c8581c2c92e
DATA roundConstants<>+160(SB)/8, $0xa81a664ba2bfe8a1
DATA roundConstants<>+168(SB)/8, $0xc76c51a3c24b8b70
DATA roundConstants<>+176(SB)/8, $0xd6990624d192e819
DATA roundConstants<>+184(SB)/8, $0x106aa070f40e3585
DATA roundConstants<>+192(SB)/8, $0x1e376c0819a4c116
DATA roundConstants<>+200(SB)/8, $0x34b0bcb52748774c
DATA roundConstants<>+208(SB)/8, $0x4ed8aa4a391c0cb3
DATA roundConstants<>+216(SB)/8, $0x682e6ff35b9cca4f
DATA roundConstants<>+224(SB)/8, $0x78a5636f748f82ee
DATA roundConstants<>+232(SB)/8, $0x8cc7020884c87814
DATA roundConstants<>+240(SB)/8, $0xa4506ceb90befffa
DATA roundConstants<>+248(SB)/8, $0xc67178f2bef9a3f7
GLOBL roundConstants<>(SB), RODATA|NOPTR, $256
