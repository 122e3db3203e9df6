package record

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/workday"
)

// Key names a task item: the record of (draw, seq, item) of the acting bureau.
type Key struct {
	DrawID   int64
	Seq      int
	ItemCode string
}

// Cutoffs turn deadlines into end dates, so that a store can select
// overdue and due-soon tasks without the calendar: for n working days,
// a task is overdue when its inspection ended before Overdue[n], and due
// by the horizon when it ended before DueBy[n]. Index 0 is unused.
type Cutoffs struct {
	Overdue []time.Time
	DueBy   []time.Time
}

// MaxPublishWithinDays bounds a plan's working days to publish.
const MaxPublishWithinDays = 120

// Store keeps tasks' records. Every method runs as the serving role in the
// actor's bureau, in one transaction; records of another bureau are
// NOT_FOUND to writers.
type Store interface {
	// Tasks returns a page of the bureau's tasks (of executed draws it
	// takes part in), by draw and sequence; with f.Mine, only those whose
	// current team holds the actor.
	Tasks(ctx context.Context, actor *authz.Actor, f TaskFilter, cut Cutoffs, p page.Request) ([]Task, error)
	// CountTasks counts every page of Tasks.
	CountTasks(ctx context.Context, actor *authz.Actor, f TaskFilter, cut Cutoffs) (int, error)
	// Task returns one task: NOT_FOUND if the bureau takes no part in it.
	Task(ctx context.Context, actor *authz.Actor, drawID int64, seq int) (Task, error)
	// Save creates or changes the bureau's record of a task item, while it
	// is a draft or returned; FORBIDDEN unless the actor is on the task's
	// current team; rules checks the record as it would be stored.
	Save(ctx context.Context, actor *authz.Actor, key Key, e Entry, revision *int, check func(Record, Rules) error) (Record, error)
	// Correct starts a correction of a published record: a new draft that
	// points at it, entered by the task's current team.
	Correct(ctx context.Context, actor *authz.Actor, id int64, reason string, e Entry, check func(Record, Rules) error) (Record, error)
	// Move changes a record's state from one of from to to, by the rules
	// of the move (team member or reviewer), CONFLICT when the record is
	// not in a from state or its revision is not the expected one.
	Move(ctx context.Context, actor *authz.Actor, id int64, m Move) (Record, error)
	// Publish publishes approved records and applies their consequences,
	// all or nothing; published ones are passed over (a retried publication).
	Publish(ctx context.Context, actor *authz.Actor, ids []int64) ([]Record, error)
	Record(ctx context.Context, actor *authz.Actor, id int64) (Record, error)
	Records(ctx context.Context, actor *authz.Actor, f RecordFilter, p page.Request) ([]Record, error)
	// CountRecords counts every page of Records.
	CountRecords(ctx context.Context, actor *authz.Actor, f RecordFilter) (int, error)
	RecordsOfTasks(ctx context.Context, actor *authz.Actor, tasks []Key) ([]Record, error)
	CodeTable(ctx context.Context, version int) (CodeTable, error)
	Methods(ctx context.Context) ([]string, error)
	AddEvidence(ctx context.Context, actor *authz.Actor, recordID int64, f EvidenceFile) (Evidence, error)
	RemoveEvidence(ctx context.Context, actor *authz.Actor, id int64) (Evidence, error)
	// Evidence reads one file of the bureau's records, without its content.
	Evidence(ctx context.Context, actor *authz.Actor, id int64) (Evidence, error)
	EvidenceOf(ctx context.Context, actor *authz.Actor, recordIDs []int64) ([]Evidence, error)
	// EvidenceContent returns a file of a record the actor's bureau keeps.
	EvidenceContent(ctx context.Context, actor *authz.Actor, id int64) (Evidence, []byte, error)
	ConsequencesOf(ctx context.Context, actor *authz.Actor, recordIDs []int64) ([]Consequence, error)
	// Decide confirms or rejects a proposed consequence (an admin).
	Decide(ctx context.Context, actor *authz.Actor, recordID int64, kind string, confirm bool, note string) (Consequence, error)
	// ProposedConsequences lists the proposals awaiting an admin.
	ProposedConsequences(ctx context.Context, actor *authz.Actor, p page.Request) ([]Consequence, error)
	CountProposedConsequences(ctx context.Context, actor *authz.Actor) (int, error)
}

// Move is a change of state: who may make it is the service's to check,
// whether it applies is the store's (under the row's lock).
type Move struct {
	Action   string // for the audit trail: record.submit, record.approve, record.return
	From     []State
	To       State
	Team     bool // the actor must be on the task's current team
	Reason   string
	Revision *int
}

// Service runs records. Methods start with the permission they need; the
// store checks team membership and tenancy in the same transaction as the
// change.
type Service struct {
	Store    Store
	Calendar *workday.Service
	Authz    *authz.Enforcer
	// Now is the clock (time.Now when nil), for tests at a fixed date.
	Now func() time.Time
}

func (s *Service) today() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return workday.Date(now().In(workday.China))
}

// Tasks lists the bureau's tasks (record:read), or with f.Mine the signed-in
// inspector's own (record:enter), each with its deadline.
func (s *Service) Tasks(ctx context.Context, f TaskFilter, p page.Request) (*page.Connection[Task], error) {
	perm := "record:read"
	if f.Mine {
		perm = "record:enter"
	}
	actor, err := s.Authz.Require(ctx, perm)
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(isTaskKey); err != nil {
		return nil, err
	}
	if f.DueWithin != nil && (*f.DueWithin < 0 || *f.DueWithin > 366) {
		return nil, errs.InvalidField("filter.dueWithin", "must be between 0 and 366 working days")
	}
	cal, err := s.Calendar.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	cut := s.cutoffs(cal, f)
	tasks, err := s.Store.Tasks(ctx, actor, f, cut, p)
	if err != nil {
		return nil, err
	}
	s.fillDeadlines(cal, tasks)
	return page.New(tasks, p, func(t Task) string { return fmt.Sprintf("%d/%d", t.DrawID, t.Seq) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountTasks(ctx, actor, f, cut)
	}), nil
}

// isTaskKey says whether a key is a task's: its draw's id and its number.
func isTaskKey(key string) bool {
	d, seq, ok := strings.Cut(key, "/")
	return ok && page.IsID(d) && page.IsNumber(seq)
}

// Task returns one task of the bureau (record:read), NOT_FOUND otherwise.
func (s *Service) Task(ctx context.Context, drawID int64, seq int) (Task, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return Task{}, err
	}
	t, err := s.Store.Task(ctx, actor, drawID, seq)
	if err != nil {
		return Task{}, err
	}
	cal, err := s.Calendar.Calendar(ctx)
	if err != nil {
		return Task{}, err
	}
	tasks := []Task{t}
	s.fillDeadlines(cal, tasks)
	return tasks[0], nil
}

func (s *Service) cutoffs(cal *workday.Calendar, f TaskFilter) Cutoffs {
	if f.Overdue == nil && f.DueWithin == nil {
		return Cutoffs{}
	}
	today := s.today()
	c := Cutoffs{Overdue: cal.EarliestEndsNotDueBefore(today, MaxPublishWithinDays)}
	if f.DueWithin != nil {
		horizon, _ := cal.After(today, *f.DueWithin)
		c.DueBy = cal.EarliestEndsNotDueBefore(horizon.AddDate(0, 0, 1), MaxPublishWithinDays)
	}
	return c
}

func (s *Service) fillDeadlines(cal *workday.Calendar, tasks []Task) {
	today := s.today()
	for i := range tasks {
		t := &tasks[i]
		due, provisional := cal.After(t.InspectionEnd, t.PublishWithinDays)
		t.Deadline = Deadline{Due: due, Provisional: provisional}
		if t.State != TaskPublished {
			t.Deadline.Overdue = due.Before(today)
			t.Deadline.WorkingDaysLeft = cal.Between(today, due)
		}
	}
}

// Save enters a record of a task item (record:enter): only an inspector
// on the task's current team, only the bureau's own items, only while the
// record is a draft or returned. BAD_USER_INPUT names the field at fault;
// NOT_FOUND for a task the bureau takes no part in; FORBIDDEN for an
// inspector not on the team; CONFLICT when the record is under review or
// published, or revision is stale.
func (s *Service) Save(ctx context.Context, key Key, e Entry, revision *int) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:enter")
	if err != nil {
		return Record{}, err
	}
	return s.Store.Save(ctx, actor, key, e, revision, s.check)
}

func (s *Service) check(r Record, rules Rules) error {
	rules.Today = s.today()
	return Validate(r, rules)
}

// Correct starts the correction of a published record (record:enter, on
// the task's current team): a new draft pointing at it, which goes through
// review and publication in turn. CONFLICT unless the record is published
// and not corrected yet.
func (s *Service) Correct(ctx context.Context, id int64, reason string, e Entry) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:enter")
	if err != nil {
		return Record{}, err
	}
	reason, err = ValidateReason("input.reason", reason)
	if err != nil {
		return Record{}, err
	}
	return s.Store.Correct(ctx, actor, id, reason, e, s.check)
}

// Submit hands a draft or returned record to review (待审核): record:enter,
// on the task's current team.
func (s *Service) Submit(ctx context.Context, id int64, revision *int) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:enter")
	if err != nil {
		return Record{}, err
	}
	return s.Store.Move(ctx, actor, id, Move{Action: "record.submit", From: []State{StateDraft, StateReturned},
		To: StateSubmitted, Team: true, Revision: revision})
}

// Approve approves a submitted record (record:review). Of two reviewers at
// once, one wins and the other gets CONFLICT.
func (s *Service) Approve(ctx context.Context, id int64, revision *int) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:review")
	if err != nil {
		return Record{}, err
	}
	return s.Store.Move(ctx, actor, id, Move{Action: "record.approve", From: []State{StateSubmitted},
		To: StateApproved, Revision: revision})
}

// Return sends a submitted record back to the team with a reason
// (record:review).
func (s *Service) Return(ctx context.Context, id int64, reason string, revision *int) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:review")
	if err != nil {
		return Record{}, err
	}
	reason, err = ValidateReason("input.reason", reason)
	if err != nil {
		return Record{}, err
	}
	return s.Store.Move(ctx, actor, id, Move{Action: "record.return", From: []State{StateSubmitted},
		To: StateReturned, Reason: reason, Revision: revision})
}

// MaxPublish is how many records one publication takes.
const MaxPublish = 10000

// Publish publishes approved records (record:publish) and applies their
// credit consequences, all or nothing. Records published already are
// passed over, so a retried publication changes nothing twice. CONFLICT
// names a record that is not approved; NOT_FOUND one of another bureau.
func (s *Service) Publish(ctx context.Context, ids []int64) ([]Record, error) {
	actor, err := s.Authz.Require(ctx, "record:publish")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxPublish {
		return nil, errs.InvalidField("input.ids", "give between 1 and %d records", MaxPublish)
	}
	return s.Store.Publish(ctx, actor, ids)
}

// Record returns a record the bureau may read (record:read): its own, or a
// partner's in a joint visit it takes part in.
func (s *Service) Record(ctx context.Context, id int64) (Record, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return Record{}, err
	}
	return s.Store.Record(ctx, actor, id)
}

// Records lists the bureau's own records (record:read), e.g. those awaiting
// review.
func (s *Service) Records(ctx context.Context, f RecordFilter, p page.Request) (*page.Connection[Record], error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	recs, err := s.Store.Records(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(recs, p, func(r Record) string { return fmt.Sprint(r.ID) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountRecords(ctx, actor, f)
	}), nil
}

// CodeTable returns a version of the result code table (0: the newest).
// Reference data: anyone signed in may read it.
func (s *Service) CodeTable(ctx context.Context, version int) (CodeTable, error) {
	if _, err := authz.RequireSignedIn(ctx); err != nil {
		return CodeTable{}, err
	}
	return s.Store.CodeTable(ctx, version)
}

// Methods lists the inspection methods a record may name.
func (s *Service) Methods(ctx context.Context) ([]string, error) {
	if _, err := authz.RequireSignedIn(ctx); err != nil {
		return nil, err
	}
	return s.Store.Methods(ctx)
}

// AddEvidence attaches a file to a draft or returned record (record:enter,
// on the task's current team). The file is checked before anything is
// stored: over MaxEvidenceBytes or of a type not in EvidenceTypes is
// BAD_USER_INPUT naming input.file.
func (s *Service) AddEvidence(ctx context.Context, recordID int64, filename string, content []byte) (Evidence, error) {
	actor, err := s.Authz.Require(ctx, "record:enter")
	if err != nil {
		return Evidence{}, err
	}
	f, err := CheckEvidence("input.file", filename, content)
	if err != nil {
		return Evidence{}, err
	}
	return s.Store.AddEvidence(ctx, actor, recordID, f)
}

// RemoveEvidence removes a file from a draft or returned record
// (record:enter, on the team); the audit trail keeps its name and hash.
func (s *Service) RemoveEvidence(ctx context.Context, id int64) (Evidence, error) {
	actor, err := s.Authz.Require(ctx, "record:enter")
	if err != nil {
		return Evidence{}, err
	}
	return s.Store.RemoveEvidence(ctx, actor, id)
}

// Evidence returns an evidence file of a record of the bureau, without
// its content (record:read); NOT_FOUND for anyone else's.
func (s *Service) Evidence(ctx context.Context, id int64) (Evidence, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return Evidence{}, err
	}
	return s.Store.Evidence(ctx, actor, id)
}

// EvidenceContent returns an evidence file of a record of the bureau
// (record:read); NOT_FOUND for anyone else's.
func (s *Service) EvidenceContent(ctx context.Context, id int64) (Evidence, []byte, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return Evidence{}, nil, err
	}
	return s.Store.EvidenceContent(ctx, actor, id)
}

// Decide confirms or rejects a proposed consequence of a published record
// (record:decide, an admin): confirming writes the roster entry's new
// version. CONFLICT when it was decided already.
func (s *Service) Decide(ctx context.Context, recordID int64, kind string, confirm bool, note string) (Consequence, error) {
	actor, err := s.Authz.Require(ctx, "record:decide")
	if err != nil {
		return Consequence{}, err
	}
	if kind != KindAbnormal {
		return Consequence{}, errs.InvalidField("input.kind", "only the abnormal-operations proposal waits for a decision")
	}
	if err := validateText("input.note", note); err != nil {
		return Consequence{}, err
	}
	return s.Store.Decide(ctx, actor, recordID, kind, confirm, note)
}

// ProposedConsequences lists proposals awaiting an admin (record:decide).
func (s *Service) ProposedConsequences(ctx context.Context, p page.Request) (*page.Connection[Consequence], error) {
	actor, err := s.Authz.Require(ctx, "record:decide")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(isConsequenceKey); err != nil {
		return nil, err
	}
	rows, err := s.Store.ProposedConsequences(ctx, actor, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(c Consequence) string { return fmt.Sprintf("%d/%s", c.RecordID, c.Kind) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountProposedConsequences(ctx, actor)
	}), nil
}

// isConsequenceKey says whether a key is a consequence's: its record's id
// and its kind.
func isConsequenceKey(key string) bool {
	id, kind, ok := strings.Cut(key, "/")
	return ok && page.IsID(id) && kind != ""
}

// EvidenceOf lists the evidence files of the records (record:read); only
// the bureau's own records have files it may see.
func (s *Service) EvidenceOf(ctx context.Context, recordIDs []int64) ([]Evidence, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return nil, err
	}
	return s.Store.EvidenceOf(ctx, actor, recordIDs)
}

// ConsequencesOf lists what publishing the records did (record:read).
func (s *Service) ConsequencesOf(ctx context.Context, recordIDs []int64) ([]Consequence, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return nil, err
	}
	return s.Store.ConsequencesOf(ctx, actor, recordIDs)
}

// RecordsOfTasks lists the records of tasks the bureau may read, its
// partners' in a joint visit included, corrections too (record:read).
func (s *Service) RecordsOfTasks(ctx context.Context, tasks []Key) ([]Record, error) {
	actor, err := s.Authz.Require(ctx, "record:read")
	if err != nil {
		return nil, err
	}
	return s.Store.RecordsOfTasks(ctx, actor, tasks)
}
