package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"shuangsuiji/internal/errs"
)

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane), which
// keeps a sign-in near 30 ms on one core while making guessing costly.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the PHC-formatted argon2id hash of password.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether password matches the PHC hash, reading the
// parameters from the hash so they can be raised later.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var memory uint32
	var time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username is unknown, so that a
// failed sign-in takes as long whether or not the user exists.
var dummyHash = HashPassword("no such user")

// hashing bounds the argon2id computations running at once, so that a
// flood of sign-ins queues here instead of taking every core and 19 MiB
// each; a computation that cannot start within hashQueueWait is refused
// as UNAVAILABLE.
var hashing = make(chan struct{}, max(1, runtime.NumCPU()))

const hashQueueWait = 5 * time.Second

func withHashSlot(ctx context.Context, fn func()) error {
	timer := time.NewTimer(hashQueueWait)
	defer timer.Stop()
	select {
	case hashing <- struct{}{}:
	case <-timer.C:
		return errs.E(errs.Unavailable, "too many sign-ins at once: try again in a few seconds")
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashing }()
	fn()
	return nil
}

// checkPassword is CheckPassword behind the limit.
func checkPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	err = withHashSlot(ctx, func() { ok = CheckPassword(hash, password) })
	return ok, err
}

// HashPasswordLimited is HashPassword behind the limit, for requests.
func HashPasswordLimited(ctx context.Context, password string) (hash string, err error) {
	err = withHashSlot(ctx, func() { hash = HashPassword(password) })
	return hash, err
}
