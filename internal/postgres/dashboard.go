package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/dashboard"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/plan"
)

// DashboardStore implements dashboard.Store: set-based counts, each
// statement over every bureau in view at once, so that a dashboard costs
// the same statements for one bureau as for a region of them.
type DashboardStore struct{ DB *DB }

// Tally counts the year in one transaction of eight statements (nine for
// a joint office) whatever the size of the rosters, draws and records.
func (s DashboardStore) Tally(ctx context.Context, actor *authz.Actor, q dashboard.Query) (dashboard.Tally, error) {
	var t dashboard.Tally
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		byID, ids, err := dashboardBureaus(ctx, tx, actor, q.Year)
		if err != nil {
			return err
		}
		steps := []func(context.Context, *sqlx.Tx, map[int64]*dashboard.BureauTally, []int64, dashboard.Query) error{
			countRosterStrata, countCoverage, countTasks, countResults}
		for _, step := range steps {
			if err := step(ctx, tx, byID, ids, q); err != nil {
				return err
			}
		}
		t.Bureaus = make([]dashboard.BureauTally, len(ids))
		for i, id := range ids {
			t.Bureaus[i] = *byID[id]
		}
		if actor.BureauKind == bureau.KindJointOffice {
			t.Joint, err = countJointQuarters(ctx, tx, q.Year)
		}
		return err
	})
	return t, err
}

// Version reads the region's data version (region_version, migration
// 00018): one statement.
func (s DashboardStore) Version(ctx context.Context, actor *authz.Actor) (int64, error) {
	var v int64
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &v, `SELECT region_version()`)
	})
	return v, err
}

// dashboardBureaus reads the bureaus in view, by code, with their plans
// of the year (the defaults where none is saved): the acting bureau, or
// every other bureau of a joint office's region. Two statements.
func dashboardBureaus(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, year int) (map[int64]*dashboard.BureauTally, []int64, error) {
	const q = `
SELECT b.id, b.code, b.region_code, b.name, b.kind FROM bureaus b
WHERE CASE WHEN $1 THEN b.region_code = (SELECT app_region()) AND b.kind <> 'joint_office'
           ELSE b.id = (SELECT app_bureau()) END
ORDER BY b.code`
	var bs []bureau.Bureau
	if err := tx.SelectContext(ctx, &bs, q, actor.BureauKind == bureau.KindJointOffice); err != nil {
		return nil, nil, fmt.Errorf("dashboard bureaus: %w", err)
	}
	byID := make(map[int64]*dashboard.BureauTally, len(bs))
	ids := make([]int64, len(bs))
	for i, b := range bs {
		p := plan.Defaults(year)
		p.BureauID = b.ID
		byID[b.ID] = &dashboard.BureauTally{Bureau: b, Plan: p, Roster: plan.Counts{}, Covered: plan.Counts{}}
		ids[i] = b.ID
	}
	// A joint office reads its region's plans (migration 00018).
	var rows []planRow
	const plans = `SELECT ` + planColumns + ` FROM plans WHERE bureau_id = ANY($1) AND year = $2`
	if err := tx.SelectContext(ctx, &rows, plans, pq.Array(ids), year); err != nil {
		return nil, nil, fmt.Errorf("dashboard plans: %w", err)
	}
	for _, r := range rows {
		p, err := r.plan()
		if err != nil {
			return nil, nil, err
		}
		byID[r.BureauID].Plan = p
	}
	return byID, ids, nil
}

// countRosterStrata counts each bureau's active roster per stratum under
// its own plan's focus rules at q.At: the SQL twin of plan.StratumOf, as
// stratumSQL, with each bureau's rules as a row of its own, applied to
// the roster's counts by the facts the rules read (roster_tallies,
// migration 00023: tens of groups where the roster has 100,000 entries).
func countRosterStrata(ctx context.Context, tx *sqlx.Tx, byID map[int64]*dashboard.BureauTally, ids []int64, q dashboard.Query) error {
	const stmt = `
WITH rules AS (
    SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::boolean[], $4::int[], $5::timestamptz[])
        AS u(bureau_id, abnormal, serious, complaints, penalty_since))
SELECT r.bureau_id,
       CASE WHEN (u.abnormal AND r.abnormal_operations) OR (u.serious AND r.serious_violation)
                 OR r.complaints >= u.complaints OR r.last_penalty_date > u.penalty_since
                 OR r.focus_found_on > $6::timestamptz THEN 'F'
            WHEN r.risk_class = '' THEN 'B' ELSE r.risk_class END AS key,
       sum(r.n) AS n
FROM rules u JOIN roster_tallies r ON r.bureau_id = u.bureau_id AND r.n > 0
GROUP BY 1, 2`
	n := len(ids)
	abnormal, serious, complaints, since := make([]bool, n), make([]bool, n), make([]int64, n), make([]string, n)
	for i, id := range ids {
		f := byID[id].Plan.Focus
		abnormal[i], serious[i], complaints[i] = f.AbnormalOperations, f.SeriousViolation, int64(f.Complaints)
		since[i] = "infinity" // penalties never make the entity focus
		if f.PenaltyMonths > 0 {
			since[i] = q.At.AddDate(0, -f.PenaltyMonths, 0).Format(time.RFC3339Nano)
		}
	}
	rows, err := selectTallies(ctx, tx, stmt, pq.Array(ids), pq.Array(abnormal), pq.Array(serious),
		pq.Array(complaints), pq.Array(since), q.At.AddDate(-1, 0, 0))
	for _, r := range rows {
		byID[r.BureauID].Roster[r.Key] = r.N
	}
	return err
}

// tallyRow is a count of a kind of thing of one bureau.
type tallyRow struct {
	BureauID int64  `db:"bureau_id"`
	Kind     string `db:"kind"`
	Key      string `db:"key"`
	N        int    `db:"n"`
}

func selectTallies(ctx context.Context, tx *sqlx.Tx, q string, args ...any) ([]tallyRow, error) {
	var rows []tallyRow
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return rows, nil
}

// countCoverage counts, per bureau, the entities of its own active roster
// drawn by the year's executed draws it took part in (as PlanStore.Tally,
// for many bureaus at once): per stratum of each entity's latest draw,
// per quarter, and per quarter of each entity's first draw (for the
// cumulative coverage), and the draws of each quarter.
func countCoverage(ctx context.Context, tx *sqlx.Tx, byID map[int64]*dashboard.BureauTally, ids []int64, q dashboard.Query) error {
	const stmt = `
WITH mine AS (
    SELECT p.bureau_id, d.id, d.quarter, d.executed_at FROM draws d
    JOIN draw_participants p ON p.draw_id = d.id AND p.bureau_id = ANY($1)
    WHERE d.year = $2 AND d.status = 'executed'),
drawn AS (
    SELECT m.bureau_id, m.id AS draw_id, m.quarter, m.executed_at, t.entity_code, t.stratum
    FROM mine m JOIN draw_task_strata t ON t.draw_id = m.id
    WHERE EXISTS (SELECT FROM roster_entries r WHERE r.bureau_id = m.bureau_id AND r.entity_code = t.entity_code
                    AND r.valid_to IS NULL AND r.status = 'active')),
entity AS (
    SELECT DISTINCT ON (bureau_id, entity_code) bureau_id, stratum,
           min(quarter) OVER (PARTITION BY bureau_id, entity_code) AS first_quarter
    FROM drawn ORDER BY bureau_id, entity_code, executed_at DESC NULLS LAST, draw_id DESC)
SELECT bureau_id, 'stratum' AS kind, stratum AS key, count(*) AS n FROM entity GROUP BY 1, 3
UNION ALL SELECT bureau_id, 'first', first_quarter::text, count(*) FROM entity GROUP BY 1, 3
UNION ALL SELECT bureau_id, 'covered', quarter::text, count(DISTINCT entity_code) FROM drawn GROUP BY 1, 3
UNION ALL SELECT bureau_id, 'draws', quarter::text, count(*) FROM mine GROUP BY 1, 3`
	rows, err := selectTallies(ctx, tx, stmt, pq.Array(ids), q.Year)
	for _, r := range rows {
		b := byID[r.BureauID]
		if r.Kind == "stratum" {
			b.Covered[r.Key] = r.N
			continue
		}
		quarter, _ := strconv.Atoi(r.Key)
		qt := &b.Quarters[quarter-1]
		switch r.Kind {
		case "first":
			qt.FirstCovered = r.N
		case "covered":
			qt.Covered = r.N
		case "draws":
			qt.Draws = r.N
		}
	}
	return err
}

// countTasks counts each bureau's tasks of the year by state (kept per
// task by triggers as taskStateSQL decides it, task_progress, migration
// 00030, so that a joint office may count what it may not read), the
// unpublished ones overdue and due soon by the cutoffs, and the records
// submitted for review.
func countTasks(ctx context.Context, tx *sqlx.Tx, byID map[int64]*dashboard.BureauTally, ids []int64, q dashboard.Query) error {
	const stmt = `
WITH due AS (
    SELECT k.bureau_id, k.state, coalesce(k.inspected_until, d.window_end) AS inspection_end,
           coalesce(p.publish_within_days, 20) AS days
    FROM draws d
    JOIN task_progress k ON k.draw_id = d.id AND k.bureau_id = ANY($1)
    LEFT JOIN plans p ON p.bureau_id = k.bureau_id AND p.year = d.year
    WHERE d.year = $2 AND d.status = 'executed')
SELECT bureau_id, 'state' AS kind, state AS key, count(*) AS n FROM due GROUP BY 1, 3
UNION ALL
SELECT bureau_id, 'overdue', '', count(*) FROM due
WHERE state <> 'published' AND inspection_end < ($3::date[])[days + 1] GROUP BY 1
UNION ALL
SELECT bureau_id, 'due_soon', '', count(*) FROM due
WHERE state <> 'published' AND inspection_end >= ($3::date[])[days + 1] AND inspection_end < ($4::date[])[days + 1] GROUP BY 1
UNION ALL
SELECT r.bureau_id, 'awaiting_review', '', count(*) FROM record_progress r JOIN draws d ON d.id = r.draw_id AND d.year = $2
WHERE r.bureau_id = ANY($1) AND r.state = 'submitted' GROUP BY 1`
	rows, err := selectTallies(ctx, tx, stmt, pq.Array(ids), q.Year, pq.Array(dates(q.Overdue)), pq.Array(dates(q.DueBy)))
	for _, r := range rows {
		b := byID[r.BureauID]
		switch r.Kind {
		case "state":
			addTaskState(&b.Tasks, r.Key, r.N)
		case "overdue":
			b.Tasks.Overdue = r.N
		case "due_soon":
			b.Tasks.DueSoon = r.N
		case "awaiting_review":
			b.AwaitingReview = r.N
		}
	}
	return err
}

func addTaskState(c *dashboard.TaskCounts, state string, n int) {
	c.Total += n
	switch state {
	case "not_entered":
		c.NotEntered = n
	case "returned":
		c.Returned = n
	case "submitted":
		c.Submitted = n
	case "approved":
		c.Approved = n
	case "published":
		c.Published = n
	}
}

// countResults counts each bureau's published results of the year by
// result code; a result corrected by a published correction gives way to
// it, as on the public side (public_results).
func countResults(ctx context.Context, tx *sqlx.Tx, byID map[int64]*dashboard.BureauTally, ids []int64, q dashboard.Query) error {
	const stmt = `
SELECT r.bureau_id, c.code, c.label, count(*) AS n
FROM inspection_records r
JOIN draws d ON d.id = r.draw_id AND d.year = $2
CROSS JOIN LATERAL unnest(r.result_codes) AS rc(code)
JOIN result_codes c ON c.version = r.code_version AND c.code = rc.code
WHERE r.bureau_id = ANY($1) AND r.state = 'published'
  AND NOT EXISTS (SELECT FROM inspection_records x WHERE x.corrects = r.id AND x.state = 'published')
GROUP BY r.bureau_id, c.code, c.label
ORDER BY r.bureau_id, min(c.position), c.code`
	var rows []struct {
		BureauID int64 `db:"bureau_id"`
		dashboard.ResultCount
	}
	if err := tx.SelectContext(ctx, &rows, stmt, pq.Array(ids), q.Year); err != nil {
		return fmt.Errorf("dashboard results: %w", err)
	}
	for _, r := range rows {
		b := byID[r.BureauID]
		b.Results = append(b.Results, r.ResultCount)
	}
	return nil
}

// countJointQuarters counts the joint office's region per quarter: joint
// draws executed and their tasks, overlaps (entities drawn by two or more
// bureaus' separate draws, as DrawStore.Overlaps) and the joint visits
// proposed for them by their answers (as draw.JointVisit.Status).
func countJointQuarters(ctx context.Context, tx *sqlx.Tx, year int) ([]dashboard.JointQuarter, error) {
	const stmt = `
WITH jd AS (
    SELECT d.quarter, count(DISTINCT d.id) AS joint_draws, count(t.seq) AS joint_tasks
    FROM draws d LEFT JOIN draw_tasks t ON t.draw_id = d.id
    WHERE d.region_code = (SELECT app_region()) AND d.year = $1 AND d.joint AND d.status = 'executed'
    GROUP BY d.quarter),
ov AS (
    SELECT quarter, count(*) AS overlaps FROM (
        SELECT t.quarter FROM draw_tasks t JOIN draws d ON d.id = t.draw_id AND NOT d.joint AND d.status = 'executed'
        WHERE t.region_code = (SELECT app_region()) AND t.year = $1
        GROUP BY t.quarter, t.entity_code HAVING count(DISTINCT t.lead_id) >= 2) x
    GROUP BY quarter),
jv AS (
    SELECT v.quarter,
           count(*) FILTER (WHERE a.declined = 0 AND a.accepted < cardinality(v.bureau_ids)) AS proposed,
           count(*) FILTER (WHERE a.declined = 0 AND a.accepted = cardinality(v.bureau_ids)) AS accepted,
           count(*) FILTER (WHERE a.declined > 0) AS declined
    FROM joint_visits v
    CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE x.accepted) AS accepted, count(*) FILTER (WHERE NOT x.accepted) AS declined
                        FROM joint_visit_answers x WHERE x.visit_id = v.id) a
    WHERE v.region_code = (SELECT app_region()) AND v.year = $1
    GROUP BY v.quarter)
SELECT q.quarter, coalesce(jd.joint_draws, 0) AS joint_draws, coalesce(jd.joint_tasks, 0) AS joint_tasks,
       coalesce(ov.overlaps, 0) AS overlaps, coalesce(jv.proposed, 0) AS visits_proposed,
       coalesce(jv.accepted, 0) AS visits_accepted, coalesce(jv.declined, 0) AS visits_declined
FROM generate_series(1, 4) AS q(quarter)
LEFT JOIN jd USING (quarter) LEFT JOIN ov USING (quarter) LEFT JOIN jv USING (quarter)
ORDER BY q.quarter`
	var out []dashboard.JointQuarter
	if err := tx.SelectContext(ctx, &out, stmt, year); err != nil {
		return nil, fmt.Errorf("dashboard joint quarters: %w", err)
	}
	return out, nil
}

// History reads the entity's current name in the acting bureau's region.
func (s DashboardStore) History(ctx context.Context, actor *authz.Actor, code string) (dashboard.History, error) {
	h := dashboard.History{EntityCode: code}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		const name = `SELECT coalesce((SELECT name FROM entities WHERE region_code = (SELECT app_region()) AND code = $1 AND valid_to IS NULL), '')`
		if err := tx.GetContext(ctx, &h.EntityName, name, code); err != nil {
			return fmt.Errorf("history name: %w", err)
		}
		return nil
	})
	return h, err
}

// Visits reads a page of the executed draws of the region that selected
// the entity (from the public views: whoever drew it, the draw is public)
// and the records the actor may read of them: every published result
// (public_results) and the unpublished records row-level security admits
// (the bureau's own and those of draws it takes part in; a joint office
// none). Two statements, whatever the page's size.
func (s DashboardStore) Visits(ctx context.Context, actor *authz.Actor, code string, p page.Request) ([]dashboard.Visit, error) {
	var visits []dashboard.Visit
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var err error
		if visits, err = historyVisits(ctx, tx, code, p); err != nil {
			return err
		}
		return attachHistoryRecords(ctx, tx, code, visits)
	})
	return visits, err
}

// CountVisits counts the executed draws of the region that selected the
// entity.
func (s DashboardStore) CountVisits(ctx context.Context, actor *authz.Actor, code string) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM `+historyVisitsFrom+` WHERE e.entity_code = $1`, code)
}

// historyVisitsFrom is the executed draws of the region and the entities
// they selected.
const historyVisitsFrom = `public_draw_entities e
JOIN public_draws d ON d.id = e.draw_id AND d.region_code = (SELECT app_region())`

func historyVisits(ctx context.Context, tx *sqlx.Tx, code string, p page.Request) ([]dashboard.Visit, error) {
	w := &where{}
	w.add("e.entity_code = %s", code)
	w.seek(p, true, "(d.window_start, d.id)", func(key string) []any {
		// The day as text, which PostgreSQL reads as the column's date: a
		// time.Time would compare as a timestamp in the session's zone.
		day, number, _ := dashboard.VisitKey(key)
		return []any{day.Format(time.DateOnly), number}
	})
	q := `
SELECT d.id AS draw_id, d.title, d.year, d.quarter, d.joint, d.window_start, d.window_end, b.code AS lead_code,
       ARRAY(SELECT pb.code FROM public_draw_participants p JOIN bureaus pb ON pb.id = p.bureau_id
             WHERE p.draw_id = d.id ORDER BY pb.code) AS bureaus
FROM ` + historyVisitsFrom + ` JOIN bureaus b ON b.id = d.lead_id
WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("d.window_start, d.id", true), p.Limit())
	var rows []struct {
		dashboard.Visit
		Bureaus pq.StringArray `db:"bureaus"`
	}
	if err := tx.SelectContext(ctx, &rows, q, w.args...); err != nil {
		return nil, fmt.Errorf("history visits: %w", err)
	}
	out := make([]dashboard.Visit, len(rows))
	for i, r := range rows {
		out[i] = r.Visit
		out[i].Bureaus = r.Bureaus
	}
	return out, nil
}

// attachHistoryRecords adds to each visit the records the actor may read
// of the entity at that draw: one statement for the page.
func attachHistoryRecords(ctx context.Context, tx *sqlx.Tx, code string, visits []dashboard.Visit) error {
	if len(visits) == 0 {
		return nil
	}
	draws := make([]int64, len(visits))
	for i, v := range visits {
		draws[i] = v.DrawNumber
	}
	const q = `
SELECT r.draw_id, b.code AS bureau_code, b.name AS bureau_name, r.item_code, r.item_name, 'published' AS state,
       r.inspected_on, r.published_at, r.correction, r.results
FROM public_results r JOIN bureaus b ON b.id = r.bureau_id
WHERE r.entity_code = $1 AND r.region_code = (SELECT app_region()) AND r.draw_id = ANY($2)
UNION ALL
SELECT r.draw_id, b.code, b.name, r.item_code, r.item_name, r.state, r.inspected_on, NULL, r.corrects IS NOT NULL,
       ARRAY(SELECT c.label FROM result_codes c WHERE c.version = r.code_version AND c.code = ANY (r.result_codes) ORDER BY c.position)
FROM inspection_records r JOIN bureaus b ON b.id = r.bureau_id
WHERE r.entity_code = $1 AND r.region_code = (SELECT app_region()) AND r.state <> 'published' AND r.draw_id = ANY($2)
ORDER BY 1, 2, 4, 9`
	var rows []struct {
		dashboard.VisitRecord
		Results pq.StringArray `db:"results"`
	}
	if err := tx.SelectContext(ctx, &rows, q, code, pq.Int64Array(draws)); err != nil {
		return fmt.Errorf("history records: %w", err)
	}
	index := make(map[int64]int, len(visits))
	for i, v := range visits {
		index[v.DrawNumber] = i
	}
	for _, r := range rows {
		i, ok := index[r.DrawNumber]
		if !ok {
			continue
		}
		rec := r.VisitRecord
		rec.Results = r.Results
		visits[i].Records = append(visits[i].Records, rec)
	}
	return nil
}
