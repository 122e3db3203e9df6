package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
)

// DrawsWithTasks reads a forward page of the visible draws, newest first
// (as Draws), and the same forward page of tasks of each of them (as
// TasksOfDraws), in one statement: a dashboard that asks for both costs
// one round trip where the two cost two. The page of draws is read with
// its extra row (p.Limit(), which only tells page.New that more follow);
// that draw's tasks are not read.
func (s DrawStore) DrawsWithTasks(ctx context.Context, actor *authz.Actor, f draw.Filter, p, tasks page.Request) ([]draw.Draw, []draw.TaskRow, error) {
	if p.Backward() || p.Before != "" || tasks.Backward() || tasks.Before != "" {
		return nil, nil, fmt.Errorf("draws with tasks: forward pages only")
	}
	var after any // the first page of draws: no bound
	if key, _ := p.AfterKey(); key != "" {
		after = intKey(key)[0]
	}
	afterSeq := 0
	if key, _ := tasks.AfterKey(); key != "" {
		fmt.Sscan(key, &afterSeq)
	}
	var draws []draw.Draw
	var rows []draw.TaskRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		res, err := s.DB.prepared(ctx, tx, drawsWithTasksQuery).QueryContext(ctx,
			nonZero(f.Year), nonZero(f.Quarter), nonZero(string(f.Status)), after, p.Limit(), p.Size(),
			afterSeq, tasks.Limit())
		if err == nil {
			draws, rows, err = scanDrawsWithTasks(res)
		}
		return err
	})
	return draws, rows, err
}

// drawsWithTasksQuery is drawsForwardQuery's page of draws (d, numbered
// n in the list's order) and tasksOfDrawsQuery's page of tasks of each of
// its first $6 draws, joined: a row per task, and a row with NULL task
// columns for a draw without tasks on the page. The draw's number is on
// every row, its other columns on its first row only (its first task's),
// NULL on the others: repeated, they cost lib/pq a decoding and an
// allocation or two each (2,700 allocations more for 4 draws × 50 tasks,
// BenchmarkReadPathCPU), where a NULL costs nothing.
var drawsWithTasksQuery = prepare(`
WITH d AS (
  SELECT ` + drawColumns + `, row_number() OVER (ORDER BY d.id DESC) AS n FROM draws d
  WHERE ($1::int IS NULL OR d.year = $1) AND ($2::int IS NULL OR d.quarter = $2) AND ($3::text IS NULL OR d.status = $3)
    AND ($4::bigint IS NULL OR d.id < $4)
  ORDER BY d.id DESC LIMIT ` + genericLimit(5) + `
), page AS (
  SELECT t.draw_id, t.seq, t.region_code, t.entity_code, t.ticket, t.first
  FROM d
  CROSS JOIN LATERAL (SELECT t.draw_id, t.seq, t.region_code, t.entity_code, t.ticket,
                             row_number() OVER (ORDER BY t.seq) = 1 AS first
                      FROM draw_tasks t WHERE t.draw_id = d.id AND t.seq > $7 ORDER BY t.seq LIMIT ` + genericLimit(8) + `) t
  WHERE d.n <= $6
),` + pageTeamsCTEs + `
SELECT d.id, ` + onFirstRow(drawColumns, `t.first IS NOT FALSE`) + `,
       t.seq, t.entity_code, coalesce(e.name, '') AS entity_name, t.ticket, tm.team, sb.substitutions
FROM d
LEFT JOIN page t ON t.draw_id = d.id
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
LEFT JOIN teams tm ON tm.draw_id = t.draw_id AND tm.seq = t.seq
LEFT JOIN substitutions sb ON sb.draw_id = t.draw_id AND sb.seq = t.seq
ORDER BY d.id DESC, t.seq`)

// scanDrawsWithTasks reads drawsWithTasksQuery's rows, and closes them.
// Each row is scanned once with its draw's columns skipped, and its task,
// if any, read as scanTasks reads one; the first row of a draw is scanned
// again into the draw (Rows.Scan reads the current row again, which
// sql.RawBytes destinations would forbid: hence borrowed).
func scanDrawsWithTasks(rows *sql.Rows) ([]draw.Draw, []draw.TaskRow, error) {
	defer rows.Close()
	var d drawRow
	drawDest := d.dest()
	var (
		id                 int64
		seq                sql.NullInt64
		code, name, ticket sql.NullString
		team, subs         borrowed
	)
	taskDest := []any{&seq, &code, &name, &ticket, &team, &subs}
	skimDest := append(append([]any{&id}, skips(len(drawDest))...), taskDest...)
	drawOnly := append(append([]any{skip{}}, drawDest...), skips(len(taskDest))...)
	var draws []draw.Draw
	var tasks []draw.TaskRow
	in := interner{}
	for rows.Next() {
		if err := rows.Scan(skimDest...); err != nil {
			return nil, nil, err
		}
		if seq.Valid { // else a draw without tasks on the page
			t := draw.TaskRow{DrawID: id, Seq: int(seq.Int64), EntityCode: code.String, EntityName: name.String, Ticket: ticket.String}
			if err := decodeTeam(&t, team, subs, in); err != nil {
				return nil, nil, err
			}
			tasks = append(tasks, t)
		}
		if len(draws) > 0 && draws[len(draws)-1].ID == id {
			continue
		}
		d = drawRow{}
		if err := rows.Scan(drawOnly...); err != nil {
			return nil, nil, err
		}
		decoded, err := d.decode()
		if err != nil {
			return nil, nil, err
		}
		draws = append(draws, decoded)
	}
	return draws, tasks, rows.Err()
}

// skip is a destination that takes any column and keeps nothing.
type skip struct{}

func (skip) Scan(any) error { return nil }

func skips(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = skip{}
	}
	return out
}

// borrowed is a column's bytes as the driver holds them, valid until the
// next row (as sql.RawBytes, without forbidding a second Scan of the row);
// nil for NULL.
type borrowed []byte

func (b *borrowed) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*b = nil
	case []byte:
		*b = v
	case string:
		*b = []byte(v)
	default:
		return fmt.Errorf("borrowed: cannot take %T", src)
	}
	return nil
}

// onFirstRow returns columns, a list of "d.name" without expressions, each
// as itself where first holds and NULL elsewhere.
func onFirstRow(columns, first string) string {
	var b strings.Builder
	for i, c := range strings.Split(columns, ",") {
		c = strings.TrimSpace(c)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CASE WHEN %s THEN %s END AS %s", first, c, strings.TrimPrefix(c, "d."))
	}
	return b.String()
}

// dest returns the destinations of drawColumns, in their order.
func (r *drawRow) dest() []any {
	d := &r.Draw
	return []any{&d.ID, &d.BureauID, &d.RegionCode, &d.Year, &d.Quarter, &d.Title, &d.Joint, &r.ScopeJSON, &d.CrossUnit,
		&d.MaxTasksPerInspector, &d.WindowStart, &d.WindowEnd, &d.RedrawOf, &d.RedrawReason, &d.RedrawApprovedBy,
		&d.SupersededBy, &d.CancelReason, &d.Status, &d.FrameSize,
		&d.FrozenAt, &d.ExecutedAt, &d.Ceremony, &d.Seed, &r.FailureJSON, &d.CreatedAt}
}
