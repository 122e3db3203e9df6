package record

import "time"

// TaskState is where a task is for one bureau, from the records of its
// items: the least advanced of them decides (a returned record first, so
// that it is not missed).
type TaskState string

// The states of a task, least advanced first.
const (
	TaskReturned   TaskState = "returned"    // a record was sent back (退回)
	TaskNotEntered TaskState = "not_entered" // an item has no submitted record yet (未录入)
	TaskSubmitted  TaskState = "submitted"   // every item submitted, some awaiting review (待审核)
	TaskApproved   TaskState = "approved"    // every item approved, some not yet published (已审核)
	TaskPublished  TaskState = "published"   // every item published (已公示)
)

// Task is a drawn entity as one bureau sees it: what to check, who goes,
// and by when the results must be published.
type Task struct {
	DrawID      int64     `db:"draw_id"`
	Seq         int       `db:"seq"`
	DrawTitle   string    `db:"draw_title"`
	Joint       bool      `db:"joint"`
	EntityCode  string    `db:"entity_code"`
	EntityName  string    `db:"entity_name"`
	Address     string    `db:"address"`
	Unit        string    `db:"unit"` // the bureau's jurisdiction unit (属地所/中队) of the entity
	WindowStart time.Time `db:"window_start"`
	WindowEnd   time.Time `db:"window_end"`
	State       TaskState `db:"state"`
	// InspectionEnd is the last inspection date recorded for the task by
	// the bureau, or the window's end while nothing is recorded.
	InspectionEnd time.Time `db:"inspection_end"`
	// PublishWithinDays is the plan's working days to publish (20 by default).
	PublishWithinDays int        `db:"publish_within_days"`
	Items             []TaskItem `db:"-"`
	Team              []TeamMember
	Deadline          Deadline
}

// TaskItem is an item the bureau checks at the visit, with its record.
type TaskItem struct {
	DrawID   int64  `db:"draw_id"`
	Seq      int    `db:"seq"`
	Code     string `db:"item_code"`
	Version  int    `db:"item_version"`
	Name     string `db:"item_name"`
	RecordID *int64 `db:"record_id"`
	State    *State `db:"state"` // nil: no record yet
}

// TeamMember is an inspector of a task's current team.
type TeamMember struct {
	BureauCode  string
	BureauName  string
	Certificate string
	Name        string // "" when the viewer may not know it
	// SubstitutedIn says the inspector replaced a drawn one.
	SubstitutedIn bool
}

// Deadline is the publication deadline of a task (公示时限): PublishWithinDays
// working days after the inspection ends.
type Deadline struct {
	Due time.Time
	// Provisional: a year on the way is in neither the library's calendar
	// nor the admin's overrides, so weekends alone were counted there.
	Provisional bool
	// Overdue: due before today and not published.
	Overdue bool
	// WorkingDaysLeft counts the working days after today up to Due (0
	// when due today or overdue).
	WorkingDaysLeft int
}

// TaskFilter narrows a list of tasks. Mine keeps the tasks whose current
// team holds the signed-in inspector. Overdue and DueWithin select by
// deadline among tasks not yet published.
type TaskFilter struct {
	Mine        bool
	States      []TaskState
	DrawID      *int64
	WindowFrom  *time.Time // windows ending on or after
	WindowTo    *time.Time // windows starting on or before
	Overdue     *bool
	DueWithin   *int // working days from today
	EntityQuery string
}
