package draw

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomInputV2 is randomInput under v2: each row is supervised by a random non-empty set of the
// bureaus of params.team, with a unit of its own in each.
func randomInputV2(rng *rand.Rand) Input {
	in := randomInput(rng)
	in.Params.Algorithm = AlgorithmV2
	if len(in.Params.Team) == 0 {
		in.Params.Team["140522-sj"] = 1 + rng.IntN(2)
	}
	bureaus := sortedKeys(in.Params.Team)
	units := []string{"", "城关所", "润城所", "北留所"}
	for i := range in.Frame {
		var row Units
		for k, b := range bureaus {
			if rng.IntN(2) == 0 || (k == len(bureaus)-1 && row == nil) {
				row = append(row, UnitOf{Bureau: b, Unit: units[rng.IntN(len(units))]})
			}
		}
		in.Frame[i].Unit, in.Frame[i].Units = "", row
	}
	return in
}

// Run must agree with the literal reference on v2 inputs, every document it makes must verify,
// and every entity's opening must check out with the right fate.
func TestRunMatchesReferenceV2(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	drawn, fates := 0, map[Fate]int{}
	for n := range 400 {
		in := randomInputV2(rng)
		m, err := Run(in)
		want, wantErr := referenceRun(in)
		sameOutcome(t, fmt.Sprint("input ", n), m, err, want, wantErr)
		if err != nil {
			continue
		}
		drawn++
		p, _ := m.Public()
		for _, doc := range []any{m, p} {
			if kind, err := Verify(canonicalOrFatal(t, doc)); err != nil {
				t.Fatalf("input %d: Verify(%s): %v", n, kind, err)
			}
		}
		openings, err := m.Openings(frameIDs(m))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range openings {
			fate, err := CheckOpening(o, p)
			if err != nil {
				t.Fatalf("input %d: opening of %s: %v", n, o.Entity, err)
			}
			if want := fateIn(m, o.Entity); fate != want {
				t.Fatalf("input %d: %s is %s, its opening says %s", n, o.Entity, want, fate)
			}
			fates[fate]++
		}
	}
	if drawn < 100 || fates[FateSelected] == 0 || fates[FateNotSelected] == 0 || fates[FateExcluded] == 0 {
		t.Errorf("%d of 400 drawn, fates %v: the generator no longer reaches every case", drawn, fates)
	}
}

func frameIDs(m *Manifest) []string {
	ids := make([]string, len(m.Inputs.Frame))
	for i, r := range m.Inputs.Frame {
		ids[i] = r.ID
	}
	return ids
}

func fateIn(m *Manifest, entity string) Fate {
	if slices.ContainsFunc(m.Inputs.Exclusions, func(x Exclusion) bool { return x.ID == entity }) {
		return FateExcluded
	}
	if slices.ContainsFunc(m.Tasks, func(t Task) bool { return t.Entity == entity }) {
		return FateSelected
	}
	return FateNotSelected
}

// OpeningFor and Manifest.Openings give the same openings.
func TestOpeningsAgree(t *testing.T) {
	for _, v := range drawVectors(t) {
		in := v.input(t)
		m, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		all, err := m.Openings(frameIDs(m))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range all {
			one, err := OpeningFor(in, o.Entity)
			if err != nil || string(canonicalOrFatal(t, one)) != string(canonicalOrFatal(t, o)) {
				t.Fatalf("%s: OpeningFor(%s) = %s, %v; Openings gave %s", v.Name, o.Entity, canonicalOrFatal(t, one), err, canonicalOrFatal(t, o))
			}
		}
	}
}

// A team from a bureau that does not supervise the entity cannot be seen in the public manifest
// (who supervises whom is confidential), but the entity's opening refuses it, and so does the full
// manifest. The forged team is made properly, with the steps the shuffle gives, so that only the
// entity's units tell it apart.
func TestTeamFromNonSupervisingBureauCaught(t *testing.T) {
	in := inputOf(t, "v2/02-joint-two-bureaus")
	m, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	task := slices.IndexFunc(m.Tasks, func(task Task) bool {
		row := m.Inputs.Frame[slices.IndexFunc(m.Inputs.Frame, func(r FrameRow) bool { return r.ID == task.Entity })]
		return len(row.Units) == 1
	})
	if task < 0 {
		t.Fatal("no task of a single-bureau entity in the vector")
	}
	entity := m.Tasks[task].Entity
	opening, err := OpeningFor(in, entity)
	if err != nil {
		t.Fatal(err)
	}
	// The other bureau's team for this entity, walked with the draw's own seed: right steps.
	honest, _ := m.Public()
	plan := newShufflePlan(m.Inputs.Inspectors, nil, m.Inputs.Params)
	w := newWalker(plan, m.Seed)
	w.startTask(FrameRow{ID: entity})
	team := slices.Clone(m.Tasks[task].Team)
	for b, bureau := range plan.bureaus {
		if bureau == team[0].Bureau {
			continue
		}
		taken := w.collect(b, "", plan.sizes[b])
		if len(taken) < plan.sizes[b] {
			t.Fatal("the other bureau cannot staff the task")
		}
		for _, c := range taken {
			step := c.step
			team = append(team, TeamMember{Bureau: bureau, Inspector: plan.inspectors[c.inspector].ID, Step: &step})
		}
	}
	slices.SortStableFunc(team, func(a, b TeamMember) int { return strings.Compare(a.Bureau, b.Bureau) })
	p := *honest
	p.Tasks = slices.Clone(honest.Tasks)
	p.Tasks[task].Team = team
	if err := verifyPublic(&p); err != nil {
		t.Logf("the public checks see the forgery too: %v", err)
	}
	if _, err := CheckOpening(*opening, &p); err == nil || !strings.Contains(err.Error(), "does not supervise") {
		t.Errorf("CheckOpening = %v, want the non-supervising bureau named", err)
	}
	if _, err := CheckOpening(*opening, honest); err != nil {
		t.Errorf("the honest manifest: %v", err)
	}
	full := *m
	full.Tasks = slices.Clone(m.Tasks)
	full.Tasks[task].Team = team
	if _, err := Verify(canonicalOrFatal(t, &full)); err == nil {
		t.Error("Verify accepted a full manifest with a team from a non-supervising bureau")
	}
}

// Each member of a v2 team is a uniform choice among the eligible: over many seeds, where every
// entity has the same number of eligible inspectors, the place of each member among the eligible
// (sorted by id) is uniform, and so are ordered pairs. Chi-square at p = 0.001, computed on fixed
// seeds, so the test is deterministic.
func TestShuffleTeamsUniform(t *testing.T) {
	const (
		pool     = 12
		conflict = 2 // per entity, so that 10 are eligible
		eligible = pool - conflict
		entities = 100
		draws    = 60
	)
	singles := make([]int, eligible)
	pairs := make([]int, eligible*eligible)
	rng := rand.New(rand.NewPCG(21, 22))
	for d := range draws {
		in := uniformityInput(rng, pool, conflict, entities)
		in.Ceremony = fmt.Sprint("seed ", d)
		m, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		conflicted := map[Conflict]bool{}
		for _, c := range in.Conflicts {
			conflicted[c] = true
		}
		for _, task := range m.Tasks {
			var places []int
			for _, member := range task.Team {
				place := 0
				for _, i := range in.Inspectors {
					if i.ID < member.Inspector && !conflicted[Conflict{i.ID, task.Entity}] {
						place++
					}
				}
				singles[place]++
				places = append(places, place)
			}
			pairs[places[0]*eligible+places[1]]++
		}
	}
	if x2 := chiSquare(singles, nil); x2 > 28.06 { // df 9
		t.Errorf("members' places among the eligible: chi-square %.1f > 28.06 (p < 0.001): %v", x2, singles)
	}
	ordered := make([]bool, len(pairs)) // a pair of the same place cannot occur
	for i := range eligible {
		ordered[i*eligible+i] = true
	}
	if x2 := chiSquare(pairs, ordered); x2 > 136.0 { // df 89
		t.Errorf("ordered pairs of places: chi-square %.1f > 136.0 (p < 0.001)", x2)
	}
}

// uniformityInput: one bureau of pool inspectors, every entity selected (ratio 1/1), a team of
// two, and each entity in conflict with conflict inspectors chosen at random.
func uniformityInput(rng *rand.Rand, pool, conflict, entities int) Input {
	in := Input{
		Params: Params{Algorithm: AlgorithmV2, Strata: map[string]Stratum{"A": {Ratio: "1/1", Min: 1}},
			Team: map[string]int{"140522-sj": 2}, RequiredQualifications: map[string][]string{}},
		Nonce: randomHex(rng), RowKey: randomHex(rng),
	}
	for i := range pool {
		in.Inspectors = append(in.Inspectors, Inspector{ID: fmt.Sprintf("晋市监%03d", i), Bureau: "140522-sj", Qualifications: []string{}})
	}
	for e := range entities {
		id := fmt.Sprintf("91140522%010d", e)
		in.Frame = append(in.Frame, FrameRow{ID: id, Stratum: "A", Units: Units{{Bureau: "140522-sj"}}})
		for _, i := range rng.Perm(pool)[:conflict] {
			in.Conflicts = append(in.Conflicts, Conflict{Inspector: in.Inspectors[i].ID, Entity: id})
		}
	}
	return in
}

// chiSquare tests counts against a uniform distribution over the cells not skipped.
func chiSquare(counts []int, skip []bool) float64 {
	total, cells := 0, 0
	for i, c := range counts {
		if skip == nil || !skip[i] {
			total += c
			cells++
		}
	}
	expected := float64(total) / float64(cells)
	x2 := 0.0
	for i, c := range counts {
		if skip == nil || !skip[i] {
			x2 += (float64(c) - expected) * (float64(c) - expected) / expected
		}
	}
	return x2
}

// With a cap, loads stay under it, and the draw is refused rather than exceeding it.
func TestShuffleLoadsUnderCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	drawn := 0
	defer func() {
		if drawn < 5 {
			t.Errorf("only %d of 20 draws under a cap were drawn", drawn)
		}
	}()
	for n := range 20 {
		s := shape{rows: 5000, inspectors: 170, conflicts: 500, bureaus: 2, cap: 6 + n%4}
		in := syntheticInput(rng, s)
		m, err := Run(in)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != CodeInsufficientInspectors {
				t.Fatalf("cap %d: %v", s.cap, err)
			}
			continue
		}
		drawn++
		loads := map[string]int{}
		for _, task := range m.Tasks {
			for _, member := range task.Team {
				if loads[member.Inspector]++; loads[member.Inspector] > s.cap {
					t.Fatalf("cap %d: %s sent on %d tasks", s.cap, member.Inspector, loads[member.Inspector])
				}
			}
		}
	}
}

// The public manifest's JSON round trip keeps every member's step, including step 0.
func TestStepZeroSurvivesJSON(t *testing.T) {
	v := drawVectors(t)
	for _, vec := range v {
		if !vec.v2() {
			continue
		}
		var p PublicManifest
		if err := json.Unmarshal(vec.PublicManifest, &p); err != nil {
			t.Fatal(err)
		}
		for i, task := range p.Tasks {
			for k, m := range task.Team {
				if m.Step == nil || m.Ticket != nil {
					t.Fatalf("%s tasks[%d].team[%d]: step %v ticket %v", vec.Name, i, k, m.Step, m.Ticket)
				}
			}
		}
	}
}
