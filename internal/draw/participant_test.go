package draw

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The openings kept for each participant are exactly what Openings hands
// out: the rows it supervises, in id order, as CanonicalJSON writes the
// list (an empty list too), computed on every CPU.
func TestParticipantOpenings(t *testing.T) {
	s := bigCounty(20_000)
	s.bureaus = 2
	m, err := Run(syntheticInput(rand.New(rand.NewPCG(3, 4)), s))
	if err != nil {
		t.Fatal(err)
	}
	lead, other := bureauName(0), bureauName(1)
	got, err := ParticipantOpenings(m, lead, []string{lead, other, "140522-none"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[lead]; ok || len(got) != 2 {
		t.Fatalf("openings kept for %d bureaus (lead's %v), want the two others only", len(got), ok)
	}
	var ids []string
	for _, r := range m.Inputs.Frame {
		if _, ok := r.Units.Of(other); ok {
			ids = append(ids, r.ID)
		}
	}
	want, err := m.Openings(ids)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := CanonicalJSON(want)
	if len(ids) == 0 || len(ids) == len(m.Inputs.Frame) || !bytes.Equal(got[other], wantJSON) {
		t.Errorf("%s's openings differ from Openings of its %d rows (of %d)", other, len(ids), len(m.Inputs.Frame))
	}
	if string(got["140522-none"]) != "[]" {
		t.Errorf("a participant supervising no row gets %q, want []", got["140522-none"])
	}
}
