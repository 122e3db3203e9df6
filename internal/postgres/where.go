package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/page"
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

// seek puts a page's cursors on a list's sort key: cols is the key's
// column ("r.entity_code") or row of columns ("(t.draw_id, t.seq)"), desc
// whether the list runs in descending order, and parse turns a cursor's key
// into the values compared, one per column. The services have checked the
// keys (page.Request.CheckKeys) before a store runs.
func (w *where) seek(p page.Request, desc bool, cols string, parse func(key string) []any) {
	for _, b := range p.Bounds(desc) {
		vals := parse(b.Key)
		marks := strings.TrimSuffix(strings.Repeat("%s, ", len(vals)), ", ")
		if len(vals) > 1 {
			marks = "(" + marks + ")"
		}
		w.add(cols+" "+b.Op+" "+marks, vals...)
	}
}

// textKey is a key compared as it is (a code, a username).
func textKey(key string) []any { return []any{key} }

// intKey is a key holding an id.
func intKey(key string) []any {
	n, _ := strconv.ParseInt(key, 10, 64)
	return []any{n}
}

// pairKey is a key of two parts joined by "/" ("12/3", "2026-01-02/7"),
// each compared with its column as PostgreSQL reads it.
func pairKey(key string) []any {
	a, b, _ := strings.Cut(key, "/")
	return []any{a, b}
}

// countIn counts the rows of q (a SELECT, without ORDER BY or LIMIT) in
// the scope: a connection's totalCount.
func (db *DB) countIn(ctx context.Context, scope Scope, q string, args ...any) (int, error) {
	var n int
	err := db.InScope(ctx, scope, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &n, `SELECT count(*) FROM (`+q+`) counted`, args...)
	})
	return n, err
}
