package draw

import (
	"fmt"
	"math/rand/v2"
)

// shape describes a synthetic draw.
type shape struct {
	rows       int
	inspectors int
	conflicts  int
	bureaus    int // inspectors are spread over them; each sends 2
	cap        int
	v1         bool // a dual-random-draw/v1 input; else v2, each row supervised by one or more bureaus
}

// bigCounty is the service's largest expected draw, but for the frame size: five risk strata whose
// default ratios select about 4% of the frame, 2,000 inspectors of one bureau sent by two,
// 10,000 conflicts, 1% of the frame excluded, ten units and cross_unit on.
func bigCounty(rows int) shape {
	return shape{rows: rows, inspectors: 2000, conflicts: 10000, bureaus: 1}
}

// strataMix gives each stratum's share of the frame (per mille) and ratio: 85% A at 3%, 10% B at
// 5%, 3% C at 10%, 1.5% D at 30%, 0.5% F at 50%, which selects 4.05% of the frame.
var strataMix = []struct {
	label    string
	perMille int
	ratio    string
}{{"A", 850, "3/100"}, {"B", 100, "5/100"}, {"C", 30, "10/100"}, {"D", 15, "30/100"}, {"F", 5, "50/100"}}

func syntheticInput(rng *rand.Rand, s shape) Input {
	in := Input{
		Params:   syntheticParams(s),
		Nonce:    randomHex(rng),
		RowKey:   randomHex(rng),
		Ceremony: fmt.Sprintf("dice %d", rng.Uint32()),
	}
	in.Frame = syntheticFrame(rng, s)
	for i := 0; i < s.rows/100; i++ {
		in.Exclusions = append(in.Exclusions, Exclusion{ID: in.Frame[i*100+rng.IntN(100)].ID, Reason: "annual_cap"})
	}
	in.Inspectors = syntheticInspectors(rng, s)
	seen := map[Conflict]bool{}
	for len(in.Conflicts) < s.conflicts && s.rows > 0 && s.inspectors > 0 {
		c := Conflict{Inspector: in.Inspectors[rng.IntN(s.inspectors)].ID, Entity: in.Frame[rng.IntN(s.rows)].ID}
		if !seen[c] {
			seen[c] = true
			in.Conflicts = append(in.Conflicts, c)
		}
	}
	return in
}

func syntheticParams(s shape) Params {
	p := Params{
		Algorithm: Algorithm,

		Strata:                 map[string]Stratum{},
		Team:                   map[string]int{},
		RequiredQualifications: map[string][]string{},
		CrossUnit:              true,
		MaxTasksPerInspector:   s.cap,
	}
	if s.v1 {
		p.Algorithm = AlgorithmV1
	}
	for _, m := range strataMix {
		p.Strata[m.label] = Stratum{Ratio: m.ratio, Min: 1}
	}
	for b := range s.bureaus {
		p.Team[bureauName(b)] = 2
		p.RequiredQualifications[bureauName(b)] = []string{"Q-01"}
	}
	return p
}

func syntheticFrame(rng *rand.Rand, s shape) []FrameRow {
	frame := make([]FrameRow, s.rows)
	offset := rng.Uint64()
	for i := range frame {
		// Multiplying by an odd number is a bijection modulo 2^40: the ids are unique but come
		// in no order, as if the frame were not read in id order.
		scrambled := (uint64(i)*0x9E3779B97F4A7C15 + offset) & (1<<40 - 1)
		frame[i] = FrameRow{ID: fmt.Sprintf("91140522%010X", scrambled)}
		if s.v1 {
			frame[i].Unit = unitName(rng.IntN(10))
		} else {
			frame[i].Units = syntheticUnits(rng, s.bureaus)
		}
		share := rng.IntN(1000)
		for _, m := range strataMix {
			if share -= m.perMille; share < 0 {
				frame[i].Stratum = m.label
				break
			}
		}
	}
	return frame
}

func syntheticInspectors(rng *rand.Rand, s shape) []Inspector {
	inspectors := make([]Inspector, s.inspectors)
	for i := range inspectors {
		qualifications := []string{"Q-02"}
		if rng.IntN(10) > 0 {
			qualifications = append(qualifications, "Q-01")
		}
		inspectors[i] = Inspector{
			ID:             fmt.Sprintf("晋文旅执字%06d", i),
			Bureau:         bureauName(i % max(s.bureaus, 1)),
			Unit:           unitName(rng.IntN(10)),
			Qualifications: qualifications,
		}
	}
	return inspectors
}

func bureauName(b int) string { return fmt.Sprintf("140522-b%d", b) }
func unitName(u int) string   { return fmt.Sprintf("第%d所", u) }

func randomHex(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x%016x%016x", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
}

// syntheticUnits: the first bureau supervises every entity, each other one a third of them.
func syntheticUnits(rng *rand.Rand, bureaus int) Units {
	units := Units{{Bureau: bureauName(0), Unit: unitName(rng.IntN(10))}}
	for b := 1; b < bureaus; b++ {
		if rng.IntN(3) == 0 {
			units = append(units, UnitOf{Bureau: bureauName(b), Unit: unitName(rng.IntN(10))})
		}
	}
	return units
}
