package draw

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// The want strings were printed by Python 3's
// json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")).
func TestCanonicalJSONMatchesPython(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"controls", "\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f", `"\u0000\u0001\b\t\n\u000b\f\r\u001f` + "\x7f" + `"`},
		{"separators and HTML", "\u2028\u2029<>&'/", "\"\u2028\u2029<>&'/\""},
		{"quote and backslash", "q\"uote\\所", `"q\"uote\\所"`},
		{"non-ASCII", "𬌗店 é ｚ", `"𬌗店 é ｚ"`},
		{"nested, sorted, -0", map[string]any{"b": 1, "a": []any{true, false, nil}, "é": map[string]any{"z": json.Number("-0"), "A": json.Number("12345678901234567890")}},
			`{"a":[true,false,null],"b":1,"é":{"A":12345678901234567890,"z":0}}`},
		{"keys in byte order", map[string]int{"é": 1, "e": 2, "𬌗": 3, "ｚ": 4, "Z": 5}, `{"Z":5,"e":2,"é":1,"ｚ":4,"𬌗":3}`},
		{"empty list", []int{}, `[]`},
		{"nil list", []string(nil), `[]`},
		{"nil map", map[string]int(nil), `{}`},
		{"empty string", "", `""`},
		{"integral float", 3.0, `3`},
		{"struct by tags, sorted, embedded", struct {
			Z string `json:"z"`
			Hashes
			Skip string `json:"-"`
			Opt  *int   `json:"opt,omitempty"`
		}{Z: "z"}, `{"conflicts_sha256":"` + zeros + `","exclusions_sha256":"` + zeros + `","frame_sha256":"` + zeros +
			`","inspectors_sha256":"` + zeros + `","nonce_commitment":"` + zeros + `","params_sha256":"` + zeros + `","z":"z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalJSON(tt.v)
			if err != nil || string(got) != tt.want {
				t.Errorf("CanonicalJSON = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

var zeros = strings.Repeat("0", 64)

func TestCanonicalJSONRefuses(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"fraction", 1.5},
		{"huge float", 1e300},
		{"decimal number", json.Number("1.0")},
		{"exponent", json.Number("1e2")},
		{"invalid UTF-8", "\xff"},
		{"invalid UTF-8 key", map[string]int{"\xff": 1}},
		{"int keys", map[int]int{1: 1}},
		{"bytes", []byte("x")},
		{"channel", make(chan int)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := CanonicalJSON(tt.v); err == nil {
				t.Errorf("CanonicalJSON = %s, want an error", got)
			}
		})
	}
}

// The hand-written encoders of hashed rows must give CanonicalJSON's bytes.
func TestRowEncodersAreCanonical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		d := Digest{byte(rng.Uint32())}
		cases := []struct {
			row  any
			fast []byte
		}{
			{FrameRow{ID: randomText(rng), Stratum: randomText(rng), Unit: randomText(rng)}, nil},
			{FrameRow{ID: randomText(rng), Stratum: randomText(rng), Units: Units{{"a", randomText(rng)}, {"b" + randomText(rng), randomText(rng)}}}, nil},
			{StratumRow{randomText(rng), &d}, nil},
			{StratumRow{randomText(rng), nil}, nil},
			{Exclusion{randomText(rng), randomText(rng)}, nil},
			{Conflict{randomText(rng), randomText(rng)}, nil},
			{Inspector{randomText(rng), randomText(rng), randomText(rng), []string{randomText(rng), randomText(rng)}}, nil},
			{FrameCommitment{randomText(rng), d}, nil},
			{RowCommitment{d}, nil},
		}
		for _, c := range cases {
			switch r := c.row.(type) {
			case FrameRow:
				// FrameRow writes itself with appendFrameRow: compare with its generic form.
				c.fast, c.row = appendFrameRow(nil, r), genericFrameRow(r)
			case StratumRow:
				c.fast, c.row = appendStratumRow(nil, r), map[string]any{"stratum": r.Stratum, "threshold": r.Threshold}
			case Exclusion:
				c.fast = appendExclusion(nil, r)
			case Conflict:
				c.fast = appendConflict(nil, r)
			case Inspector:
				c.fast = appendInspector(nil, r)
			case FrameCommitment:
				c.fast = appendFrameCommitment(nil, r)
			case RowCommitment:
				c.fast = appendRowCommitment(nil, r)
			}
			want, err := CanonicalJSON(c.row)
			if err != nil || !bytes.Equal(c.fast, want) {
				t.Fatalf("%T: fast %s, canonical %s (%v)", c.row, c.fast, want, err)
			}
		}
	}
}

// randomText mixes the characters canonical JSON treats differently.
func randomText(rng *rand.Rand) string {
	alphabet := []string{"a", "Z", "0", "\"", "\\", "\n", "\x01", "\x7f", "<", "&", "é", "所", "𬌗", "\u2028", " "}
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// FuzzCanonicalJSON: any JSON document of integers re-encodes to valid JSON holding the same
// value, and encoding is idempotent.
func FuzzCanonicalJSON(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, which takes long on a 60 KB vector.
	seeds := []string{
		`{"b":[1,2,{"a":null}],"a":"\u2028<&>"}`, `"\u0000\n\t\u007f"`, `[-0, 12345678901234567890, true]`,
		`{"é":{},"e":[],"𬌗":"q\"uote\\所"}`, `{"id":"9114","stratum":"A","unit":"城关所&北留<一>"}`,
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := decodeGeneric(raw)
		if err != nil || !utf8.Valid(raw) {
			return
		}
		first, err := CanonicalJSON(v)
		if err != nil {
			return // a fraction or exponent: not canonical, refused
		}
		again, err := decodeGeneric(first)
		if err != nil {
			t.Fatalf("canonical output %q is not JSON: %v", first, err)
		}
		if err := firstDifference("", again, normalizeZero(v)); err != nil {
			t.Fatalf("value changed: %v", err)
		}
		second, err := CanonicalJSON(again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("not idempotent: %q then %q (%v)", first, second, err)
		}
	})
}

// normalizeZero reads -0 as 0, as canonical JSON (and Python) does.
func normalizeZero(v any) any {
	switch v := v.(type) {
	case json.Number:
		if v == "-0" {
			return json.Number("0")
		}
	case []any:
		for i := range v {
			v[i] = normalizeZero(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = normalizeZero(v[k])
		}
	}
	return v
}

// genericFrameRow is a frame row as maps, which CanonicalJSON writes by reflection.
func genericFrameRow(r FrameRow) map[string]any {
	if r.Units == nil {
		return map[string]any{"id": r.ID, "stratum": r.Stratum, "unit": r.Unit}
	}
	units := map[string]string{}
	for _, u := range r.Units {
		units[u.Bureau] = u.Unit
	}
	return map[string]any{"id": r.ID, "stratum": r.Stratum, "units": units}
}

// The long lists written without per-row reflection give the bytes of the same rows written one
// by one, and an empty or nil list is [].
func TestLongListsAreCanonical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var frame []FrameCommitment
	var rows []RowCommitment
	var generic []any
	var genericRows []any
	for range 300 {
		d := Digest{byte(rng.Uint32()), byte(rng.Uint32())}
		frame = append(frame, FrameCommitment{randomText(rng), d})
		rows = append(rows, RowCommitment{d})
		generic = append(generic, frame[len(frame)-1])
		genericRows = append(genericRows, rows[len(rows)-1])
	}
	for _, c := range []struct{ long, oneByOne any }{
		{frame, generic},
		{rows, genericRows},
		{struct{ F []FrameCommitment }{frame}, struct{ F []any }{generic}},
		{[]FrameCommitment(nil), []any{}},
	} {
		got, err := CanonicalJSON(c.long)
		want, err2 := CanonicalJSON(c.oneByOne)
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Fatalf("%T: %s, want %s (%v, %v)", c.long, got, want, err, err2)
		}
	}
}
