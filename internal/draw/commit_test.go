package draw

import (
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// The commitment published at freeze carries the hashes the manifest will show.
func TestCommitMatchesRun(t *testing.T) {
	for _, v := range drawVectors(t) {
		in := v.input(t)
		frozen := in
		frozen.Ceremony = ""
		c, err := Commit(frozen)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := m.Public()
		if err := c.Matches(p); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
		if c.Hashes != m.Hashes {
			t.Errorf("%s: commitment hashes %+v, manifest %+v", v.Name, c.Hashes, m.Hashes)
		}
	}
}

// A roster changed between freeze and ceremony is caught by Matches.
func TestMatchesCatchesChangedRoster(t *testing.T) {
	in := validInput(t)
	c, err := Commit(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Exclusions = in.Exclusions[:1]
	m, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Public()
	if err := c.Matches(p); err == nil || !strings.Contains(err.Error(), "exclusions_sha256") {
		t.Errorf("Matches = %v, want exclusions_sha256 named", err)
	}
}

func TestVerifyRejectsTamperedCommitment(t *testing.T) {
	c, err := Commit(validInput(t))
	if err != nil {
		t.Fatal(err)
	}
	c.Inputs.Frame[3].Commitment[0] ^= 1
	raw, _ := CanonicalJSON(c)
	if kind, err := Verify(raw); kind != KindCommitment || err == nil || !strings.Contains(err.Error(), "frame_sha256 does not match inputs.frame") {
		t.Errorf("Verify = %q, %v", kind, err)
	}
}

// A full manifest whose inputs cannot be staffed is refused after its hashes, seed and strata.
func TestVerifyFullWithUnstaffableInputs(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Error != CodeInsufficientInspectors {
			continue
		}
		m, err := run(v.input(t))
		if m == nil || err == nil {
			t.Fatalf("run = %v, %v; want the partial manifest and the error", m, err)
		}
		m.Tasks = []Task{}
		raw, _ := CanonicalJSON(m)
		if _, err := Verify(raw); err == nil || !strings.Contains(err.Error(), "tasks: the inputs cannot be drawn: insufficient_inspectors") {
			t.Errorf("Verify = %v", err)
		}
	}
}

// Public works on a manifest read back from JSON, recomputing the commitments.
func TestPublicOfDecodedManifest(t *testing.T) {
	for _, v := range drawVectors(t) {
		var m Manifest
		if err := json.Unmarshal(v.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		p, err := m.Public()
		if err != nil {
			t.Fatal(err)
		}
		assertSameJSON(t, v.Name+" public_manifest", p, v.PublicManifest)
	}
}

// TestHashSegmentsMatchesOneStream: the frame hash encoded in segments, by one goroutine or
// several, is the hash of the lines written in order, for lengths around the segment boundaries.
func TestHashSegmentsMatchesOneStream(t *testing.T) {
	in := syntheticInput(rand.New(rand.NewPCG(3, 4)), shape{rows: 5*lineSegment + 17, inspectors: 50, bureaus: 1})
	c, err := Commit(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, lineSegment, lineSegment + 1, 3*lineSegment - 1, len(c.Inputs.Frame)} {
		rows := c.Inputs.Frame[:n]
		want := sha256.Sum256(appendLines(nil, rows, appendFrameCommitment))
		for _, workers := range []int{1, 2, 3, 8} {
			if got := hashEncoded(n, workers, linesOf(rows, appendFrameCommitment)); got != want {
				t.Fatalf("%d rows, %d workers: %s, want %s", n, workers, got, Digest(want))
			}
		}
	}
	if got, want := c.Hashes.FrameSHA256, Digest(sha256.Sum256(appendLines(nil, c.Inputs.Frame, appendFrameCommitment))); got != want {
		t.Fatalf("frame_sha256 %s, want %s", got, want)
	}
}
