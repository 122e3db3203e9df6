package dashboard

import (
	"context"
	"regexp"
	"strings"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/plan"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/workday"
)

// Service answers dashboards and histories. Leaders, planners, reviewers,
// admins and the joint office's coordinators may read them
// (dashboard:read); inspectors see their tasks instead.
type Service struct {
	Store    Store
	Calendar *workday.Service
	Authz    *authz.Enforcer
	Now      func() time.Time // the clock; time.Now when nil
	// NoCache counts every dashboard afresh (to measure the count itself).
	NoCache bool
	cache   tallies
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Dashboard returns the year of the acting bureau or, for a joint
// office, of every bureau of its region with the joint quarters. Needs
// dashboard:read; BAD_USER_INPUT for a year out of 2000–2100.
func (s *Service) Dashboard(ctx context.Context, year int) (Dashboard, error) {
	actor, err := s.Authz.Require(ctx, "dashboard:read")
	if err != nil {
		return Dashboard{}, err
	}
	if year < 2000 || year > 2100 {
		return Dashboard{}, errs.InvalidField("year", "is %d; a year is 2000 to 2100", year)
	}
	cal, err := s.Calendar.Calendar(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	now := s.now()
	today := workday.Date(now.In(workday.China))
	horizon, _ := cal.After(today, DueSoonDays)
	q := Query{Year: year, At: now,
		Overdue: cal.EarliestEndsNotDueBefore(today, record.MaxPublishWithinDays),
		DueBy:   cal.EarliestEndsNotDueBefore(horizon.AddDate(0, 0, 1), record.MaxPublishWithinDays)}
	t, err := s.tally(ctx, actor, q)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Year: year, Joint: t.Joint}
	for _, b := range t.Bureaus {
		d.Bureaus = append(d.Bureaus, figuresOf(b))
	}
	return d, nil
}

// tally counts the year, or returns the count kept for the bureau and
// year when nothing it was counted from has moved since (see cache.go).
func (s *Service) tally(ctx context.Context, actor *authz.Actor, q Query) (Tally, error) {
	count := func(ctx context.Context) (Tally, error) { return s.Store.Tally(ctx, actor, q) }
	if s.NoCache {
		return count(ctx)
	}
	version, err := s.Store.Version(ctx, actor)
	if err != nil {
		return Tally{}, err
	}
	return s.cache.get(ctx, cacheKey{bureau: actor.BureauID, year: q.Year}, stampOf(version, q), count)
}

// figuresOf turns one bureau's counts into figures beside its plan's.
func figuresOf(t BureauTally) Figures {
	p := t.Plan
	f := Figures{Bureau: t.Bureau, Tasks: t.Tasks, RecordsAwaitingReview: t.AwaitingReview, Results: t.Results,
		Plan: PlanFigures{IsDefault: p.IsDefault(), DrawsPerYear: p.DrawsPerYear, MinDrawRatioBP: p.MinDrawRatioBP,
			MinCoverageBP: p.MinCoverageBP, PublishWithinDays: p.PublishWithinDays},
		RosterSize: t.Roster.Total(), Covered: t.Covered.Total()}
	f.CoverageBP = basisPoints(f.Covered, f.RosterSize)
	reach := plan.Assess(p, t.Roster)
	for i, h := range plan.Strata {
		n, c, planned := t.Roster[h], t.Covered[h], reach.Strata[i].PerYear
		f.Strata = append(f.Strata, Stratum{Stratum: h, Roster: n, Covered: c, CoverageBP: basisPoints(c, n),
			Planned: planned, PlannedBP: basisPoints(planned, n)})
	}
	cumulative := 0
	for i, q := range t.Quarters {
		cumulative += q.FirstCovered
		f.Quarters = append(f.Quarters, Quarter{Quarter: i + 1, Draws: q.Draws, Covered: q.Covered,
			CoverageBP: basisPoints(q.Covered, f.RosterSize), CumulativeCovered: cumulative,
			CumulativeCoverageBP: basisPoints(cumulative, f.RosterSize), TargetBP: p.MinCoverageBP * (i + 1) / 4})
	}
	return f
}

// basisPoints is part/whole in basis points, rounded down; 0 for an empty
// whole.
func basisPoints(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return part * 10000 / whole
}

// entityCode is what an entity's code looks like: a USCC (18
// characters) or a registration number (15), or a shorter code a roster
// holds; the history of a code no draw selected is empty.
var entityCode = regexp.MustCompile(`^[0-9A-Z]{1,18}$`)

// History returns the entity's inspection history in the acting bureau's
// region: its code and name; its visits come through Visits. Needs
// dashboard:read; BAD_USER_INPUT for a malformed code.
func (s *Service) History(ctx context.Context, code string) (History, error) {
	actor, code, err := s.historyOf(ctx, code)
	if err != nil {
		return History{}, err
	}
	return s.Store.History(ctx, actor, code)
}

// Visits returns a page of the entity's visits in the acting bureau's
// region: every executed draw that selected it, newest window first, with
// every bureau's published results and, for draws the acting bureau takes
// part in, their unpublished records. Needs dashboard:read; BAD_USER_INPUT
// for a malformed code or cursor; an entity never drawn has no visits.
func (s *Service) Visits(ctx context.Context, code string, p page.Request) (*page.Connection[Visit], error) {
	actor, code, err := s.historyOf(ctx, code)
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(isVisitKey); err != nil {
		return nil, err
	}
	rows, err := s.Store.Visits(ctx, actor, code, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, Visit.Key).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountVisits(ctx, actor, code)
	}), nil
}

// historyOf checks that the caller may read histories and the code is
// one, and returns the caller and the code as the store reads it.
func (s *Service) historyOf(ctx context.Context, code string) (*authz.Actor, string, error) {
	actor, err := s.Authz.Require(ctx, "dashboard:read")
	if err != nil {
		return nil, "", err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if !entityCode.MatchString(code) {
		return nil, "", errs.InvalidField("entityCode", "is an entity's code: its 统一社会信用代码 or registration number, up to 18 characters 0-9 and A-Z")
	}
	return actor, code, nil
}

func isVisitKey(key string) bool {
	_, _, ok := VisitKey(key)
	return ok
}
