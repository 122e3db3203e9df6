package draw

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestStoredFormsRenderTheSameBytes: a commitment and a public manifest
// kept in their stored forms come back as the very bytes of their
// canonical JSON, as stores wrote them before the stored forms (the
// vectors of both versions, and synthetic draws of each).
func TestStoredFormsRenderTheSameBytes(t *testing.T) {
	inputs := map[string]Input{}
	for _, v := range drawVectors(t) {
		inputs[v.Name] = v.input(t)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	inputs["synthetic v2"] = syntheticInput(rng, shape{rows: 3000, inspectors: 50, conflicts: 100, bureaus: 2})
	inputs["synthetic v1"] = syntheticInput(rng, shape{rows: 3000, inspectors: 50, conflicts: 100, bureaus: 2, v1: true})
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			m, err := Run(in)
			if err != nil {
				t.Fatal(err)
			}
			wantCommitment, wantPublic, err := SealDocuments(in, m)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Commit(in)
			if err != nil {
				t.Fatal(err)
			}
			storedCommitment, err := c.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			pm, err := m.Public()
			if err != nil {
				t.Fatal(err)
			}
			storedPublic, err := pm.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !IsStoredForm(storedCommitment) || !IsStoredForm(storedPublic) || IsStoredForm(wantCommitment) {
				t.Fatal("IsStoredForm does not tell the stored forms from canonical JSON")
			}
			if h, ok := CommittedHashes(storedCommitment[:CommittedHashesSize]); !ok || h != m.Hashes {
				t.Errorf("CommittedHashes = %v, %v: want the manifest's hashes", h, ok)
			}
			decoded, err := UnmarshalBinaryCommitment(storedCommitment)
			if err != nil {
				t.Fatal(err)
			}
			gotCommitment, err := CanonicalJSON(decoded)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotCommitment, wantCommitment) {
				t.Errorf("commitment rendered from its stored form differs from its canonical JSON:\n got %.300s\nwant %.300s", gotCommitment, wantCommitment)
			}
			public, err := PublicManifestFrom(decoded, storedPublic)
			if err != nil {
				t.Fatal(err)
			}
			gotPublic, err := CanonicalJSON(public)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotPublic, wantPublic) {
				t.Errorf("public manifest rendered from its stored form differs from its canonical JSON:\n got %.300s\nwant %.300s", gotPublic, wantPublic)
			}
			if len(storedCommitment)+len(storedPublic) >= len(wantCommitment) && len(in.Frame) > 1000 {
				t.Errorf("stored forms take %d bytes, the commitment's JSON alone %d", len(storedCommitment)+len(storedPublic), len(wantCommitment))
			}
		})
	}
}

// TestStoredFormsRefuseCorruptData: a truncated or altered stored form is
// an error, never a panic or a document.
func TestStoredFormsRefuseCorruptData(t *testing.T) {
	in := syntheticInput(rand.New(rand.NewPCG(43, 44)), shape{rows: 400, inspectors: 30, conflicts: 5, bureaus: 2})
	m, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Commit(in)
	commitment, _ := c.MarshalBinary()
	pm, _ := m.Public()
	public, _ := pm.MarshalBinary()
	for cut := len(commitmentMagic); cut < len(commitment); cut += 7 {
		if _, err := UnmarshalBinaryCommitment(commitment[:cut]); err == nil {
			t.Fatalf("commitment cut at %d of %d bytes decoded without error", cut, len(commitment))
		}
	}
	for cut := len(publicManifestMagic); cut < len(public); cut += 7 {
		if _, err := PublicManifestFrom(c, public[:cut]); err == nil {
			t.Fatalf("public manifest cut at %d of %d bytes decoded without error", cut, len(public))
		}
	}
	if _, err := UnmarshalBinaryCommitment(append(commitment, 0)); err == nil {
		t.Error("a commitment with a byte after its conflicts decoded without error")
	}
	if _, err := PublicManifestFrom(c, public[len(publicManifestMagic):]); err == nil {
		t.Error("a public manifest without its magic decoded without error")
	}
}

// FuzzUnmarshalBinaryCommitment feeds the stored commitment's decoder any bytes: it must refuse
// them or decode something that encodes back to the same bytes, never panic.
func FuzzUnmarshalBinaryCommitment(f *testing.F) {
	for _, rows := range []int{0, 3, 20} {
		in := syntheticInput(rand.New(rand.NewPCG(45, uint64(rows))), shape{rows: rows, inspectors: 4, conflicts: 2, bureaus: 2})
		c, err := Commit(in)
		if err != nil {
			f.Fatal(err)
		}
		data, _ := c.MarshalBinary()
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := UnmarshalBinaryCommitment(data)
		if err != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalBinaryCommitment(again)
		if err != nil {
			t.Fatalf("re-encoded commitment refused: %v", err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatal("re-encoding changed the commitment")
		}
	})
}
