// Package dashboard is what leaders look at: a year of a bureau in
// figures, and the same for every bureau of a region at the joint office.
//
// The figures of one bureau and year:
//   - plan progress (抽查进度): the distinct entities of the bureau's own
//     active roster drawn by the year's executed draws it took part in,
//     overall, per stratum and per quarter, beside what its plan commits
//     to (the year's coverage, each stratum's reach, each quarter's part);
//   - tasks by state (未录入, 退回, 待审核, 已审核, 已公示) and those whose
//     results are overdue (逾期未公示) or due within DueSoonDays working days;
//   - records awaiting review (待审核);
//   - the distribution of published results by result code.
//
// A joint office has no roster of its own: its dashboard holds these
// figures for every other bureau of its region, plus, per quarter, the
// region's joint draws and their tasks, the overlaps (entities drawn by
// two bureaus' separate draws) and the joint visits proposed for them.
// It counts unpublished records but never reads what they found.
//
// An entity's inspection history across bureaus lists every executed
// draw of the region that selected it, with the published results for
// everyone and unpublished records only for the bureaus taking part.
package dashboard

import (
	"context"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/plan"
)

// DueSoonDays is the horizon of "due soon", in working days.
const DueSoonDays = 5

// Dashboard is a year in figures: one Figures for a bureau, one per
// bureau of the region (by code) for a joint office, which also gets
// Joint.
type Dashboard struct {
	Year    int
	Bureaus []Figures
	Joint   []JointQuarter // nil for a bureau
}

// Figures are one bureau's year.
type Figures struct {
	Bureau bureau.Bureau
	Plan   PlanFigures
	// RosterSize counts the active roster entries now; Covered the
	// distinct ones of them drawn this year.
	RosterSize int
	Covered    int
	CoverageBP int
	Strata     []Stratum // A, B, C, D, F
	Quarters   []Quarter // 1 to 4
	Tasks      TaskCounts
	// RecordsAwaitingReview counts the bureau's records of the year's
	// tasks submitted for review (待审核).
	RecordsAwaitingReview int
	Results               []ResultCount
}

// PlanFigures is what the bureau's plan of the year commits to (its
// defaults when it saved none).
type PlanFigures struct {
	IsDefault         bool
	DrawsPerYear      int
	MinDrawRatioBP    int
	MinCoverageBP     int
	PublishWithinDays int
}

// Stratum is a stratum's progress against the plan. Roster counts the
// active entries now, under the plan's focus rules; Covered each drawn
// entity once, in the stratum recorded at its latest draw of the year.
// Planned is the plan's reach in the stratum: min(n, draws a year ×
// one draw's share), the figure the plan was accepted with.
type Stratum struct {
	Stratum    string
	Roster     int
	Covered    int
	CoverageBP int
	Planned    int
	PlannedBP  int
}

// Quarter is a quarter's progress. CumulativeCovered counts the distinct
// entities drawn from the year's start through the quarter's end;
// TargetBP is the plan's annual coverage in equal quarterly parts
// (minimum coverage × quarter / 4).
type Quarter struct {
	Quarter              int
	Draws                int
	Covered              int
	CoverageBP           int
	CumulativeCovered    int
	CumulativeCoverageBP int
	TargetBP             int
}

// TaskCounts are the bureau's tasks of the year (drawn entities it sends
// inspectors to) by state; Overdue and DueSoon count unpublished ones by
// their publication deadline.
type TaskCounts struct {
	Total      int
	NotEntered int
	Returned   int
	Submitted  int
	Approved   int
	Published  int
	Overdue    int
	DueSoon    int
}

// ResultCount is how many of the bureau's published records of the year
// carry a result code (a record may carry several).
type ResultCount struct {
	Code  string `db:"code"`
	Label string `db:"label"`
	Count int    `db:"n"`
}

// JointQuarter is the joint office's view of a quarter of its region.
type JointQuarter struct {
	Quarter        int `db:"quarter"`
	JointDraws     int `db:"joint_draws"`     // executed joint draws
	JointTasks     int `db:"joint_tasks"`     // their tasks (joint visits drawn)
	Overlaps       int `db:"overlaps"`        // entities drawn by two or more bureaus' separate draws
	VisitsProposed int `db:"visits_proposed"` // joint visits proposed for overlaps, still waiting for answers
	VisitsAccepted int `db:"visits_accepted"` // accepted by every bureau named
	VisitsDeclined int `db:"visits_declined"` // declined by one of them
}

// Query is what the store counts: a year, the instant of the focus
// rules, and the deadline cutoffs (see record.Cutoffs: for n working days
// to publish, a task is overdue when its inspection ended before
// Overdue[n], and due soon when before DueBy[n]).
type Query struct {
	Year    int
	At      time.Time
	Overdue []time.Time
	DueBy   []time.Time
}

// Tally is what the store counts, per bureau in view.
type Tally struct {
	Bureaus []BureauTally
	Joint   []JointQuarter
}

// BureauTally is one bureau's counts.
type BureauTally struct {
	Bureau         bureau.Bureau
	Plan           plan.Plan   // the year's plan, or plan.Defaults
	Roster         plan.Counts // active entries per stratum now
	Covered        plan.Counts // drawn entities per stratum of their latest draw
	Quarters       [4]QuarterTally
	Tasks          TaskCounts
	AwaitingReview int
	Results        []ResultCount
}

// QuarterTally counts a quarter: executed draws, the distinct entities
// they drew, and how many of them were first drawn in the year then.
type QuarterTally struct {
	Draws        int
	Covered      int
	FirstCovered int
}

// Visit is an executed draw that selected the entity: the inspection and
// what each bureau recorded of it.
type Visit struct {
	DrawNumber  int64     `db:"draw_id"`
	Title       string    `db:"title"`
	Year        int       `db:"year"`
	Quarter     int       `db:"quarter"`
	Joint       bool      `db:"joint"`
	WindowStart time.Time `db:"window_start"`
	WindowEnd   time.Time `db:"window_end"`
	Lead        string    `db:"lead_code"`
	Bureaus     []string  `db:"-"` // codes of the bureaus taking part
	Records     []VisitRecord
}

// VisitRecord is one bureau's record of one item at a visit: a published
// result (anyone's), or an unpublished record of a bureau taking part,
// shown only to the bureaus taking part.
type VisitRecord struct {
	DrawNumber  int64      `db:"draw_id"`
	BureauCode  string     `db:"bureau_code"`
	BureauName  string     `db:"bureau_name"`
	ItemCode    string     `db:"item_code"`
	ItemName    string     `db:"item_name"`
	State       string     `db:"state"`
	InspectedOn time.Time  `db:"inspected_on"`
	PublishedAt *time.Time `db:"published_at"`
	Correction  bool       `db:"correction"`
	Results     []string   `db:"-"` // result labels
}

// History is an entity's inspection history in the acting bureau's
// region; its visits come a page at a time (Service.Visits).
type History struct {
	EntityCode string
	EntityName string
}

// Key is a visit's place in an entity's history, newest window first:
// its window's first day and its draw's number, "2026-04-01/17".
func (v Visit) Key() string {
	return v.WindowStart.Format(time.DateOnly) + "/" + strconv.FormatInt(v.DrawNumber, 10)
}

// VisitKey splits a visit's key into its window's first day and draw
// number; ok is false for a key that is not one.
func VisitKey(key string) (windowStart time.Time, draw int64, ok bool) {
	day, number, found := strings.Cut(key, "/")
	windowStart, err := time.Parse(time.DateOnly, day)
	draw, err2 := strconv.ParseInt(number, 10, 64)
	return windowStart, draw, found && err == nil && err2 == nil && draw > 0
}

// Store counts. Each method is one read transaction as the serving role
// in the actor's bureau, with a fixed number of statements whatever the
// number of bureaus, draws or records.
type Store interface {
	// Tally counts the year of the acting bureau or, for a joint office,
	// of every other bureau of its region, and the joint quarters.
	Tally(ctx context.Context, actor *authz.Actor, q Query) (Tally, error)
	// Version is the region's data version: it grows with every change
	// committed in the acting bureau's region, and only then.
	Version(ctx context.Context, actor *authz.Actor) (int64, error)
	// History reads the entity's current name in the region.
	History(ctx context.Context, actor *authz.Actor, entityCode string) (History, error)
	// Visits lists a page of the draws of the region that selected the
	// entity, newest window first (keyed by Visit.Key), with the records
	// the actor may read: published ones, and unpublished ones of draws
	// the bureau takes part in.
	Visits(ctx context.Context, actor *authz.Actor, entityCode string, p page.Request) ([]Visit, error)
	// CountVisits counts every page of Visits.
	CountVisits(ctx context.Context, actor *authz.Actor, entityCode string) (int, error)
}
