package draw

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vectorsDir is the repository's copy of the published draw test vectors
// (shared/draw-vectors), so that a clone with nothing beside it tests itself;
// TestVectorsCopyMatchesShared keeps the copy honest.
func vectorsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("testdata", "vectors")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("draw test vectors not found at %s (%v)", dir, err)
	}
	return dir
}

// vector is one file of the shared test vectors.
type vector struct {
	file           string
	raw            []byte
	Name           string          `json:"name"`
	Input          json.RawMessage `json:"input"`
	Manifest       json.RawMessage `json:"manifest"`
	PublicManifest json.RawMessage `json:"public_manifest"`
	Openings       []Opening       `json:"openings"`
	Error          Code            `json:"error"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	v1, err := filepath.Glob(filepath.Join(vectorsDir(t), "*.json"))
	if err != nil || len(v1) == 0 {
		t.Fatalf("no v1 draw test vectors in %s (%v)", vectorsDir(t), err)
	}
	v2, err := filepath.Glob(filepath.Join(vectorsDir(t), "v2", "*.json"))
	if err != nil || len(v2) == 0 {
		t.Fatalf("no v2 draw test vectors in %s/v2 (%v)", vectorsDir(t), err)
	}
	var vectors []vector
	for _, file := range append(v1, v2...) {
		rel, _ := filepath.Rel(vectorsDir(t), file)
		v := vector{file: filepath.ToSlash(rel)}
		if v.raw, err = os.ReadFile(file); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(v.raw, &v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		v.Name = strings.TrimSuffix(v.file, ".json") // v1 and v2 vectors share names
		vectors = append(vectors, v)
	}
	return vectors
}

// v2 reports whether the vector is of dual-random-draw/v2.
func (v vector) v2() bool { return strings.HasPrefix(v.file, "v2/") }

func (v vector) input(t testing.TB) Input {
	t.Helper()
	in, err := ParseInput(v.Input)
	if err != nil {
		t.Fatalf("%s: %v", v.file, err)
	}
	return in
}

// drawVectors returns the vectors that are drawn (not refused), with their manifests.
func drawVectors(t testing.TB) []vector {
	var drawn []vector
	for _, v := range loadVectors(t) {
		if v.Error == "" {
			drawn = append(drawn, v)
		}
	}
	return drawn
}

// assertSameJSON compares a value, encoded canonically, with a JSON document, as parsed JSON.
func assertSameJSON(t *testing.T, what string, got any, want json.RawMessage) {
	t.Helper()
	gotObj, err := genericObject(got)
	if err != nil {
		t.Fatal(err)
	}
	wantObj, err := decodeGeneric(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := firstDifference(what, gotObj, wantObj); err != nil {
		t.Errorf("%v", err)
	}
}

func TestVectorsReproduced(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			in := v.input(t)
			m, err := Run(in)
			if v.Error != "" {
				var refusal *Error
				if !errors.As(err, &refusal) || refusal.Code != v.Error {
					t.Fatalf("Run = %v, want a refusal with %s", err, v.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			p, err := m.Public()
			if err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, "manifest", m, v.Manifest)
			assertSameJSON(t, "public_manifest", p, v.PublicManifest)
			for i, o := range v.Openings {
				if _, err := CheckOpening(o, p); err != nil {
					t.Errorf("openings[%d]: %v", i, err)
				}
				if got, err := OpeningFor(in, o.Entity); err != nil || !reflect.DeepEqual(*got, o) {
					t.Errorf("OpeningFor(%q) = %+v, %v; want %+v", o.Entity, got, err, o)
				}
			}
		})
	}
}

// The manifests must be reproduced byte for byte once canonical: encoding our typed manifest and
// the vector's parsed JSON must give the same bytes.
func TestVectorsCanonicalBytes(t *testing.T) {
	for _, v := range drawVectors(t) {
		m, err := Run(v.input(t))
		if err != nil {
			t.Fatal(err)
		}
		got, err := CanonicalJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := decodeGeneric(v.Manifest)
		want, err := CanonicalJSON(parsed)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: canonical manifests differ:\n got %.300s\nwant %.300s", v.Name, got, want)
		}
	}
}

func TestVerifyAcceptsVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if kind, err := Verify(v.raw); kind != KindVector || err != nil {
				t.Errorf("Verify(vector) = %q, %v", kind, err)
			}
			if v.Error != "" {
				return
			}
			if kind, err := Verify(v.Manifest); kind != KindFullManifest || err != nil {
				t.Errorf("Verify(manifest) = %q, %v", kind, err)
			}
			if kind, err := Verify(v.PublicManifest); kind != KindPublicManifest || err != nil {
				t.Errorf("Verify(public_manifest) = %q, %v", kind, err)
			}
		})
	}
}

func TestInsufficientInspectorsNamesTask(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Error != CodeInsufficientInspectors {
			continue
		}
		_, err := Run(v.input(t))
		var refusal *Error
		if !errors.As(err, &refusal) || refusal.Entity == "" || refusal.Bureau == "" {
			t.Fatalf("Run = %#v, want entity and bureau named", err)
		}
		if !strings.Contains(refusal.Reason, refusal.Entity) || !strings.Contains(refusal.Reason, refusal.Bureau) {
			t.Errorf("reason %q names neither entity %q nor bureau %q", refusal.Reason, refusal.Entity, refusal.Bureau)
		}
	}
}
