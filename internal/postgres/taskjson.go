package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/draw"
)

// A page of tasks carries each task's team and substitutions as JSON
// arrays of flat objects (json_agg of json_build_object). encoding/json
// decoding them by reflection was a quarter of the Go CPU of a large
// bureau dashboard (4 draws × 50 tasks), so they are read here by hand:
// one pass, no reflection, a string allocated only for a value kept.
//
// The hand reader takes only what PostgreSQL writes for these objects:
// the keys taskMember and taskSubstitution name, each value a string
// without surrogate escapes, an integer or null where its field allows.
// Anything else (another key, another kind of value, a key spelled in
// another case) makes it give up, and encoding/json decodes the array
// instead, with its own results and errors, so that the answer is
// encoding/json's whatever the input.

// errNotFlat says the hand reader met something it does not take.
var errNotFlat = errors.New("not a flat JSON array of the expected objects")

// decodeTeam sets a task's team and substitutions from their JSON (NULL
// or []: none, left nil). in shares the strings a page repeats.
func decodeTeam(t *draw.TaskRow, team, subs []byte, in interner) error {
	members, err := decodeMembers(team, in)
	if err != nil {
		return fmt.Errorf("task %d/%d team: %w", t.DrawID, t.Seq, err)
	}
	substitutions, err := decodeSubstitutions(subs, in)
	if err != nil {
		return fmt.Errorf("task %d/%d substitutions: %w", t.DrawID, t.Seq, err)
	}
	if len(members) > 0 {
		t.Team = members
	}
	if len(substitutions) > 0 {
		t.Substitutions = substitutions
	}
	return nil
}

// decodeMembers decodes a task's team.
func decodeMembers(b []byte, in interner) ([]draw.Member, error) {
	if b == nil {
		return nil, nil
	}
	if members, err := membersByHand(b, in); err == nil {
		return members, nil
	}
	var members []taskMember
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, err
	}
	out := make([]draw.Member, len(members))
	for i, m := range members {
		out[i] = draw.Member(m)
	}
	return out, nil
}

// membersByHand reads a team as PostgreSQL writes it, or fails.
func membersByHand(b []byte, in interner) ([]draw.Member, error) {
	var members []draw.Member
	err := eachFlatObject(b, func() { members = append(members, draw.Member{}) }, func(key []byte, v flatValue) error {
		m := &members[len(members)-1]
		switch string(key) {
		case "bureau_code":
			return v.setString(&m.BureauCode, in)
		case "certificate":
			return v.setString(&m.Certificate, in)
		case "name":
			return v.setString(&m.Name, in)
		case "ticket":
			return v.setStringPtr(&m.Ticket)
		case "step":
			return v.setIntPtr(&m.Step)
		case "position":
			return v.setInt(&m.Position)
		}
		return errNotFlat
	})
	return members, err
}

// decodeSubstitutions decodes a task's substitutions.
func decodeSubstitutions(b []byte, in interner) ([]draw.Substitution, error) {
	if b == nil {
		return nil, nil
	}
	if subs, err := substitutionsByHand(b, in); err == nil {
		return subs, nil
	}
	var subs []taskSubstitution
	if err := json.Unmarshal(b, &subs); err != nil {
		return nil, err
	}
	out := make([]draw.Substitution, len(subs))
	for i, s := range subs {
		out[i] = draw.Substitution(s)
	}
	return out, nil
}

// substitutionsByHand reads substitutions as PostgreSQL writes them, or fails.
func substitutionsByHand(b []byte, in interner) ([]draw.Substitution, error) {
	var subs []draw.Substitution
	err := eachFlatObject(b, func() { subs = append(subs, draw.Substitution{}) }, func(key []byte, v flatValue) error {
		s := &subs[len(subs)-1]
		switch string(key) {
		case "bureau_code":
			return v.setString(&s.BureauCode, in)
		case "out":
			return v.setString(&s.Out, in)
		case "in":
			return v.setString(&s.In, in)
		case "reason":
			return v.setString(&s.Reason, nil)
		case "at":
			return v.setTime(&s.At)
		}
		return errNotFlat
	})
	return subs, err
}

// interner shares equal strings: a page of 200 tasks names a few bureaus
// and some 40 inspectors, each hundreds of times. nil shares nothing.
type interner map[string]string

func (in interner) string(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// flatValue is one value of a flat object: null, a string (raw: its JSON
// text, quotes included; escaped: whether it holds a backslash) or a
// number (raw: its text).
type flatValue struct {
	null    bool
	str     bool
	escaped bool
	raw     []byte
}

// setString sets *dst to a string value, shared through in; null leaves
// it, as encoding/json does.
func (v flatValue) setString(dst *string, in interner) error {
	switch {
	case v.null:
		return nil
	case !v.str:
		return errNotFlat
	}
	s, err := v.text(in)
	if err == nil {
		*dst = s
	}
	return err
}

// setStringPtr sets *dst to a new string, or to nil for null.
func (v flatValue) setStringPtr(dst **string) error {
	if v.null {
		*dst = nil
		return nil
	}
	var s string
	if err := v.setString(&s, nil); err != nil {
		return err
	}
	*dst = &s
	return nil
}

// setInt sets *dst to an integer value; null leaves it.
func (v flatValue) setInt(dst *int) error {
	switch {
	case v.null:
		return nil
	case v.str:
		return errNotFlat
	}
	digits := v.raw
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) > 1 && digits[0] == '0' {
		return errNotFlat // a leading zero is no JSON number
	}
	n, err := strconv.Atoi(string(v.raw))
	if err != nil {
		return errNotFlat // a fraction or an exponent: encoding/json's to judge
	}
	*dst = n
	return nil
}

// setIntPtr sets *dst to a new integer, or to nil for null.
func (v flatValue) setIntPtr(dst **int) error {
	if v.null {
		*dst = nil
		return nil
	}
	var n int
	if err := v.setInt(&n); err != nil {
		return err
	}
	*dst = &n
	return nil
}

// setTime sets *dst from a string value the way encoding/json does (by
// time.Time's own UnmarshalJSON); null leaves it.
func (v flatValue) setTime(dst *time.Time) error {
	switch {
	case v.null:
		return nil
	case !v.str || v.escaped:
		return errNotFlat
	}
	var t time.Time
	if err := t.UnmarshalJSON(v.raw); err != nil {
		return errNotFlat
	}
	*dst = t
	return nil
}

// text is a string value's content, its escapes resolved.
func (v flatValue) text(in interner) (string, error) {
	body := v.raw[1 : len(v.raw)-1]
	if !utf8.Valid(body) {
		return "", errNotFlat // encoding/json replaces bad bytes: let it
	}
	if !v.escaped {
		return in.string(body), nil
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch body[i] {
		case '"', '\\', '/':
			out = append(out, body[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(body) {
				return "", errNotFlat
			}
			r, err := strconv.ParseUint(string(body[i+1:i+5]), 16, 16)
			if err != nil || utf8.RuneLen(rune(r)) < 0 { // a surrogate: encoding/json pairs them
				return "", errNotFlat
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", errNotFlat
		}
	}
	return string(out), nil
}

// eachFlatObject reads b, a JSON array of flat objects: it calls begin at
// each object and field for each of its members, and fails with
// errNotFlat (or field's error) on anything else.
func eachFlatObject(b []byte, begin func(), field func(key []byte, v flatValue) error) error {
	r := flatReader{b: b}
	if !r.next('[') {
		return errNotFlat
	}
	if r.next(']') {
		return r.end()
	}
	for {
		if !r.next('{') {
			return errNotFlat
		}
		begin()
		if err := r.members(field); err != nil {
			return err
		}
		if r.next(']') {
			return r.end()
		}
		if !r.next(',') {
			return errNotFlat
		}
	}
}

// flatReader walks a JSON text.
type flatReader struct {
	b []byte
	i int
}

func (r *flatReader) space() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\n' || r.b[r.i] == '\t' || r.b[r.i] == '\r') {
		r.i++
	}
}

// next consumes c, after any space, if it comes next.
func (r *flatReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// end checks that nothing but space follows.
func (r *flatReader) end() error {
	r.space()
	if r.i != len(r.b) {
		return errNotFlat
	}
	return nil
}

// members reads an object's members up to its closing brace.
func (r *flatReader) members(field func(key []byte, v flatValue) error) error {
	if r.next('}') {
		return nil
	}
	for {
		r.space()
		key, ok := r.str()
		if !ok || key.escaped || !r.next(':') {
			return errNotFlat
		}
		v, ok := r.value()
		if !ok {
			return errNotFlat
		}
		if err := field(key.raw[1:len(key.raw)-1], v); err != nil {
			return err
		}
		if r.next('}') {
			return nil
		}
		if !r.next(',') {
			return errNotFlat
		}
	}
}

// value reads a string, an integer or null.
func (r *flatReader) value() (flatValue, bool) {
	r.space()
	if r.i >= len(r.b) {
		return flatValue{}, false
	}
	switch c := r.b[r.i]; {
	case c == '"':
		return r.str()
	case c == 'n':
		if len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
			r.i += 4
			return flatValue{null: true}, true
		}
	case c == '-' || '0' <= c && c <= '9':
		start := r.i
		r.i++
		for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
			r.i++
		}
		return flatValue{raw: r.b[start:r.i]}, true
	}
	return flatValue{}, false
}

// str reads a string, keeping its raw text; a control character in it
// makes it no string.
func (r *flatReader) str() (flatValue, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return flatValue{}, false
	}
	start := r.i
	escaped := false
	for r.i++; r.i < len(r.b); r.i++ {
		switch c := r.b[r.i]; {
		case c == '\\':
			escaped = true
			r.i++
		case c == '"':
			r.i++
			return flatValue{str: true, escaped: escaped, raw: r.b[start:r.i]}, true
		case c < 0x20:
			return flatValue{}, false
		}
	}
	return flatValue{}, false
}
