package draw

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// validInput is vector 01's input, parsed afresh so that each case may modify its copy.
func validInput(t *testing.T) Input {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Name == "01-single-bureau" {
			return v.input(t)
		}
	}
	t.Fatal("vector 01-single-bureau is missing")
	return Input{}
}

func assertInvalid(t *testing.T, err error, wantReason string) {
	t.Helper()
	var refusal *Error
	if !errors.As(err, &refusal) || refusal.Code != CodeInvalidInput {
		t.Fatalf("error %v, want %s", err, CodeInvalidInput)
	}
	if !strings.Contains(refusal.Reason, wantReason) {
		t.Errorf("reason %q does not name %q", refusal.Reason, wantReason)
	}
}

// TestInvalidInput covers each rule of the spec's "Invalid input" paragraph, and the rules this
// implementation adds (algorithm, negative team size or cap, bytes that are not UTF-8).
func TestInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		modify func(in *Input)
		reason string
	}{
		{"exclusion not in frame", func(in *Input) { in.Exclusions[1].ID = "91140522NOTINFRAME" }, `exclusions[1].id: "91140522NOTINFRAME" is not in the frame`},
		{"stratum not in params", func(in *Input) { in.Frame[3].Stratum = "E" }, `frame[3].stratum: "E" is not in params.strata`},
		{"repeated frame id", func(in *Input) { in.Frame[5].ID = in.Frame[2].ID }, `frame[5].id: repeated id "91140522HF96051X0F"`},
		{"repeated exclusion id", func(in *Input) { in.Exclusions[1].ID = in.Exclusions[0].ID }, `exclusions[1].id: repeated id`},
		{"repeated inspector id", func(in *Input) { in.Inspectors[4].ID = in.Inspectors[1].ID }, `inspectors[4].id: repeated id`},
		{"repeated conflict pair", func(in *Input) { in.Conflicts = append(in.Conflicts, in.Conflicts[0]) }, `conflicts[1]: repeated pair`},
		{"nonce too short", func(in *Input) { in.Nonce = in.Nonce[1:] }, "nonce: must be 64 lowercase hex"},
		{"nonce upper case", func(in *Input) { in.Nonce = strings.ToUpper(in.Nonce) }, "nonce: must be 64 lowercase hex"},
		{"nonce not hex", func(in *Input) { in.Nonce = "g" + in.Nonce[1:] }, "nonce: must be 64 lowercase hex"},
		{"row_key too long", func(in *Input) { in.RowKey += "0" }, "row_key: must be 64 lowercase hex"},
		{"row_key upper case", func(in *Input) { in.RowKey = "A" + in.RowKey[1:] }, "row_key: must be 64 lowercase hex"},
		{"empty ceremony", func(in *Input) { in.Ceremony = "" }, "ceremony: must not be empty"},
		{"wrong algorithm", func(in *Input) { in.Params.Algorithm = "dual-random-draw/v3" }, "params.algorithm"},
		{"units in a v1 row", func(in *Input) { in.Frame[1].Units = Units{{"140522-wl", ""}} }, "frame[1].units: a dual-random-draw/v1 row has one unit"},
		{"negative team", func(in *Input) { in.Params.Team["140522-wl"] = -1 }, "params.team.140522-wl: team size -1 is negative"},
		{"negative cap", func(in *Input) { in.Params.MaxTasksPerInspector = -1 }, "params.max_tasks_per_inspector"},
		{"not UTF-8", func(in *Input) { in.Exclusions[0].Reason = "\xff" }, "exclusions[0].reason: not valid UTF-8"},
	}
	for _, ratio := range []string{"", "1", "/", "1/", "/2", "1/0", "0/0", "2/1", "a/b", "-1/2", "+1/2", " 1/2", "1/2 ", "1/2/3",
		"1.5/2", "1e2/1e3", "0x1/2", "１/２", "99999999999999999999/99999999999999999999"} {
		tests = append(tests, struct {
			name   string
			modify func(in *Input)
			reason string
		}{"malformed ratio " + ratio, func(in *Input) { in.Params.Strata["B"] = Stratum{Ratio: ratio, Min: 1} },
			fmt.Sprintf("params.strata.B.ratio: malformed ratio %q", ratio)})
	}
	for _, c := range []string{"\x00", "\x1f", "\t", "\n", "\x7f", "\u2028", "\u2029"} {
		forbidden := fmt.Sprintf("%U", []rune(c)[0])
		for _, place := range forbiddenPlaces {
			path := place.path
			if place.isKey { // the path names the key itself
				path += strconv.Quote("x" + c + "y")
			}
			tests = append(tests, struct {
				name   string
				modify func(in *Input)
				reason string
			}{path + " holds " + forbidden, func(in *Input) { place.put(in, "x"+c+"y") }, path + ": holds " + forbidden})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput(t)
			tt.modify(&in)
			_, err := Run(in)
			assertInvalid(t, err, tt.reason)
		})
	}
}

// forbiddenPlace is where a string of an input goes, and the path an error names it by (for a
// map key, the path is followed by the quoted key).
type forbiddenPlace struct {
	path  string
	put   func(in *Input, s string)
	isKey bool
}

// forbiddenPlaces are every kind of string of an input.
var forbiddenPlaces = []forbiddenPlace{
	{path: "frame[2].id", put: func(in *Input, s string) { in.Frame[2].ID = s }},
	{path: "frame[2].unit", put: func(in *Input, s string) { in.Frame[2].Unit = s }},
	{path: "frame[2].stratum", put: func(in *Input, s string) { in.Frame[2].Stratum = s }},
	{path: "exclusions[1].id", put: func(in *Input, s string) { in.Exclusions[1].ID = s }},
	{path: "exclusions[1].reason", put: func(in *Input, s string) { in.Exclusions[1].Reason = s }},
	{path: "inspectors[3].id", put: func(in *Input, s string) { in.Inspectors[3].ID = s }},
	{path: "inspectors[3].bureau", put: func(in *Input, s string) { in.Inspectors[3].Bureau = s }},
	{path: "inspectors[3].unit", put: func(in *Input, s string) { in.Inspectors[3].Unit = s }},
	{path: "inspectors[3].qualifications[1]", put: func(in *Input, s string) { in.Inspectors[3].Qualifications[1] = s }},
	{path: "conflicts[0].inspector", put: func(in *Input, s string) { in.Conflicts[0].Inspector = s }},
	{path: "conflicts[0].entity", put: func(in *Input, s string) { in.Conflicts[0].Entity = s }},
	{path: "ceremony", put: func(in *Input, s string) { in.Ceremony = s }},
	{path: "params.strata: label ", put: func(in *Input, s string) { in.Params.Strata[s] = Stratum{Ratio: "1/2"} }, isKey: true},
	{path: "params.team: bureau ", put: func(in *Input, s string) { in.Params.Team[s] = 1 }, isKey: true},
	{path: "params.required_qualifications: bureau ", put: func(in *Input, s string) { in.Params.RequiredQualifications[s] = nil }, isKey: true},
	{path: "params.required_qualifications.140522-wl[0]", put: func(in *Input, s string) { in.Params.RequiredQualifications["140522-wl"][0] = s }},
}

func TestValidBoundaries(t *testing.T) {
	for _, ratio := range []string{"0/1", "1/1", "03/100", "18446744073709551615/18446744073709551615"} {
		in := validInput(t)
		in.Params.Strata["B"] = Stratum{Ratio: ratio, Min: 1}
		if _, err := Run(in); err != nil {
			t.Errorf("ratio %q: %v", ratio, err)
		}
	}
	in := validInput(t)
	in.Ceremony = "骰子 <&> \"引号\" 𬌗 U+0080:\u0080 U+FFFD:\ufffd"
	if _, err := Run(in); err != nil {
		t.Errorf("printable ceremony refused: %v", err)
	}
}

func TestParseInputRefuses(t *testing.T) {
	for _, raw := range []string{``, `{`, `[]`, `{"frame":[],"extra":1}`, `{"params":{"strata":{"A":{"ratio":"1/2","min":1,"max":3}}}}`,
		`{"params":{"min":1.5}}`, `{} {}`, `{"frame":[{"id":1}]}`} {
		if _, err := ParseInput([]byte(raw)); err == nil {
			t.Errorf("ParseInput(%s) succeeded", raw)
		} else {
			assertInvalid(t, err, "malformed input")
		}
	}
}

// The ceremony does not exist when the draw is frozen: Commit ignores it, Run requires it.
func TestCommitIgnoresCeremony(t *testing.T) {
	in := validInput(t)
	in.Ceremony = ""
	if _, err := Commit(in); err != nil {
		t.Fatalf("Commit without ceremony: %v", err)
	}
	_, err := Run(in)
	assertInvalid(t, err, "ceremony")
}

// v2 rows name their bureaus: never none, only bureaus of params.team, no v1 unit, no forbidden
// character in a bureau or a unit.
func TestInvalidUnitsV2(t *testing.T) {
	tests := []struct {
		name   string
		modify func(in *Input)
		reason string
	}{
		{"no units", func(in *Input) { in.Frame[2].Units = nil }, "frame[2].units: must name at least one bureau"},
		{"empty units", func(in *Input) { in.Frame[2].Units = Units{} }, "frame[2].units: must name at least one bureau"},
		{"bureau not in team", func(in *Input) { in.Frame[2].Units = Units{{"140522-zz", ""}} }, `frame[2].units: bureau "140522-zz" is not in params.team`},
		{"a v1 unit", func(in *Input) { in.Frame[2].Unit = "城关所" }, "frame[2].unit: a dual-random-draw/v2 row gives its unit per bureau"},
		{"control in a unit", func(in *Input) { in.Frame[2].Units = Units{{"140522-wl", "城\x00关"}} }, "frame[2].units.140522-wl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inputOf(t, "v2/01-single-bureau")
			tt.modify(&in)
			_, err := Run(in)
			assertInvalid(t, err, tt.reason)
		})
	}
	if _, err := ParseInput([]byte(`{"frame":[{"id":"x","stratum":"A","units":{"b":"1","b":"2"}}]}`)); err == nil {
		t.Error("ParseInput accepted a bureau named twice in units")
	}
}

func inputOf(t *testing.T, name string) Input {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Name == name {
			return v.input(t)
		}
	}
	t.Fatalf("vector %s is missing", name)
	return Input{}
}

// TestFirstInvalidRowOfALargeFrame: a frame large enough to be validated in parallel chunks still
// names its first invalid row, whichever chunk finishes first.
func TestFirstInvalidRowOfALargeFrame(t *testing.T) {
	base := syntheticInput(rand.New(rand.NewPCG(7, 8)), shape{rows: 40_000, inspectors: 50, bureaus: 1})
	for _, bad := range [][]int{{39_999}, {25_000, 39_000}, {3, 30_000}, {20_000, 20_001}} {
		in := base
		in.Frame = slices.Clone(base.Frame)
		for _, row := range bad {
			in.Frame[row].Stratum = "E"
		}
		_, err := Run(in)
		assertInvalid(t, err, fmt.Sprintf(`frame[%d].stratum: "E" is not in params.strata`, bad[0]))
	}
}

// TestRunSharesASortedFrameWithoutWritingIt: a frame already in id order is used in place, and
// neither it nor the rows' units change.
func TestRunSharesASortedFrameWithoutWritingIt(t *testing.T) {
	in := syntheticInput(rand.New(rand.NewPCG(9, 10)), shape{rows: 5_000, inspectors: 50, bureaus: 2})
	slices.SortFunc(in.Frame, compareFrameRows)
	before, err := CanonicalJSON(in.Frame)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := CanonicalJSON(in.Frame)
	if !bytes.Equal(before, after) {
		t.Fatal("Run changed the caller's frame")
	}
	if &m.Inputs.Frame[0] != &in.Frame[0] {
		t.Error("a frame already in id order was copied")
	}
}

// TestInvalidFrameRowReportedFirst: Run and Commit check the frame's rows while they seal them,
// after the other lists, yet an input with several faults is refused for its first invalid frame
// row, as the checks in the spec's order find it first.
func TestInvalidFrameRowReportedFirst(t *testing.T) {
	later := map[string]func(in *Input){
		"invalid exclusion":         func(in *Input) { in.Exclusions[0].Reason = "\x00" },
		"invalid conflict":          func(in *Input) { in.Conflicts[0].Entity = "\x7f" },
		"repeated frame id":         func(in *Input) { in.Frame[5].ID = in.Frame[2].ID },
		"exclusion not in frame":    func(in *Input) { in.Exclusions[1].ID = "91140522NOTINFRAME" },
		"a second invalid row":      func(in *Input) { in.Frame[6].Stratum = "E" },
		"no other fault":            func(in *Input) {},
		"frame not in id order":     func(in *Input) { slices.Reverse(in.Frame) },
		"repeated inspector id":     func(in *Input) { in.Inspectors[4].ID = in.Inspectors[1].ID },
		"invalid row before it too": func(in *Input) { in.Frame[1].Unit = "\n" },
		"no strata at all":          func(in *Input) { in.Params.Strata = nil },
	}
	for name, modify := range later {
		t.Run(name, func(t *testing.T) {
			in := validInput(t)
			in.Frame[3].Stratum = "E"
			modify(&in)
			want := validate(&in, true)
			if want == nil {
				t.Fatal("validate accepts the input")
			}
			_, errRun := Run(in)
			_, errCommit := Commit(in)
			for _, err := range []error{errRun, errCommit} {
				var got *Error
				if !errors.As(err, &got) || got.Error() != want.Error() {
					t.Errorf("error %v, want %v", err, want)
				}
			}
		})
	}
}
