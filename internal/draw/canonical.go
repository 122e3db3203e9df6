package draw

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// CanonicalJSON encodes v as the spec's canonical JSON: byte for byte what Python's
// json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")) prints for the same
// value. Object keys are sorted by their UTF-8 bytes, there is no white space, non-ASCII text stays
// UTF-8 (U+2028 and U+2029 included, which encoding/json would escape), "<", ">" and "&" are not
// escaped, and only '"', '\' and the C0 controls are: \n \r \t \b \f in short form, the others as
// \u00xx in lowercase hex.
//
// v may hold what encoding/json accepts, within these limits: numbers must be integers (a float
// only when it holds an integer below 2^53 exactly), map keys must be strings and strings valid
// UTF-8. Struct fields follow their json tags (name, "-", omitempty; embedded structs are
// flattened); json.Marshaler and encoding.TextMarshaler are honoured. Unlike encoding/json, a nil
// slice or map is written [] or {}: the spec's lists and objects are never null.
func CanonicalJSON(v any) ([]byte, error) {
	var e encoder
	if err := e.value(reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct{ buf []byte }

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()

	canonicalAppenderType = reflect.TypeFor[canonicalAppender]()
)

// canonicalAppender is a type of this package that writes its own canonical form: rows that come
// by the million, and forms that depend on the algorithm's version. Its strings are validated.
type canonicalAppender interface {
	appendCanonical([]byte) []byte
}

func (e *encoder) value(v reflect.Value) error {
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if v.Type() == numberType {
		return e.number(v.String())
	}
	if a, ok := asMarshaler[canonicalAppender](v, canonicalAppenderType); ok {
		e.buf = a.appendCanonical(e.buf)
		return nil
	}
	if m, ok := asMarshaler[json.Marshaler](v, jsonMarshalerType); ok {
		return e.marshaled(m)
	}
	if m, ok := asMarshaler[encoding.TextMarshaler](v, textMarshalerType); ok {
		text, err := m.MarshalText()
		if err != nil {
			return err
		}
		return e.string(string(text))
	}
	return e.byKind(v)
}

func (e *encoder) byKind(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.value(v.Elem())
	case reflect.String:
		return e.string(v.String())
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return e.float(v.Float())
	case reflect.Map:
		return e.object(v)
	case reflect.Slice, reflect.Array:
		return e.list(v)
	case reflect.Struct:
		return e.structure(v)
	default:
		return fmt.Errorf("canonical JSON: unsupported type %s", v.Type())
	}
	return nil
}

// asMarshaler returns v as a T when v or, if addressable, its address implements it, as
// encoding/json does. A nil pointer is left to byKind, which writes null.
func asMarshaler[T any](v reflect.Value, t reflect.Type) (T, bool) {
	var zero T
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return zero, false
	}
	if v.Type().Implements(t) && v.CanInterface() {
		return v.Interface().(T), true
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(t) && v.Addr().CanInterface() {
		return v.Addr().Interface().(T), true
	}
	return zero, false
}

// marshaled re-encodes what a json.Marshaler produced, since its own output need not be canonical.
func (e *encoder) marshaled(m json.Marshaler) error {
	raw, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	return e.value(reflect.ValueOf(generic))
}

// number writes a json.Number, which must be an integer; "-0" is 0, as Python reads it.
func (e *encoder) number(s string) error {
	if s == "" || strings.ContainsAny(s, ".eE") {
		return fmt.Errorf("canonical JSON: number %q is not an integer", s)
	}
	if s == "-0" {
		s = "0"
	}
	e.buf = append(e.buf, s...)
	return nil
}

func (e *encoder) float(f float64) error {
	const exact = 1 << 53
	if f != math.Trunc(f) || math.Abs(f) >= exact {
		return fmt.Errorf("canonical JSON: number %v is not an integer", f)
	}
	e.buf = strconv.AppendInt(e.buf, int64(f), 10)
	return nil
}

func (e *encoder) string(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("canonical JSON: string %q is not valid UTF-8", s)
	}
	e.buf = appendQuoted(e.buf, s)
	return nil
}

func (e *encoder) object(v reflect.Value) error {
	if v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("canonical JSON: map key type %s is not a string", v.Type().Key())
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.string(k.String()); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		if err := e.value(v.MapIndex(k)); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) list(v reflect.Value) error {
	if v.Type().Elem().Kind() == reflect.Uint8 {
		return fmt.Errorf("canonical JSON: byte strings (%s) have no canonical form", v.Type())
	}
	if v.Kind() == reflect.Slice && v.CanInterface() {
		if b, ok := appendLongList(e.buf, v.Interface()); ok {
			e.buf = b
			return nil
		}
	}
	e.buf = append(e.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(v.Index(i)); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

// appendLongList writes the lists that come by the million (a frame, its commitments) without
// reflecting on each row: at a million rows the reflection cost seconds in every commitment and
// public manifest the store writes.
func appendLongList(b []byte, list any) ([]byte, bool) {
	switch l := list.(type) {
	case []FrameRow:
		return appendList(b, l, appendFrameRow), true
	case []FrameCommitment:
		return appendList(b, l, appendFrameCommitment), true
	case []RowCommitment:
		return appendList(b, l, appendRowCommitment), true
	}
	return b, false
}

func appendList[T any](b []byte, rows []T, appendRow func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, r)
	}
	return append(b, ']')
}

func (e *encoder) structure(v reflect.Value) error {
	fields, err := structFields(v.Type())
	if err != nil {
		return err
	}
	e.buf = append(e.buf, '{')
	first := true
	for _, f := range fields {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendQuoted(e.buf, f.name)
		e.buf = append(e.buf, ':')
		if err := e.value(fv); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// jsonField is one field of a struct as encoding/json names it.
type jsonField struct {
	name      string
	index     []int
	omitEmpty bool
}

var structFieldCache sync.Map // reflect.Type → []jsonField, sorted by name

// structFields lists t's JSON fields sorted by name, flattening embedded structs.
func structFields(t reflect.Type) ([]jsonField, error) {
	if cached, ok := structFieldCache.Load(t); ok {
		return cached.([]jsonField), nil
	}
	fields := collectFields(t, nil, nil)
	slices.SortFunc(fields, func(a, b jsonField) int { return cmp.Compare(a.name, b.name) })
	for i := 1; i < len(fields); i++ {
		if fields[i].name == fields[i-1].name {
			return nil, fmt.Errorf("canonical JSON: %s has two fields named %q", t, fields[i].name)
		}
	}
	structFieldCache.Store(t, fields)
	return fields, nil
}

func collectFields(t reflect.Type, prefix []int, fields []jsonField) []jsonField {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, options, _ := strings.Cut(tag, ",")
		index := append(slices.Clip(prefix), i)
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			fields = collectFields(sf.Type, index, fields)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		omitEmpty := slices.Contains(strings.Split(options, ","), "omitempty")
		fields = append(fields, jsonField{name: name, index: index, omitEmpty: omitEmpty})
	}
	return fields
}

// isEmptyValue is encoding/json's test for omitempty: structs and non-empty arrays are never empty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct:
		return false
	default:
		return v.IsZero()
	}
}

// mustEscape marks the bytes canonical JSON escapes: '"', '\\' and the C0 controls. Every byte of
// a multi-byte UTF-8 character is at least 0x80 and passes through.
var mustEscape = func() (table [256]bool) {
	for c := range 0x20 {
		table[c] = true
	}
	table['"'], table['\\'] = true, true
	return table
}()

// appendQuoted appends s, which must be valid UTF-8, as a canonical JSON string.
func appendQuoted(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !mustEscape[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendQuotedDigest(b []byte, d Digest) []byte {
	b = append(b, '"')
	b = appendHex(b, d)
	return append(b, '"')
}

// The canonical forms of the rows that are hashed by the million. CanonicalJSON gives the same
// bytes (a test holds them to it); these skip reflection and take strings already validated.

// appendFrameRow writes a v2 row (Units not nil) as {"id","stratum","units"} and a v1 row as
// {"id","stratum","unit"}.
func appendFrameRow(b []byte, r FrameRow) []byte {
	b = appendQuoted(append(b, `{"id":`...), r.ID)
	b = appendQuoted(append(b, `,"stratum":`...), r.Stratum)
	if r.Units != nil {
		b = appendUnits(append(b, `,"units":`...), r.Units)
	} else {
		b = appendQuoted(append(b, `,"unit":`...), r.Unit)
	}
	return append(b, '}')
}

// appendUnits writes a row's units as an object; u is sorted by bureau.
func appendUnits(b []byte, u Units) []byte {
	b = append(b, '{')
	for i, x := range u {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, x.Bureau)
		b = appendQuoted(append(b, ':'), x.Unit)
	}
	return append(b, '}')
}

// appendStratumRow writes the v2 row {"stratum","threshold"} whose commitment seals a threshold.
func appendStratumRow(b []byte, r StratumRow) []byte {
	b = appendQuoted(append(b, `{"stratum":`...), r.Stratum)
	b = append(b, `,"threshold":`...)
	if r.Threshold == nil {
		b = append(b, "null"...)
	} else {
		b = appendQuotedDigest(b, *r.Threshold)
	}
	return append(b, '}')
}

func appendExclusion(b []byte, x Exclusion) []byte {
	b = appendQuoted(append(b, `{"id":`...), x.ID)
	b = appendQuoted(append(b, `,"reason":`...), x.Reason)
	return append(b, '}')
}

func appendConflict(b []byte, c Conflict) []byte {
	b = appendQuoted(append(b, `{"entity":`...), c.Entity)
	b = appendQuoted(append(b, `,"inspector":`...), c.Inspector)
	return append(b, '}')
}

func appendInspector(b []byte, in Inspector) []byte {
	b = appendQuoted(append(b, `{"bureau":`...), in.Bureau)
	b = appendQuoted(append(b, `,"id":`...), in.ID)
	b = append(b, `,"qualifications":[`...)
	for i, q := range in.Qualifications {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, q)
	}
	b = appendQuoted(append(b, `],"unit":`...), in.Unit)
	return append(b, '}')
}

func appendFrameCommitment(b []byte, f FrameCommitment) []byte {
	b = appendQuotedDigest(append(b, `{"commitment":`...), f.Commitment)
	b = appendQuoted(append(b, `,"id":`...), f.ID)
	return append(b, '}')
}

func appendRowCommitment(b []byte, r RowCommitment) []byte {
	b = appendQuotedDigest(append(b, `{"commitment":`...), r.Commitment)
	return append(b, '}')
}
