package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// drawVector is one file of the draw test vectors (the repository's copy of
// shared/draw-vectors, in internal/draw/testdata/vectors).
type drawVector struct {
	path           string
	Name           string            `json:"name"`
	Input          json.RawMessage   `json:"input"`
	Manifest       json.RawMessage   `json:"manifest"`
	PublicManifest json.RawMessage   `json:"public_manifest"`
	Openings       []json.RawMessage `json:"openings"`
	Error          string            `json:"error"`
}

func loadDrawVectors(t *testing.T) []drawVector {
	t.Helper()
	dir := filepath.Join("internal", "draw", "testdata", "vectors")
	v1, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(v1) == 0 {
		t.Fatalf("v1 draw test vectors not found in %s (%v)", dir, err)
	}
	v2, err := filepath.Glob(filepath.Join(dir, "v2", "*.json"))
	if err != nil || len(v2) == 0 {
		t.Fatalf("v2 draw test vectors not found in %s/v2 (%v)", dir, err)
	}
	paths := append(v1, v2...)
	var vectors []drawVector
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		v := drawVector{path: path}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		v.Name = strings.TrimSuffix(filepath.ToSlash(rel), ".json") // v1 and v2 share names
		vectors = append(vectors, v)
	}
	return vectors
}

// writeTemp writes content to a file of the test's temporary folder and returns its path.
func writeTemp(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type commandResult struct {
	status         int
	stdout, stderr string
}

func runCommand(command func([]string, *bytes.Buffer, *bytes.Buffer) int, args ...string) commandResult {
	var stdout, stderr bytes.Buffer
	status := command(args, &stdout, &stderr)
	return commandResult{status, stdout.String(), stderr.String()}
}

func drawCommand(args []string, stdout, stderr *bytes.Buffer) int {
	return runDrawCommand(args, stdout, stderr)
}

func verifyDrawCommand(args []string, stdout, stderr *bytes.Buffer) int {
	return runVerifyDrawCommand(args, stdout, stderr)
}

func sameJSON(t *testing.T, got string, want json.RawMessage) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

func TestDrawCommandReproducesVectors(t *testing.T) {
	for _, v := range loadDrawVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			inputFile := writeTemp(t, "input.json", v.Input)
			for _, file := range []string{inputFile, v.path} { // an input, or a whole vector file
				full := runCommand(drawCommand, "--input", file)
				public := runCommand(drawCommand, "--input", file, "--public")
				if v.Error != "" {
					if full.status != 1 || !strings.HasPrefix(full.stderr, v.Error+": ") {
						t.Errorf("draw %s = %d, %q; want status 1 and %s", file, full.status, full.stderr, v.Error)
					}
					continue
				}
				if full.status != 0 || public.status != 0 {
					t.Fatalf("draw %s: status %d, %d: %s%s", file, full.status, public.status, full.stderr, public.stderr)
				}
				if !strings.HasSuffix(full.stdout, "}\n") || !sameJSON(t, full.stdout, v.Manifest) {
					t.Errorf("draw %s: the full manifest differs from the vector's", file)
				}
				if !sameJSON(t, public.stdout, v.PublicManifest) {
					t.Errorf("draw --public %s: the public manifest differs from the vector's", file)
				}
			}
		})
	}
}

func TestVerifyDrawCommandAcceptsVectors(t *testing.T) {
	for _, v := range loadDrawVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			files := []string{v.path}
			if v.Error == "" {
				files = append(files, writeTemp(t, "manifest.json", v.Manifest), writeTemp(t, "public.json", v.PublicManifest))
			}
			for _, file := range files {
				if r := runCommand(verifyDrawCommand, file); r.status != 0 || !strings.HasPrefix(r.stdout, "ok: ") {
					t.Errorf("verify-draw %s = %d, %q %q", file, r.status, r.stdout, r.stderr)
				}
			}
			public := writeTemp(t, "public.json", v.PublicManifest)
			for _, opening := range v.Openings {
				file := writeTemp(t, "opening.json", opening)
				r := runCommand(verifyDrawCommand, "--opening", file, public)
				if r.status != 0 || !strings.HasPrefix(r.stdout, "ok: ") {
					t.Errorf("verify-draw --opening %s = %d, %q %q", opening, r.status, r.stdout, r.stderr)
				}
				if want := "was rightly " + fateOf(t, v, opening) + ":"; !strings.Contains(r.stdout, want) {
					t.Errorf("verify-draw --opening said %q, want %q", r.stdout, want)
				}
			}
		})
	}
}

// fateOf says what the vector's manifest shows of the opened entity, as verify-draw words it.
func fateOf(t *testing.T, v drawVector, opening json.RawMessage) string {
	var o struct {
		Entity       string          `json:"entity"`
		ExclusionRow json.RawMessage `json:"exclusion_row"`
	}
	var m struct {
		Tasks []struct {
			Entity string `json:"entity"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(opening, &o); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(v.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if o.ExclusionRow != nil {
		return "excluded"
	}
	for _, task := range m.Tasks {
		if task.Entity == o.Entity {
			return "selected"
		}
	}
	return "not selected"
}

// Every fate is shown by some opening of the vectors.
func TestVerifyDrawOpeningFates(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range loadDrawVectors(t) {
		for _, o := range v.Openings {
			seen[fateOf(t, v, o)] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("the vectors' openings show only %v", seen)
	}
}

// tamperedPublic returns the first drawn vector's public manifest (of v2 or v1) with its first
// task's second team member replaced by another inspector.
func tamperedPublic(t *testing.T, v2 bool) (drawVector, []byte) {
	for _, v := range loadDrawVectors(t) {
		if v.Error != "" || strings.HasPrefix(v.Name, "v2/") != v2 {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(v.PublicManifest, &doc); err != nil {
			t.Fatal(err)
		}
		member := doc["tasks"].([]any)[0].(map[string]any)["team"].([]any)[1].(map[string]any)
		member["inspector"] = "晋文旅执字999999"
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return v, raw
	}
	t.Fatal("no drawn vector")
	return drawVector{}, nil
}

func TestVerifyDrawCommandRejectsTampering(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "v1", true: "v2"}[v2], func(t *testing.T) { verifyDrawRejectsTampering(t, v2) })
	}
}

func verifyDrawRejectsTampering(t *testing.T, v2 bool) {
	v, tampered := tamperedPublic(t, v2)
	file := writeTemp(t, "public.json", tampered)
	r := runCommand(verifyDrawCommand, file)
	if r.status != 1 || r.stdout != "" || !strings.Contains(r.stderr, "tasks[0].team[1].inspector") {
		t.Errorf("verify-draw tampered = %d, %q %q; want status 1 naming tasks[0].team[1].inspector", r.status, r.stdout, r.stderr)
	}
	opening := writeTemp(t, "opening.json", v.Openings[0])
	if r := runCommand(verifyDrawCommand, "--opening", opening, file); r.status != 1 || !strings.Contains(r.stderr, "tasks[0].team[1]") {
		t.Errorf("verify-draw --opening against a tampered manifest = %d, %q", r.status, r.stderr)
	}
	var changed map[string]any
	json.Unmarshal(v.Openings[0], &changed)
	changed["frame_salt"] = strings.Repeat("0", 64)
	raw, _ := json.Marshal(changed)
	badOpening := writeTemp(t, "opening.json", raw)
	public := writeTemp(t, "public.json", v.PublicManifest)
	if r := runCommand(verifyDrawCommand, "--opening", badOpening, public); r.status != 1 || !strings.Contains(r.stderr, "frame_row") {
		t.Errorf("verify-draw --opening with a wrong salt = %d, %q", r.status, r.stderr)
	}
}

func TestDrawCommandsMisused(t *testing.T) {
	tests := []struct {
		name    string
		command func([]string, *bytes.Buffer, *bytes.Buffer) int
		args    []string
		status  int
	}{
		{"draw without input", drawCommand, nil, 2},
		{"draw with an argument", drawCommand, []string{"--input", "x.json", "extra"}, 2},
		{"draw with an unknown flag", drawCommand, []string{"--seed", "1"}, 2},
		{"draw of a missing file", drawCommand, []string{"--input", filepath.Join(t.TempDir(), "missing.json")}, 1},
		{"verify-draw without file", verifyDrawCommand, nil, 2},
		{"verify-draw --opening without public", verifyDrawCommand, []string{"--opening", "o.json"}, 2},
		{"verify-draw of a missing file", verifyDrawCommand, []string{filepath.Join(t.TempDir(), "missing.json")}, 1},
		{"verify-draw of non-JSON", verifyDrawCommand, []string{writeTemp(t, "x.json", []byte("not json"))}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := runCommand(tt.command, tt.args...); r.status != tt.status || r.stderr == "" {
				t.Errorf("status %d, stderr %q; want status %d and a message", r.status, r.stderr, tt.status)
			}
		})
	}
}
