package draw

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Kind names a document Verify recognises.
type Kind string

// The documents Verify recognises: the two manifests, the commitment published at freeze and a
// file of the shared test vectors.
const (
	KindFullManifest   Kind = "full manifest"
	KindPublicManifest Kind = "public manifest"
	KindCommitment     Kind = "commitment"
	KindVector         Kind = "test vector"
)

// manifestFields are the top-level fields of both manifests, in the order a difference is looked
// for: a value is checked before what is derived from it.
var manifestFields = []string{
	"algorithm", "form", "inputs", "nonce_commitment", "frame_sha256", "exclusions_sha256",
	"inspectors_sha256", "conflicts_sha256", "params_sha256", "seed", "strata", "tasks",
}

// Verify checks a document and returns its kind; it returns an error naming the first difference
// (tasks[3].team[1].inspector: got "…", want "…") unless everything holds.
//
//   - A full manifest ("form": "full") is recomputed from its inputs, which must be in sorted
//     private form, and must match field for field.
//   - A public manifest ("form": "public") gets every check the public can make: the lists are
//     well-formed and sorted, the hashes match them, the nonce matches its commitment, the seed
//     follows; each stratum's quota follows from its counts; each task's ticket, order, team
//     tickets, bureaus, qualifications, sizes and the cap hold. Confidential facts (strata of
//     entities, exclusions, conflicts, units) cannot be checked without openings or the full manifest.
//   - A commitment ("form": "commitment") must have hashes that match its lists.
//   - A test vector ({"name", "input", …}) must be reproduced exactly: both manifests, every
//     opening accepted, or the draw refused with the vector's error code.
func Verify(raw []byte) (Kind, error) {
	var doc map[string]json.RawMessage
	if err := decodeStrict(raw, &doc); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	kind, err := kindOf(doc)
	if err != nil {
		return "", err
	}
	switch kind {
	case KindVector:
		return kind, verifyVector(doc)
	case KindFullManifest:
		return kind, verifyFull(doc)
	case KindPublicManifest:
		var p PublicManifest
		if err := decodeStrict(raw, &p); err != nil {
			return kind, fmt.Errorf("malformed public manifest: %v", err)
		}
		return kind, verifyPublic(&p)
	default:
		var c Commitment
		if err := decodeStrict(raw, &c); err != nil {
			return kind, fmt.Errorf("malformed commitment: %v", err)
		}
		return kind, verifyCommitment(&c)
	}
}

func kindOf(doc map[string]json.RawMessage) (Kind, error) {
	if _, ok := doc["input"]; ok {
		return KindVector, nil
	}
	var form string
	if err := json.Unmarshal(doc["form"], &form); err != nil {
		return "", errors.New(`form: missing or not a string; expected a full or public manifest, a commitment or a test vector`)
	}
	switch form {
	case FormFull:
		return KindFullManifest, nil
	case FormPublic:
		return KindPublicManifest, nil
	case FormCommitment:
		return KindCommitment, nil
	}
	return "", fmt.Errorf("form: %q is none of %q, %q, %q", form, FormFull, FormPublic, FormCommitment)
}

// verifyFull recomputes a full manifest from its inputs. The inputs are compared as parsed (and
// must be in sorted form); everything derived is compared as JSON, field by field.
func verifyFull(doc map[string]json.RawMessage) error {
	in, err := ParseInput(doc["inputs"])
	if err != nil {
		return fmt.Errorf("inputs: %w", err)
	}
	m, drawErr := run(in)
	if m == nil {
		return fmt.Errorf("inputs: %w", drawErr)
	}
	if err := sortedFormDifference(in, m.Inputs); err != nil {
		return err
	}
	derived := *m
	derived.Inputs = Input{} // compared above; a million rows need not be compared twice
	want, err := genericObject(&derived)
	if err != nil {
		return err
	}
	delete(want, "inputs")
	if drawErr != nil {
		delete(want, "tasks")
	}
	if err := compareDocument("", doc, want, manifestFields); err != nil {
		return err
	}
	if drawErr != nil {
		return fmt.Errorf("tasks: the inputs cannot be drawn: %w", drawErr)
	}
	return nil
}

// sortedFormDifference reports where the inputs of a full manifest are not in sorted private
// form; given has passed validation, so a difference is a row out of order.
func sortedFormDifference(given, sorted Input) error {
	same := func(a, b Inspector) bool { return a.ID == b.ID && a.Bureau == b.Bureau && a.Unit == b.Unit }
	sameRow := func(a, b FrameRow) bool {
		return a.ID == b.ID && a.Stratum == b.Stratum && a.Unit == b.Unit && slices.Equal(a.Units, b.Units)
	}
	if i := firstUnequal(given.Frame, sorted.Frame, sameRow); i >= 0 {
		return fmt.Errorf("inputs.frame[%d]: rows are not sorted by id", i)
	}
	if i := firstUnequal(given.Exclusions, sorted.Exclusions, func(a, b Exclusion) bool { return a == b }); i >= 0 {
		return fmt.Errorf("inputs.exclusions[%d]: rows are not sorted by id", i)
	}
	if i := firstUnequal(given.Inspectors, sorted.Inspectors, same); i >= 0 {
		return fmt.Errorf("inputs.inspectors[%d]: rows are not sorted by id", i)
	}
	for i := range given.Inspectors {
		if !slices.Equal(given.Inspectors[i].Qualifications, sorted.Inspectors[i].Qualifications) {
			return fmt.Errorf("inputs.inspectors[%d].qualifications: not de-duplicated and sorted", i)
		}
	}
	if i := firstUnequal(given.Conflicts, sorted.Conflicts, func(a, b Conflict) bool { return a == b }); i >= 0 {
		return fmt.Errorf("inputs.conflicts[%d]: rows are not sorted by inspector, then entity", i)
	}
	return nil
}

func firstUnequal[T any](a, b []T, equal func(T, T) bool) int {
	for i := range a {
		if !equal(a[i], b[i]) {
			return i
		}
	}
	return -1
}

// verifyVector reproduces a test vector: the draw from its input must give both manifests and
// accept every opening, or be refused with its error code.
func verifyVector(doc map[string]json.RawMessage) error {
	if _, refused := doc["error"]; refused {
		return verifyRefusal(doc)
	}
	if err := onlyFields(doc, "name", "input", "manifest", "public_manifest", "openings"); err != nil {
		return err
	}
	in, err := ParseInput(doc["input"])
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	m, err := Run(in)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	p, err := m.Public()
	if err != nil {
		return err
	}
	if err := compareManifest("manifest", doc["manifest"], m); err != nil {
		return err
	}
	if err := compareManifest("public_manifest", doc["public_manifest"], p); err != nil {
		return err
	}
	return checkOpenings(doc["openings"], p)
}

func checkOpenings(raw json.RawMessage, p *PublicManifest) error {
	var openings []Opening
	if err := decodeStrict(raw, &openings); err != nil {
		return fmt.Errorf("openings: %v", err)
	}
	for i, o := range openings {
		if _, err := CheckOpening(o, p); err != nil {
			return fmt.Errorf("openings[%d]: %w", i, err)
		}
	}
	return nil
}

func compareManifest(name string, raw json.RawMessage, recomputed any) error {
	var got map[string]json.RawMessage
	if err := decodeStrict(raw, &got); err != nil {
		return fmt.Errorf("%s: not a JSON object: %v", name, err)
	}
	want, err := genericObject(recomputed)
	if err != nil {
		return err
	}
	return compareDocument(name, got, want, manifestFields)
}

func verifyRefusal(doc map[string]json.RawMessage) error {
	if err := onlyFields(doc, "name", "input", "error"); err != nil {
		return err
	}
	var want Code
	if err := json.Unmarshal(doc["error"], &want); err != nil {
		return fmt.Errorf("error: %v", err)
	}
	in, err := ParseInput(doc["input"])
	if err == nil {
		_, err = Run(in)
	}
	var refusal *Error
	switch {
	case err == nil:
		return fmt.Errorf("error: the input was drawn, want a refusal with %s", want)
	case !errors.As(err, &refusal):
		return err
	case refusal.Code != want:
		return fmt.Errorf("error: got %s, want %s (%v)", refusal.Code, want, refusal)
	}
	return nil
}

func onlyFields(doc map[string]json.RawMessage, allowed ...string) error {
	for _, key := range sortedKeys(doc) {
		if !slices.Contains(allowed, key) {
			return fmt.Errorf("%s: unexpected field", key)
		}
	}
	return nil
}
