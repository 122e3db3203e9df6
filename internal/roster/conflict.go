package roster

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Conflict is a conflict of interest (回避) between an inspector and an
// entity of the region: while it is open the inspector is never sent to
// the entity. It is declared by the inspector or recorded by an admin;
// withdrawing it keeps the row. The reason is seen only inside the bureau.
type Conflict struct {
	BureauID    int64          `json:"bureau_id"`
	ID          int64          `json:"id"`
	InspectorID int64          `json:"inspector_id"`
	EntityCode  string         `json:"entity_code"`
	EntityName  string         `json:"entity_name"` // the entity's current name
	Reason      string         `json:"reason"`
	DeclaredBy  ConflictSource `json:"declared_by"`
	RecordedBy  int64          `json:"recorded_by"` // the user who declared or recorded it
	CreatedAt   time.Time      `json:"created_at"`
	WithdrawnAt *time.Time     `json:"withdrawn_at"`
	WithdrawnBy *int64         `json:"withdrawn_by"`
}

// ConflictSource says how a conflict became known.
type ConflictSource string

// The sources of conflicts.
const (
	DeclaredByInspector ConflictSource = "inspector" // 本人申报: the inspector declared it
	DeclaredByAdmin     ConflictSource = "admin"     // 登记: an admin recorded it
)

// ConflictFilter narrows the conflicts; empty fields match everything.
// Withdrawn conflicts are left out unless IncludeWithdrawn.
type ConflictFilter struct {
	InspectorID      int64
	EntityCode       string
	IncludeWithdrawn bool
}

// ConflictInput declares or records a conflict. InspectorID is for
// RecordConflict: a declaration is always the declaring inspector's own.
type ConflictInput struct {
	InspectorID int64
	EntityCode  string
	Reason      string
}

// MaxReasonLength bounds a conflict's reason, in characters.
const MaxReasonLength = 1000

// ConflictStore keeps the conflicts of interest of a bureau's inspectors.
// Adding a conflict is BAD_USER_INPUT (input.entityCode) when the entity is
// not in the region, CONFLICT when the inspector has an open conflict with
// it already.
type ConflictStore interface {
	// ListConflicts returns a page of the bureau's conflicts by id.
	ListConflicts(ctx context.Context, actor *authz.Actor, f ConflictFilter, p page.Request) ([]Conflict, error)
	// Conflict reads one of the bureau's conflicts, withdrawn or not:
	// NOT_FOUND when it is not the bureau's.
	Conflict(ctx context.Context, actor *authz.Actor, id int64) (Conflict, error)
	// CountConflicts counts every page of ListConflicts.
	CountConflicts(ctx context.Context, actor *authz.Actor, f ConflictFilter) (int, error)
	// DeclareConflict adds a conflict of the bureau's inspector whose login
	// is the actor: BAD_USER_INPUT when no inspector is linked to it.
	DeclareConflict(ctx context.Context, actor *authz.Actor, in ConflictInput) (Conflict, error)
	// RecordConflict adds a conflict of the bureau's inspector in.InspectorID:
	// NOT_FOUND when the inspector is not the bureau's.
	RecordConflict(ctx context.Context, actor *authz.Actor, in ConflictInput) (Conflict, error)
	// WithdrawConflict closes an open conflict and keeps it: NOT_FOUND when
	// it is not the bureau's, CONFLICT when it was withdrawn already.
	WithdrawConflict(ctx context.Context, actor *authz.Actor, id int64) (Conflict, error)
}

// Conflicts returns a page of the acting bureau's conflicts of interest, by
// id. Needs conflict:read (admins, leaders, planners).
func (s *Service) Conflicts(ctx context.Context, f ConflictFilter, p page.Request) (*page.Connection[Conflict], error) {
	actor, err := s.Authz.Require(ctx, "conflict:read")
	if err != nil {
		return nil, err
	}
	f.EntityCode = NormalizeEntityCode(f.EntityCode)
	if len(f.EntityCode) > 64 {
		return nil, errs.InvalidField("filter.entityCode", "is at most 64 characters")
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	rows, err := s.InspectorStore.ListConflicts(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(c Conflict) string { return strconv.FormatInt(c.ID, 10) }).Counted(func(ctx context.Context) (int, error) {
		return s.InspectorStore.CountConflicts(ctx, actor, f)
	}), nil
}

// Conflict returns one of the acting bureau's conflicts of interest,
// withdrawn or not. Needs conflict:read; NOT_FOUND when it is another
// bureau's or does not exist.
func (s *Service) Conflict(ctx context.Context, id int64) (Conflict, error) {
	actor, err := s.Authz.Require(ctx, "conflict:read")
	if err != nil {
		return Conflict{}, err
	}
	return s.InspectorStore.Conflict(ctx, actor, id)
}

// DeclareConflict is an inspector declaring their own conflict of interest
// with an entity of the region (本人申报回避). Needs conflict:declare;
// BAD_USER_INPUT when no inspector of the acting bureau is linked to the
// caller's login, or the entity is not in the region (input.entityCode);
// CONFLICT when the inspector has an open conflict with the entity.
func (s *Service) DeclareConflict(ctx context.Context, in ConflictInput) (Conflict, error) {
	actor, err := s.Authz.Require(ctx, "conflict:declare")
	if err != nil {
		return Conflict{}, err
	}
	in.InspectorID = 0
	if in, err = checkConflictInput(in); err != nil {
		return Conflict{}, err
	}
	return s.InspectorStore.DeclareConflict(ctx, actor, in)
}

// RecordConflict is an admin recording a conflict of interest between one
// of the acting bureau's inspectors and an entity of the region. Needs
// conflict:record; NOT_FOUND when the inspector is not the acting
// bureau's; otherwise as DeclareConflict.
func (s *Service) RecordConflict(ctx context.Context, in ConflictInput) (Conflict, error) {
	actor, err := s.Authz.Require(ctx, "conflict:record")
	if err != nil {
		return Conflict{}, err
	}
	if in, err = checkConflictInput(in); err != nil {
		return Conflict{}, err
	}
	return s.InspectorStore.RecordConflict(ctx, actor, in)
}

// WithdrawConflict closes an open conflict of interest; the row stays, with
// who withdrew it and when. Needs conflict:record (an inspector asks an
// admin); NOT_FOUND when the conflict is not the acting bureau's; CONFLICT
// when it was withdrawn already.
func (s *Service) WithdrawConflict(ctx context.Context, id int64) (Conflict, error) {
	actor, err := s.Authz.Require(ctx, "conflict:record")
	if err != nil {
		return Conflict{}, err
	}
	return s.InspectorStore.WithdrawConflict(ctx, actor, id)
}

func checkConflictInput(in ConflictInput) (ConflictInput, error) {
	if _, err := ValidEntityCode(in.EntityCode); err != nil {
		return in, errs.InvalidField("input.entityCode", "%v", err)
	}
	in.EntityCode = NormalizeEntityCode(in.EntityCode)
	in.Reason = strings.TrimSpace(in.Reason)
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0:
		return in, errs.InvalidField("input.reason", "is required: say what the conflict is")
	case n > MaxReasonLength:
		return in, errs.InvalidField("input.reason", "is too long: %d characters, at most %d", n, MaxReasonLength)
	}
	return in, nil
}
