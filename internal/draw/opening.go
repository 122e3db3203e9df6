package draw

import (
	"fmt"
	"slices"
)

// Opening lets one entity check its own fate against the public manifest without learning
// anything about any other row: it carries the entity's frame row and the salt that committed it,
// and, when the entity was excluded, its exclusion row and salt.
type Opening struct {
	Entity        string     `json:"entity"`
	FrameRow      FrameRow   `json:"frame_row"`
	FrameSalt     Digest     `json:"frame_salt"`
	ExclusionRow  *Exclusion `json:"exclusion_row,omitempty"`
	ExclusionSalt *Digest    `json:"exclusion_salt,omitempty"`
}

// OpeningFor returns the opening of one entity of the frame. in is the input that was drawn (the
// full manifest's inputs will do); it is validated as Commit does, so a malformed input gives an
// *Error, as does an entity that is not in the frame.
func OpeningFor(in Input, entity string) (*Opening, error) {
	d, err := prepare(in, false)
	if err != nil {
		return nil, err
	}
	i, found := slices.BinarySearchFunc(d.in.Frame, entity, func(r FrameRow, id string) int { return compareFrameRows(r, FrameRow{ID: id}) })
	if !found {
		return nil, invalid("entity %q is not in the frame", entity)
	}
	s := newSealer(d.in.RowKey)
	o := &Opening{Entity: entity, FrameRow: d.in.Frame[i]}
	o.FrameSalt, _ = s.frame(o.FrameRow)
	if j, excluded := slices.BinarySearchFunc(d.in.Exclusions, entity, func(x Exclusion, id string) int { return compareExclusions(x, Exclusion{ID: id}) }); excluded {
		x := d.in.Exclusions[j]
		salt, _ := s.exclusion(x)
		o.ExclusionRow, o.ExclusionSalt = &x, &salt
	}
	return o, nil
}

// CheckOpening checks an entity's opening against a public manifest: the frame row is the one
// committed for the entity (and the exclusion row one of the committed exclusions), and the
// entity is among the tasks exactly when it is not excluded, its stratum's threshold is not null
// and its ticket is at most that threshold. The manifest itself should have passed Verify.
func CheckOpening(o Opening, p *PublicManifest) error {
	if err := checkOpenedRows(o, p); err != nil {
		return err
	}
	stratum, ok := p.Strata[o.FrameRow.Stratum]
	if !ok {
		return fmt.Errorf("frame_row.stratum: %q is not among the strata", o.FrameRow.Stratum)
	}
	ticket := newFramedHash("entity", p.Seed.String())
	ticket.field(o.Entity)
	should, why := shouldBeSelected(o.ExclusionRow != nil, ticket.sum(), stratum.Threshold)
	is := slices.ContainsFunc(p.Tasks, func(t PublicTask) bool { return t.Entity == o.Entity })
	switch {
	case should && !is:
		return fmt.Errorf("entity %q is not among the tasks, but %s", o.Entity, why)
	case !should && is:
		return fmt.Errorf("entity %q is among the tasks, but %s", o.Entity, why)
	}
	return nil
}

// checkOpenedRows checks that the opened rows are the committed ones.
func checkOpenedRows(o Opening, p *PublicManifest) error {
	if o.FrameRow.ID != o.Entity {
		return mismatch("frame_row.id", o.FrameRow.ID, o.Entity)
	}
	i, found := slices.BinarySearchFunc(p.Inputs.Frame, o.Entity, compareFrameID)
	if !found {
		return fmt.Errorf("entity: %q is not in the public frame", o.Entity)
	}
	rows := newFramedHash(Algorithm + " row")
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
