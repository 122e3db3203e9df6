package draw

import (
	"fmt"
	"slices"
	"strings"
)

// verifyPublic makes every check of a public manifest that needs no confidential row, in the order
// the draw was made, and reports the first that fails.
func verifyPublic(p *PublicManifest) error {
	checks := []func(*PublicManifest) error{
		func(p *PublicManifest) error { return checkHeader(p.Algorithm, p.Form, FormPublic) },
		checkPublicInputs,
		func(p *PublicManifest) error { return checkHashes(&p.Inputs.PublicLists, p.Hashes) },
		checkNonceAndSeed,
		checkStrata,
		checkTasks,
		checkTeams,
	}
	for _, check := range checks {
		if err := check(p); err != nil {
			return err
		}
	}
	return nil
}

// verifyCommitment checks a freeze-time commitment: well-formed lists and hashes that match them.
// The nonce commitment can only be checked once the nonce is revealed, in the manifest.
func verifyCommitment(c *Commitment) error {
	if err := checkHeader(c.Algorithm, c.Form, FormCommitment); err != nil {
		return err
	}
	if err := checkLists(&c.Inputs); err != nil {
		return err
	}
	return checkHashes(&c.Inputs, c.Hashes)
}

func checkHeader(algorithm, form, wantForm string) error {
	if algorithm != AlgorithmV2 && algorithm != AlgorithmV1 {
		return mismatch("algorithm", algorithm, Algorithm)
	}
	if form != wantForm {
		return mismatch("form", form, wantForm)
	}
	return nil
}

func checkPublicInputs(p *PublicManifest) error {
	if err := checkLists(&p.Inputs.PublicLists); err != nil {
		return err
	}
	if p.Inputs.Params.Algorithm != p.Algorithm {
		return mismatch("inputs.params.algorithm", p.Inputs.Params.Algorithm, p.Algorithm)
	}
	if !isLowerHex64(p.Inputs.Nonce) {
		return fmt.Errorf("inputs.nonce: must be 64 lowercase hex characters")
	}
	if err := validateCeremony(p.Inputs.Ceremony); err != nil {
		return fmt.Errorf("inputs: %w", err)
	}
	return nil
}

// checkLists checks that the public lists are what Commit produces: valid params and inspectors,
// and every list in its sorted form.
func checkLists(l *PublicLists) error {
	if err := validateParams(&l.Params); err != nil {
		return fmt.Errorf("inputs: %w", err)
	}
	if err := validateInspectors("inputs.inspectors", l.Inspectors); err != nil {
		return err
	}
	for i, in := range l.Inspectors {
		if i > 0 && in.ID <= l.Inspectors[i-1].ID {
			return fmt.Errorf("inputs.inspectors[%d]: not after inputs.inspectors[%d] in id order", i, i-1)
		}
		if !slices.Equal(in.Qualifications, sortedSet(in.Qualifications)) {
			return fmt.Errorf("inputs.inspectors[%d].qualifications: not de-duplicated and sorted", i)
		}
	}
	for i, f := range l.Frame {
		if err := checkRowText("inputs.frame", i, "id", f.ID); err != nil {
			return err
		}
		if i > 0 && f.ID <= l.Frame[i-1].ID {
			return fmt.Errorf("inputs.frame[%d]: not after inputs.frame[%d] in id order", i, i-1)
		}
	}
	if err := checkCommitmentOrder("inputs.exclusions", l.Exclusions); err != nil {
		return err
	}
	return checkCommitmentOrder("inputs.conflicts", l.Conflicts)
}

func checkCommitmentOrder(list string, rows []RowCommitment) error {
	for i := 1; i < len(rows); i++ {
		if rows[i].Commitment.compare(rows[i-1].Commitment) < 0 {
			return fmt.Errorf("%s[%d]: not sorted by commitment", list, i)
		}
	}
	return nil
}

// checkHashes recomputes the list and params hashes (not the nonce commitment).
func checkHashes(l *PublicLists, published Hashes) error {
	sources := []string{"inputs.frame", "inputs.exclusions", "inputs.inspectors", "inputs.conflicts", "inputs.params"}
	got, want := published.named()[1:], hashLists(l).named()[1:]
	for i := range want {
		if got[i].value != want[i].value {
			return fmt.Errorf("%s does not match %s: published %s, recomputed %s", want[i].name, sources[i], got[i].value, want[i].value)
		}
	}
	return nil
}

func checkNonceAndSeed(p *PublicManifest) error {
	if want := nonceCommitment(p.Algorithm, p.Inputs.Nonce); p.NonceCommitment != want {
		return fmt.Errorf("nonce_commitment does not match inputs.nonce: published %s, recomputed %s", p.NonceCommitment, want)
	}
	if want := seedOf(p.Algorithm, p.Inputs.Nonce, p.Inputs.Ceremony, p.Hashes); p.Seed != want {
		return fmt.Errorf("seed does not match inputs.nonce, inputs.ceremony and the input hashes: published %s, recomputed %s", p.Seed, want)
	}
	return nil
}

// checkStrata checks each stratum's quota against its counts, and the counts against the lists:
// the frame counts add up to the frame, and the rows not eligible to the exclusions.
func checkStrata(p *PublicManifest) error {
	labels := sortedKeys(p.Inputs.Params.Strata)
	for _, label := range sortedKeys(p.Strata) {
		if _, ok := p.Inputs.Params.Strata[label]; !ok {
			return fmt.Errorf("strata.%s: not a stratum of inputs.params", label)
		}
	}
	frame, excluded := 0, 0
	for _, label := range labels {
		s, ok := p.Strata[label]
		if !ok {
			return fmt.Errorf("strata.%s: missing", label)
		}
		if err := checkStratum(p.Algorithm, label, p.Inputs.Params.Strata[label], s); err != nil {
			return err
		}
		frame += s.Frame
		excluded += s.Frame - s.Eligible
	}
	if frame != len(p.Inputs.Frame) {
		return fmt.Errorf("strata: the frame counts add up to %d, inputs.frame has %d rows", frame, len(p.Inputs.Frame))
	}
	if excluded != len(p.Inputs.Exclusions) {
		return fmt.Errorf("strata: frame minus eligible adds up to %d, inputs.exclusions has %d rows", excluded, len(p.Inputs.Exclusions))
	}
	return nil
}

func checkStratum(alg, label string, rule Stratum, s PublicStratum) error {
	path := "strata." + label
	if alg != AlgorithmV1 {
		if s.Threshold != nil {
			return fmt.Errorf("%s.threshold: a %s public manifest publishes only the threshold's commitment", path, alg)
		}
		if s.ThresholdCommitment == nil {
			return fmt.Errorf("%s.threshold_commitment: missing", path)
		}
	} else if s.ThresholdCommitment != nil {
		return fmt.Errorf("%s.threshold_commitment: not a field of %s", path, alg)
	}
	if s.Eligible < 0 || s.Eligible > s.Frame {
		return fmt.Errorf("%s.eligible: %d is not between 0 and frame %d", path, s.Eligible, s.Frame)
	}
	if want := quota(rule, s.Frame, s.Eligible); s.Selected != want {
		return fmt.Errorf("%s.selected: got %d, want %d (frame %d, eligible %d, ratio %s, min %d)",
			path, s.Selected, want, s.Frame, s.Eligible, rule.Ratio, rule.Min)
	}
	if alg == AlgorithmV1 && (s.Threshold == nil) != (s.Selected == 0) {
		return fmt.Errorf("%s.threshold: must be null exactly when nothing is selected", path)
	}
	return nil
}

// checkTasks checks the selected entities: how many, their tickets and order, and that the
// thresholds are tickets of tasks with enough tasks at or below each.
func checkTasks(p *PublicManifest) error {
	selected := 0
	for _, s := range p.Strata {
		selected += s.Selected
	}
	if len(p.Tasks) != selected {
		return fmt.Errorf("tasks: %d tasks, the strata select %d", len(p.Tasks), selected)
	}
	h := newFramedHash("entity", p.Seed.String())
	for i, t := range p.Tasks {
		if _, found := slices.BinarySearchFunc(p.Inputs.Frame, t.Entity, compareFrameID); !found {
			return fmt.Errorf("tasks[%d].entity: %q is not in inputs.frame", i, t.Entity)
		}
		h.field(t.Entity)
		if want := h.sum(); t.Ticket != want {
			return fmt.Errorf("tasks[%d].ticket: got %s, want %s, the ticket of entity %q", i, t.Ticket, want, t.Entity)
		}
		if i > 0 && compareTasks(p.Tasks[i-1], t) >= 0 {
			return fmt.Errorf("tasks[%d]: not after tasks[%d] in (ticket, entity) order", i, i-1)
		}
	}
	if p.Algorithm != AlgorithmV1 {
		return nil // v2 thresholds are sealed: each entity checks its own with its opening
	}
	return checkThresholds(p)
}

func compareFrameID(f FrameCommitment, id string) int { return strings.Compare(f.ID, id) }

func compareTasks(a, b PublicTask) int {
	if c := a.Ticket.compare(b.Ticket); c != 0 {
		return c
	}
	return strings.Compare(a.Entity, b.Entity)
}

// checkThresholds: a stratum's threshold is the ticket of its last selected entity, so it is the
// ticket of a task, no two strata share it, and at least n tasks have a ticket at or below it.
func checkThresholds(p *PublicManifest) error {
	owner := map[Digest]string{}
	for _, label := range sortedKeys(p.Strata) {
		s := p.Strata[label]
		if s.Threshold == nil {
			continue
		}
		path := "strata." + label + ".threshold"
		if other, taken := owner[*s.Threshold]; taken {
			return fmt.Errorf("%s: the same as strata.%s.threshold", path, other)
		}
		owner[*s.Threshold] = label
		atOrBelow, _ := slices.BinarySearchFunc(p.Tasks, *s.Threshold, func(t PublicTask, d Digest) int {
			if t.Ticket.compare(d) <= 0 {
				return -1
			}
			return 1
		})
		if atOrBelow == 0 || p.Tasks[atOrBelow-1].Ticket != *s.Threshold {
			return fmt.Errorf("%s: %s is the ticket of no task", path, s.Threshold)
		}
		if atOrBelow < s.Selected {
			return fmt.Errorf("%s: only %d tasks have a ticket at or below it, %d selected", path, atOrBelow, s.Selected)
		}
	}
	return nil
}

// checkTeams checks every team: bureau by bureau in byte order, team[b] members of that bureau
// holding its required qualifications, with the right tickets, in ranking order, within the cap.
// Whether a better-ranked inspector was passed over for a conflict or a unit is confidential.
func checkTeams(p *PublicManifest) error {
	if p.Algorithm != AlgorithmV1 {
		return checkShuffledTeams(p)
	}
	c := &teamChecker{
		p:       p,
		bureaus: sortedKeys(p.Inputs.Params.Team),
		tickets: newFramedHash(),
		loads:   make([]int, len(p.Inputs.Inspectors)),
	}
	for i, t := range p.Tasks {
		if err := c.checkTeam(i, t); err != nil {
			return err
		}
	}
	return nil
}

// teamChecker holds what checking the teams needs across tasks.
type teamChecker struct {
	p       *PublicManifest
	bureaus []string    // of params.team, in byte order
	tickets *framedHash // shares ("inspector", seed, entity) of the task being checked
	loads   []int       // tasks per inspector so far, by index in the inspectors
}

func (c *teamChecker) checkTeam(i int, t PublicTask) error {
	c.tickets.share("inspector", c.p.Seed.String(), t.Entity)
	next := 0
	for _, bureau := range c.bureaus {
		size := c.p.Inputs.Params.Team[bureau]
		for k := 0; k < size; k, next = k+1, next+1 {
			if next >= len(t.Team) {
				return fmt.Errorf("tasks[%d].team: %d members, bureau %q needs %d", i, len(t.Team), bureau, size)
			}
			path := fmt.Sprintf("tasks[%d].team[%d]", i, next)
			if err := c.checkMember(path, t.Team[next], bureau); err != nil {
				return err
			}
			if k > 0 && compareMembers(t.Team[next-1], t.Team[next]) >= 0 {
				return fmt.Errorf("%s: not after tasks[%d].team[%d] in (ticket, inspector) order", path, i, next-1)
			}
		}
	}
	if next != len(t.Team) {
		return fmt.Errorf("tasks[%d].team: %d members, params.team asks for %d", i, len(t.Team), next)
	}
	return nil
}

// checkMember checks one member: bureau, who they are, qualifications, ticket and load.
func (c *teamChecker) checkMember(path string, m TeamMember, bureau string) error {
	if m.Bureau != bureau {
		return mismatch(path+".bureau", m.Bureau, bureau)
	}
	index, err := findInspector(path, m, c.p.Inputs.Inspectors, c.p.Inputs.Params.RequiredQualifications[bureau])
	if err != nil {
		return err
	}
	if m.Ticket == nil || m.Step != nil {
		return fmt.Errorf("%s: a %s member carries a ticket and no step", path, AlgorithmV1)
	}
	c.tickets.field(m.Inspector)
	if want := c.tickets.sum(); *m.Ticket != want {
		return mismatch(path+".ticket", m.Ticket.String(), want.String())
	}
	limit := c.p.Inputs.Params.MaxTasksPerInspector
	if c.loads[index]++; limit > 0 && c.loads[index] > limit {
		return fmt.Errorf("%s.inspector: %q is sent on more than %d tasks", path, m.Inspector, limit)
	}
	return nil
}

// findInspector finds the member among the inspectors and checks its bureau and qualifications.
func findInspector(path string, m TeamMember, inspectors []Inspector, required []string) (int, error) {
	index, found := slices.BinarySearchFunc(inspectors, m.Inspector, func(in Inspector, id string) int { return strings.Compare(in.ID, id) })
	if !found {
		return 0, fmt.Errorf("%s.inspector: %q is not in inputs.inspectors", path, m.Inspector)
	}
	in := inspectors[index]
	if in.Bureau != m.Bureau {
		return 0, fmt.Errorf("%s.inspector: %q belongs to bureau %q, not %q", path, m.Inspector, in.Bureau, m.Bureau)
	}
	for _, code := range required {
		if _, holds := slices.BinarySearch(in.Qualifications, code); !holds {
			return 0, fmt.Errorf("%s.inspector: %q lacks the required qualification %q", path, m.Inspector, code)
		}
	}
	return index, nil
}

func compareMembers(a, b TeamMember) int {
	if c := a.Ticket.compare(*b.Ticket); c != 0 {
		return c
	}
	return strings.Compare(a.Inspector, b.Inspector)
}
