package draw

import (
	"fmt"
	"slices"
)

// Opening lets one entity check its own fate against the public manifest without learning
// anything about any other row: it carries the entity's frame row and the salt that committed it,
// when the entity was excluded its exclusion row and salt, and in v2 its stratum's threshold row
// and salt (the public manifest holds only the threshold's commitment).
type Opening struct {
	Entity        string      `json:"entity"`
	FrameRow      FrameRow    `json:"frame_row"`
	FrameSalt     Digest      `json:"frame_salt"`
	ExclusionRow  *Exclusion  `json:"exclusion_row,omitempty"`
	ExclusionSalt *Digest     `json:"exclusion_salt,omitempty"`
	StratumRow    *StratumRow `json:"stratum_row,omitempty"`
	StratumSalt   *Digest     `json:"stratum_salt,omitempty"`
}

// Fate is what an opening shows happened to its entity.
type Fate string

// The three fates of an entity of the frame.
const (
	FateSelected    Fate = "selected"
	FateNotSelected Fate = "not selected"
	FateExcluded    Fate = "excluded"
)

// OpeningFor returns the opening of one entity of the frame. in is the input that was drawn (the
// full manifest's inputs will do); it is validated as Run does, so a malformed input gives an
// *Error, as does an entity that is not in the frame. A v2 opening needs the draw's thresholds,
// hence the ceremony: in must be drawable.
func OpeningFor(in Input, entity string) (*Opening, error) {
	d, err := prepare(in, false)
	if err != nil {
		return nil, err
	}
	i, found := slices.BinarySearchFunc(d.in.Frame, entity, func(r FrameRow, id string) int { return compareFrameRows(r, FrameRow{ID: id}) })
	if !found {
		return nil, invalid("entity %q is not in the frame", entity)
	}
	s := newSealer(d.alg, d.in.RowKey)
	o := &Opening{Entity: entity, FrameRow: d.in.Frame[i]}
	o.FrameSalt, _ = s.frame(o.FrameRow)
	if j, excluded := slices.BinarySearchFunc(d.in.Exclusions, entity, func(x Exclusion, id string) int { return compareExclusions(x, Exclusion{ID: id}) }); excluded {
		x := d.in.Exclusions[j]
		salt, _ := s.exclusion(x)
		o.ExclusionRow, o.ExclusionSalt = &x, &salt
	}
	if d.alg == AlgorithmV1 {
		return o, nil
	}
	if err := validateCeremony(d.in.Ceremony); err != nil {
		return nil, err
	}
	sealed, err := d.seal()
	if err != nil {
		return nil, err
	}
	seed := seedOf(d.alg, d.in.Nonce, d.in.Ceremony, sealed.withoutFrame.Hashes)
	_, strata := d.selectEntities(seed)
	row := StratumRow{Stratum: o.FrameRow.Stratum, Threshold: strata[o.FrameRow.Stratum].Threshold}
	salt, _ := s.stratum(row)
	o.StratumRow, o.StratumSalt = &row, &salt
	return o, nil
}

// Openings returns the openings of several entities of a drawn manifest at once, in the order
// asked; an entity not in the frame is an *Error. It shares the work OpeningFor repeats per call.
func (m *Manifest) Openings(entities []string) ([]Opening, error) {
	s := newSealer(m.Algorithm, m.Inputs.RowKey)
	out := make([]Opening, 0, len(entities))
	for _, entity := range entities {
		i, found := slices.BinarySearchFunc(m.Inputs.Frame, entity, func(r FrameRow, id string) int { return compareFrameRows(r, FrameRow{ID: id}) })
		if !found {
			return nil, invalid("entity %q is not in the frame", entity)
		}
		o := m.openingAt(s, i)
		out = append(out, o)
	}
	return out, nil
}

// openingAt is the opening of frame row i, sealed with s.
func (m *Manifest) openingAt(s *sealer, i int) Opening {
	o := Opening{Entity: m.Inputs.Frame[i].ID, FrameRow: m.Inputs.Frame[i]}
	o.FrameSalt, _ = s.frame(o.FrameRow)
	if j, excluded := slices.BinarySearchFunc(m.Inputs.Exclusions, o.Entity, func(x Exclusion, id string) int { return compareExclusions(x, Exclusion{ID: id}) }); excluded {
		x := m.Inputs.Exclusions[j]
		salt, _ := s.exclusion(x)
		o.ExclusionRow, o.ExclusionSalt = &x, &salt
	}
	if m.Algorithm != AlgorithmV1 {
		row := StratumRow{Stratum: o.FrameRow.Stratum, Threshold: m.Strata[o.FrameRow.Stratum].Threshold}
		salt, _ := s.stratum(row)
		o.StratumRow, o.StratumSalt = &row, &salt
	}
	return o
}

// CheckOpening checks an entity's opening against a public manifest and returns the entity's
// fate: the frame row is the one committed for the entity (the exclusion row one of the committed
// exclusions; in v2 the stratum row the one its stratum's threshold commitment seals), and the
// entity is among the tasks exactly when it is not excluded, its stratum's threshold is not null
// and its ticket is at most that threshold. In v2 the task's team must also come from exactly the
// bureaus that supervise the entity (those of its units with a team), and under cross_unit no
// member may be of the entity's unit in the member's bureau. The manifest should have passed
// Verify.
func CheckOpening(o Opening, p *PublicManifest) (Fate, error) {
	if err := checkOpenedRows(o, p); err != nil {
		return "", err
	}
	threshold, err := openedThreshold(o, p)
	if err != nil {
		return "", err
	}
	ticket := newFramedHash("entity", p.Seed.String())
	ticket.field(o.Entity)
	should, why := shouldBeSelected(o.ExclusionRow != nil, ticket.sum(), threshold)
	task := slices.IndexFunc(p.Tasks, func(t PublicTask) bool { return t.Entity == o.Entity })
	switch {
	case should && task < 0:
		return "", fmt.Errorf("entity %q is not among the tasks, but %s", o.Entity, why)
	case !should && task >= 0:
		return "", fmt.Errorf("entity %q is among the tasks, but %s", o.Entity, why)
	case o.ExclusionRow != nil:
		return FateExcluded, nil
	case !should:
		return FateNotSelected, nil
	}
	if p.Algorithm != AlgorithmV1 {
		if err := checkTeamBureaus(task, o.FrameRow, p); err != nil {
			return "", err
		}
	}
	return FateSelected, nil
}

// openedThreshold returns the threshold of the entity's stratum: public in v1, opened in v2.
func openedThreshold(o Opening, p *PublicManifest) (*Digest, error) {
	stratum, ok := p.Strata[o.FrameRow.Stratum]
	if !ok {
		return nil, fmt.Errorf("frame_row.stratum: %q is not among the strata", o.FrameRow.Stratum)
	}
	if p.Algorithm == AlgorithmV1 {
		return stratum.Threshold, nil
	}
	switch {
	case o.StratumRow == nil || o.StratumSalt == nil:
		return nil, fmt.Errorf("stratum_row and stratum_salt: missing; a %s opening carries its stratum's threshold", p.Algorithm)
	case o.StratumRow.Stratum != o.FrameRow.Stratum:
		return nil, mismatch("stratum_row.stratum", o.StratumRow.Stratum, o.FrameRow.Stratum)
	case stratum.ThresholdCommitment == nil:
		return nil, fmt.Errorf("strata.%s.threshold_commitment: missing", o.FrameRow.Stratum)
	}
	rows := newFramedHash(p.Algorithm + " row")
	if commitRow(rows, *o.StratumSalt, *o.StratumRow, appendStratumRow) != *stratum.ThresholdCommitment {
		return nil, fmt.Errorf("stratum_row: with stratum_salt, does not match strata.%s.threshold_commitment", o.FrameRow.Stratum)
	}
	return o.StratumRow.Threshold, nil
}

// checkTeamBureaus checks a v2 task of an opened entity: members come from exactly the bureaus
// of its units that send a team, and under cross_unit none is of the entity's unit there.
func checkTeamBureaus(task int, row FrameRow, p *PublicManifest) error {
	path := fmt.Sprintf("tasks[%d].team", task)
	sent := map[string]bool{}
	for k, m := range p.Tasks[task].Team {
		unit, supervises := row.Units.Of(m.Bureau)
		if !supervises {
			return fmt.Errorf("%s[%d].bureau: %q does not supervise entity %q", path, k, m.Bureau, row.ID)
		}
		sent[m.Bureau] = true
		if !p.Inputs.Params.CrossUnit || unit == "" {
			continue
		}
		i, found := slices.BinarySearchFunc(p.Inputs.Inspectors, m.Inspector, func(in Inspector, id string) int { return compareInspectors(in, Inspector{ID: id}) })
		if found && p.Inputs.Inspectors[i].Unit == unit {
			return fmt.Errorf("%s[%d].inspector: %q is of the entity's unit %q, which cross_unit forbids", path, k, m.Inspector, unit)
		}
	}
	for _, u := range row.Units {
		if p.Inputs.Params.Team[u.Bureau] > 0 && !sent[u.Bureau] {
			return fmt.Errorf("%s: no member of bureau %q, which supervises entity %q", path, u.Bureau, row.ID)
		}
	}
	return nil
}

// checkOpenedRows checks that the opened rows are the committed ones.
func checkOpenedRows(o Opening, p *PublicManifest) error {
	if o.FrameRow.ID != o.Entity {
		return mismatch("frame_row.id", o.FrameRow.ID, o.Entity)
	}
	if (o.FrameRow.Units != nil) != (p.Algorithm != AlgorithmV1) {
		return fmt.Errorf("frame_row: not a %s row", p.Algorithm)
	}
	i, found := slices.BinarySearchFunc(p.Inputs.Frame, o.Entity, compareFrameID)
	if !found {
		return fmt.Errorf("entity: %q is not in the public frame", o.Entity)
	}
	rows := newFramedHash(p.Algorithm + " row")
	if commitRow(rows, o.FrameSalt, o.FrameRow, appendFrameRow) != p.Inputs.Frame[i].Commitment {
		return fmt.Errorf("frame_row: with frame_salt, does not match the commitment published for %q", o.Entity)
	}
	switch {
	case o.ExclusionRow == nil && o.ExclusionSalt == nil:
		return nil
	case o.ExclusionRow == nil || o.ExclusionSalt == nil:
		return fmt.Errorf("exclusion_row and exclusion_salt: one is given without the other")
	case o.ExclusionRow.ID != o.Entity:
		return mismatch("exclusion_row.id", o.ExclusionRow.ID, o.Entity)
	}
	c := commitRow(rows, *o.ExclusionSalt, *o.ExclusionRow, appendExclusion)
	if !slices.ContainsFunc(p.Inputs.Exclusions, func(r RowCommitment) bool { return r.Commitment == c }) {
		return fmt.Errorf("exclusion_row: with exclusion_salt, matches no published exclusion commitment")
	}
	return nil
}

// shouldBeSelected applies the spec's rule to one entity and says why, for the message.
func shouldBeSelected(excluded bool, ticket Digest, threshold *Digest) (bool, string) {
	switch {
	case excluded:
		return false, "it was excluded"
	case threshold == nil:
		return false, "its stratum selects no entity"
	case ticket.compare(*threshold) <= 0:
		return true, fmt.Sprintf("its ticket %s is at most its stratum's threshold %s", ticket, threshold)
	default:
		return false, fmt.Sprintf("its ticket %s is above its stratum's threshold %s", ticket, threshold)
	}
}
