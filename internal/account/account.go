// Package account is who may sign in: users, their passwords (argon2id) and
// their sessions (opaque random tokens of which only the SHA-256 is kept).
// Repeated failed sign-ins for one username or from one address are refused
// for a while, counted in the database so every server instance agrees.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
}

// Session is the result of a successful sign-in.
type Session struct {
	Token     string // shown once, to the client that signed in
	ExpiresAt time.Time
	User      User
}

// Limits on sign-in.
const (
	SessionLifetime     = 12 * time.Hour
	FailureWindow       = 15 * time.Minute
	MaxFailuresPerUser  = 5
	MaxFailuresPerAddr  = 30
	MinPasswordLength   = 12
	maxPasswordLength   = 256
	maxUsernameLength   = 63
	signInAuditAction   = "session.sign_in"
	signOutAuditAction  = "session.sign_out"
	sessionAuditObjType = "session"
)

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
	// RecentFailures counts failed sign-ins under key since the time.
	RecentFailures(ctx context.Context, keys []string, since time.Time) (map[string]int, error)
	RecordFailure(ctx context.Context, keys []string) error
	// CreateSession stores the token hash, clears the user's failures and
	// writes the change to the trail of every bureau the user belongs to.
	CreateSession(ctx context.Context, user User, tokenHash []byte, expires time.Time, address string, change audit.Change) error
	// SessionUser returns the user of a live session, or NotFound.
	SessionUser(ctx context.Context, tokenHash []byte, now time.Time) (User, error)
	// RevokeSession ends the session and audits it like CreateSession.
	RevokeSession(ctx context.Context, user User, tokenHash []byte, change audit.Change) error
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
// recent failures for the username or the address are refused
// (UNAUTHENTICATED, saying when to try again) before the password is looked at.
func (s *Service) SignIn(ctx context.Context, c Credentials) (*Session, error) {
	username := strings.ToLower(strings.TrimSpace(c.Username))
	if err := validateCredentials(username, c.Password); err != nil {
		return nil, err
	}
	keys := []string{"user:" + username, "addr:" + c.Address}
	if err := s.checkRateLimit(ctx, keys); err != nil {
		return nil, err
	}
	user, hash, err := s.Store.UserForSignIn(ctx, username)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, err
	}
	if err != nil {
		hash = dummyHash
	}
	if !CheckPassword(hash, c.Password) || err != nil {
		if err := s.Store.RecordFailure(ctx, keys); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Unauthenticated, "wrong username or password")
	}
	return s.openSession(ctx, user, c.Address)
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

func (s *Service) checkRateLimit(ctx context.Context, keys []string) error {
	counts, err := s.Store.RecentFailures(ctx, keys, s.now().Add(-FailureWindow))
	if err != nil {
		return err
	}
	if counts[keys[0]] >= MaxFailuresPerUser || counts[keys[1]] >= MaxFailuresPerAddr {
		return errs.E(errs.Unauthenticated,
			"too many failed sign-ins; try again in %d minutes", int(FailureWindow.Minutes()))
	}
	return nil
}

func (s *Service) openSession(ctx context.Context, user User, address string) (*Session, error) {
	token := newToken()
	expires := s.now().Add(SessionLifetime).UTC().Truncate(time.Second)
	change := audit.Change{Action: signInAuditAction, ObjectType: sessionAuditObjType,
		ObjectID: user.Username, After: map[string]any{"expiresAt": expires, "address": address}}
	if err := s.Store.CreateSession(ctx, user, HashToken(token), expires, address, change); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, User: user}, nil
}

// Authenticate returns the user of a live session token, or UNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	u, err := s.Store.SessionUser(ctx, HashToken(token), s.now())
	if errs.KindOf(err) == errs.NotFound {
		return User{}, errs.E(errs.Unauthenticated, "the session token is unknown, expired or signed out: sign in again")
	}
	return u, err
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
