package workday

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Store keeps the admin's overrides: national reference data of the
// deployment, written through the audited service in the admin's bureau.
type Store interface {
	// Load returns every override and every year declared complete.
	Load(ctx context.Context) ([]Override, []int, error)
	SetOverride(ctx context.Context, actor *authz.Actor, o Override) error
	RemoveOverride(ctx context.Context, actor *authz.Actor, day time.Time) error
	SetYearComplete(ctx context.Context, actor *authz.Actor, year int, complete bool, note string) error
}

// Service answers working-day questions and keeps the overrides.
type Service struct {
	Store Store
	Authz *authz.Enforcer
}

// Calendar is the calendar in force: the library's with the overrides.
// It reads the overrides on every call (a few rows), so every server
// instance sees a change at once.
func (s *Service) Calendar(ctx context.Context) (*Calendar, error) {
	overrides, years, err := s.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	return New(overrides, years), nil
}

// MaxDays bounds a public working-day question.
const MaxDays = 1000

// WorkingDaysAfter is the days-th working day after date. Anyone may ask,
// signed in or not.
func (s *Service) WorkingDaysAfter(ctx context.Context, date time.Time, days int) (time.Time, bool, error) {
	if days < 0 || days > MaxDays {
		return time.Time{}, false, errs.InvalidField("days", "must be between 0 and %d", MaxDays)
	}
	if date.Year() < 2000 || date.Year() > 2100 {
		return time.Time{}, false, errs.InvalidField("date", "must be between 2000 and 2100")
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	d, provisional := cal.After(date, days)
	return d, provisional, nil
}

// SetOverride makes day a working day or a rest day (calendar:manage).
func (s *Service) SetOverride(ctx context.Context, o Override) error {
	actor, err := s.Authz.Require(ctx, "calendar:manage")
	if err != nil {
		return err
	}
	if o.Day.Year() < 2000 || o.Day.Year() > 2100 {
		return errs.InvalidField("input.day", "must be between 2000 and 2100")
	}
	o.Day = Date(o.Day)
	o.Name = strings.TrimSpace(o.Name)
	if !utf8.ValidString(o.Name) || utf8.RuneCountInString(o.Name) > 50 || strings.ContainsRune(o.Name, 0) {
		return errs.InvalidField("input.name", "at most 50 characters of text")
	}
	return s.Store.SetOverride(ctx, actor, o)
}

// RemoveOverride gives day back to the library's calendar (calendar:manage).
func (s *Service) RemoveOverride(ctx context.Context, day time.Time) error {
	actor, err := s.Authz.Require(ctx, "calendar:manage")
	if err != nil {
		return err
	}
	return s.Store.RemoveOverride(ctx, actor, Date(day))
}

// SetYearComplete declares (or withdraws) that the overrides of year make
// its calendar complete, so its deadlines are not provisional
// (calendar:manage).
func (s *Service) SetYearComplete(ctx context.Context, year int, complete bool, note string) error {
	actor, err := s.Authz.Require(ctx, "calendar:manage")
	if err != nil {
		return err
	}
	if year < 2000 || year > 2100 {
		return errs.InvalidField("input.year", "must be between 2000 and 2100")
	}
	if utf8.RuneCountInString(note) > 200 || !utf8.ValidString(note) {
		return errs.InvalidField("input.note", "at most 200 characters of text")
	}
	return s.Store.SetYearComplete(ctx, actor, year, complete, strings.TrimSpace(note))
}

// Year is a year of the calendar as a page shows it.
type Year struct {
	Year      int
	Known     bool // announced: in the library or declared complete
	Overrides []Override
}

// YearOf returns year's overrides and whether it is known. Anyone may ask.
func (s *Service) YearOf(ctx context.Context, year int) (Year, error) {
	if year < 2000 || year > 2100 {
		return Year{}, errs.InvalidField("year", "must be between 2000 and 2100")
	}
	overrides, years, err := s.Store.Load(ctx)
	if err != nil {
		return Year{}, err
	}
	cal := New(overrides, years)
	y := Year{Year: year, Known: cal.Known(year)}
	for _, o := range overrides {
		if o.Day.Year() == year {
			y.Overrides = append(y.Overrides, o)
		}
	}
	return y, nil
}
