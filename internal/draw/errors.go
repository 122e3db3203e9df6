package draw

import "fmt"

// Code says why a draw was refused.
type Code string

const (
	// CodeInvalidInput: the input breaks a rule of the spec; Reason names the field or row.
	CodeInvalidInput Code = "invalid_input"
	// CodeInsufficientInspectors: some task cannot be staffed; Entity and Bureau name it.
	CodeInsufficientInspectors Code = "insufficient_inspectors"
)

// Error is a refused draw. Nothing of a refused draw is kept: there is no partial manifest. The
// message is meant for the bureau's staff who prepared the input: it names the offending field,
// row or task (frame[1].id: repeated id "…").
type Error struct {
	Code   Code
	Reason string
	// Entity and Bureau name the task that could not be staffed (insufficient_inspectors only),
	// so that the service can show them.
	Entity string
	Bureau string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Reason }

func invalid(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Reason: fmt.Sprintf(format, args...)}
}
