package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

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

// resultFrom is what the search reads: the table of published results
// (migration 00022), one row a result, each index newest first.
const resultFrom = `published_results r JOIN bureaus b ON b.id = r.bureau_id`

// resultWhere is the search's filter. A code goes straight to the
// entity's results; a part of a name finds the entities first
// (nameMatch).
func resultWhere(f public.ResultFilter) *where {
	w := &where{}
	switch {
	case f.Query == "":
	case f.ByCode():
		w.add("r.entity_code = %s", f.Query)
	default:
		w.add(nameMatch("%[1]s", f.Query), f.Query)
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

// nameMatch is the condition that the entity's name holds q (at the
// placeholder mark): the index of the names of published entities finds
// candidates by q's character pairs (by its character when it has one),
// strpos keeps true matches.
func nameMatch(mark, q string) string {
	grams := "n.name_pairs @> name_pairs(" + mark + ")"
	if utf8.RuneCountInString(q) == 1 {
		grams = "n.name_characters @> ARRAY[lower(" + mark + ")]"
	}
	return `(r.region_code, r.entity_code) IN (SELECT n.region_code, n.entity_code FROM published_names n
    WHERE ` + grams + ` AND strpos(lower(n.name), lower(` + mark + `)) > 0)`
}

// resultColumns are what a result shows, with its bureau.
const resultColumns = `r.id, r.entity_code, r.entity_name, r.draw_id, r.task_name, r.item_code, r.item_name,
       r.inspected_on, r.published_at, r.correction, r.results, r.region_code, b.code AS bureau_code, b.name AS bureau_name`

// resultQuery is the search in the order (ORDER BY) given: the list's own
// is newest inspection first.
func resultQuery(w *where, order string) string {
	return `SELECT ` + resultColumns + `
FROM ` + resultFrom + `
WHERE ` + w.String() + ` ORDER BY ` + order
}

// resultPageQuery chooses a page's ids first, then reads their rows: the
// ids come from the indexes alone (published_results_entity holds every
// filtered column), so a name found in 3,000 entities sorts their 15,000
// results' keys, not their rows.
func resultPageQuery(w *where, order string, limit int) string {
	return fmt.Sprintf(`SELECT %s
FROM %s
WHERE r.id IN (SELECT r.id FROM published_results r WHERE %s ORDER BY %s LIMIT %d)
ORDER BY %s`, resultColumns, resultFrom, w.String(), order, limit, order)
}

// headRows is how many of the newest results a page by one character
// reads before it asks the names' index instead.
const headRows = 2000

// oneCharacterPageQuery is resultPageQuery for a query of one character
// (at mark in w, which holds the other filters): a common character is
// found at once among the newest results (one in most names), a rare one
// through the names' index (a few entities); the newest headRows results
// are read first, and when fewer than limit of them match, the index
// answers instead. Either way the page is the newest matches.
func oneCharacterPageQuery(w *where, mark, q, order string, limit int) string {
	return fmt.Sprintf(`WITH head AS MATERIALIZED (
    SELECT r.id FROM (SELECT r.id, r.inspected_on, r.entity_name FROM published_results r WHERE %[3]s ORDER BY %[4]s LIMIT %[6]d) r
    WHERE strpos(lower(r.entity_name), lower(%[7]s)) > 0 ORDER BY %[4]s LIMIT %[5]d)
SELECT %[1]s
FROM %[2]s
WHERE r.id IN (
    SELECT id FROM head WHERE (SELECT count(*) FROM head) = %[5]d
    UNION ALL
    (SELECT r.id FROM published_results r WHERE %[3]s AND %[8]s AND (SELECT count(*) FROM head) < %[5]d ORDER BY %[4]s LIMIT %[5]d))
ORDER BY %[4]s`, resultColumns, resultFrom, w.String(), order, limit, headRows, mark, nameMatch(mark, q))
}

// resultKey splits a public.ResultKey.
func resultKey(key string) []any {
	day, id, _ := strings.Cut(key, "|")
	return []any{day, id}
}

// Results returns a page of published results, newest inspection first.
func (s PublicStore) Results(ctx context.Context, f public.ResultFilter, p page.Request) ([]public.Result, error) {
	order := p.Order("r.inspected_on, r.id", true)
	var w *where
	var q string
	if f.Query != "" && !f.ByCode() && utf8.RuneCountInString(f.Query) == 1 {
		rest := f
		rest.Query = ""
		w = resultWhere(rest)
		w.seek(p, true, "(r.inspected_on, r.id)", resultKey)
		q = oneCharacterPageQuery(w, w.param(f.Query), f.Query, order, p.Limit())
	} else {
		w = resultWhere(f)
		w.seek(p, true, "(r.inspected_on, r.id)", resultKey)
		q = resultPageQuery(w, order, p.Limit())
	}
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

// exportChunk is how many results the export reads per statement.
var exportChunk = 2000

// EachResult streams every published result the filter admits to fn, in
// the order of Results, a chunk at a time: each chunk is the next page
// after the last row sent, which PostgreSQL reads off a newest-first
// index and stops, so the first rows leave at once (one statement over a
// million rows sorted them all first: a minute before the first byte)
// and memory stays flat. Each chunk sees the results published by then;
// the keyset keeps rows from repeating or going missing between chunks.
func (s PublicStore) EachResult(ctx context.Context, f public.ResultFilter, fn func(public.Result) error) error {
	return s.readPublic(ctx, func(tx *sqlx.Tx) error {
		after := ""
		for {
			n, last, err := eachResultChunk(ctx, tx, f, after, fn)
			if err != nil || n < exportChunk {
				return err
			}
			after = last
		}
	})
}

// eachResultChunk sends to fn the next chunk of results after the key
// after ("" at the start) and returns how many it sent and the last key.
func eachResultChunk(ctx context.Context, tx *sqlx.Tx, f public.ResultFilter, after string, fn func(public.Result) error) (int, string, error) {
	w := resultWhere(f)
	if after != "" {
		w.add("(r.inspected_on, r.id) < (%s, %s)", resultKey(after)...)
	}
	q := resultQuery(w, "r.inspected_on DESC, r.id DESC") + fmt.Sprintf(" LIMIT %d", exportChunk)
	rows, err := tx.QueryxContext(ctx, q, w.args...)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	n, last := 0, ""
	for rows.Next() {
		var r publicResultRow
		if err := rows.StructScan(&r); err != nil {
			return n, last, err
		}
		res := r.result()
		if err := fn(res); err != nil {
			return n, last, err
		}
		n, last = n+1, public.ResultKey(res)
	}
	return n, last, rows.Err()
}
