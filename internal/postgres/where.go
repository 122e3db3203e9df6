package postgres

import (
	"fmt"
	"strings"
)

// where collects the conditions of a dynamic query and their parameters,
// numbering placeholders as they are added.
type where struct {
	conds []string
	args  []any
}

// add appends a condition whose %s placeholders each take the next value.
func (w *where) add(cond string, values ...any) {
	marks := make([]any, len(values))
	for i, v := range values {
		w.args = append(w.args, v)
		marks[i] = fmt.Sprintf("$%d", len(w.args))
	}
	w.conds = append(w.conds, fmt.Sprintf(cond, marks...))
}

// param adds a value without a condition and returns its placeholder.
func (w *where) param(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// String joins the conditions with AND ("true" when there are none).
func (w *where) String() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}
