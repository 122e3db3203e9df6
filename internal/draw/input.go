package draw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Input is everything a draw depends on, as draw-spec.md defines it. The JSON form is the spec's
// (and the test vectors' "input"); lists may come in any order, Run sorts them.
type Input struct {
	Frame      []FrameRow  `json:"frame"`
	Exclusions []Exclusion `json:"exclusions"`
	Inspectors []Inspector `json:"inspectors"`
	Conflicts  []Conflict  `json:"conflicts"`
	Params     Params      `json:"params"`
	// Nonce is 64 lowercase hex from a CSPRNG, kept secret until the ceremony.
	Nonce string `json:"nonce"`
	// RowKey is 64 lowercase hex from a CSPRNG, never published: it salts the confidential rows.
	RowKey string `json:"row_key"`
	// Ceremony is the string entered before witnesses; empty until the ceremony.
	Ceremony string `json:"ceremony"`
}

// FrameRow is one market entity of the frame (名录库 snapshot). Confidential: its stratum is its
// risk class.
//
// A v2 row names the bureaus of the draw that supervise the entity, each with the entity's unit in
// that bureau (Units, never empty); a v1 row has one Unit for all bureaus. Units is nil exactly in
// a v1 row, and the row's JSON form follows: {"id","stratum","units"} or {"id","stratum","unit"}.
type FrameRow struct {
	ID      string `json:"id"` // 统一社会信用代码
	Stratum string `json:"stratum"`
	Unit    string `json:"unit"`  // v1: jurisdiction unit (属地所), or ""
	Units   Units  `json:"units"` // v2: per supervising bureau, the entity's unit there, or ""
}

// MarshalJSON writes the row in its version's canonical form.
func (r FrameRow) MarshalJSON() ([]byte, error) { return appendFrameRow(nil, r), nil }

// appendCanonical lets CanonicalJSON write a million rows without reflection.
func (r FrameRow) appendCanonical(b []byte) []byte { return appendFrameRow(b, r) }

// UnitOf is one bureau's unit (所/中队) for an entity: "" when the bureau has none on record.
type UnitOf struct {
	Bureau string
	Unit   string
}

// Units is a v2 frame row's "units" object as a list sorted by bureau: a row has one or two
// bureaus, and a slice costs a fraction of a map at a million rows.
type Units []UnitOf

// Of returns the entity's unit in bureau b and whether b supervises it.
func (u Units) Of(bureau string) (unit string, ok bool) {
	for _, x := range u {
		if x.Bureau == bureau {
			return x.Unit, true
		}
	}
	return "", false
}

// MarshalJSON writes the object with its keys in byte order.
func (u Units) MarshalJSON() ([]byte, error) { return appendUnits(nil, u), nil }

// UnmarshalJSON reads an object of strings, sorted by bureau; a bureau named twice is refused,
// since which of the two values counts would differ between implementations.
func (u *Units) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		*u = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("units: not an object")
	}
	out := Units{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		var unit string
		if err := dec.Decode(&unit); err != nil {
			return fmt.Errorf("units.%s: %v", key, err)
		}
		out = append(out, UnitOf{Bureau: key.(string), Unit: unit})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	slices.SortFunc(out, func(a, b UnitOf) int { return strings.Compare(a.Bureau, b.Bureau) })
	for i := 1; i < len(out); i++ {
		if out[i].Bureau == out[i-1].Bureau {
			return fmt.Errorf("units: bureau %q named twice", out[i].Bureau)
		}
	}
	*u = out
	return nil
}

// Exclusion keeps an entity of the frame out of this draw. Confidential.
type Exclusion struct {
	ID     string `json:"id"`
	Reason string `json:"reason"` // annual_cap, recently_inspected, under_investigation, …
}

// Inspector is someone who may be sent: active, certificate valid on the planned dates. Public.
type Inspector struct {
	ID             string   `json:"id"` // 执法证号
	Bureau         string   `json:"bureau"`
	Unit           string   `json:"unit"`
	Qualifications []string `json:"qualifications"`
}

// Conflict is a conflict of interest (回避): this inspector may not go to this entity. Confidential.
type Conflict struct {
	Inspector string `json:"inspector"`
	Entity    string `json:"entity"`
}

// Params are the public rules of a draw.
type Params struct {
	Algorithm string             `json:"algorithm"` // AlgorithmV2 for every new draw, or AlgorithmV1
	Strata    map[string]Stratum `json:"strata"`
	// Team gives, per participating bureau, how many of its inspectors go on every visit.
	Team map[string]int `json:"team"`
	// RequiredQualifications lists, per bureau, the codes each of its inspectors must hold.
	RequiredQualifications map[string][]string `json:"required_qualifications"`
	// CrossUnit keeps inspectors away from entities of their own unit (所所交叉).
	CrossUnit bool `json:"cross_unit"`
	// MaxTasksPerInspector caps anyone's load in this draw; 0 means no cap.
	MaxTasksPerInspector int `json:"max_tasks_per_inspector"`
}

// Stratum is the sampling rule of one stratum: a ratio "p/q" of its frame rows, at least Min.
type Stratum struct {
	Ratio string `json:"ratio"`
	Min   int    `json:"min"`
}

// ParseInput reads an input from its JSON form. It refuses unknown fields and trailing data
// (anything dropped silently would change nothing here but everything in another implementation),
// with an *Error of code invalid_input. A missing field reads as its zero value. ParseInput does
// not validate the rules of the spec: Run, Commit and OpeningFor do.
func ParseInput(raw []byte) (Input, error) {
	var in Input
	if err := decodeStrict(raw, &in); err != nil {
		return Input{}, invalid("malformed input: %v", err)
	}
	return in, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields and trailing data.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}
