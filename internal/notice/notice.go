// Package notice is the inspection notice (检查通知书) of a drawn task and
// its verification code (扫码入企).
//
// After a draw's ceremony its lead issues a notice per task: the entity
// learns which bureaus come, which inspectors (names and certificate
// numbers) may come, when, what they check and what to prepare, and it
// gets its opening of the draw, to check its own selection against the
// public manifest. Each notice carries a random verification code (100
// bits, shown in groups and as a QR image) that anyone can check without
// signing in at /public/tasks/{code}: the answer shows the team as it is
// now (substitutions applied). A withdrawn notice answers exactly as a
// code that never existed.
package notice

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Alphabet is the codes' alphabet: digits and capitals without I, L, O
// and U, which read as 1, 1, 0 and V (Crockford's base 32).
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLength is a code's length: 20 symbols of 5 bits, 100 bits.
const CodeLength = 20

// NewCode draws a random code.
func NewCode() string {
	b := make([]byte, CodeLength)
	rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = Alphabet[b[i]&31]
	}
	return string(b)
}

// NormalizeCode reads a code as people type it: any case, with spaces or
// dashes between groups, O for 0 and I or L for 1. ok is false for
// anything that cannot be a code.
func NormalizeCode(s string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > utf8.RuneSelf || !strings.ContainsRune(Alphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != CodeLength {
		return "", false
	}
	return b.String(), true
}

// Grouped writes a code in groups of five, as printed.
func Grouped(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 5 {
		parts = append(parts, code[i:min(i+5, len(code))])
	}
	return strings.Join(parts, "-")
}

// Inspector is an inspector who may come: on the team as it is now.
type Inspector struct {
	BureauCode  string `db:"bureau_code"`
	BureauName  string `db:"bureau_name"`
	Certificate string `db:"certificate"` // 执法证号
	Name        string `db:"name"`
}

// Item is what one bureau checks at the visit.
type Item struct {
	BureauName string `db:"bureau_name"`
	Code       string `db:"code"`
	Name       string `db:"name"`
	LegalBasis string `db:"legal_basis"`
}

// Task is the drawn task a code names, as anyone holding the code sees it.
type Task struct {
	Code          string
	DrawNumber    int64     `db:"draw_id"`
	Seq           int       `db:"seq"`
	DrawTitle     string    `db:"title"`
	WindowStart   time.Time `db:"window_start"`
	WindowEnd     time.Time `db:"window_end"`
	EntityCode    string    `db:"entity_code"`
	EntityName    string    `db:"entity_name"`
	EntityAddress string    `db:"entity_address"`
	Bureaus       []string  // the bureaus' names, the lead first
	Inspectors    []Inspector
	Items         []Item
}

// Notice is a task's notice as its bureau prints it: the task, the code,
// and the entity's opening of the draw (canonical JSON).
type Notice struct {
	Task
	LeadName        string
	IssuedAt        time.Time
	WithdrawnAt     *time.Time
	WithdrawnReason string
	Opening         []byte
}

// Issued says what issuing a draw's notices did.
type Issued struct {
	DrawID int64
	New    int // notices issued now
	Total  int // notices of the draw, withdrawn ones included
}

// Store keeps notices. Methods with an actor run as the serving role in
// the actor's bureau; Verify needs nobody.
type Store interface {
	// Issue gives every task of an executed draw the actor's bureau leads
	// a notice with a code from newCode, keeping those it has; NOT_FOUND
	// for a draw the bureau cannot see, CONFLICT unless executed,
	// FORBIDDEN for a participant that does not lead it.
	Issue(ctx context.Context, actor *authz.Actor, drawID int64, newCode func() string) (Issued, error)
	// Withdraw withdraws a task's notice; CONFLICT when withdrawn already.
	Withdraw(ctx context.Context, actor *authz.Actor, drawID int64, seq int, reason string) error
	// Notice reads a task's notice (NOT_FOUND when not issued).
	Notice(ctx context.Context, actor *authz.Actor, drawID int64, seq int) (Notice, error)
	// Verify returns the task a valid, current code names; NOT_FOUND for
	// any other code.
	Verify(ctx context.Context, code string) (Task, error)
}

// Opener hands an entity its opening of a draw (draw.Service.Opening).
type Opener interface {
	Opening(ctx context.Context, drawID int64, entity string) ([]byte, error)
}

// Service issues, withdraws, prints and verifies notices.
type Service struct {
	Store  Store
	Authz  *authz.Enforcer
	Opener Opener
}

// Issue gives every task of an executed draw the acting bureau leads a
// notice. Planners, admins and coordinators (notice:issue); a retry issues
// nothing twice.
func (s *Service) Issue(ctx context.Context, drawID int64) (Issued, error) {
	actor, err := s.Authz.Require(ctx, "notice:issue")
	if err != nil {
		return Issued{}, err
	}
	return s.Store.Issue(ctx, actor, drawID, NewCode)
}

// MaxReasonRunes bounds a withdrawal's reason.
const MaxReasonRunes = 500

// Withdraw withdraws a task's notice with a reason: its code then answers
// as a wrong one. notice:issue, the draw's lead only.
func (s *Service) Withdraw(ctx context.Context, drawID int64, seq int, reason string) error {
	actor, err := s.Authz.Require(ctx, "notice:issue")
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonRunes || !utf8.ValidString(reason) {
		return errs.InvalidField("input.reason", "say why, in at most %d characters", MaxReasonRunes)
	}
	return s.Store.Withdraw(ctx, actor, drawID, seq, reason)
}

// Notice returns a task's notice with the entity's opening, for printing.
// Every member who may read the draw (notice:read); another bureau's draw
// is NOT_FOUND.
func (s *Service) Notice(ctx context.Context, drawID int64, seq int) (Notice, error) {
	actor, err := s.Authz.Require(ctx, "notice:read")
	if err != nil {
		return Notice{}, err
	}
	n, err := s.Store.Notice(ctx, actor, drawID, seq)
	if err != nil {
		return Notice{}, err
	}
	if n.WithdrawnAt == nil {
		if n.Opening, err = s.Opener.Opening(ctx, drawID, n.EntityCode); err != nil {
			return Notice{}, err
		}
	}
	return n, nil
}

// Verify answers a code without sign-in: the task it names, or NOT_FOUND,
// the same for a malformed, wrong or withdrawn code.
func (s *Service) Verify(ctx context.Context, code string) (Task, error) {
	c, ok := NormalizeCode(code)
	if !ok {
		return Task{}, errs.NotFoundf("no inspection task has this code")
	}
	t, err := s.Store.Verify(ctx, c)
	if errs.KindOf(err) == errs.NotFound {
		return Task{}, errs.NotFoundf("no inspection task has this code")
	}
	return t, err
}
