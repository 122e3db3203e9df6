package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/page"
	"shuangsuiji/internal/public"
)

// publicResultRow is a row of public_results with its bureau.
type publicResultRow struct {
	public.Result
	BureauCode string         `db:"bureau_code"`
	BureauName string         `db:"bureau_name"`
	RegionCode string         `db:"region_code"`
	Results    pq.StringArray `db:"results"`
}

func (r publicResultRow) result() public.Result {
	out := r.Result
	out.Bureau = public.Bureau{Code: r.BureauCode, Name: r.BureauName, RegionCode: r.RegionCode}
	out.Results = []string(r.Results)
	return out
}

// resultFrom is what the search reads.
const resultFrom = `public_results r JOIN bureaus b ON b.id = r.bureau_id`

// resultWhere is the search's filter. A name query goes through the
// entities' name grams index (migration 00010), a code straight to the
// entity's records.
func resultWhere(f public.ResultFilter) *where {
	w := &where{}
	switch {
	case f.Query == "":
	case f.ByCode():
		w.add("r.entity_code = %s", f.Query)
	default:
		// The view's entity_name is the entities' current name: the
		// grams index finds candidates, strpos keeps true matches.
		w.add(`name_grams(r.entity_name) @> name_grams(%[1]s) AND strpos(lower(r.entity_name), lower(%[1]s)) > 0`, f.Query)
	}
	if f.Region != "" {
		w.add("r.region_code = %s", f.Region)
	}
	if f.Bureau != "" {
		w.add("r.bureau_id = (SELECT id FROM bureaus WHERE code = %s)", f.Bureau)
	}
	if f.Item != "" {
		w.add("r.item_code = %s", f.Item)
	}
	if !f.From.IsZero() {
		w.add("r.inspected_on >= %s", f.From)
	}
	if !f.To.IsZero() {
		w.add("r.inspected_on <= %s", f.To)
	}
	return w
}

// resultQuery is the search in the order (ORDER BY) given: the list's own
// is newest inspection first.
func resultQuery(w *where, order string) string {
	return `SELECT r.id, r.entity_code, r.entity_name, r.draw_id, r.task_name, r.item_code, r.item_name,
       r.inspected_on, r.published_at, r.correction, r.results, r.region_code, b.code AS bureau_code, b.name AS bureau_name
FROM ` + resultFrom + `
WHERE ` + w.String() + ` ORDER BY ` + order
}

// resultKey splits a public.ResultKey.
func resultKey(key string) []any {
	day, id, _ := strings.Cut(key, "|")
	return []any{day, id}
}

// Results returns a page of published results, newest inspection first.
func (s PublicStore) Results(ctx context.Context, f public.ResultFilter, p page.Request) ([]public.Result, error) {
	w := resultWhere(f)
	w.seek(p, true, "(r.inspected_on, r.id)", resultKey)
	q := resultQuery(w, p.Order("r.inspected_on, r.id", true)) + fmt.Sprintf(" LIMIT %d", p.Limit())
	var rows []publicResultRow
	if err := s.readPublic(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, w.args...) }); err != nil {
		return nil, err
	}
	out := make([]public.Result, len(rows))
	for i, r := range rows {
		out[i] = r.result()
	}
	return out, nil
}

// CountResults counts every result the filter admits.
func (s PublicStore) CountResults(ctx context.Context, f public.ResultFilter) (int, error) {
	w := resultWhere(f)
	return s.DB.countIn(ctx, Scope{}, `SELECT FROM `+resultFrom+` WHERE `+w.String(), w.args...)
}

// EachResult streams every published result the filter admits to fn, in
// the order of Results. lib/pq reads rows off the connection as they are
// scanned, so memory stays flat for a million rows.
func (s PublicStore) EachResult(ctx context.Context, f public.ResultFilter, fn func(public.Result) error) error {
	w := resultWhere(f)
	q := resultQuery(w, "r.inspected_on DESC, r.id DESC")
	return s.readPublic(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, q, w.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var r publicResultRow
		for rows.Next() {
			r = publicResultRow{}
			if err := rows.StructScan(&r); err != nil {
				return err
			}
			if err := fn(r.result()); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
