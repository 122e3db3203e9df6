package record

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
)

// Entry is what the team enters on a record. A nil field keeps the value
// stored (absent is not empty); on a new record, absent fields are empty,
// and ResultCodes and InspectedOn are required.
type Entry struct {
	ResultCodes *[]string
	Methods     *[]string
	Findings    *string
	Disposal    *string
	FollowUp    *FollowUp
	InspectedOn *time.Time
}

// Limits on what a record holds.
const (
	MaxTextRunes   = 5000 // findings, disposal, follow-up note, reasons
	MaxResultCodes = 13
	MaxMethods     = 8
)

// Apply returns r with the entry's fields set.
func (e Entry) Apply(r Record) Record {
	if e.ResultCodes != nil {
		r.ResultCodes = slices.Clone(*e.ResultCodes)
	}
	if e.Methods != nil {
		r.Methods = slices.Clone(*e.Methods)
	}
	if e.Findings != nil {
		r.Findings = strings.TrimSpace(*e.Findings)
	}
	if e.Disposal != nil {
		r.Disposal = strings.TrimSpace(*e.Disposal)
	}
	if e.FollowUp != nil {
		r.FollowUp = *e.FollowUp
		r.FollowUp.Note = strings.TrimSpace(r.FollowUp.Note)
	}
	if e.InspectedOn != nil {
		r.InspectedOn = *e.InspectedOn
	}
	return r
}

// Rules are what a record is checked against: the code table in force, the
// methods known, the task's window and today.
type Rules struct {
	Codes       CodeTable
	Methods     []string
	WindowStart time.Time
	WindowEnd   time.Time
	Today       time.Time
}

// Validate checks a record as it would be stored, naming the input field
// at fault (input.resultCodes, …).
func Validate(r Record, rules Rules) error {
	if err := validateCodes(r.ResultCodes, rules.Codes); err != nil {
		return err
	}
	if err := validateMethods(r.Methods, rules.Methods); err != nil {
		return err
	}
	if err := validateText("input.findings", r.Findings); err != nil {
		return err
	}
	if err := validateText("input.disposal", r.Disposal); err != nil {
		return err
	}
	if err := validateFollowUp(r.FollowUp, r.InspectedOn); err != nil {
		return err
	}
	return validateDate(r.InspectedOn, rules)
}

func validateCodes(codes []string, table CodeTable) error {
	const field = "input.resultCodes"
	if len(codes) == 0 {
		return errs.InvalidField(field, "give at least one result code")
	}
	if len(codes) > MaxResultCodes {
		return errs.InvalidField(field, "at most %d result codes", MaxResultCodes)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		rc, ok := table.Lookup(c)
		if !ok {
			return errs.InvalidField(field, "%q is not in result code table version %d", clip(c), table.Version)
		}
		if seen[c] {
			return errs.InvalidField(field, "%s is given twice", c)
		}
		seen[c] = true
		if rc.Exclusive && len(codes) > 1 {
			return errs.InvalidField(field, "%s (%s) cannot be combined with other results", c, rc.Label)
		}
	}
	return nil
}

func validateMethods(methods, known []string) error {
	if len(methods) > MaxMethods {
		return errs.InvalidField("input.methods", "at most %d methods", MaxMethods)
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if !slices.Contains(known, m) {
			return errs.InvalidField("input.methods", "%q is not a known method (%s)", clip(m), strings.Join(known, "、"))
		}
		if seen[m] {
			return errs.InvalidField("input.methods", "%s is given twice", m)
		}
		seen[m] = true
	}
	return nil
}

// validateText refuses text that is too long or not clean UTF-8.
func validateText(field, s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return errs.InvalidField(field, "must be UTF-8 text without NUL characters")
	}
	if utf8.RuneCountInString(s) > MaxTextRunes {
		return errs.InvalidField(field, "at most %d characters", MaxTextRunes)
	}
	return nil
}

func validateFollowUp(f FollowUp, inspected time.Time) error {
	switch f.Status {
	case FollowUpNone:
		if f.Due != nil || f.ClosedOn != nil {
			return errs.InvalidField("input.followUp.status", "a follow-up with dates is open or closed, not none")
		}
	case FollowUpOpen:
		if f.ClosedOn != nil {
			return errs.InvalidField("input.followUp.closedOn", "an open follow-up has no closing date")
		}
	case FollowUpClosed:
		if f.ClosedOn == nil {
			return errs.InvalidField("input.followUp.closedOn", "a closed follow-up needs its closing date")
		}
		if !inspected.IsZero() && f.ClosedOn.Before(inspected) {
			return errs.InvalidField("input.followUp.closedOn", "closed before the inspection")
		}
	default:
		return errs.InvalidField("input.followUp.status", "must be none, open or closed")
	}
	if f.Due != nil && !inspected.IsZero() && f.Due.Before(inspected) {
		return errs.InvalidField("input.followUp.due", "due before the inspection")
	}
	return validateText("input.followUp.note", f.Note)
}

func validateDate(d time.Time, rules Rules) error {
	const field = "input.inspectedOn"
	switch {
	case d.IsZero():
		return errs.InvalidField(field, "give the inspection date")
	case d.Before(rules.WindowStart) || d.After(rules.WindowEnd):
		return errs.InvalidField(field, "%s is outside the task's window %s to %s",
			d.Format(time.DateOnly), rules.WindowStart.Format(time.DateOnly), rules.WindowEnd.Format(time.DateOnly))
	case !rules.Today.IsZero() && d.After(rules.Today):
		return errs.InvalidField(field, "%s is in the future", d.Format(time.DateOnly))
	}
	return nil
}

// ValidateReason checks the reason of a return or a correction.
func ValidateReason(field, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", errs.InvalidField(field, "give a reason")
	}
	return reason, validateText(field, reason)
}

// clip shortens what a user sent before it goes into an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
