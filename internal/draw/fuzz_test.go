package draw

import (
	"errors"
	"testing"
)

// tinyInput is a complete input small enough for the fuzzer to mutate quickly.
const tinyInput = `{"frame":[{"id":"E2","stratum":"A","unit":"u"},{"id":"E1","stratum":"B","unit":""}],` +
	`"exclusions":[{"id":"E2","reason":"annual_cap"}],` +
	`"inspectors":[{"id":"I1","bureau":"b","unit":"u","qualifications":["Q","Q"]},{"id":"I2","bureau":"b","unit":"","qualifications":[]}],` +
	`"conflicts":[{"inspector":"I2","entity":"E1"}],` +
	`"params":{"algorithm":"dual-random-draw/v1","strata":{"A":{"ratio":"1/2","min":1},"B":{"ratio":"1/1","min":0}},` +
	`"team":{"b":1},"required_qualifications":{"b":["Q"]},"cross_unit":true,"max_tasks_per_inspector":1},` +
	`"nonce":"0000000000000000000000000000000000000000000000000000000000000000",` +
	`"row_key":"1111111111111111111111111111111111111111111111111111111111111111","ceremony":"c"}`

// FuzzParseInput: whatever the bytes, parsing and drawing never panic, a refusal is an *Error of a
// known code, and a draw gives manifests that Verify accepts.
func FuzzParseInput(f *testing.F) {
	f.Add([]byte(tinyInput))
	for _, v := range loadVectors(f) {
		if len(v.Input) < 4<<10 { // the fuzzer minimises new inputs, slowly when they are big
			f.Add([]byte(v.Input))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := ParseInput(raw)
		if err != nil {
			assertRefusal(t, err)
			return
		}
		m, err := Run(in)
		if err != nil {
			assertRefusal(t, err)
			return
		}
		p, err := m.Public()
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range []any{m, p} {
			encoded, err := CanonicalJSON(doc)
			if err != nil {
				t.Fatal(err)
			}
			if kind, err := Verify(encoded); err != nil {
				t.Fatalf("Verify(%s of %s): %v", kind, raw, err)
			}
		}
	})
}

func assertRefusal(t *testing.T, err error) {
	t.Helper()
	var refusal *Error
	if !errors.As(err, &refusal) || (refusal.Code != CodeInvalidInput && refusal.Code != CodeInsufficientInspectors) {
		t.Fatalf("error %v is not a refusal with a known code", err)
	}
}
