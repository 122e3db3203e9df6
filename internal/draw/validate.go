package draw

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// validate checks the rules of the spec's "Invalid input" paragraph that concern single values
// and rows, reporting rows by their position in the input; the rules about repeated ids and
// exclusions outside the frame are checked on the sorted form (see prepare). The ceremony is
// checked only when needed: it does not exist yet when the draw is frozen.
func validate(in *Input, needCeremony bool) error {
	if err := validateHeader(in, needCeremony); err != nil {
		return err
	}
	if err := validateFrame(in.Frame, &in.Params); err != nil {
		return err
	}
	return validateLists(in)
}

// validateHeader checks what comes before the frame: the nonce, the row key, the ceremony when
// needed and the params.
func validateHeader(in *Input, needCeremony bool) error {
	if !isLowerHex64(in.Nonce) {
		return invalid("nonce: must be 64 lowercase hex characters")
	}
	if !isLowerHex64(in.RowKey) {
		return invalid("row_key: must be 64 lowercase hex characters")
	}
	if needCeremony {
		if err := validateCeremony(in.Ceremony); err != nil {
			return err
		}
	}
	return validateParams(&in.Params)
}

// validateLists checks the lists after the frame.
func validateLists(in *Input) error {
	if err := validateExclusions(in.Exclusions); err != nil {
		return err
	}
	if err := validateInspectors("inspectors", in.Inspectors); err != nil {
		return err
	}
	return validateConflicts(in.Conflicts)
}

func validateCeremony(ceremony string) error {
	if ceremony == "" {
		return invalid("ceremony: must not be empty")
	}
	return checkText("ceremony", ceremony)
}

// validateParams also refuses what the spec gives no meaning: another algorithm, a negative team
// size or cap.
func validateParams(p *Params) error {
	if p.Algorithm != AlgorithmV2 && p.Algorithm != AlgorithmV1 {
		return invalid("params.algorithm: must be %q (or %q for a draw made under v1), got %q", AlgorithmV2, AlgorithmV1, p.Algorithm)
	}
	if err := validateStrata(p.Strata); err != nil {
		return err
	}
	if err := validateTeams(p.Team, p.RequiredQualifications); err != nil {
		return err
	}
	if p.MaxTasksPerInspector < 0 {
		return invalid("params.max_tasks_per_inspector: %d is negative (0 means no cap)", p.MaxTasksPerInspector)
	}
	return nil
}

func validateStrata(strata map[string]Stratum) error {
	for _, label := range sortedKeys(strata) {
		if err := checkText("params.strata: label "+strconv.Quote(label), label); err != nil {
			return err
		}
		if _, _, ok := parseRatio(strata[label].Ratio); !ok {
			return invalid("params.strata.%s.ratio: malformed ratio %q, want p/q in integers with 0 <= p <= q and q > 0",
				label, strata[label].Ratio)
		}
	}
	return nil
}

func validateTeams(team map[string]int, required map[string][]string) error {
	for _, bureau := range sortedKeys(team) {
		if err := checkText("params.team: bureau "+strconv.Quote(bureau), bureau); err != nil {
			return err
		}
		if team[bureau] < 0 {
			return invalid("params.team.%s: team size %d is negative", bureau, team[bureau])
		}
	}
	for _, bureau := range sortedKeys(required) {
		if err := checkText("params.required_qualifications: bureau "+strconv.Quote(bureau), bureau); err != nil {
			return err
		}
		if err := checkTexts("params.required_qualifications."+bureau, required[bureau]); err != nil {
			return err
		}
	}
	return nil
}

// validateFrame checks the rows in parallel chunks (a million rows is a tenth of a second of
// UTF-8 and character checks) and reports the first invalid row of the frame, whichever chunk
// finds it first: each chunk stops at its own first error, so the lowest chunk's is the frame's.
func validateFrame(frame []FrameRow, p *Params) error {
	chunks := make(map[int]error)
	var mu sync.Mutex
	inParallel(len(frame), 8192, func(lo, hi int) {
		if err := validateFrameRows(frame, lo, hi, p); err != nil {
			mu.Lock()
			chunks[lo] = err
			mu.Unlock()
		}
	})
	if len(chunks) == 0 {
		return nil
	}
	return chunks[slices.Min(slices.Collect(maps.Keys(chunks)))]
}

func validateFrameRows(frame []FrameRow, lo, hi int, p *Params) error {
	for i := lo; i < hi; i++ {
		if err := validateFrameRow(i, frame[i], p); err != nil {
			return err
		}
	}
	return nil
}

func validateFrameRow(i int, r FrameRow, p *Params) error {
	if err := checkRowText("frame", i, "id", r.ID); err != nil {
		return err
	}
	if err := checkRowText("frame", i, "stratum", r.Stratum); err != nil {
		return err
	}
	if err := checkRowText("frame", i, "unit", r.Unit); err != nil {
		return err
	}
	if _, ok := p.Strata[r.Stratum]; !ok {
		return invalid("frame[%d].stratum: %q is not in params.strata", i, r.Stratum)
	}
	return validateUnits(i, r, p)
}

// validateUnits checks a row against its version: a v2 row names at least one bureau, each of
// params.team, and no v1 unit; a v1 row has no units.
func validateUnits(i int, r FrameRow, p *Params) error {
	if p.Algorithm == AlgorithmV1 {
		if r.Units != nil {
			return invalid("frame[%d].units: a %s row has one unit, not units", i, AlgorithmV1)
		}
		return nil
	}
	if len(r.Units) == 0 {
		return invalid("frame[%d].units: must name at least one bureau that supervises the entity", i)
	}
	if r.Unit != "" {
		return invalid("frame[%d].unit: a %s row gives its unit per bureau, in units", i, AlgorithmV2)
	}
	for _, u := range r.Units {
		if err := checkRowText("frame", i, "units", u.Bureau); err != nil {
			return err
		}
		if _, bad := forbiddenRune(u.Unit); bad { // the path is only built for the message
			return checkRowText("frame", i, "units."+u.Bureau, u.Unit)
		}
		if _, ok := p.Team[u.Bureau]; !ok {
			return invalid("frame[%d].units: bureau %q is not in params.team", i, u.Bureau)
		}
	}
	return nil
}

func validateExclusions(exclusions []Exclusion) error {
	for i, x := range exclusions {
		if err := checkRowText("exclusions", i, "id", x.ID); err != nil {
			return err
		}
		if err := checkRowText("exclusions", i, "reason", x.Reason); err != nil {
			return err
		}
	}
	return nil
}

func validateInspectors(list string, inspectors []Inspector) error {
	for i, in := range inspectors {
		if err := checkRowText(list, i, "id", in.ID); err != nil {
			return err
		}
		if err := checkRowText(list, i, "bureau", in.Bureau); err != nil {
			return err
		}
		if err := checkRowText(list, i, "unit", in.Unit); err != nil {
			return err
		}
		if err := checkTexts(fmt.Sprintf("%s[%d].qualifications", list, i), in.Qualifications); err != nil {
			return err
		}
	}
	return nil
}

func validateConflicts(conflicts []Conflict) error {
	for i, c := range conflicts {
		if err := checkRowText("conflicts", i, "inspector", c.Inspector); err != nil {
			return err
		}
		if err := checkRowText("conflicts", i, "entity", c.Entity); err != nil {
			return err
		}
	}
	return nil
}

// checkRowText checks list[i].field; the path is only formatted when the check fails, which keeps
// a million rows free of allocations.
func checkRowText(list string, i int, field, s string) error {
	if r, bad := forbiddenRune(s); bad {
		return invalid("%s[%d].%s: %s", list, i, field, describeForbidden(r))
	}
	return nil
}

func checkTexts(path string, texts []string) error {
	for j, s := range texts {
		if r, bad := forbiddenRune(s); bad {
			return invalid("%s[%d]: %s", path, j, describeForbidden(r))
		}
	}
	return nil
}

func checkText(path, s string) error {
	if r, bad := forbiddenRune(s); bad {
		return invalid("%s: %s", path, describeForbidden(r))
	}
	return nil
}

// forbiddenRune finds the first character the spec forbids in every string: the C0 controls,
// DEL, and U+2028 and U+2029, which end lines in JavaScript and would be escaped differently by
// different JSON encoders. Bytes that are not UTF-8 are refused too (reported as
// utf8.RuneError): canonical JSON cannot hold them.
func forbiddenRune(s string) (r rune, found bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return rune(c), true
		}
		// U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
		if c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			return 0x2028 + rune(s[i+2]-0xa8), true
		}
	}
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	return 0, false
}

func describeForbidden(r rune) string {
	if r == utf8.RuneError {
		return "not valid UTF-8"
	}
	return fmt.Sprintf("holds %U, a control or line-separator character, which the spec forbids", r)
}

// parseRatio reads "p/q": decimal digits only (no sign, space or exponent), 0 <= p <= q, q > 0.
func parseRatio(s string) (p, q uint64, ok bool) {
	ps, qs, found := strings.Cut(s, "/")
	if !found || !allDigits(ps) || !allDigits(qs) {
		return 0, 0, false
	}
	p, errP := strconv.ParseUint(ps, 10, 64)
	q, errQ := strconv.ParseUint(qs, 10, 64)
	if errP != nil || errQ != nil || q == 0 || p > q {
		return 0, 0, false
	}
	return p, q, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
