package plan

import (
	"testing"

	"shuangsuiji/internal/errs"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Plan)
		field  string // "" when valid
	}{
		{"DefaultsOK", func(p *Plan) {}, ""},
		{"BoundsOK", func(p *Plan) {
			p.DrawsPerYear, p.MinDrawRatioBP, p.MinCoverageBP = 12, 0, 10000
			p.Strata["A"] = StratumRule{RatioBP: 0, Min: 0, Cap: 1}
			p.Focus.PenaltyMonths = 0
		}, ""},
		{"ErrYear", func(p *Plan) { p.Year = 1999 }, "input.year"},
		{"ErrNoDraws", func(p *Plan) { p.DrawsPerYear = 0 }, "input.drawsPerYear"},
		{"ErrTooManyDraws", func(p *Plan) { p.DrawsPerYear = 13 }, "input.drawsPerYear"},
		{"ErrDrawRatio", func(p *Plan) { p.MinDrawRatioBP = -1 }, "input.minDrawRatioBasisPoints"},
		{"ErrCoverage", func(p *Plan) { p.MinCoverageBP = 10001 }, "input.minCoverageBasisPoints"},
		{"ErrStratumRatio", func(p *Plan) { p.Strata["C"] = StratumRule{RatioBP: 10001, Min: 1, Cap: 2} }, "input.strata.C.ratioBasisPoints"},
		{"ErrStratumMin", func(p *Plan) { p.Strata["D"] = StratumRule{RatioBP: 3000, Min: -1, Cap: 4} }, "input.strata.D.minPerDraw"},
		{"ErrStratumCap", func(p *Plan) { p.Strata["F"] = StratumRule{RatioBP: 5000, Min: 1, Cap: 0} }, "input.strata.F.capPerYear"},
		{"ErrMissingStratum", func(p *Plan) { delete(p.Strata, "B") }, "input.strata.B"},
		{"ErrUnknownStratum", func(p *Plan) { p.Strata["E"] = StratumRule{Cap: 1} }, "input.strata"},
		{"ErrComplaints", func(p *Plan) { p.Focus.Complaints = 0 }, "input.focus.complaintThreshold"},
		{"ErrPenaltyMonths", func(p *Plan) { p.Focus.PenaltyMonths = 121 }, "input.focus.penaltyMonths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Defaults(2026)
			tt.change(&p)
			err := Validate(p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Field != tt.field {
				t.Fatalf("err = %v, want BAD_USER_INPUT on %s", err, tt.field)
			}
		})
	}
}

func TestProgressOf(t *testing.T) {
	tally := Tally{
		Plan:     Defaults(2026),
		Roster:   Counts{"B": 30, "C": 10, "D": 5, "F": 5},
		Covered:  Counts{"B": 4, "C": 2, "D": 1, "F": 1},
		Quarters: [4]QuarterTally{{Draws: 1, Covered: 5}, {Draws: 1, Covered: 3}, {}, {Draws: 1, Covered: 1}},
	}
	p := progressOf(2026, tally)
	if p.RosterSize != 50 || p.Covered != 8 || p.CoverageBP != 1600 {
		t.Errorf("roster, covered, bp = %d, %d, %d; want 50, 8, 1600", p.RosterSize, p.Covered, p.CoverageBP)
	}
	wantStrata := []StratumProgress{
		{"A", 0, 0, 0}, {"B", 30, 4, 1333}, {"C", 10, 2, 2000}, {"D", 5, 1, 2000}, {"F", 5, 1, 2000},
	}
	for i, w := range wantStrata {
		if p.Strata[i] != w {
			t.Errorf("stratum %d = %+v, want %+v", i, p.Strata[i], w)
		}
	}
	wantQuarters := []QuarterProgress{{1, 1, 5, 1000}, {2, 1, 3, 600}, {3, 0, 0, 0}, {4, 1, 1, 200}}
	for i, w := range wantQuarters {
		if p.Quarters[i] != w {
			t.Errorf("quarter %d = %+v, want %+v", i+1, p.Quarters[i], w)
		}
	}
}

func TestRules(t *testing.T) {
	rules := Defaults(2026).Rules()
	if len(rules) != 5 || rules[2].Stratum != "C" || rules[2].RatioBP != 1000 || rules[2].Cap != 2 {
		t.Errorf("Rules() = %+v, want A–F in order with C at 10%%, cap 2", rules)
	}
	if !Defaults(2026).IsDefault() {
		t.Error("Defaults is not IsDefault")
	}
}
