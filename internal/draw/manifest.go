package draw

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

	commitment *Commitment // the public lists, kept by Run for Public
}

// PublicManifest is what everyone gets: no risk class, exclusion reason or conflict, only salted
// commitments, and no row key.
type PublicManifest struct {
	Algorithm string       `json:"algorithm"`
	Form      string       `json:"form"` // FormPublic
	Inputs    PublicInputs `json:"inputs"`
	Hashes
	Seed   Digest                   `json:"seed"`
	Strata map[string]StratumResult `json:"strata"`
	Tasks  []PublicTask             `json:"tasks"`
}

// PublicInputs are the public lists with the nonce and ceremony, revealed after the ceremony.
type PublicInputs struct {
	PublicLists
	Nonce    string `json:"nonce"`
	Ceremony string `json:"ceremony"`
}

// StratumResult gives a stratum's counts and threshold. They are aggregates, hence public.
type StratumResult struct {
	Frame    int `json:"frame"`    // |N|: frame rows of the stratum
	Eligible int `json:"eligible"` // |E|: those not excluded
	Selected int `json:"selected"` // n: the quota
	// Threshold is the ticket of the n-th entity taken, nil when n = 0: an eligible entity of the
	// stratum is selected exactly when its ticket is at most the threshold.
	Threshold *Digest `json:"threshold"`
}

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
// bureaus, and within a bureau in (ticket, inspector) order.
type TeamMember struct {
	Bureau    string `json:"bureau"`
	Inspector string `json:"inspector"`
	Ticket    Digest `json:"ticket"`
}

// Public derives the public manifest. The result shares m's slices and map; neither may be
// modified afterwards. For a manifest returned by Run it cannot fail; for one decoded from JSON it
// recomputes the commitments from m.Inputs and fails when they are invalid (Verify it first).
func (m *Manifest) Public() (*PublicManifest, error) {
	c := m.commitment
	if c == nil {
		var err error
		if c, err = Commit(m.Inputs); err != nil {
			return nil, err
		}
	}
	tasks := make([]PublicTask, len(m.Tasks))
	for i, t := range m.Tasks {
		tasks[i] = PublicTask{Entity: t.Entity, Ticket: t.Ticket, Team: t.Team}
	}
	return &PublicManifest{
		Algorithm: m.Algorithm,
		Form:      FormPublic,
		Inputs:    PublicInputs{PublicLists: c.Inputs, Nonce: m.Inputs.Nonce, Ceremony: m.Inputs.Ceremony},
		Hashes:    m.Hashes,
		Seed:      m.Seed,
		Strata:    m.Strata,
		Tasks:     tasks,
	}, nil
}
