package plan

import (
	"fmt"
	"strconv"
	"strings"

	"shuangsuiji/internal/errs"
)

// Counts are entities per stratum label.
type Counts map[string]int

// Total is the sum over every stratum.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// PerDraw is how many of n eligible entities of the stratum one draw
// takes: ceil(RatioBP·n/10000), at least Min, at most n. Draws and the
// feasibility check both count this way.
func (r StratumRule) PerDraw(n int) int {
	if n <= 0 {
		return 0
	}
	k := max(r.Min, ceilDiv(r.RatioBP*n, 10000))
	return min(k, n)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// basisPoints is part/whole in basis points, rounded down; 0 for an empty whole.
func basisPoints(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return part * 10000 / whole
}

// StratumReach is what a plan's rule reaches in one stratum of the roster.
type StratumReach struct {
	Stratum string `json:"stratum"`
	RatioBP int    `json:"ratioBasisPoints"`
	Min     int    `json:"minPerDraw"`
	Roster  int    `json:"roster"`  // n_h: active roster entries in the stratum now
	PerDraw int    `json:"perDraw"` // entities one draw takes
	PerYear int    `json:"perYear"` // distinct entities the year's draws reach at most
}

// Feasibility is the best a plan can do with a roster: how much of it one
// draw takes, and how much the year's draws can cover if no entity is
// drawn twice.
type Feasibility struct {
	RosterSize          int            `json:"rosterSize"`
	DrawsPerYear        int            `json:"drawsPerYear"`
	PerDraw             int            `json:"perDraw"`
	PerDrawBP           int            `json:"perDrawBasisPoints"`
	Reachable           int            `json:"reachable"`
	ReachableCoverageBP int            `json:"reachableCoverageBasisPoints"`
	Strata              []StratumReach `json:"strata"`
}

// Assess works out what the plan reaches with roster counts n_h per
// stratum (N = Σ n_h, D draws a year):
//
//	one draw:  Σ_h PerDraw_h(n_h)                 / N
//	the year:  Σ_h min(n_h, D · PerDraw_h(n_h))   / N
//
// Percentages are basis points rounded down, so a figure below the
// plan's requirement really is below it.
func Assess(p Plan, roster Counts) Feasibility {
	f := Feasibility{RosterSize: roster.Total(), DrawsPerYear: p.DrawsPerYear}
	for _, h := range Strata {
		rule, n := p.Strata[h], roster[h]
		k := rule.PerDraw(n)
		reach := StratumReach{Stratum: h, RatioBP: rule.RatioBP, Min: rule.Min, Roster: n, PerDraw: k,
			PerYear: min(n, p.DrawsPerYear*k)}
		f.Strata = append(f.Strata, reach)
		f.PerDraw += reach.PerDraw
		f.Reachable += reach.PerYear
	}
	f.PerDrawBP = basisPoints(f.PerDraw, f.RosterSize)
	f.ReachableCoverageBP = basisPoints(f.Reachable, f.RosterSize)
	return f
}

// Checked reports whether there was a roster to check the plan against.
func (f Feasibility) Checked() bool { return f.RosterSize > 0 }

// Refusal is nil when the plan can reach both its annual coverage and its
// per-draw ratio (always, for an empty roster: nothing to check), and
// otherwise BAD_USER_INPUT on input.strata whose message holds the
// figures and whose details are f.
func (f Feasibility) Refusal(p Plan) error {
	if !f.Checked() {
		return nil
	}
	var problems []string
	if f.ReachableCoverageBP < p.MinCoverageBP {
		problems = append(problems, fmt.Sprintf("the ratios reach at most %s of %s entities in %s (%s), below the %s the plan requires",
			percent(f.ReachableCoverageBP), thousands(f.RosterSize), plural(f.DrawsPerYear, "draw"),
			f.breakdown(true), percent(p.MinCoverageBP)))
	}
	if f.PerDrawBP < p.MinDrawRatioBP {
		problems = append(problems, fmt.Sprintf("one draw takes at most %s of %s entities (%s), below the %s a draw the plan requires",
			percent(f.PerDrawBP), thousands(f.RosterSize), f.breakdown(false), percent(p.MinDrawRatioBP)))
	}
	if len(problems) == 0 {
		return nil
	}
	return &errs.Error{Kind: errs.Invalid, Field: "input.strata", Details: f,
		Message: strings.Join(problems, "; and ")}
}

// breakdown lists the non-empty strata: "B 5% of 30: 2 a draw, 8 in the
// year; …".
func (f Feasibility) breakdown(year bool) string {
	var parts []string
	for _, s := range f.Strata {
		if s.Roster == 0 {
			continue
		}
		part := fmt.Sprintf("%s %s of %s", s.Stratum, percent(s.RatioBP), thousands(s.Roster))
		if s.Min > ceilDiv(s.RatioBP*s.Roster, 10000) {
			part += fmt.Sprintf(" (at least %d)", s.Min)
		}
		part += fmt.Sprintf(": %d a draw", s.PerDraw)
		if year {
			part += fmt.Sprintf(", %d in the year", s.PerYear)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// percent writes basis points as a percentage: 300 → "3%", 1425 → "14.25%".
func percent(bp int) string {
	s := strconv.Itoa(bp / 100)
	if frac := bp % 100; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s + "%"
}

// thousands writes n with thousands separators: 1234 → "1,234".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
