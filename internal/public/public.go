// Package public is 一公开: what anyone may read without signing in, and
// the pages people read.
//
// The data: published plans (what a bureau's plan commits to publicly:
// draws a year, the share of the roster each draw and the year cover, its
// inspection items; never the ratios per risk class), draws once frozen
// (title, bureaus, window, items, state, links to the commitment and the
// manifest, and after the ceremony the names of the entities selected),
// and published inspection results. Nothing here can carry a risk class, a
// stratum, an exclusion or its reason, a conflict, a reviewer's note or
// anything unpublished: the types have no field for them, and the store
// reads only the database's public_* views.
//
// The pages: server-rendered HTML (html/template over embedded files, one
// small stylesheet, no script from elsewhere), readable on a phone,
// mounted at /public/. Handler serves them; other pages of the public side
// (a draw's verifier page) add their routes in Handler.routes.
package public

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Bureau is a bureau as the public knows it.
type Bureau struct {
	Code       string `db:"code"`
	Name       string `db:"name"`
	Kind       string `db:"kind"`
	RegionCode string `db:"region_code"`
	RegionName string `db:"region_name"`
}

// Item is an inspection item (抽查事项) as published in the bureau's list.
type Item struct {
	Code       string   `db:"code"`
	Version    int      `db:"version"`
	Name       string   `db:"name"`
	LegalBasis string   `db:"legal_basis"`
	Methods    []string `db:"-"`
}

// Plan is what a bureau's annual plan commits to publicly.
type Plan struct {
	Bureau         Bureau
	Year           int
	DrawsPerYear   int
	MinDrawRatioBP int // each draw covers at least this share of the roster, basis points
	MinCoverageBP  int // the year covers at least this share, basis points
	UpdatedAt      time.Time
	Items          []Item // the bureau's current inspection items
}

// Status is where a public draw is: frozen (inputs committed, waiting for
// the ceremony), executed, or failed. Drafts are never public.
type Status string

// The public statuses.
const (
	StatusFrozen   Status = "frozen"
	StatusExecuted Status = "executed"
	StatusFailed   Status = "failed"
)

// Participant is a bureau taking part in a draw and the items it checks.
type Participant struct {
	Bureau Bureau
	Items  []Item
}

// Draw is a draw as the public sees it.
type Draw struct {
	Number       int64 // the draw's id, as in /public/draws/{number}/…
	Title        string
	Year         int
	Quarter      int
	Joint        bool
	Lead         Bureau
	Participants []Participant
	WindowStart  time.Time
	WindowEnd    time.Time
	Status       Status
	FrameSize    *int
	FrozenAt     *time.Time
	ExecutedAt   *time.Time
	RedrawOf     *int64
	RedrawReason string
}

// Entity is a market entity by code (统一社会信用代码) and name.
type Entity struct {
	Code string `db:"entity_code"`
	Name string `db:"entity_name"`
}

// SelectedEntity is an entity an executed draw selected, at its place in
// the draw's task order (Seq, from 1).
type SelectedEntity struct {
	DrawNumber int64 `db:"draw_id"`
	Seq        int   `db:"seq"`
	Entity
}

// PlanFilter narrows the published plans.
type PlanFilter struct {
	Bureau string // a bureau's code
	Year   int
}

// DrawFilter narrows the public list of draws.
type DrawFilter struct {
	Bureau  string // a bureau's code: draws it leads or takes part in
	Region  string
	Year    int
	Quarter int
}

// Store reads the public views. No method needs a signed-in user.
type Store interface {
	Bureaus(ctx context.Context, region string) ([]Bureau, error)
	// Plans lists a page of published plans, latest year first, then by
	// bureau code (keyed by PlanKey), each with its bureau's current items.
	Plans(ctx context.Context, f PlanFilter, p page.Request) ([]Plan, error)
	// CountPlans counts every page of Plans.
	CountPlans(ctx context.Context, f PlanFilter) (int, error)
	// Draws lists public draws, newest first.
	Draws(ctx context.Context, f DrawFilter, p page.Request) ([]Draw, error)
	// CountDraws counts every page of Draws.
	CountDraws(ctx context.Context, f DrawFilter) (int, error)
	Draw(ctx context.Context, number int64) (Draw, error)
	// Selected reads the same page (keyed by seq) of the selected
	// entities of each draw, in one statement whatever the number of draws.
	Selected(ctx context.Context, numbers []int64, p page.Request) ([]SelectedEntity, error)
	// CountSelected counts every page of Selected, per draw.
	CountSelected(ctx context.Context, numbers []int64) (map[int64]int, error)
	// AllSelected reads every entity a draw selected, in task order: the
	// draw's page lists them all beside its manifest's teams.
	AllSelected(ctx context.Context, number int64) ([]Entity, error)
	ResultStore
}

// Service answers the public's questions.
type Service struct {
	Store Store
}

// Bureaus lists the bureaus (of a region, when given) by code.
func (s *Service) Bureaus(ctx context.Context, region string) ([]Bureau, error) {
	if err := validRegion(region); err != nil {
		return nil, err
	}
	return s.Store.Bureaus(ctx, region)
}

// Plans lists published plans, of one bureau and one year when given,
// latest year first, then by bureau code. Bureaus that saved no plan for
// a year have none.
func (s *Service) Plans(ctx context.Context, f PlanFilter, p page.Request) (*page.Connection[Plan], error) {
	if f.Year != 0 && (f.Year < 2000 || f.Year > 2100) {
		return nil, errs.InvalidField("year", "must be between 2000 and 2100")
	}
	if err := p.CheckKeys(isPlanKey); err != nil {
		return nil, err
	}
	rows, err := s.Store.Plans(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, Plan.Key).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountPlans(ctx, f)
	}), nil
}

// Key is a plan's place in the list: its year and its bureau's code,
// "2026/140522-wl".
func (p Plan) Key() string { return strconv.Itoa(p.Year) + "/" + p.Bureau.Code }

// PlanKey splits a plan's key into its year and bureau code; ok is false
// for a key that is not one.
func PlanKey(key string) (year int, bureau string, ok bool) {
	y, code, found := strings.Cut(key, "/")
	year, err := strconv.Atoi(y)
	return year, code, found && err == nil && code != ""
}

func isPlanKey(key string) bool {
	_, _, ok := PlanKey(key)
	return ok
}

// Draws lists public draws (frozen, executed, failed), newest first.
func (s *Service) Draws(ctx context.Context, f DrawFilter, p page.Request) (*page.Connection[Draw], error) {
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	if err := validRegion(f.Region); err != nil {
		return nil, err
	}
	if f.Quarter < 0 || f.Quarter > 4 {
		return nil, errs.InvalidField("quarter", "must be between 1 and 4")
	}
	rows, err := s.Store.Draws(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(d Draw) string { return strconv.FormatInt(d.Number, 10) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountDraws(ctx, f)
	}), nil
}

// Draw returns one public draw. NOT_FOUND for a draft or a number that
// does not exist.
func (s *Service) Draw(ctx context.Context, number int64) (Draw, error) {
	return s.Store.Draw(ctx, number)
}

func validRegion(region string) error {
	if region == "" {
		return nil
	}
	if len(region) != 6 {
		return errs.InvalidField("region", "is a 6-digit area code (GB/T 2260)")
	}
	for _, c := range region {
		if c < '0' || c > '9' {
			return errs.InvalidField("region", "is a 6-digit area code (GB/T 2260)")
		}
	}
	return nil
}

// CommitmentURL is where the draw's commitment is published.
func (d Draw) CommitmentURL() string {
	return fmt.Sprintf("/public/draws/%d/commitment.json", d.Number)
}

// ManifestURL is where the public manifest is, once the draw is executed
// (nil before).
func (d Draw) ManifestURL() *string {
	if d.Status != StatusExecuted {
		return nil
	}
	u := fmt.Sprintf("/public/draws/%d/manifest.json", d.Number)
	return &u
}

// Selected returns the same page of the selected entities of each draw
// numbered, in task order (keyed by seq): a draw not executed has none.
// One statement for every draw's page, and one more, for all of them
// together, when a page's total count is asked for.
func (s *Service) Selected(ctx context.Context, numbers []int64, p page.Request) (map[int64]*page.Connection[Entity], error) {
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	rows, err := s.Store.Selected(ctx, numbers, p)
	if err != nil {
		return nil, err
	}
	pages := page.PerParent(numbers, rows, p, func(e SelectedEntity) int64 { return e.DrawNumber },
		func(e SelectedEntity) string { return strconv.Itoa(e.Seq) },
		func(ctx context.Context) (map[int64]int, error) { return s.Store.CountSelected(ctx, numbers) })
	out := make(map[int64]*page.Connection[Entity], len(pages))
	for n, c := range pages {
		out[n] = entities(c)
	}
	return out, nil
}

// AllSelected returns every entity a draw selected, in task order, for the
// draw's page.
func (s *Service) AllSelected(ctx context.Context, number int64) ([]Entity, error) {
	return s.Store.AllSelected(ctx, number)
}

// entities is a page of selected entities as a page of entities, cursors
// and count kept.
func entities(c *page.Connection[SelectedEntity]) *page.Connection[Entity] {
	out := &page.Connection[Entity]{PageInfo: c.PageInfo, Edges: make([]page.Edge[Entity], len(c.Edges))}
	for i, e := range c.Edges {
		out.Edges[i] = page.Edge[Entity]{Node: e.Node.Entity, Cursor: e.Cursor}
	}
	return out.Counted(c.TotalCount)
}
