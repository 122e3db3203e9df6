// Package account is who may sign in: users, their passwords (argon2id) and
// their sessions (opaque random tokens of which only the SHA-256 is kept).
//
// Sign-in cannot be raced or turned against a user: every attempt is
// counted in the database before its password is checked, one (username,
// address) pair backs off after a few failures, and a username failing
// from everywhere is slowed to one check a second rather than locked, so
// its owner still gets in. Password hashing runs behind a small limit so
// that sign-ins cannot starve the server.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// User is a person who signs in; their roles live in bureau memberships.
type User struct {
	ID          int64     `db:"id" json:"id"`
	Username    string    `db:"username" json:"username"`
	DisplayName string    `db:"display_name" json:"displayName"`
	CreatedAt   time.Time `db:"created_at" json:"-"`
	// MustChangePassword is set while the password is one an admin chose
	// (a new user's first, or a reset): until it is changed the user may
	// only change it, read "me" and sign out.
	MustChangePassword bool `db:"password_must_change" json:"-"`
}

// Session is the result of a successful sign-in.
type Session struct {
	Token     string // shown once, to the client that signed in
	ExpiresAt time.Time
	User      User
}

// Limits on sign-in. The counting itself lives in the database
// (sign_in_reserve), where every instance sees it.
const (
	SessionLifetime = 12 * time.Hour
	// MaxFailuresPerPair failures of one username from one address within
	// 15 minutes start a backoff of 30 s, doubling.
	MaxFailuresPerPair  = 5
	MinPasswordLength   = 12
	maxPasswordLength   = 256
	maxUsernameLength   = 63
	signInAuditAction   = "session.sign_in"
	signOutAuditAction  = "session.sign_out"
	sessionAuditObjType = "session"
)

// Attempt is the database's answer to a sign-in attempt: go ahead (ID set)
// after Wait, or come back after RetryAfter.
type Attempt struct {
	ID         int64
	Wait       time.Duration
	RetryAfter time.Duration
}

// Credentials are what a user types to sign in.
type Credentials struct {
	Username string
	Password string
	Address  string // the client's address, for rate limiting
}

// Store keeps users and sessions.
type Store interface {
	// UserForSignIn returns the user and password hash, or NotFound.
	UserForSignIn(ctx context.Context, username string) (User, string, error)
	// ReserveAttempt counts an attempt for (username, address) as a
	// failure before its password is checked, or says how long to wait.
	ReserveAttempt(ctx context.Context, username, address string) (Attempt, error)
	// CreateSession stores the token hash for the user of a reserved
	// attempt whose password matched, forgets the attempt and the pair's
	// failures, and writes the sign-in to the trail of every bureau the
	// user belongs to.
	CreateSession(ctx context.Context, attempt int64, user User, tokenHash []byte, expires time.Time, address string, change audit.Change) error
	// Identify returns the user of a live session, or NotFound, and their
	// bureau bureauCode ("" for their only one) with their roles there.
	Identify(ctx context.Context, tokenHash []byte, bureauCode string) (Identity, error)
	// RevokeSession ends the session and audits it like CreateSession.
	RevokeSession(ctx context.Context, user User, tokenHash []byte, change audit.Change) error
	// ChangePassword stores the user's new hash, forgets the attempt that
	// checked the old one, ends every other session and audits it.
	ChangePassword(ctx context.Context, attempt int64, user User, hash string, keepToken []byte, change audit.Change) error
	// ReleaseAttempt forgets a reserved attempt whose password was never
	// checked (the hashing queue was full, or the client left).
	ReleaseAttempt(ctx context.Context, attempt int64) error
}

// Service signs users in and out.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SignIn checks the credentials and opens a session. A wrong username or
// password is UNAUTHENTICATED with the same message either way; too many
// recent failures of the username from this address are refused
// (UNAUTHENTICATED, saying when to try again) before the password is
// looked at; many failures from everywhere slow the check down.
// UNAVAILABLE when the server is too busy checking passwords.
func (s *Service) SignIn(ctx context.Context, c Credentials) (*Session, error) {
	username := strings.ToLower(strings.TrimSpace(c.Username))
	if err := validateCredentials(username, c.Password); err != nil {
		return nil, err
	}
	attempt, err := s.reserve(ctx, username, c.Address)
	if err != nil {
		return nil, err
	}
	user, hash, err := s.Store.UserForSignIn(ctx, username)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, err
	}
	known := err == nil
	if !known {
		hash = dummyHash
	}
	ok, err := s.checkReserved(ctx, attempt, hash, c.Password)
	if err != nil {
		return nil, err
	}
	if !ok || !known {
		return nil, errs.E(errs.Unauthenticated, "wrong username or password")
	}
	return s.openSession(ctx, attempt, user, c.Address)
}

// checkReserved checks the password of a reserved attempt. When the check
// cannot run (too many at once, or the client hung up) the attempt is
// forgotten: it was counted as a failure in advance, and a busy server
// must not turn its owner's correct password into a lockout.
func (s *Service) checkReserved(ctx context.Context, attempt int64, hash, password string) (bool, error) {
	ok, err := checkPassword(ctx, hash, password)
	if err != nil {
		if rerr := s.Store.ReleaseAttempt(context.WithoutCancel(ctx), attempt); rerr != nil {
			return false, errors.Join(err, rerr)
		}
	}
	return ok, err
}

// reserve asks the database whether (username, address) may try now,
// waiting out a throttle delay, and returns the attempt's id.
func (s *Service) reserve(ctx context.Context, username, address string) (int64, error) {
	a, err := s.Store.ReserveAttempt(ctx, username, address)
	if err != nil {
		return 0, err
	}
	if a.RetryAfter > 0 {
		return 0, errs.E(errs.Unauthenticated, "too many failed sign-ins; try again in %d seconds", int(a.RetryAfter.Seconds()+0.5))
	}
	if a.Wait > 0 {
		t := time.NewTimer(a.Wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return a.ID, nil
}

func validateCredentials(username, password string) error {
	switch {
	case username == "":
		return errs.InvalidField("input.username", "is required")
	case len(username) > maxUsernameLength || !utf8.ValidString(username):
		return errs.InvalidField("input.username", "is at most %d characters", maxUsernameLength)
	case password == "":
		return errs.InvalidField("input.password", "is required")
	case len(password) > maxPasswordLength:
		return errs.InvalidField("input.password", "is at most %d bytes", maxPasswordLength)
	}
	return nil
}

func (s *Service) openSession(ctx context.Context, attempt int64, user User, address string) (*Session, error) {
	token := newToken()
	expires := s.now().Add(SessionLifetime).UTC().Truncate(time.Second)
	change := audit.Change{Action: signInAuditAction, ObjectType: sessionAuditObjType,
		ObjectID: user.Username, After: map[string]any{"expiresAt": expires, "address": address}}
	if err := s.Store.CreateSession(ctx, attempt, user, HashToken(token), expires, address, change); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, User: user}, nil
}

// Identity is who a request's session token belongs to and the bureau
// they act in, read together at the start of the request.
type Identity struct {
	User User
	// The acting bureau, when the user is a member of the bureau asked for
	// (or of exactly one, when none was asked for); zero otherwise.
	BureauID                           int64
	BureauCode, RegionCode, BureauKind string
	Roles                              []string // the user's roles there
	Bureaus                            int      // how many bureaus the user belongs to
}

// Authenticate returns the identity of a live session token acting in
// bureauCode ("" for the user's only bureau), or UNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, token, bureauCode string) (Identity, error) {
	id, err := s.Store.Identify(ctx, HashToken(token), bureauCode)
	if errs.KindOf(err) == errs.NotFound {
		return Identity{}, errs.E(errs.Unauthenticated, "the session token is unknown, expired or signed out: sign in again")
	}
	return id, err
}

// SignOut revokes the caller's session token. UNAUTHENTICATED when nobody
// is signed in.
func (s *Service) SignOut(ctx context.Context) error {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return err
	}
	user := User{ID: signer.UserID, Username: signer.Username}
	change := audit.Change{Action: signOutAuditAction, ObjectType: sessionAuditObjType, ObjectID: signer.Username}
	return s.Store.RevokeSession(ctx, user, HashToken(signer.Token), change)
}

// ChangePassword replaces the signed-in user's password after checking the
// current one (counted like a sign-in), and ends their other sessions:
// after it, nobody (no admin who chose a first or reset password) knows
// the password. BAD_USER_INPUT names the field at fault; UNAUTHENTICATED
// when nobody is signed in.
func (s *Service) ChangePassword(ctx context.Context, current, next, address string) error {
	signer, err := authz.RequireSignedIn(ctx)
	if err != nil {
		return err
	}
	if err := ValidateNewPassword("input.newPassword", next); err != nil {
		return err
	}
	if current == next {
		return errs.InvalidField("input.newPassword", "must differ from the current password")
	}
	attempt, err := s.reserve(ctx, signer.Username, address)
	if err != nil {
		return err
	}
	user, hash, err := s.Store.UserForSignIn(ctx, signer.Username)
	if err != nil {
		return err
	}
	ok, err := s.checkReserved(ctx, attempt, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return errs.InvalidField("input.currentPassword", "is not your current password")
	}
	newHash, err := HashPasswordLimited(ctx, next)
	if err != nil {
		return err
	}
	change := audit.Change{Action: "account.change_password", ObjectType: "user", ObjectID: user.Username}
	return s.Store.ChangePassword(ctx, attempt, user, newHash, HashToken(signer.Token), change)
}

// ValidateNewPassword checks a password someone chooses; field names the
// input it came from.
func ValidateNewPassword(field, p string) error {
	switch {
	case utf8.RuneCountInString(p) < MinPasswordLength:
		return errs.InvalidField(field, "must be at least %d characters", MinPasswordLength)
	case len(p) > maxPasswordLength:
		return errs.InvalidField(field, "is at most %d bytes", maxPasswordLength)
	case strings.ContainsRune(p, 0):
		return errs.InvalidField(field, "must not contain NUL bytes")
	}
	return nil
}

// TemporaryPassword is a random password an admin hands to a user, who
// must change it when signing in with it.
func TemporaryPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789" // no look-alikes
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:8]) + "-" + string(b[8:12]) + "-" + string(b[12:])
}

// newToken returns 32 random bytes, URL-safe base64.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what is stored of a token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
