package roster

import (
	"context"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/page"
)

// Entity is a market entity (检查对象) of a region, shared by the region's
// bureaus, as one version of its record.
type Entity struct {
	RegionCode          string     `db:"region_code"`
	Code                string     `db:"code"`
	CodeKind            string     `db:"code_kind"` // "uscc" or "registration_number"
	Name                string     `db:"name"`
	LegalRepresentative string     `db:"legal_representative"`
	Address             string     `db:"address"`
	Version             int        `db:"version"`
	ValidFrom           time.Time  `db:"valid_from"`
	ValidTo             *time.Time `db:"valid_to"`
	ChangedBy           *int64     `db:"changed_by"`
	ChangedIn           *int64     `db:"changed_in"` // the bureau that made this version

	// AsOf is the instant the entity was read as of (nil: now), so that
	// its entries are read as of the same instant.
	AsOf *time.Time `db:"-"`
}

// Entry is one bureau's roster entry (名录库) for an entity, as one version.
type Entry struct {
	BureauID                int64      `db:"bureau_id"`
	EntityCode              string     `db:"entity_code"`
	Version                 int        `db:"version"`
	EntityType              string     `db:"entity_type"`
	LicenceType             string     `db:"licence_type"`
	LicenceNumber           string     `db:"licence_number"`
	Unit                    string     `db:"unit"`
	Status                  Status     `db:"status"`
	StatusSince             time.Time  `db:"status_since"`
	RiskClass               RiskClass  `db:"risk_class"`
	RiskClassSince          *time.Time `db:"risk_class_since"`
	AbnormalOperations      bool       `db:"abnormal_operations"`
	AbnormalOperationsSince *time.Time `db:"abnormal_operations_since"`
	SeriousViolation        bool       `db:"serious_violation"`
	SeriousViolationSince   *time.Time `db:"serious_violation_since"`
	Complaints              int        `db:"complaints"`
	ComplaintsSince         *time.Time `db:"complaints_since"`
	LastPenaltyDate         *time.Time `db:"last_penalty_date"`
	ValidFrom               time.Time  `db:"valid_from"`
	ValidTo                 *time.Time `db:"valid_to"`
	ChangedBy               *int64     `db:"changed_by"`
}

// RosterEntity is a row of a bureau's roster: the entity and the bureau's
// entry for it.
type RosterEntity struct {
	Entity Entity `db:"entity"`
	Entry  Entry  `db:"entry"`
}

// EntityFilter narrows a roster; empty fields match everything. AsOf reads
// the roster as it was at that instant instead of now.
//
// A filter added here must also be added to the roster's usual view in
// internal/postgres (rosterPageStatement), which reads without any.
type EntityFilter struct {
	Statuses     []Status
	RiskClasses  []RiskClass
	EntityType   string
	Unit         string
	Focus        *bool // on any focus list: abnormal operations, serious violation, complaints, recent penalty
	Search       string
	AsOf         *time.Time
	FocusPenalty time.Duration // how far back a penalty makes an entity focus (default 12 months)
}

// FocusComplaints is the complaint count that makes an entity focus (重点)
// in roster views; plans set their own threshold for draws.
const FocusComplaints = 3

// Focus reports whether the entry is on any focus list at the instant:
// abnormal operations, serious violation, FocusComplaints or more
// complaints, or a penalty within DefaultPenaltyWindow.
func (e Entry) Focus(at time.Time) bool {
	recentPenalty := e.LastPenaltyDate != nil && e.LastPenaltyDate.After(at.Add(-DefaultPenaltyWindow))
	return e.AbnormalOperations || e.SeriousViolation || e.Complaints >= FocusComplaints || recentPenalty
}

// DefaultPenaltyWindow is how long an administrative penalty keeps an entity
// among the focus (重点) entities.
const DefaultPenaltyWindow = 365 * 24 * time.Hour

// Counts are a roster's totals for dashboards.
type Counts struct {
	Total       int
	ByStatus    map[Status]int
	ByRiskClass map[RiskClass]int // "" counts the unclassified
	Focus       int
}

// ImportResult says what an import did, or would do on a dry run.
type ImportResult struct {
	Kind      Kind
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	DryRun    bool
	// Of a dry run: how many fields it would clear, and the first
	// MaxListedChanges of its changes (all of them go to
	// ImportMeta.Changes when one is given).
	Cleared        int
	Changes        []FieldChange
	ChangesLeftOut int
}

// FieldChange is one field an import changes, or would change: from → to,
// in the words the database keeps ("active", "true", "2026-01-02").
type FieldChange struct {
	Row   int    // the row of the file; 0 for a form
	Key   string // the entity's code or the inspector's certificate number
	Field string // the column key: "risk_class"
	From  string // "" when new or empty
	To    string // "" when cleared
}

// Cleared reports whether the change empties a field that held something.
func (c FieldChange) Cleared() bool { return !emptyValue(c.From) && emptyValue(c.To) }

func emptyValue(s string) bool { return s == "" || s == "false" || s == "0" }

// ChangeSink receives the changes of a dry run as the store finds them,
// so that a list of 100,000 rows is never held at once.
type ChangeSink interface {
	// Cleared is called first, once: how many fields the import would
	// clear.
	Cleared(n int) error
	// Change is called for each field change, by row.
	Change(c FieldChange) error
}

// MaxListedChanges is how many changes a dry run's result lists.
const MaxListedChanges = 500

// changeList keeps the first MaxListedChanges changes and counts the rest,
// passing each on to next if there is one.
type changeList struct {
	res  *ImportResult
	next ChangeSink
}

func (l changeList) Cleared(n int) error {
	l.res.Cleared = n
	if l.next != nil {
		return l.next.Cleared(n)
	}
	return nil
}

func (l changeList) Change(c FieldChange) error {
	if len(l.res.Changes) < MaxListedChanges {
		l.res.Changes = append(l.res.Changes, c)
	} else {
		l.res.ChangesLeftOut++
	}
	if l.next != nil {
		return l.next.Change(c)
	}
	return nil
}

// EntityStore keeps entities and roster entries. Every method runs as the
// serving role in the actor's bureau.
type EntityStore interface {
	// ListEntities returns a page of the bureau's roster by entity code.
	ListEntities(ctx context.Context, actor *authz.Actor, f EntityFilter, p page.Request) ([]RosterEntity, error)
	// EntityByCode returns the region's entity (NOT_FOUND outside the region).
	EntityByCode(ctx context.Context, actor *authz.Actor, code string, asOf *time.Time) (Entity, error)
	// EntriesOf returns, for each code, the entries the actor may see: their
	// bureau's, or every bureau's of the region for a joint office.
	EntriesOf(ctx context.Context, actor *authz.Actor, codes []string, asOf *time.Time) ([]Entry, error)
	CountEntities(ctx context.Context, actor *authz.Actor, f EntityFilter) (Counts, error)
	// RosterEntity returns the entity and the bureau's current entry for
	// it (NOT_FOUND when it is not on the bureau's roster).
	RosterEntity(ctx context.Context, actor *authz.Actor, code string) (RosterEntity, error)
	// ImportEntities applies the rows (all or nothing): a field a row does
	// not give (EntityRow.Given) keeps what the roster has, and the
	// region's shared record (name, legal representative, address)
	// changes only for entities already on the acting bureau's roster;
	// another bureau's entity is linked, not overwritten. A dry run
	// sends its changes to meta.Changes and rolls back.
	ImportEntities(ctx context.Context, actor *authz.Actor, rows []EntityRow, meta ImportMeta) (ImportResult, error)
	ExportEntities(ctx context.Context, actor *authz.Actor, asOf *time.Time) ([]EntityRow, error)
	// EntityHistory lists every version of the region's entity, oldest
	// first, each naming the bureau that made it.
	EntityHistory(ctx context.Context, actor *authz.Actor, code string, p page.Request) ([]Entity, error)
	// CountEntityHistory counts every page of EntityHistory.
	CountEntityHistory(ctx context.Context, actor *authz.Actor, code string) (int, error)
	// EntryHistory lists every version of the bureau's entry, oldest first.
	EntryHistory(ctx context.Context, actor *authz.Actor, code string, p page.Request) ([]Entry, error)
	// CountEntryHistory counts every page of EntryHistory.
	CountEntryHistory(ctx context.Context, actor *authz.Actor, code string) (int, error)
}

// ImportMeta describes an import for the audit trail.
type ImportMeta struct {
	Filename string
	SHA256   string
	DryRun   bool
	// Changes receives a dry run's changes (nil: none are listed).
	Changes ChangeSink
}

func (s Status) valid() bool {
	switch s {
	case StatusActive, StatusSuspended, StatusDeregistered, StatusRevoked, StatusMoved:
		return true
	}
	return false
}

func (r RiskClass) valid() bool {
	switch r {
	case "", RiskA, RiskB, RiskC, RiskD:
		return true
	}
	return false
}
