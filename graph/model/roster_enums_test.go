package model

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"shuangsuiji/internal/roster"
)

// TestEntityStatusRoundTrip: each domain status is written as its value
// in capitals and read back; a value the enum lacks is refused.
func TestEntityStatusRoundTrip(t *testing.T) {
	for _, s := range []roster.Status{roster.StatusActive, roster.StatusSuspended, roster.StatusDeregistered,
		roster.StatusRevoked, roster.StatusMoved} {
		var buf bytes.Buffer
		MarshalEntityStatus(s).MarshalGQL(&buf)
		name := strings.ToUpper(string(s))
		if buf.String() != strconv.Quote(name) {
			t.Errorf("%s written as %s, want %q", s, buf.String(), name)
		}
		back, err := UnmarshalEntityStatus(name)
		if err != nil || back != s {
			t.Errorf("%s read back as %q, %v", name, back, err)
		}
	}
	for _, v := range []any{"active", "CLOSED", 1} {
		if s, err := UnmarshalEntityStatus(v); err == nil {
			t.Errorf("%v read as %q, want an error", v, s)
		}
	}
}

// TestRiskClassRoundTrip: each class is written as itself and read back,
// the unclassified "" is null, and a value the enum lacks is refused.
func TestRiskClassRoundTrip(t *testing.T) {
	for _, c := range []roster.RiskClass{roster.RiskA, roster.RiskB, roster.RiskC, roster.RiskD} {
		var buf bytes.Buffer
		MarshalRiskClass(c).MarshalGQL(&buf)
		if buf.String() != strconv.Quote(string(c)) {
			t.Errorf("%s written as %s", c, buf.String())
		}
		back, err := UnmarshalRiskClass(string(c))
		if err != nil || back != c {
			t.Errorf("%s read back as %q, %v", c, back, err)
		}
	}
	var buf bytes.Buffer
	MarshalRiskClass("").MarshalGQL(&buf)
	if buf.String() != "null" {
		t.Errorf("unclassified written as %s, want null", buf.String())
	}
	for _, v := range []any{"a", "E", "", 1} {
		if c, err := UnmarshalRiskClass(v); err == nil {
			t.Errorf("%v read as %q, want an error", v, c)
		}
	}
}
