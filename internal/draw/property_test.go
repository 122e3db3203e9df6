package draw

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomInput makes a small valid input, varied enough to reach every rule: several strata with
// odd ratios and minimums, exclusions, units, one to three bureaus with required
// qualifications, conflicts (some naming no inspector), cross_unit and caps that bind.
func randomInput(rng *rand.Rand) Input {
	labels := []string{"A", "B", "C", "D", "F"}[:1+rng.IntN(5)]
	units := []string{"", "城关所", "润城所", "北留所"}
	bureaus := []string{"140522-sj", "140522-wl", "140522-ws"}[:1+rng.IntN(3)]
	codes := []string{"Q1", "Q2", "Q3"}
	in := Input{
		Params: Params{Algorithm: AlgorithmV1, Strata: map[string]Stratum{}, Team: map[string]int{},
			RequiredQualifications: map[string][]string{}, CrossUnit: rng.IntN(2) == 0},
		Nonce: randomHex(rng), RowKey: randomHex(rng), Ceremony: fmt.Sprint("dice ", rng.Uint32()),
	}
	if rng.IntN(2) == 0 {
		in.Params.MaxTasksPerInspector = 1 + rng.IntN(6)
	}
	for _, label := range labels {
		q := 1 + rng.IntN(20)
		in.Params.Strata[label] = Stratum{Ratio: fmt.Sprintf("%d/%d", rng.IntN(q+1), q), Min: rng.IntN(6) - 1}
	}
	for _, b := range bureaus {
		if rng.IntN(5) > 0 {
			in.Params.Team[b] = rng.IntN(4)
		}
		if rng.IntN(2) == 0 {
			in.Params.RequiredQualifications[b] = []string{codes[rng.IntN(3)]}
		}
	}
	for _, i := range rng.Perm(rng.IntN(80)) {
		in.Frame = append(in.Frame, FrameRow{ID: fmt.Sprintf("9114052200000%05d", i), Stratum: labels[rng.IntN(len(labels))], Unit: units[rng.IntN(4)]})
		if rng.IntN(7) == 0 {
			in.Exclusions = append(in.Exclusions, Exclusion{ID: in.Frame[len(in.Frame)-1].ID, Reason: "annual_cap"})
		}
	}
	for _, i := range rng.Perm(rng.IntN(40)) {
		quals := []string{codes[rng.IntN(3)], codes[rng.IntN(3)], codes[rng.IntN(3)]}[:rng.IntN(4)]
		in.Inspectors = append(in.Inspectors, Inspector{ID: fmt.Sprintf("晋执%03d", i), Bureau: bureaus[rng.IntN(len(bureaus))], Unit: units[rng.IntN(4)], Qualifications: quals})
	}
	in.Conflicts = randomConflicts(rng, in)
	return in
}

func randomConflicts(rng *rand.Rand, in Input) []Conflict {
	if len(in.Frame) == 0 {
		return nil
	}
	seen := map[Conflict]bool{}
	var conflicts []Conflict
	for range rng.IntN(60) {
		c := Conflict{Inspector: "晋执999", Entity: in.Frame[rng.IntN(len(in.Frame))].ID}
		if len(in.Inspectors) > 0 && rng.IntN(10) > 0 {
			c.Inspector = in.Inspectors[rng.IntN(len(in.Inspectors))].ID
		}
		if !seen[c] {
			seen[c] = true
			conflicts = append(conflicts, c)
		}
	}
	return conflicts
}

func canonicalOrFatal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := CanonicalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameOutcome compares two draws of what must be the same result.
func sameOutcome(t *testing.T, what string, got *Manifest, gotErr error, want *Manifest, wantErr error) {
	t.Helper()
	var g, w *Error
	switch {
	case gotErr != nil || wantErr != nil:
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || g.Code != w.Code || g.Entity != w.Entity || g.Bureau != w.Bureau {
			t.Fatalf("%s: error %v, want %v", what, gotErr, wantErr)
		}
	case !bytes.Equal(canonicalOrFatal(t, got), canonicalOrFatal(t, want)):
		gotObj, _ := genericObject(got)
		wantObj, _ := genericObject(want)
		t.Fatalf("%s: manifests differ: %v", what, firstDifference("", gotObj, wantObj))
	}
}

func TestRunMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	drawn := 0
	for n := range 400 {
		in := randomInput(rng)
		m, err := Run(in)
		want, wantErr := referenceRun(in)
		sameOutcome(t, fmt.Sprint("input ", n), m, err, want, wantErr)
		if err == nil {
			drawn++
		}
	}
	if drawn < 100 {
		t.Errorf("only %d of 400 random inputs were drawn: the generator no longer reaches the teams", drawn)
	}
}

// Large enough for the parallel chunks, with and without a binding cap (which forces re-rankings).
func TestRunMatchesReferenceAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 20,000 rows twice with the reference")
	}
	for _, v1 := range []bool{true, false} {
		for _, cap := range []int{0, 14} {
			s := shape{rows: 20000, inspectors: 80, conflicts: 2000, bureaus: 2, cap: cap, v1: v1}
			in := syntheticInput(rand.New(rand.NewPCG(7, uint64(cap))), s)
			m, err := Run(in)
			want, wantErr := referenceRun(in)
			sameOutcome(t, fmt.Sprintf("v1 %v, cap %d", v1, cap), m, err, want, wantErr)
		}
	}
}

func TestShuffledInputsGiveSameManifest(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for n := range 200 {
		in := randomInput(rng)
		m, err := Run(in)
		shuffled := shuffledCopy(rng, in)
		again, againErr := Run(shuffled)
		sameOutcome(t, fmt.Sprint("input ", n), again, againErr, m, err)
	}
}

// shuffledCopy reorders every list of in, and every inspector's qualifications with a repeat.
func shuffledCopy(rng *rand.Rand, in Input) Input {
	out := in
	out.Frame = shuffled(rng, in.Frame)
	out.Exclusions = shuffled(rng, in.Exclusions)
	out.Conflicts = shuffled(rng, in.Conflicts)
	out.Inspectors = shuffled(rng, in.Inspectors)
	for i := range out.Inspectors {
		quals := out.Inspectors[i].Qualifications
		if len(quals) > 0 {
			quals = append(slices.Clone(quals), quals[0])
		}
		out.Inspectors[i].Qualifications = shuffled(rng, quals)
	}
	return out
}

func shuffled[T any](rng *rand.Rand, s []T) []T {
	out := slices.Clone(s)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Each stratum takes n = min(|E|, max(min if |E| > 0 else 0, ceil(p·|N|/q))), counted here
// straight from the input.
func TestQuotasFollowFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for range 300 {
		in := randomInput(rng)
		in.Params.Team = map[string]int{} // quotas do not depend on teams
		m, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		excluded := map[string]bool{}
		for _, x := range in.Exclusions {
			excluded[x.ID] = true
		}
		for label, rule := range in.Params.Strata {
			var frame, eligible int
			for _, r := range in.Frame {
				if r.Stratum == label {
					frame++
					if !excluded[r.ID] {
						eligible++
					}
				}
			}
			got := m.Strata[label]
			if got.Frame != frame || got.Eligible != eligible || got.Selected != referenceQuota(rule, frame, eligible) {
				t.Fatalf("stratum %s %+v: %+v, want frame %d, eligible %d, selected %d", label, rule, got, frame, eligible, referenceQuota(rule, frame, eligible))
			}
		}
	}
}

func TestQuotaExtremes(t *testing.T) {
	const maxU64 = "18446744073709551615"
	tests := []struct {
		rule            Stratum
		frame, eligible int
	}{
		{Stratum{maxU64 + "/" + maxU64, 0}, 1 << 40, 1 << 40},
		{Stratum{"18446744073709551614/" + maxU64, 0}, 1 << 40, 1 << 40},
		{Stratum{"1/" + maxU64, 0}, 1 << 40, 5},
		{Stratum{"0/1", 3}, 10, 2},
		{Stratum{"0/1", 3}, 10, 0},
		{Stratum{"1/3", -5}, 10, 10},
		{Stratum{"1/3", 1 << 60}, 10, 10},
	}
	for _, tt := range tests {
		if got, want := quota(tt.rule, tt.frame, tt.eligible), referenceQuota(tt.rule, tt.frame, tt.eligible); got != want {
			t.Errorf("quota(%+v, %d, %d) = %d, want %d", tt.rule, tt.frame, tt.eligible, got, want)
		}
	}
}

// No team holds a conflicted, unqualified, same-unit (under cross_unit) or over-cap inspector,
// and every bureau sends its team size.
func TestTeamsFollowRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for n := range 400 {
		in := randomInput(rng)
		m, err := Run(in)
		if err != nil {
			continue
		}
		if problem := teamProblem(in, m); problem != "" {
			t.Fatalf("input %d: %s", n, problem)
		}
	}
}

func teamProblem(in Input, m *Manifest) string {
	inspectors, units, conflicts := map[string]Inspector{}, map[string]string{}, map[Conflict]bool{}
	for _, i := range in.Inspectors {
		inspectors[i.ID] = i
	}
	for _, r := range in.Frame {
		units[r.ID] = r.Unit
	}
	for _, c := range in.Conflicts {
		conflicts[c] = true
	}
	loads := map[string]int{}
	for _, task := range m.Tasks {
		sizes := map[string]int{}
		for _, member := range task.Team {
			i := inspectors[member.Inspector]
			sizes[member.Bureau]++
			loads[i.ID]++
			switch {
			case i.Bureau != member.Bureau:
				return fmt.Sprintf("%s sent for bureau %s, belongs to %s", i.ID, member.Bureau, i.Bureau)
			case conflicts[Conflict{Inspector: i.ID, Entity: task.Entity}]:
				return fmt.Sprintf("%s sent to %s despite a conflict", i.ID, task.Entity)
			case in.Params.CrossUnit && i.Unit != "" && i.Unit == units[task.Entity]:
				return fmt.Sprintf("%s sent to %s of its own unit", i.ID, task.Entity)
			case in.Params.MaxTasksPerInspector > 0 && loads[i.ID] > in.Params.MaxTasksPerInspector:
				return fmt.Sprintf("%s sent on more than %d tasks", i.ID, in.Params.MaxTasksPerInspector)
			}
			for _, code := range in.Params.RequiredQualifications[member.Bureau] {
				if !slices.Contains(i.Qualifications, code) {
					return fmt.Sprintf("%s lacks %s", i.ID, code)
				}
			}
		}
		for bureau, size := range in.Params.Team {
			if sizes[bureau] != size {
				return fmt.Sprintf("task %s: %d of bureau %s, want %d", task.Entity, sizes[bureau], bureau, size)
			}
		}
	}
	return ""
}

// Whatever Run produces, Verify accepts, in both forms, and so does the commitment taken at freeze.
func TestVerifyAcceptsWhatRunProduces(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for n := range 200 {
		in := randomInput(rng)
		m, err := Run(in)
		if err != nil {
			continue
		}
		p, _ := m.Public()
		c, err := Commit(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range []any{m, p, c} {
			if kind, err := Verify(canonicalOrFatal(t, doc)); err != nil {
				t.Fatalf("input %d: Verify(%s): %v", n, kind, err)
			}
		}
		if err := c.Matches(p); err != nil {
			t.Fatalf("input %d: the commitment does not match the draw: %v", n, err)
		}
		for _, r := range in.Frame {
			o, err := OpeningFor(in, r.ID)
			if err != nil {
				t.Fatalf("input %d: opening of %s: %v", n, r.ID, err)
			}
			if _, err := CheckOpening(*o, p); err != nil {
				t.Fatalf("input %d: opening of %s: %v", n, r.ID, err)
			}
		}
	}
}
