package plan

import (
	"strings"
	"testing"

	"shuangsuiji/internal/errs"
)

func TestPerDraw(t *testing.T) {
	tests := []struct {
		name string
		rule StratumRule
		n    int
		want int
	}{
		{"EmptyStratum", StratumRule{RatioBP: 300, Min: 1}, 0, 0},
		{"RoundsUp", StratumRule{RatioBP: 300}, 40, 2},          // 1.2
		{"Exact", StratumRule{RatioBP: 500}, 200, 10},           // 10.0
		{"MinRaises", StratumRule{RatioBP: 300, Min: 5}, 40, 5}, // 1.2 < 5
		{"MinBoundedByStratum", StratumRule{RatioBP: 300, Min: 5}, 3, 3},
		{"ZeroRatioTakesMin", StratumRule{RatioBP: 0, Min: 2}, 100, 2},
		{"ZeroRatioNoMin", StratumRule{RatioBP: 0}, 100, 0},
		{"Everything", StratumRule{RatioBP: 10000}, 7, 7},
		{"OneEntityAnyRatio", StratumRule{RatioBP: 1}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.PerDraw(tt.n); got != tt.want {
				t.Errorf("PerDraw(%d) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
}

// withRatios is the default plan of 2026 with the given ratios and draws.
func withRatios(draws int, ratios map[string]int) Plan {
	p := Defaults(2026)
	p.DrawsPerYear = draws
	for h, bp := range ratios {
		r := p.Strata[h]
		r.RatioBP = bp
		p.Strata[h] = r
	}
	return p
}

func TestAssess(t *testing.T) {
	// The roster of the server tests: 30 B, 10 C, 5 D, 5 F.
	mixed := Counts{"B": 30, "C": 10, "D": 5, "F": 5}
	tests := []struct {
		name           string
		plan           Plan
		roster         Counts
		perDraw, reach int
		perDrawBP      int
		reachBP        int
	}{
		// B 2 (1.5↑), C 1, D 2 (1.5↑), F 3 (2.5↑) a draw; a year of 4:
		// B 8, C 4, D 5 (all of them), F 5.
		{"DefaultsMixed", Defaults(2026), mixed, 8, 22, 1600, 4400},
		{"OneDraw", withRatios(1, nil), mixed, 8, 8, 1600, 1600},
		// All A at 3%: 3 a draw, 12 a year of 100: the defaults cannot
		// reach 20% on a low-risk roster.
		{"AllLowRisk", Defaults(2026), Counts{"A": 100}, 3, 12, 300, 1200},
		{"EmptyRoster", Defaults(2026), Counts{}, 0, 0, 0, 0},
		{"StrataWithoutEntitiesTakeNone", Defaults(2026), Counts{"D": 10}, 3, 10, 3000, 10000},
		// 1,234 in A at 3%: ceil(37.02) = 38 a draw, 152 a year: 12.31%.
		{"RoundsDown", Defaults(2026), Counts{"A": 1234}, 38, 152, 307, 1231},
		{"TwelveDrawsOfEverything", withRatios(12, map[string]int{"A": 10000}), Counts{"A": 9}, 9, 9, 10000, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Assess(tt.plan, tt.roster)
			got := [4]int{f.PerDraw, f.Reachable, f.PerDrawBP, f.ReachableCoverageBP}
			want := [4]int{tt.perDraw, tt.reach, tt.perDrawBP, tt.reachBP}
			if got != want {
				t.Errorf("per draw, reachable, per draw bp, reachable bp = %v, want %v", got, want)
			}
			if f.RosterSize != tt.roster.Total() || len(f.Strata) != len(Strata) {
				t.Errorf("roster size %d, %d strata; want %d, %d", f.RosterSize, len(f.Strata), tt.roster.Total(), len(Strata))
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	mixed := Counts{"B": 30, "C": 10, "D": 5, "F": 5}
	strictDraw := Defaults(2026)
	strictDraw.MinDrawRatioBP = 2000
	bothShort := withRatios(1, nil)
	bothShort.MinDrawRatioBP = 2000
	tests := []struct {
		name   string
		plan   Plan
		roster Counts
		want   []string // substrings of the message; none: accepted
	}{
		{"DefaultsAccepted", Defaults(2026), mixed, nil},
		{"EmptyRosterAccepted", withRatios(1, map[string]int{"A": 0, "B": 0, "C": 0, "D": 0, "F": 0}), Counts{}, nil},
		{"ExactlyEnoughAccepted", Defaults(2026), Counts{"B": 100}, nil}, // 5 a draw, 20 of 100
		{"CoverageShort", Defaults(2026), Counts{"A": 1234}, []string{
			"the ratios reach at most 12.31% of 1,234 entities in 4 draws (A 3% of 1,234: 38 a draw, 152 in the year), below the 20% the plan requires"}},
		{"OneDrawShort", withRatios(1, nil), mixed, []string{
			"at most 16% of 50 entities in 1 draw (B 5% of 30: 2 a draw, 2 in the year; C 10% of 10: 1 a draw, 1 in the year;",
			"below the 20% the plan requires"}},
		{"PerDrawShort", strictDraw, mixed, []string{
			"one draw takes at most 16% of 50 entities (B 5% of 30: 2 a draw; C 10% of 10: 1 a draw; D 30% of 5: 2 a draw; F 50% of 5: 3 a draw), below the 20% a draw the plan requires"}},
		{"BothShort", bothShort, mixed, []string{"the plan requires; and one draw takes at most 16%"}},
		{"MinShown", func() Plan {
			p := withRatios(4, map[string]int{"A": 0})
			r := p.Strata["A"]
			r.Min = 2
			p.Strata["A"] = r
			return p
		}(), Counts{"A": 100}, []string{"A 0% of 100 (at least 2): 2 a draw, 8 in the year"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Assess(tt.plan, tt.roster).Refusal(tt.plan)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Field != "input.strata" {
				t.Fatalf("err = %#v, want BAD_USER_INPUT on input.strata", err)
			}
			if _, ok := e.Details.(Feasibility); !ok {
				t.Errorf("details = %T, want the Feasibility figures", e.Details)
			}
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q\nlacks %q", e.Message, w)
				}
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	for bp, want := range map[int]string{0: "0%", 300: "3%", 250: "2.5%", 1231: "12.31%", 10000: "100%", 5: "0.05%"} {
		if got := percent(bp); got != want {
			t.Errorf("percent(%d) = %q, want %q", bp, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
