package draw

import "strconv"

// Manifest is the full manifest of a draw, for auditors (the bureau's leaders, discipline
// inspection, the joint office, a court): its inputs in sorted private form, row key included, let
// them recompute everything. Encode it with CanonicalJSON to publish it.
type Manifest struct {
	Algorithm string `json:"algorithm"`
	Form      string `json:"form"` // FormFull
	Inputs    Input  `json:"inputs"`
	Hashes
	Seed   Digest                   `json:"seed"`
	Strata map[string]StratumResult `json:"strata"`
	Tasks  []Task                   `json:"tasks"`

	sealed *sealedDraft // the public lists but the frame's, and its commitments: kept by Run for Public
}

// PublicManifest is what everyone gets: no risk class, exclusion reason or conflict, only salted
// commitments, and no row key.
type PublicManifest struct {
	Algorithm string       `json:"algorithm"`
	Form      string       `json:"form"` // FormPublic
	Inputs    PublicInputs `json:"inputs"`
	Hashes
	Seed   Digest                   `json:"seed"`
	Strata map[string]PublicStratum `json:"strata"`
	Tasks  []PublicTask             `json:"tasks"`
}

// PublicInputs are the public lists with the nonce and ceremony, revealed after the ceremony.
type PublicInputs struct {
	PublicLists
	Nonce    string `json:"nonce"`
	Ceremony string `json:"ceremony"`
}

// StratumResult gives a stratum's counts and threshold, as the full manifest holds them.
type StratumResult struct {
	Frame    int `json:"frame"`    // |N|: frame rows of the stratum
	Eligible int `json:"eligible"` // |E|: those not excluded
	Selected int `json:"selected"` // n: the quota
	// Threshold is the ticket of the n-th entity taken, nil when n = 0: an eligible entity of the
	// stratum is selected exactly when its ticket is at most the threshold.
	Threshold *Digest `json:"threshold"`
	// ThresholdCommitment (v2) seals the row {"stratum", "threshold"} with the stratum's salt: the
	// public sees only this, and an entity's opening reveals its own stratum's threshold.
	ThresholdCommitment *Digest `json:"threshold_commitment,omitempty"`
}

// PublicStratum is a stratum as the public manifest shows it: the counts, which are aggregates,
// with the threshold (v1) or only its commitment (v2: a public threshold would let a selected
// entity's ticket prove its risk class, and an unselected low ticket prove an exclusion).
type PublicStratum struct {
	Frame               int     `json:"frame"`
	Eligible            int     `json:"eligible"`
	Selected            int     `json:"selected"`
	Threshold           *Digest `json:"threshold"`
	ThresholdCommitment *Digest `json:"threshold_commitment,omitempty"`
}

// MarshalJSON writes a v2 stratum (with a threshold commitment) without its threshold.
func (s PublicStratum) MarshalJSON() ([]byte, error) { return s.appendCanonical(nil), nil }

func (s PublicStratum) appendCanonical(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"eligible":`...), int64(s.Eligible), 10)
	b = strconv.AppendInt(append(b, `,"frame":`...), int64(s.Frame), 10)
	b = strconv.AppendInt(append(b, `,"selected":`...), int64(s.Selected), 10)
	if s.ThresholdCommitment != nil {
		b = appendQuotedDigest(append(b, `,"threshold_commitment":`...), *s.ThresholdCommitment)
	} else if s.Threshold != nil {
		b = appendQuotedDigest(append(b, `,"threshold":`...), *s.Threshold)
	} else {
		b = append(b, `,"threshold":null`...)
	}
	return append(b, '}')
}

// public is the stratum as the public sees it under the algorithm.
func (s StratumResult) public(alg string) PublicStratum {
	p := PublicStratum{Frame: s.Frame, Eligible: s.Eligible, Selected: s.Selected}
	if alg == AlgorithmV1 {
		p.Threshold = s.Threshold
	} else {
		p.ThresholdCommitment = s.ThresholdCommitment
	}
	return p
}

// StratumRow is the row a v2 threshold commitment seals; an opening carries its entity's.
type StratumRow struct {
	Stratum   string  `json:"stratum"`
	Threshold *Digest `json:"threshold"`
}

func (r StratumRow) appendCanonical(b []byte) []byte { return appendStratumRow(b, r) }

// Task is one visit: the selected entity and its team. Tasks are in (ticket, entity) order.
type Task struct {
	Entity  string       `json:"entity"`
	Stratum string       `json:"stratum"`
	Ticket  Digest       `json:"ticket"`
	Team    []TeamMember `json:"team"`
}

// PublicTask is a Task without its stratum, which is confidential.
type PublicTask struct {
	Entity string       `json:"entity"`
	Ticket Digest       `json:"ticket"`
	Team   []TeamMember `json:"team"`
}

// TeamMember is one inspector sent on a task. Members come bureau by bureau in byte order of the
// bureaus; within a bureau in the order they were taken: by step of the task's shuffle (v2), or
// in (ticket, inspector) order (v1). Exactly one of Step and Ticket is set.
type TeamMember struct {
	Bureau    string  `json:"bureau"`
	Inspector string  `json:"inspector"`
	Step      *int    `json:"step,omitempty"`   // v2: the place j of the shuffle where it was taken
	Ticket    *Digest `json:"ticket,omitempty"` // v1: H("inspector", seed, entity, inspector)
}

// Public derives the public manifest. The result shares m's slices and map; neither may be
// modified afterwards. For a manifest returned by Run it cannot fail; for one decoded from JSON it
// recomputes the commitments from m.Inputs and fails when they are invalid (Verify it first).
func (m *Manifest) Public() (*PublicManifest, error) {
	var c *Commitment
	if m.sealed != nil {
		c = m.sealed.commitment(m.Inputs.Frame)
	} else {
		var err error
		if c, err = Commit(m.Inputs); err != nil {
			return nil, err
		}
	}
	tasks := make([]PublicTask, len(m.Tasks))
	for i, t := range m.Tasks {
		tasks[i] = PublicTask{Entity: t.Entity, Ticket: t.Ticket, Team: t.Team}
	}
	strata := make(map[string]PublicStratum, len(m.Strata))
	for label, s := range m.Strata {
		strata[label] = s.public(m.Algorithm)
	}
	return &PublicManifest{
		Algorithm: m.Algorithm,
		Form:      FormPublic,
		Inputs:    PublicInputs{PublicLists: c.Inputs, Nonce: m.Inputs.Nonce, Ceremony: m.Inputs.Ceremony},
		Hashes:    m.Hashes,
		Seed:      m.Seed,
		Strata:    strata,
		Tasks:     tasks,
	}, nil
}
