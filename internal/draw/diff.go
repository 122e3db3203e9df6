package draw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// mismatch reports a published value that differs from the recomputed one.
func mismatch(path string, got, want any) error {
	return fmt.Errorf("%s: got %s, want %s", path, show(got), show(want))
}

// show prints a value for a message: strings quoted, digests in hex, containers by their size.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case map[string]any:
		return fmt.Sprintf("an object of %d fields", len(v))
	case []any:
		return fmt.Sprintf("a list of %d", len(v))
	default:
		return fmt.Sprint(v)
	}
}

// compareDocument compares a document's top-level fields, in the given order, with the
// recomputed ones in want: the first difference names its path under prefix. Every field of order
// must be present; those absent from want are not compared. Fields outside order are refused.
func compareDocument(prefix string, got map[string]json.RawMessage, want map[string]any, order []string) error {
	for _, key := range order {
		raw, present := got[key]
		if !present {
			return fmt.Errorf("%s: missing", joinPath(prefix, key))
		}
		w, compared := want[key]
		if !compared {
			continue
		}
		g, err := decodeGeneric(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", joinPath(prefix, key), err)
		}
		if err := firstDifference(joinPath(prefix, key), g, w); err != nil {
			return explainDerived(prefix, key, g, w, err)
		}
	}
	for _, key := range sortedKeys(got) {
		if !slices.Contains(order, key) {
			return fmt.Errorf("%s: unexpected field", joinPath(prefix, key))
		}
	}
	return nil
}

// derivedFrom says what each derived top-level value of a full manifest is computed from.
var derivedFrom = map[string]string{
	"nonce_commitment":  "inputs.nonce",
	"frame_sha256":      "inputs.frame and inputs.row_key",
	"exclusions_sha256": "inputs.exclusions and inputs.row_key",
	"inspectors_sha256": "inputs.inspectors",
	"conflicts_sha256":  "inputs.conflicts and inputs.row_key",
	"params_sha256":     "inputs.params",
	"seed":              "inputs.nonce, inputs.ceremony and the input hashes",
}

// explainDerived rewords a difference in a hash or the seed as what it means: the value does not
// follow from the inputs.
func explainDerived(prefix, key string, got, want any, err error) error {
	source, derived := derivedFrom[key]
	if !derived {
		return err
	}
	return fmt.Errorf("%s does not match %s: published %s, recomputed %s", joinPath(prefix, key), source, show(got), show(want))
}

// firstDifference compares two decoded JSON values (numbers as json.Number), visiting object
// keys in byte order, and describes the first place they differ.
func firstDifference(path string, got, want any) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return mismatch(path, got, want)
		}
		return firstObjectDifference(path, g, w)
	case []any:
		g, ok := got.([]any)
		if !ok {
			return mismatch(path, got, want)
		}
		for i := range min(len(g), len(w)) {
			if err := firstDifference(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); err != nil {
				return err
			}
		}
		if len(g) != len(w) {
			return fmt.Errorf("%s: got a list of %d, want %d", path, len(g), len(w))
		}
		return nil
	default:
		// Scalars: strings, json.Number, booleans and nil are all comparable; a container on
		// the got side has another dynamic type and compares unequal without panicking.
		if got != want {
			return mismatch(path, got, want)
		}
		return nil
	}
}

func firstObjectDifference(path string, got, want map[string]any) error {
	for _, key := range sortedKeys(want) {
		g, present := got[key]
		if !present {
			return fmt.Errorf("%s: missing", joinPath(path, key))
		}
		if err := firstDifference(joinPath(path, key), g, want[key]); err != nil {
			return err
		}
	}
	for _, key := range sortedKeys(got) {
		if _, expected := want[key]; !expected {
			return fmt.Errorf("%s: unexpected field", joinPath(path, key))
		}
	}
	return nil
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func decodeGeneric(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// genericObject returns v as decoded JSON, as a document read from a file would be.
func genericObject(v any) (map[string]any, error) {
	raw, err := CanonicalJSON(v)
	if err != nil {
		return nil, err
	}
	g, err := decodeGeneric(raw)
	if err != nil {
		return nil, err
	}
	obj, ok := g.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%T is not a JSON object", v)
	}
	return obj, nil
}
