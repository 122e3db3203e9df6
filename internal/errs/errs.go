// Package errs defines the few kinds of error the service returns.
//
// Every error a user may see is an *Error: a Kind, a message that is safe to
// show, and, for bad input, the field (a GraphQL input path such as
// "input.username", or "row 12, 统一社会信用代码" for an import). Any other error
// is internal by definition: the transport logs it once and answers INTERNAL
// without its text.
package errs

import (
	"errors"
	"fmt"
)

// Kind says what went wrong in terms a client can act on.
type Kind string

// The kinds, named as GraphQL's extensions.code names them.
const (
	Invalid         Kind = "BAD_USER_INPUT"
	NotFound        Kind = "NOT_FOUND"
	Conflict        Kind = "CONFLICT"
	Forbidden       Kind = "FORBIDDEN"
	Unauthenticated Kind = "UNAUTHENTICATED"
	Internal        Kind = "INTERNAL"
	// Unavailable is a passing failure of something the service needs
	// (the database is down or refuses connections): try again shortly.
	Unavailable Kind = "UNAVAILABLE"
)

// Error is an error whose Message is safe to show to the caller.
type Error struct {
	Kind    Kind
	Field   string // the input field at fault, for Invalid
	Message string
	Details any   // more for the client, e.g. every bad row of an import
	Cause   error // what went wrong underneath, logged and never shown
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Cause }

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// E builds an *Error of the kind with a formatted message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// InvalidField builds an Invalid error that names the field at fault.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf says the object does not exist or the caller may not see it;
// the two are deliberately indistinguishable.
func NotFoundf(format string, args ...any) *Error { return E(NotFound, format, args...) }

// KindOf returns the kind of err, Internal for anything that is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
