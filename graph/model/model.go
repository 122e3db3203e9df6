// Package model holds the GraphQL types that are not domain types: the
// instantiated Relay connections and the JSON scalar. gqlgen writes the
// rest (inputs, payloads, enums) into models_gen.go.
package model

import (
	"encoding/json"
	"fmt"
	"github.com/99designs/gqlgen/graphql"
	"io"
	"strconv"
	"time"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// Connections bound in gqlgen.yml.
type (
	MemberConnection     = page.Connection[bureau.Member]
	MemberEdge           = page.Edge[bureau.Member]
	AuditEntryConnection = page.Connection[audit.Entry]
	AuditEntryEdge       = page.Edge[audit.Entry]

	RosterEntityConnection = page.Connection[roster.RosterEntity]
	RosterEntityEdge       = page.Edge[roster.RosterEntity]
)

// MarshalJSON writes a stored JSON value (the JSON scalar) as it is,
// "null" when empty.
func MarshalJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(v) == 0 {
			io.WriteString(w, "null")
			return
		}
		w.Write(v)
	})
}

// UnmarshalJSON accepts any value as the JSON scalar.
func UnmarshalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return b, nil
}

// MarshalInt64ID writes a database id as a GraphQL ID, which is a string.
func MarshalInt64ID(id int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(strconv.FormatInt(id, 10)))
	})
}

// UnmarshalInt64ID reads a GraphQL ID holding a database id.
func UnmarshalInt64ID(v any) (int64, error) {
	switch v := v.(type) {
	case string:
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an id", v)
		}
		return id, nil
	case int64:
		return v, nil
	case json.Number:
		return v.Int64()
	}
	return 0, fmt.Errorf("%v is not an id", v)
}

// dateLayout is how the Date scalar reads and writes.
const dateLayout = "2006-01-02"

// MarshalDate writes the calendar date of t.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(dateLayout)))
	})
}

// UnmarshalDate reads YYYY-MM-DD.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a Date is a string YYYY-MM-DD")
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return t, nil
}
