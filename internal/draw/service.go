package draw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Status is where a draw is in its life, which only moves forward:
// draft → frozen → executed, or frozen → failed when a task cannot be
// staffed. A failed draw is never executed again: a re-draw is a new draw
// with a recorded reason, so nobody can retry ceremonies until they like
// the result.
type Status string

// The statuses.
const (
	StatusDraft    Status = "draft"
	StatusFrozen   Status = "frozen"
	StatusExecuted Status = "executed"
	StatusFailed   Status = "failed"
	// StatusCancelled: a draft given up, with its reason; it never counts.
	StatusCancelled Status = "cancelled"
)

// Scope narrows the frame. A draw is 定向 by default: its frame holds the
// entity types its participants' items apply to. Undirected (不定向) draws
// from the whole roster by choice. EntityTypes, Units and RiskClasses
// narrow either further.
type Scope struct {
	Undirected  bool     `json:"undirected,omitempty"`
	EntityTypes []string `json:"entity_types,omitempty"`
	Units       []string `json:"units,omitempty"`
	RiskClasses []string `json:"risk_classes,omitempty"`
	FocusOnly   bool     `json:"focus_only,omitempty"`
}

// ItemRef names one version of an inspection item.
type ItemRef struct {
	Code    string `json:"code"`
	Version int    `json:"version"`
	// Qualifications the item version asks of inspectors, recorded when
	// the item is added (other bureaus cannot read the item itself).
	Qualifications []string `json:"qualifications,omitempty"`
	// EntityTypes the item applies to (none: every type), recorded likewise.
	EntityTypes []string `json:"entity_types,omitempty"`
}

// The answers of a bureau invited to a joint draw.
const (
	AnswerInvited  = "invited"
	AnswerAccepted = "accepted"
	AnswerDeclined = "declined"
)

// Participant is a bureau taking part in a draw: it sends TeamSize of its
// inspectors to every visit and checks its Items there.
type Participant struct {
	BureauID   int64     `db:"bureau_id"`
	BureauCode string    `db:"bureau_code"`
	DrawID     int64     `db:"draw_id"`
	TeamSize   int       `db:"team_size"`
	Items      []ItemRef `db:"-"`
	// Answer is AnswerAccepted for the lead; an invited bureau joins only
	// by accepting, and the draw cannot be frozen while one has not.
	Answer string `db:"answer"`
}

// Draw is one draw (抽查任务).
type Draw struct {
	ID                   int64      `db:"id"`
	BureauID             int64      `db:"bureau_id"` // the lead
	RegionCode           string     `db:"region_code"`
	Year                 int        `db:"year"`
	Quarter              int        `db:"quarter"`
	Title                string     `db:"title"`
	Joint                bool       `db:"joint"`
	Scope                Scope      `db:"-"`
	CrossUnit            bool       `db:"cross_unit"`
	MaxTasksPerInspector int        `db:"max_tasks_per_inspector"`
	WindowStart          time.Time  `db:"window_start"`
	WindowEnd            time.Time  `db:"window_end"`
	RedrawOf             *int64     `db:"redraw_of"`
	RedrawReason         string     `db:"redraw_reason"`
	RedrawApprovedBy     *int64     `db:"redraw_approved_by"`
	SupersededBy         *int64     `db:"superseded_by"`
	CancelReason         string     `db:"cancel_reason"`
	Status               Status     `db:"status"`
	FrameSize            *int       `db:"frame_size"`
	FrozenAt             *time.Time `db:"frozen_at"`
	ExecutedAt           *time.Time `db:"executed_at"`
	Ceremony             *string    `db:"ceremony"`
	Seed                 *string    `db:"seed"`
	Failure              *Failure   `db:"-"`
	CreatedAt            time.Time  `db:"created_at"`
}

// Failure says why a draw could not be staffed.
type Failure struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
	Entity string `json:"entity"`
	Bureau string `json:"bureau"`
}

// NewDraw is what a planner enters to create a draw.
type NewDraw struct {
	Year                 int
	Quarter              int
	Title                string
	Scope                Scope
	TeamSize             int
	Items                []ItemRef
	CrossUnit            bool
	MaxTasksPerInspector int
	WindowStart          time.Time
	WindowEnd            time.Time
	Participants         []string // other bureaus' codes, for a joint draw (进一次门、查多项事)
	RedrawOf             *int64
	RedrawReason         string
}

// TaskRow is a drawn entity with its team and the changes made to it.
type TaskRow struct {
	DrawID        int64          `db:"draw_id"`
	Seq           int            `db:"seq"`
	EntityCode    string         `db:"entity_code"`
	EntityName    string         `db:"entity_name"`
	Ticket        string         `db:"ticket"`
	Team          []Member       `db:"-"`
	Substitutions []Substitution `db:"-"`
}

// Member is an inspector of a task's team, as drawn.
type Member struct {
	BureauCode  string  `db:"bureau_code"`
	Certificate string  `db:"certificate"`
	Name        string  `db:"name"`
	Ticket      *string `db:"ticket"` // v1: the inspector's ticket
	Step        *int    `db:"step"`   // v2: the step of the task's shuffle
	Position    int     `db:"position"`
}

// Substitution is an audited change of a team after the draw.
type Substitution struct {
	BureauCode string    `db:"bureau_code"`
	Out        string    `db:"out_certificate"`
	In         string    `db:"in_certificate"`
	Reason     string    `db:"reason"`
	At         time.Time `db:"at"`
}

// Overlap is an entity drawn by two or more bureaus' separate draws in one
// quarter: a chance to merge them into one joint visit.
type Overlap struct {
	EntityCode string  `db:"entity_code"`
	EntityName string  `db:"entity_name"`
	DrawIDs    []int64 `db:"-"`
	Bureaus    []string
}

// Filter narrows a list of draws.
type Filter struct {
	Year    int
	Quarter int
	Status  Status
}

// Sealer turns the inputs a store gathered at freeze into the committed
// input: nonce and row key added, checked, committed.
type Sealer func(in Input) (Input, *Commitment, error)

// Runner computes the draw of a frozen input with the ceremony.
type Runner func(in Input, ceremony string) (*Manifest, error)

// Store keeps draws. Methods run as the serving role in the actor's bureau.
type Store interface {
	CreateDraw(ctx context.Context, actor *authz.Actor, nd NewDraw) (Draw, error)
	SetParticipation(ctx context.Context, actor *authz.Actor, drawID int64, teamSize int, items []ItemRef) (Participant, error)
	// AnswerInvitation records the acting bureau's answer to its invitation
	// to a draft joint draw, in its audit trail and in the lead's.
	AnswerInvitation(ctx context.Context, actor *authz.Actor, drawID int64, accept bool) (Participant, error)
	ApproveRedraw(ctx context.Context, actor *authz.Actor, drawID int64) (Draw, error)
	Cancel(ctx context.Context, actor *authz.Actor, drawID int64, reason string) (Draw, error)
	// Freeze gathers the inputs, seals them and stores them, in one
	// transaction: the roster cannot change in between.
	Freeze(ctx context.Context, actor *authz.Actor, drawID int64, seal Sealer) (Draw, error)
	// Execute runs the draw exactly once: CONFLICT unless it is frozen.
	Execute(ctx context.Context, actor *authz.Actor, drawID int64, ceremony string, run Runner) (Draw, error)
	Substitute(ctx context.Context, actor *authz.Actor, drawID int64, seq int, out, in, reason string) (TaskRow, error)
	Draw(ctx context.Context, actor *authz.Actor, id int64) (Draw, error)
	Draws(ctx context.Context, actor *authz.Actor, f Filter, p page.Request) ([]Draw, error)
	ParticipantsOfDraws(ctx context.Context, actor *authz.Actor, ids []int64) ([]Participant, error)
	Tasks(ctx context.Context, actor *authz.Actor, drawID int64, p page.Request) ([]TaskRow, error)
	// TasksOfDraws returns a page of tasks of each visible draw among ids,
	// in one batch however many draws there are.
	TasksOfDraws(ctx context.Context, actor *authz.Actor, ids []int64, p page.Request) ([]TaskRow, error)
	// DrawsWithTasks is Draws and then TasksOfDraws of the draws on the
	// page (not of its extra row), forward pages only, in one batch.
	DrawsWithTasks(ctx context.Context, actor *authz.Actor, f Filter, p, tasks page.Request) ([]Draw, []TaskRow, error)
	// CountDraws and CountTasks count every page of Draws and Tasks.
	CountDraws(ctx context.Context, actor *authz.Actor, f Filter) (int, error)
	CountTasks(ctx context.Context, actor *authz.Actor, drawID int64) (int, error)
	Overlaps(ctx context.Context, actor *authz.Actor, year, quarter int, p page.Request) ([]Overlap, error)
	CountOverlaps(ctx context.Context, actor *authz.Actor, year, quarter int) (int, error)
	// PublicDocuments returns a draw's public documents for anyone
	// (nothing else of it): NOT_FOUND for drafts and unknown draws.
	PublicDocuments(ctx context.Context, drawID int64) (PublicDocuments, error)
	// SealedInput returns a frozen or executed draw's input, nonce and row
	// key included, when actor's bureau leads the draw or is its region's
	// joint office; NOT_FOUND otherwise (another participant too) and for
	// drafts.
	SealedInput(ctx context.Context, actor *authz.Actor, drawID int64) (Input, Status, error)
	// ParticipantOpenings returns the openings of an executed draw that
	// its lead stored for actor's bureau at the ceremony (ParticipantOpenings);
	// NOT_FOUND when it stored none for it.
	ParticipantOpenings(ctx context.Context, actor *authz.Actor, drawID int64) ([]Opening, error)
}

// Service runs draws.
type Service struct {
	Store       Store
	JointVisits JointVisitStore
	Authz       *authz.Enforcer
	// Now is the clock a new draw's window is checked against; time.Now
	// when nil.
	Now func() time.Time

	once sync.Once
	pub  *Publisher
}

// chinaTime is the time zone of every bureau's calendar (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*60*60)

func (s *Service) today() string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().In(chinaTime).Format(time.DateOnly)
}

// checkWindow: the planned window lies in the draw's quarter and does not
// start before today (a draw for the past could be made after the fact).
func checkWindow(nd *NewDraw, today string) error {
	first := time.Date(nd.Year, time.Month(3*nd.Quarter-2), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 3, -1)
	start, end := nd.WindowStart.Format(time.DateOnly), nd.WindowEnd.Format(time.DateOnly)
	switch {
	case start < first.Format(time.DateOnly):
		return errs.InvalidField("input.windowStart", "%s is before %d Q%d, which runs from %s to %s",
			start, nd.Year, nd.Quarter, first.Format(time.DateOnly), last.Format(time.DateOnly))
	case end > last.Format(time.DateOnly):
		return errs.InvalidField("input.windowEnd", "%s is after %d Q%d, which runs from %s to %s",
			end, nd.Year, nd.Quarter, first.Format(time.DateOnly), last.Format(time.DateOnly))
	case start < today:
		return errs.InvalidField("input.windowStart", "%s is in the past: the window starts today (%s) or later", start, today)
	}
	return nil
}

// Create makes a draft draw led by the acting bureau. A joint draw names
// the other participating bureaus of the region. Needs draw:create.
func (s *Service) Create(ctx context.Context, nd NewDraw) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:create")
	if err != nil {
		return Draw{}, err
	}
	if err := validateNewDraw(actor, &nd); err != nil {
		return Draw{}, err
	}
	if err := checkWindow(&nd, s.today()); err != nil {
		return Draw{}, err
	}
	return s.Store.CreateDraw(ctx, actor, nd)
}

// ApproveRedraw records a leader's approval of a draft re-draw: a draw
// beyond the plan's draws per year is made only as a re-draw, and a re-draw
// is frozen only once approved; freezing it marks the original superseded.
// NOT_FOUND for another bureau's draw; CONFLICT unless it is a draft
// re-draw not yet approved. Needs draw:approve (leaders of the lead).
func (s *Service) ApproveRedraw(ctx context.Context, drawID int64) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:approve")
	if err != nil {
		return Draw{}, err
	}
	return s.Store.ApproveRedraw(ctx, actor, drawID)
}

// Cancel cancels a draft draw led by the acting bureau, with a reason: it
// no longer counts against the plan's draws per year. CONFLICT once frozen.
// Needs draw:create.
func (s *Service) Cancel(ctx context.Context, drawID int64, reason string) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:create")
	if err != nil {
		return Draw{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Draw{}, errs.InvalidField("input.reason", "say why the draft is cancelled, in at most 500 characters")
	}
	return s.Store.Cancel(ctx, actor, drawID, reason)
}

func validateNewDraw(actor *authz.Actor, nd *NewDraw) error {
	nd.Title = strings.TrimSpace(nd.Title)
	switch {
	case nd.Title == "" || utf8.RuneCountInString(nd.Title) > 200:
		return errs.InvalidField("input.title", "give a title of at most 200 characters")
	case nd.Year < 2000 || nd.Year > 2100:
		return errs.InvalidField("input.year", "must be a year such as 2026")
	case nd.Quarter < 1 || nd.Quarter > 4:
		return errs.InvalidField("input.quarter", "must be 1 to 4")
	case nd.WindowEnd.Before(nd.WindowStart):
		return errs.InvalidField("input.windowEnd", "is before the window starts")
	case nd.MaxTasksPerInspector < 0:
		return errs.InvalidField("input.maxTasksPerInspector", "must be 0 (no cap) or more")
	case nd.RedrawOf != nil && strings.TrimSpace(nd.RedrawReason) == "":
		return errs.InvalidField("input.redrawReason", "a re-draw records why")
	}
	if actor.BureauKind == "joint_office" && len(nd.Participants) < 1 {
		return errs.InvalidField("input.participants", "a joint office's draw names the participating bureaus")
	}
	if actor.BureauKind != "joint_office" && nd.TeamSize < 2 {
		return errs.InvalidField("input.teamSize", "at least 2 inspectors go on every visit (行政处罚法 Art. 42)")
	}
	return nil
}

// Participate sets the acting bureau's team size and items in a draft
// draw it takes part in. NOT_FOUND if it does not; CONFLICT once frozen.
// Needs draw:participate.
func (s *Service) Participate(ctx context.Context, drawID int64, teamSize int, items []ItemRef) (Participant, error) {
	actor, err := s.Authz.Require(ctx, "draw:participate")
	if err != nil {
		return Participant{}, err
	}
	if teamSize < 2 {
		return Participant{}, errs.InvalidField("input.teamSize", "at least 2 inspectors go on every visit (行政处罚法 Art. 42)")
	}
	return s.Store.SetParticipation(ctx, actor, drawID, teamSize, items)
}

// Answer accepts or declines the acting bureau's invitation to a draft
// joint draw: a bureau takes part only by accepting, and the draw cannot
// be frozen before every invited bureau has answered. NOT_FOUND if the
// bureau is not invited; CONFLICT for the lead or once frozen. Needs
// draw:participate (planners and admins of the invited bureau).
func (s *Service) Answer(ctx context.Context, drawID int64, accept bool) (Participant, error) {
	actor, err := s.Authz.Require(ctx, "draw:participate")
	if err != nil {
		return Participant{}, err
	}
	return s.Store.AnswerInvitation(ctx, actor, drawID, accept)
}

// Freeze fixes the inputs of a draft draw led by the acting bureau: the
// frame, exclusions, inspectors, conflicts and params are committed, and
// the commitment is public from now on. CONFLICT unless the draw is a
// draft. Needs draw:freeze.
func (s *Service) Freeze(ctx context.Context, drawID int64) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:freeze")
	if err != nil {
		return Draw{}, err
	}
	return s.Store.Freeze(ctx, actor, drawID, Seal)
}

// Seal adds a fresh nonce and row key to the inputs gathered at freeze
// and commits to them. It is a Sealer.
func Seal(in Input) (Input, *Commitment, error) {
	in.Nonce, in.RowKey, in.Ceremony = secretHex(), secretHex(), ""
	c, err := Commit(in)
	if err != nil {
		return Input{}, nil, inputError(err)
	}
	return in, c, nil
}

func secretHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Execute holds the ceremony of a frozen draw led by the acting bureau:
// the seed, selection and teams are computed by the spec and stored in one
// transaction. Executing twice, or at once from many clients, gives one
// result; the others get CONFLICT. A draw that cannot be staffed fails
// (CONFLICT naming the entity and bureau) and keeps no task. Needs
// draw:execute.
func (s *Service) Execute(ctx context.Context, drawID int64, ceremony string) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:execute")
	if err != nil {
		return Draw{}, err
	}
	ceremony = strings.TrimSpace(ceremony)
	if ceremony == "" || utf8.RuneCountInString(ceremony) > 500 || strings.ContainsFunc(ceremony, isControl) {
		return Draw{}, errs.InvalidField("input.ceremony", "enter the witnessed string (dice digits, a beacon value…): 1 to 500 characters, no control characters")
	}
	return s.Store.Execute(ctx, actor, drawID, ceremony, RunCeremony)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 }

// RunCeremony draws a frozen input with the ceremony string. It is a Runner.
func RunCeremony(in Input, ceremony string) (*Manifest, error) {
	in.Ceremony = ceremony
	m, err := Run(in)
	if err != nil {
		return nil, inputError(err)
	}
	return m, nil
}

// inputError turns an algorithm refusal into an error for the caller.
func inputError(err error) error {
	var de *Error
	if !errors.As(err, &de) {
		return err
	}
	if de.Code == CodeInsufficientInspectors {
		return &errs.Error{Kind: errs.Conflict, Message: "the draw cannot be staffed (insufficient_inspectors): " + de.Reason,
			Details: Failure{Code: string(de.Code), Reason: de.Reason, Entity: de.Entity, Bureau: de.Bureau}}
	}
	return &errs.Error{Kind: errs.Invalid, Message: "the draw's inputs are refused: " + de.Reason,
		Details: Failure{Code: string(de.Code), Reason: de.Reason}}
}

// Substitute replaces an inspector of the acting bureau on a task of an
// executed draw, keeping the drawn team in the manifest and listing the
// change beside it. Needs draw:substitute.
func (s *Service) Substitute(ctx context.Context, drawID int64, seq int, out, in, reason string) (TaskRow, error) {
	actor, err := s.Authz.Require(ctx, "draw:substitute")
	if err != nil {
		return TaskRow{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return TaskRow{}, errs.InvalidField("input.reason", "say why the inspector is replaced")
	}
	if out == in {
		return TaskRow{}, errs.InvalidField("input.in", "is the inspector being replaced")
	}
	return s.Store.Substitute(ctx, actor, drawID, seq, out, in, reason)
}

// Get returns a draw the acting bureau leads or takes part in (or, for a
// joint office, any draw of its region). Needs draw:read.
func (s *Service) Get(ctx context.Context, id int64) (Draw, error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return Draw{}, err
	}
	return s.Store.Draw(ctx, actor, id)
}

// List returns the draws the acting bureau may see, newest first.
func (s *Service) List(ctx context.Context, f Filter, p page.Request) (*page.Connection[Draw], error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	rows, err := s.Store.Draws(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(d Draw) string { return itoa(d.ID) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountDraws(ctx, actor, f)
	}), nil
}

// ParticipantsOfDraws lists the participants of several visible draws at
// once (a page of draws).
func (s *Service) ParticipantsOfDraws(ctx context.Context, ids []int64) ([]Participant, error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	return s.Store.ParticipantsOfDraws(ctx, actor, ids)
}

// Tasks returns a page of a draw's tasks in task order.
func (s *Service) Tasks(ctx context.Context, drawID int64, p page.Request) (*page.Connection[TaskRow], error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsNumber); err != nil {
		return nil, err
	}
	rows, err := s.Store.Tasks(ctx, actor, drawID, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(t TaskRow) string { return itoa(int64(t.Seq)) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountTasks(ctx, actor, drawID)
	}), nil
}

// TasksOfDraws returns the same page of tasks (first, after) of each of
// several draws, by draw id: what Tasks answers for each, in one batch.
// A draw the acting bureau may not see gets an empty page (row-level
// security hides its tasks), which says no more than NOT_FOUND would.
// Needs draw:read.
func (s *Service) TasksOfDraws(ctx context.Context, ids []int64, p page.Request) (map[int64]*page.Connection[TaskRow], error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsNumber); err != nil {
		return nil, err
	}
	if p.Backward() || p.Before != "" {
		return nil, errs.InvalidField("before", "a batch of draws' tasks pages forward only")
	}
	rows, err := s.Store.TasksOfDraws(ctx, actor, ids, p)
	if err != nil {
		return nil, err
	}
	return s.taskPages(actor, ids, p, rows), nil
}

// ListWithTasks is List and then TasksOfDraws of the draws listed, for a
// page of draws that asks each of them for the same forward page of
// tasks: read together, in one batch. Needs draw:read.
func (s *Service) ListWithTasks(ctx context.Context, f Filter, p, tasks page.Request) (*page.Connection[Draw], map[int64]*page.Connection[TaskRow], error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, nil, err
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, nil, err
	}
	if err := tasks.CheckKeys(page.IsNumber); err != nil {
		return nil, nil, err
	}
	if p.Backward() || p.Before != "" || tasks.Backward() || tasks.Before != "" {
		return nil, nil, errs.InvalidField("before", "draws are read with their tasks forward only")
	}
	rows, taskRows, err := s.Store.DrawsWithTasks(ctx, actor, f, p, tasks)
	if err != nil {
		return nil, nil, err
	}
	draws := page.New(rows, p, func(d Draw) string { return itoa(d.ID) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountDraws(ctx, actor, f)
	})
	nodes := draws.Nodes()
	ids := make([]int64, len(nodes))
	for i, d := range nodes {
		ids[i] = d.ID
	}
	return draws, s.taskPages(actor, ids, tasks, taskRows), nil
}

// taskPages splits rows, the page p of tasks of each of the draws ids, by
// draw: a draw without rows gets an empty page.
func (s *Service) taskPages(actor *authz.Actor, ids []int64, p page.Request, rows []TaskRow) map[int64]*page.Connection[TaskRow] {
	byDraw := map[int64][]TaskRow{}
	for _, t := range rows {
		byDraw[t.DrawID] = append(byDraw[t.DrawID], t)
	}
	pages := make(map[int64]*page.Connection[TaskRow], len(ids))
	for _, id := range ids {
		pages[id] = page.New(byDraw[id], p, func(t TaskRow) string { return itoa(int64(t.Seq)) }).Counted(func(ctx context.Context) (int, error) {
			return s.Store.CountTasks(ctx, actor, id)
		})
	}
	return pages
}

// Overlaps lists the entities that two or more bureaus' separate draws of
// the quarter drew: the joint office's chance to merge them into one visit.
// Needs draw:coordinate (the joint office).
func (s *Service) Overlaps(ctx context.Context, year, quarter int, p page.Request) (*page.Connection[Overlap], error) {
	actor, err := s.Authz.Require(ctx, "draw:coordinate")
	if err != nil {
		return nil, err
	}
	if quarter < 1 || quarter > 4 {
		return nil, errs.InvalidField("quarter", "must be 1 to 4")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := s.Store.Overlaps(ctx, actor, year, quarter, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(o Overlap) string { return o.EntityCode }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountOverlaps(ctx, actor, year, quarter)
	}), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// JointVisit is the joint office's proposal that an entity drawn by
// several bureaus' separate draws of a quarter be visited once, together
// (合并检查); each bureau named accepts or declines.
type JointVisit struct {
	ID         int64     `db:"id"`
	Year       int       `db:"year"`
	Quarter    int       `db:"quarter"`
	EntityCode string    `db:"entity_code"`
	DrawIDs    []int64   `db:"-"`
	Bureaus    []string  `db:"-"`
	Accepted   []string  `db:"-"` // bureaus that accepted
	Declined   []string  `db:"-"` // bureaus that declined
	ProposedAt time.Time `db:"proposed_at"`
}

// Status is "accepted" once every bureau accepted, "declined" once any
// declined, else "proposed".
func (v JointVisit) Status() string {
	switch {
	case len(v.Declined) > 0:
		return "declined"
	case len(v.Accepted) == len(v.Bureaus):
		return "accepted"
	}
	return "proposed"
}

// JointVisitStore keeps joint-visit proposals.
type JointVisitStore interface {
	// ProposeJointVisit records a proposal for an overlap of the quarter;
	// NOT_FOUND when the entity is not drawn by two bureaus then.
	ProposeJointVisit(ctx context.Context, actor *authz.Actor, year, quarter int, entityCode string) (JointVisit, error)
	// AnswerJointVisit records the acting bureau's answer, once.
	AnswerJointVisit(ctx context.Context, actor *authz.Actor, id int64, accept bool) (JointVisit, error)
	JointVisits(ctx context.Context, actor *authz.Actor, year, quarter int, p page.Request) ([]JointVisit, error)
	// JointVisit reads one proposal the actor may see; NOT_FOUND otherwise.
	JointVisit(ctx context.Context, actor *authz.Actor, id int64) (JointVisit, error)
	CountJointVisits(ctx context.Context, actor *authz.Actor, year, quarter int) (int, error)
}

// ProposeJointVisit proposes one joint visit for an overlap of the quarter
// (the joint office, draw:coordinate). CONFLICT if proposed already.
func (s *Service) ProposeJointVisit(ctx context.Context, year, quarter int, entityCode string) (JointVisit, error) {
	actor, err := s.Authz.Require(ctx, "draw:coordinate")
	if err != nil {
		return JointVisit{}, err
	}
	if quarter < 1 || quarter > 4 {
		return JointVisit{}, errs.InvalidField("input.quarter", "must be 1 to 4")
	}
	return s.JointVisits.ProposeJointVisit(ctx, actor, year, quarter, strings.ToUpper(strings.TrimSpace(entityCode)))
}

// AnswerJointVisit accepts or declines a proposal naming the acting bureau
// (draw:participate). NOT_FOUND if it names another; CONFLICT if answered.
func (s *Service) AnswerJointVisit(ctx context.Context, id int64, accept bool) (JointVisit, error) {
	actor, err := s.Authz.Require(ctx, "draw:participate")
	if err != nil {
		return JointVisit{}, err
	}
	return s.JointVisits.AnswerJointVisit(ctx, actor, id, accept)
}

// JointVisit returns one proposal the acting bureau may see, as
// ListJointVisits lists them (draw:read): NOT_FOUND for a proposal of
// another region or one that names neither the bureau nor, for a joint
// office, is its own.
func (s *Service) JointVisit(ctx context.Context, id int64) (JointVisit, error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return JointVisit{}, err
	}
	return s.JointVisits.JointVisit(ctx, actor, id)
}

// ListJointVisits lists the quarter's proposals the acting bureau may see:
// the joint office's own, or those naming the bureau.
func (s *Service) ListJointVisits(ctx context.Context, year, quarter int, p page.Request) (*page.Connection[JointVisit], error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := s.JointVisits.JointVisits(ctx, actor, year, quarter, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(v JointVisit) string { return v.EntityCode }).Counted(func(ctx context.Context) (int, error) {
		return s.JointVisits.CountJointVisits(ctx, actor, year, quarter)
	}), nil
}
