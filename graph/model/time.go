package model

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"shuangsuiji/internal/errs"
)

// MarshalTime writes an instant in RFC 3339 with its zone.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 instant; anything else is the caller's
// bad input (BAD_USER_INPUT, the field named by its path), never an
// internal error.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errs.E(errs.Invalid, "a Time is a string such as 2026-11-25T08:00:00+08:00")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, "%q is not a time such as 2026-11-25T08:00:00+08:00 (RFC 3339 with a zone)", s)
	}
	return t, nil
}
