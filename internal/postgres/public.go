package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/page"
	"shuangsuiji/internal/public"
)

// PublicStore implements public.Store. Every read runs as the serving
// role with no bureau and no user, so row-level security shows it nothing
// of the tenant tables: it reads only the public_* views (migration
// 00009), whose columns are the whole of what is public.
type PublicStore struct{ DB *DB }

// publicBureauColumns reads a bureau and its region; b is bureaus, r regions.
const publicBureauColumns = `b.code, b.name, b.kind, b.region_code, r.name AS region_name`

// readPublic runs fn in one transaction that sees only what is public.
func (s PublicStore) readPublic(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return s.DB.InScope(ctx, Scope{}, fn)
}

// Bureaus lists the bureaus, of a region when region is not "".
func (s PublicStore) Bureaus(ctx context.Context, region string) ([]public.Bureau, error) {
	const q = `SELECT ` + publicBureauColumns + ` FROM bureaus b JOIN regions r ON r.code = b.region_code
WHERE ($1 = '' OR b.region_code = $1) ORDER BY b.region_code, b.code`
	var out []public.Bureau
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &out, q, region) })
	return out, err
}

type publicPlanRow struct {
	public.Bureau
	Year           int       `db:"year"`
	DrawsPerYear   int       `db:"draws_per_year"`
	MinDrawRatioBP int       `db:"min_draw_ratio_bp"`
	MinCoverageBP  int       `db:"min_coverage_bp"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// publicItemRow is an item of a bureau; Bureau is its code.
type publicItemRow struct {
	Bureau  string         `db:"bureau"`
	DrawID  int64          `db:"draw_id"`
	Methods pq.StringArray `db:"methods"`
	public.Item
}

// Plans lists a page of saved plans, latest year first, then by bureau
// code, each with its bureau's current inspection items: two statements.
func (s PublicStore) Plans(ctx context.Context, f public.PlanFilter, p page.Request) ([]public.Plan, error) {
	w := publicPlanWhere(f)
	// The list runs by year descending, code ascending: one ascending key,
	// (-year, code), that a cursor's bounds compare as a row.
	w.seek(p, false, "(-p.year, b.code)", func(key string) []any {
		year, code, _ := public.PlanKey(key)
		return []any{-year, code}
	})
	q := `
SELECT ` + publicBureauColumns + `, p.year, p.draws_per_year, p.min_draw_ratio_bp, p.min_coverage_bp, p.updated_at
FROM ` + publicPlanFrom + ` WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("-p.year, b.code", false), p.Limit())
	const items = `
SELECT b.code AS bureau, 0 AS draw_id, i.code, i.version, i.name, i.legal_basis, i.methods
FROM public_items i JOIN bureaus b ON b.id = i.bureau_id
WHERE i.current AND b.code = ANY($1)
ORDER BY b.code, i.code`
	var rows []publicPlanRow
	var itemRows []publicItemRow
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &rows, q, w.args...); err != nil || len(rows) == 0 {
			return err
		}
		codes := make([]string, len(rows))
		for i, r := range rows {
			codes[i] = r.Code
		}
		return tx.SelectContext(ctx, &itemRows, items, pq.StringArray(codes))
	})
	if err != nil {
		return nil, err
	}
	byBureau := map[string][]public.Item{}
	for _, r := range itemRows {
		byBureau[r.Bureau] = append(byBureau[r.Bureau], r.item())
	}
	out := make([]public.Plan, len(rows))
	for i, r := range rows {
		out[i] = public.Plan{Bureau: r.Bureau, Year: r.Year, DrawsPerYear: r.DrawsPerYear,
			MinDrawRatioBP: r.MinDrawRatioBP, MinCoverageBP: r.MinCoverageBP, UpdatedAt: r.UpdatedAt,
			Items: byBureau[r.Code]}
	}
	return out, nil
}

// CountPlans counts the saved plans the filter admits.
func (s PublicStore) CountPlans(ctx context.Context, f public.PlanFilter) (int, error) {
	w := publicPlanWhere(f)
	return s.DB.countIn(ctx, Scope{}, `SELECT FROM `+publicPlanFrom+` WHERE `+w.String(), w.args...)
}

const publicPlanFrom = `public_plans p JOIN bureaus b ON b.id = p.bureau_id JOIN regions r ON r.code = b.region_code`

func publicPlanWhere(f public.PlanFilter) *where {
	w := &where{}
	if f.Bureau != "" {
		w.add("b.code = %s", f.Bureau)
	}
	if f.Year != 0 {
		w.add("p.year = %s", f.Year)
	}
	return w
}

func (r publicItemRow) item() public.Item {
	it := r.Item
	it.Methods = []string(r.Methods)
	return it
}

type publicDrawRow struct {
	public.Bureau
	ID           int64         `db:"id"`
	Title        string        `db:"title"`
	Year         int           `db:"year"`
	Quarter      int           `db:"quarter"`
	Joint        bool          `db:"joint"`
	WindowStart  time.Time     `db:"window_start"`
	WindowEnd    time.Time     `db:"window_end"`
	Status       public.Status `db:"status"`
	FrameSize    *int          `db:"frame_size"`
	FrozenAt     *time.Time    `db:"frozen_at"`
	ExecutedAt   *time.Time    `db:"executed_at"`
	RedrawOf     *int64        `db:"redraw_of"`
	RedrawReason string        `db:"redraw_reason"`
}

const publicDrawColumns = publicBureauColumns + `, d.id, d.title, d.year, d.quarter, d.joint,
	d.window_start, d.window_end, d.status, d.frame_size, d.frozen_at, d.executed_at, d.redraw_of, d.redraw_reason`

// Draws lists public draws, newest first, keyset-paged on the number.
// Three statements whatever the page size: draws, participants and their
// items.
func (s PublicStore) Draws(ctx context.Context, f public.DrawFilter, p page.Request) ([]public.Draw, error) {
	w := publicDrawWhere(f)
	w.seek(p, true, "d.id", intKey)
	q := `SELECT ` + publicDrawColumns + ` FROM ` + publicDrawFrom + `
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("d.id", true), p.Limit())
	var out []public.Draw
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error {
		var rows []publicDrawRow
		if err := tx.SelectContext(ctx, &rows, q, w.args...); err != nil {
			return err
		}
		out = make([]public.Draw, len(rows))
		for i, r := range rows {
			out[i] = r.draw()
		}
		return completeDraws(ctx, tx, out)
	})
	return out, err
}

// CountDraws counts the public draws the filter admits.
func (s PublicStore) CountDraws(ctx context.Context, f public.DrawFilter) (int, error) {
	w := publicDrawWhere(f)
	return s.DB.countIn(ctx, Scope{}, `SELECT FROM `+publicDrawFrom+` WHERE `+w.String(), w.args...)
}

const publicDrawFrom = `public_draws d
JOIN bureaus b ON b.id = d.lead_id JOIN regions r ON r.code = b.region_code`

func publicDrawWhere(f public.DrawFilter) *where {
	w := &where{}
	if f.Bureau != "" {
		w.add(`(b.code = %[1]s OR d.id IN (SELECT pp.draw_id FROM public_draw_participants pp
			JOIN bureaus pb ON pb.id = pp.bureau_id WHERE pb.code = %[1]s))`, f.Bureau)
	}
	if f.Region != "" {
		w.add("d.region_code = %s", f.Region)
	}
	if f.Year != 0 {
		w.add("d.year = %s", f.Year)
	}
	if f.Quarter != 0 {
		w.add("d.quarter = %s", f.Quarter)
	}
	return w
}

// Draw returns one public draw.
func (s PublicStore) Draw(ctx context.Context, number int64) (public.Draw, error) {
	q := `SELECT ` + publicDrawColumns + ` FROM public_draws d
JOIN bureaus b ON b.id = d.lead_id JOIN regions r ON r.code = b.region_code WHERE d.id = $1`
	var d []public.Draw
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error {
		var row publicDrawRow
		if err := tx.GetContext(ctx, &row, q, number); err != nil {
			return notFound(err, "no public draw %d", number)
		}
		d = []public.Draw{row.draw()}
		return completeDraws(ctx, tx, d)
	})
	if err != nil {
		return public.Draw{}, err
	}
	return d[0], nil
}

func (r publicDrawRow) draw() public.Draw {
	return public.Draw{Number: r.ID, Title: r.Title, Year: r.Year, Quarter: r.Quarter, Joint: r.Joint,
		Lead: r.Bureau, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, Status: r.Status,
		FrameSize: r.FrameSize, FrozenAt: r.FrozenAt, ExecutedAt: r.ExecutedAt,
		RedrawOf: r.RedrawOf, RedrawReason: r.RedrawReason}
}

// completeDraws adds the participants, with the items each checks, by
// the version drawn.
func completeDraws(ctx context.Context, tx *sqlx.Tx, draws []public.Draw) error {
	if len(draws) == 0 {
		return nil
	}
	ids := make([]int64, len(draws))
	index := make(map[int64]int, len(draws))
	for i, d := range draws {
		ids[i], index[d.Number] = d.Number, i
	}
	const participants = `
SELECT p.draw_id, ` + publicBureauColumns + `
FROM public_draw_participants p JOIN bureaus b ON b.id = p.bureau_id JOIN regions r ON r.code = b.region_code
WHERE p.draw_id = ANY($1) ORDER BY p.draw_id, b.code`
	const items = `
SELECT b.code AS bureau, p.draw_id, ref.code, ref.version, coalesce(i.name, ref.code) AS name,
       coalesce(i.legal_basis, '') AS legal_basis, coalesce(i.methods, '{}') AS methods
FROM public_draw_participants p JOIN bureaus b ON b.id = p.bureau_id
CROSS JOIN LATERAL jsonb_to_recordset(p.items) AS ref(code text, version int)
LEFT JOIN public_items i ON i.bureau_id = p.bureau_id AND i.code = ref.code AND i.version = ref.version
WHERE p.draw_id = ANY($1) ORDER BY p.draw_id, b.code, ref.code`
	var prows []struct {
		DrawID int64 `db:"draw_id"`
		public.Bureau
	}
	if err := tx.SelectContext(ctx, &prows, participants, pq.Int64Array(ids)); err != nil {
		return err
	}
	var irows []publicItemRow
	if err := tx.SelectContext(ctx, &irows, items, pq.Int64Array(ids)); err != nil {
		return err
	}
	itemsOf := map[string][]public.Item{}
	for _, r := range irows {
		k := strconv.FormatInt(r.DrawID, 10) + "/" + r.Bureau
		itemsOf[k] = append(itemsOf[k], r.item())
	}
	for _, r := range prows {
		d := &draws[index[r.DrawID]]
		d.Participants = append(d.Participants, public.Participant{Bureau: r.Bureau,
			Items: itemsOf[strconv.FormatInt(r.DrawID, 10)+"/"+r.Code]})
	}
	return nil
}

// Selected reads the same page of each draw's selected entities, in task
// order: one statement, a page per draw read from the index of its tasks
// (a draw may select 100,000 entities; a page reads only its rows).
func (s PublicStore) Selected(ctx context.Context, numbers []int64, p page.Request) ([]public.SelectedEntity, error) {
	w := &where{}
	w.add("e.draw_id = d.id")
	w.seek(p, false, "e.seq", intKey)
	q := `SELECT d.id AS draw_id, e.seq, e.entity_code, e.entity_name
FROM unnest(` + w.param(pq.Int64Array(numbers)) + `::bigint[]) d(id)
CROSS JOIN LATERAL (SELECT e.seq, e.entity_code, e.entity_name FROM public_draw_entities e
  WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %[1]s LIMIT %[2]d) e
ORDER BY d.id, %[1]s`, p.Order("e.seq", false), p.Limit())
	var out []public.SelectedEntity
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &out, q, w.args...) })
	return out, err
}

// CountSelected counts each draw's selected entities in one statement.
// A draw's tasks are numbered 1 to n at its ceremony (storeTasks) and
// never removed (records, notices and teams refer to them), so its last
// seq is its count: one step down the index of its tasks instead of a
// scan of 100,000 rows joined to their names.
func (s PublicStore) CountSelected(ctx context.Context, numbers []int64) (map[int64]int, error) {
	const q = `SELECT d.id AS draw_id, coalesce(last.seq, 0) AS n
FROM unnest($1::bigint[]) d(id)
LEFT JOIN LATERAL (SELECT e.seq FROM public_draw_entities e WHERE e.draw_id = d.id ORDER BY e.seq DESC LIMIT 1) last ON true`
	var rows []struct {
		DrawID int64 `db:"draw_id"`
		N      int   `db:"n"`
	}
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, pq.Int64Array(numbers)) })
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.DrawID] = r.N
	}
	return out, err
}

// AllSelected reads every entity a draw selected, in task order.
func (s PublicStore) AllSelected(ctx context.Context, number int64) ([]public.Entity, error) {
	const q = `SELECT entity_code, entity_name FROM public_draw_entities WHERE draw_id = $1 ORDER BY seq`
	var out []public.Entity
	err := s.readPublic(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &out, q, number) })
	return out, err
}
