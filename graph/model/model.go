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
	"shuangsuiji/internal/dashboard"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// Connections bound in gqlgen.yml.
type (
	MemberConnection = page.Connection[bureau.Member]
	MemberEdge       = page.Edge[bureau.Member]

	MemberInvitationConnection = page.Connection[bureau.Invitation]
	MemberInvitationEdge       = page.Edge[bureau.Invitation]
	AuditEntryConnection       = page.Connection[audit.Entry]
	AuditEntryEdge             = page.Edge[audit.Entry]

	RosterEntityConnection = page.Connection[roster.RosterEntity]
	RosterEntityEdge       = page.Edge[roster.RosterEntity]

	InspectionVisitConnection = page.Connection[dashboard.Visit]
	InspectionVisitEdge       = page.Edge[dashboard.Visit]
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
		return time.Time{}, errs.E(errs.Invalid, "a Date is a string YYYY-MM-DD")
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, "%q is not a date YYYY-MM-DD", s)
	}
	return t, nil
}

// Node is any object with a global id (the GraphQL interface Node). It is
// empty so that domain types, which know nothing of GraphQL, can be nodes:
// the generated code tells them apart by their Go type.
type Node interface{}

// Versions of roster records, bound in gqlgen.yml.
type (
	EntityConnection      = page.Connection[roster.Entity]
	EntityEdge            = page.Edge[roster.Entity]
	RosterEntryConnection = page.Connection[roster.Entry]
	RosterEntryEdge       = page.Edge[roster.Entry]
)
