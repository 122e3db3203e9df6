package plan

import (
	"context"
	"slices"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Service keeps the acting bureau's annual plans and reports the progress
// of a year's draws toward them. Every member of a bureau may read its
// plans (plan:read); planners and admins save them (plan:write). A bureau
// never sees another's plans: asking for a year it has not planned gives
// the defaults, whoever else has planned that year.
type Service struct {
	Store Store
	Authz *authz.Enforcer
	Now   func() time.Time // the clock for focus rules (penalty window); time.Now when nil
}

// Rule is a stratum's rule with its label, for listing a plan's strata.
type Rule struct {
	Stratum string
	StratumRule
}

// Rules lists the plan's strata in the order of Strata.
func (p Plan) Rules() []Rule {
	out := make([]Rule, 0, len(Strata))
	for _, h := range Strata {
		out = append(out, Rule{Stratum: h, StratumRule: p.Strata[h]})
	}
	return out
}

// IsDefault reports whether p is Defaults of its year rather than a plan
// the bureau saved.
func (p Plan) IsDefault() bool { return p.ID == 0 }

// Saved is what saving a plan did: the plan as stored, what it reaches
// with the roster as it is now, and whether anything changed.
type Saved struct {
	Plan        Plan
	Feasibility Feasibility
	Changed     bool
}

// Progress is how far a year's executed draws have come toward the plan:
// distinct entities drawn over the roster as it is now, overall, per
// stratum and per quarter.
type Progress struct {
	Year       int
	Plan       Plan // the plan of the year (its defaults if none was saved)
	RosterSize int  // active roster entries now
	Covered    int  // distinct entities drawn in the year's executed draws
	CoverageBP int
	Strata     []StratumProgress
	Quarters   []QuarterProgress
}

// StratumProgress is a stratum's part of Progress. Roster is counted now,
// under the plan's focus rules; Covered counts each drawn entity once, in
// the stratum recorded at its latest draw of the year.
type StratumProgress struct {
	Stratum    string
	Roster     int
	Covered    int
	CoverageBP int // Covered over Roster
}

// QuarterProgress is a quarter's part of Progress: its executed draws and
// the distinct entities they drew.
type QuarterProgress struct {
	Quarter    int
	Draws      int
	Covered    int
	CoverageBP int // Covered over the whole roster
}

// Tally is what the store counts for Progress.
type Tally struct {
	Plan     Plan
	Roster   Counts // active entries now, per stratum under Plan's focus rules
	Covered  Counts // distinct entities drawn, per stratum recorded at their latest draw
	Quarters [4]QuarterTally
}

// QuarterTally counts a quarter's executed draws and the distinct
// entities they drew.
type QuarterTally struct {
	Draws   int
	Covered int
}

// Store keeps plans. Every method runs as the serving role in the actor's
// bureau, so it sees that bureau's plans and draws only.
type Store interface {
	// Plan returns the bureau's plan for the year, or Defaults(year) (ID 0)
	// when it has none.
	Plan(ctx context.Context, actor *authz.Actor, year int) (Plan, error)
	// Plans lists the bureau's saved plans, latest year first.
	Plans(ctx context.Context, actor *authz.Actor) ([]Plan, error)
	// SavePlan counts the bureau's active roster per stratum under p's
	// focus rules at the instant and hands the counts to check; when check
	// accepts them, it creates or replaces the plan of p.Year with its
	// audit entry. All in one transaction: an error from check comes back
	// as it is and nothing changes. changed is false when the stored plan
	// already was p. CONFLICT when another save created the year's plan at
	// the same time.
	SavePlan(ctx context.Context, actor *authz.Actor, p Plan, at time.Time, check func(Counts) error) (saved Plan, changed bool, err error)
	// Tally counts the year: the plan, the roster now, and what the year's
	// executed draws that the bureau took part in have drawn.
	Tally(ctx context.Context, actor *authz.Actor, year int, at time.Time) (Tally, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Plan returns the acting bureau's plan for the year or, when it has
// saved none, Defaults(year) (IsDefault true): what its draws of the year
// will use. Needs plan:read; BAD_USER_INPUT for a year out of range.
func (s *Service) Plan(ctx context.Context, year int) (Plan, error) {
	actor, err := s.Authz.Require(ctx, "plan:read")
	if err != nil {
		return Plan{}, err
	}
	if err := validYear("year", year); err != nil {
		return Plan{}, err
	}
	return s.Store.Plan(ctx, actor, year)
}

// Plans lists the plans the acting bureau has saved, latest year first.
// Needs plan:read.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	actor, err := s.Authz.Require(ctx, "plan:read")
	if err != nil {
		return nil, err
	}
	return s.Store.Plans(ctx, actor)
}

// Save creates or replaces the acting bureau's plan of p.Year. Every field
// is checked, a bad one refused with BAD_USER_INPUT naming it
// ("input.strata.C.ratioBasisPoints"). The plan is then assessed against
// the bureau's active roster as it is now: a plan whose draws cannot reach
// its annual coverage, or whose one draw falls short of its per-draw
// ratio, is refused with BAD_USER_INPUT holding the figures (see
// Feasibility.Refusal) and nothing changes. An empty roster has nothing to
// check: the plan is saved and Feasibility.Checked is false. Needs
// plan:write.
func (s *Service) Save(ctx context.Context, p Plan) (Saved, error) {
	actor, err := s.Authz.Require(ctx, "plan:write")
	if err != nil {
		return Saved{}, err
	}
	if err := Validate(p); err != nil {
		return Saved{}, err
	}
	var out Saved
	check := func(roster Counts) error {
		out.Feasibility = Assess(p, roster)
		return out.Feasibility.Refusal(p)
	}
	out.Plan, out.Changed, err = s.Store.SavePlan(ctx, actor, p, s.now(), check)
	if err != nil {
		return Saved{}, err
	}
	return out, nil
}

// Progress reports the acting bureau's year so far: the distinct entities
// drawn by the year's executed draws it took part in (led or joined),
// over its active roster now, overall, per stratum and per quarter. Needs
// plan:read; BAD_USER_INPUT for a year out of range.
func (s *Service) Progress(ctx context.Context, year int) (Progress, error) {
	actor, err := s.Authz.Require(ctx, "plan:read")
	if err != nil {
		return Progress{}, err
	}
	if err := validYear("year", year); err != nil {
		return Progress{}, err
	}
	t, err := s.Store.Tally(ctx, actor, year, s.now())
	if err != nil {
		return Progress{}, err
	}
	return progressOf(year, t), nil
}

// progressOf turns the store's counts into fractions.
func progressOf(year int, t Tally) Progress {
	p := Progress{Year: year, Plan: t.Plan, RosterSize: t.Roster.Total(), Covered: t.Covered.Total()}
	p.CoverageBP = basisPoints(p.Covered, p.RosterSize)
	for _, h := range Strata {
		n, c := t.Roster[h], t.Covered[h]
		p.Strata = append(p.Strata, StratumProgress{Stratum: h, Roster: n, Covered: c, CoverageBP: basisPoints(c, n)})
	}
	for i, q := range t.Quarters {
		p.Quarters = append(p.Quarters, QuarterProgress{Quarter: i + 1, Draws: q.Draws, Covered: q.Covered,
			CoverageBP: basisPoints(q.Covered, p.RosterSize)})
	}
	return p
}

// Validate checks every field of a plan, naming the first bad one by its
// GraphQL input path: the year 2000–2100, 1–12 draws a year, ratios
// 0–10000 basis points, strata exactly A, B, C, D and F with minimums ≥ 0
// and caps ≥ 1, a complaint threshold ≥ 1 and a penalty window of 0–120
// months.
func Validate(p Plan) error {
	if err := validYear("input.year", p.Year); err != nil {
		return err
	}
	if p.DrawsPerYear < 1 || p.DrawsPerYear > 12 {
		return errs.InvalidField("input.drawsPerYear", "is %d; a plan has 1 to 12 draws a year", p.DrawsPerYear)
	}
	if p.PublishWithinDays < 1 || p.PublishWithinDays > 120 {
		return errs.InvalidField("input.publishWithinDays", "is %d; results are published within 1 to 120 working days", p.PublishWithinDays)
	}
	if err := validBP("input.minDrawRatioBasisPoints", p.MinDrawRatioBP); err != nil {
		return err
	}
	if err := validBP("input.minCoverageBasisPoints", p.MinCoverageBP); err != nil {
		return err
	}
	if err := validStrata(p.Strata); err != nil {
		return err
	}
	if p.Focus.Complaints < 1 {
		return errs.InvalidField("input.focus.complaintThreshold", "is %d; at least 1 complaint", p.Focus.Complaints)
	}
	if p.Focus.PenaltyMonths < 0 || p.Focus.PenaltyMonths > 120 {
		return errs.InvalidField("input.focus.penaltyMonths", "is %d; 0 (penalties never make an entity focus) to 120 months", p.Focus.PenaltyMonths)
	}
	return nil
}

func validStrata(strata map[string]StratumRule) error {
	for h := range strata {
		if !slices.Contains(Strata, h) {
			return errs.InvalidField("input.strata", "has unknown stratum %q; the strata are A, B, C, D and F", h)
		}
	}
	for _, h := range Strata {
		r, ok := strata[h]
		field := "input.strata." + h
		switch {
		case !ok:
			return errs.InvalidField(field, "is missing; a plan has a rule for each of A, B, C, D and F")
		case r.RatioBP < 0 || r.RatioBP > 10000:
			return errs.InvalidField(field+".ratioBasisPoints", "is %d; a ratio is 0 to 10000 basis points (0–100%%)", r.RatioBP)
		case r.Min < 0:
			return errs.InvalidField(field+".minPerDraw", "is %d; at least 0", r.Min)
		case r.Cap < 1:
			return errs.InvalidField(field+".capPerYear", "is %d; at least 1 inspection a year", r.Cap)
		}
	}
	return nil
}

func validYear(field string, year int) error {
	if year < 2000 || year > 2100 {
		return errs.InvalidField(field, "is %d; a plan's year is 2000 to 2100", year)
	}
	return nil
}

func validBP(field string, bp int) error {
	if bp < 0 || bp > 10000 {
		return errs.InvalidField(field, "is %d; a ratio is 0 to 10000 basis points (0–100%%)", bp)
	}
	return nil
}
