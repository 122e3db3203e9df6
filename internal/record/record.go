// Package record is what happens between a draw's ceremony and 公示: the
// inspectors' tasks, the inspection records (检查记录) they enter, their
// review and publication, the publication deadline, and the credit
// feedback publishing sends to the roster.
//
// Vocabulary:
//   - A task is one drawn entity of a draw (draw_tasks), seen by one bureau:
//     its items to check, its current team (as drawn, substitutions
//     applied), its state and its publication deadline.
//   - A record is one bureau's result for one item of a task: result codes
//     from the versioned code table, methods, findings, disposal (后续处置)
//     and its follow-up, the inspection date and evidence files.
//   - 谁检查、谁录入: only an inspector on the task's current team enters
//     or submits its records, and in a joint visit each bureau only its
//     own items. 谁审核: a reviewer approves, returns (with a reason) and
//     publishes. A published record never changes; a correction is a new
//     record that points at the one it corrects and is published in turn.
//   - Consequences: publishing a record applies its codes' consequences
//     to the bureau's roster entry of the entity, once, as new entry
//     versions naming the record (an abnormal-operations listing is only
//     proposed, for an admin to confirm or reject).
package record

import (
	"time"
)

// State is where a record is: draft (未录入, being entered) → submitted
// (待审核) → returned (退回, back to the team with a reason) or approved
// (已审核) → published (已公示).
type State string

// The states of a record.
const (
	StateDraft     State = "draft"
	StateSubmitted State = "submitted"
	StateReturned  State = "returned"
	StateApproved  State = "approved"
	StatePublished State = "published"
)

// Label is the state's name in the national system.
func (s State) Label() string {
	switch s {
	case StateDraft:
		return "未录入"
	case StateSubmitted:
		return "待审核"
	case StateReturned:
		return "退回"
	case StateApproved:
		return "已审核"
	case StatePublished:
		return "已公示"
	}
	return string(s)
}

// Editable reports whether the team may still change a record in s.
func (s State) Editable() bool { return s == StateDraft || s == StateReturned }

// Consequence kinds of a result code: what publishing a record with the
// code does to the entity's roster entry.
const (
	ConsequenceProposeAbnormal = "propose_abnormal" // propose the abnormal-operations list (经营异常名录)
	ConsequenceFocus           = "focus"            // problems found: focus (重点, stratum F) next year
	ConsequenceDeregistered    = "deregistered"     // status deregistered (已注销)
	ConsequenceRevoked         = "revoked"          // status revoked (被吊销, 被撤销)
	ConsequenceMoved           = "moved"            // status moved (迁出)
)

// ResultCode is one entry of the result code table.
type ResultCode struct {
	Version     int    `db:"version"`
	Code        string `db:"code"`
	Label       string `db:"label"`
	Position    int    `db:"position"`
	Consequence string `db:"consequence"`
	Exclusive   bool   `db:"exclusive"` // stands alone on a record (未发现问题)
}

// CodeTable is one version of the result code table, codes in order.
type CodeTable struct {
	Version int
	Codes   []ResultCode
}

// Lookup returns the code named c.
func (t CodeTable) Lookup(c string) (ResultCode, bool) {
	for _, rc := range t.Codes {
		if rc.Code == c {
			return rc, true
		}
	}
	return ResultCode{}, false
}

// FollowUp is the follow-up of a disposal (后续处置): none, open (with an
// optional due date) or closed (on a date).
type FollowUp struct {
	Status   string     `db:"follow_up"` // "none", "open", "closed"
	Due      *time.Time `db:"follow_up_due"`
	ClosedOn *time.Time `db:"follow_up_closed_on"`
	Note     string     `db:"follow_up_note"`
}

// The follow-up statuses.
const (
	FollowUpNone   = "none"
	FollowUpOpen   = "open"
	FollowUpClosed = "closed"
)

// Record is one bureau's inspection record of one item of a task.
type Record struct {
	ID               int64      `db:"id"`
	BureauID         int64      `db:"bureau_id"`
	BureauCode       string     `db:"bureau_code"`
	RegionCode       string     `db:"region_code"`
	DrawID           int64      `db:"draw_id"`
	Seq              int        `db:"seq"`
	EntityCode       string     `db:"entity_code"`
	EntityName       string     `db:"entity_name"`
	ItemCode         string     `db:"item_code"`
	ItemVersion      int        `db:"item_version"`
	ItemName         string     `db:"item_name"`
	CodeVersion      int        `db:"code_version"`
	ResultCodes      []string   `db:"-"`
	Methods          []string   `db:"-"`
	Findings         string     `db:"findings"`
	Disposal         string     `db:"disposal"`
	FollowUp         FollowUp   `db:"-"`
	InspectedOn      time.Time  `db:"inspected_on"`
	State            State      `db:"state"`
	Revision         int        `db:"revision"`
	ReturnReason     string     `db:"return_reason"`
	Corrects         *int64     `db:"corrects"`
	CorrectionReason string     `db:"correction_reason"`
	CorrectedBy      *int64     `db:"corrected_by"` // the record correcting this one, if any
	CreatedBy        int64      `db:"created_by"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedBy        int64      `db:"updated_by"`
	UpdatedAt        time.Time  `db:"updated_at"`
	SubmittedBy      *int64     `db:"submitted_by"`
	SubmittedAt      *time.Time `db:"submitted_at"`
	ReviewedBy       *int64     `db:"reviewed_by"`
	ReviewedAt       *time.Time `db:"reviewed_at"`
	PublishedBy      *int64     `db:"published_by"`
	PublishedAt      *time.Time `db:"published_at"`
}

// Evidence is a file attached to a record (证据材料); its content is served
// separately, to those who may see the record.
type Evidence struct {
	ID          int64     `db:"id"`
	RecordID    int64     `db:"record_id"`
	Filename    string    `db:"filename"`
	ContentType string    `db:"content_type"`
	Size        int       `db:"size_bytes"`
	SHA256      string    `db:"sha256"`
	UploadedBy  int64     `db:"uploaded_by"`
	UploadedAt  time.Time `db:"uploaded_at"`
}

// Consequence kinds as stored: which part of the roster entry changed.
const (
	KindAbnormal = "abnormal_operations"
	KindFocus    = "focus"
	KindStatus   = "status"
)

// Consequence states: applied at once, or proposed and then decided.
const (
	ConsequenceApplied   = "applied"
	ConsequenceProposed  = "proposed"
	ConsequenceConfirmed = "confirmed"
	ConsequenceRejected  = "rejected"
	ConsequenceSkipped   = "skipped"   // nothing to change: the entity is not on the bureau's roster
	ConsequenceWithdrawn = "withdrawn" // a published correction no longer carries it; the roster is put back
)

// Consequence is what publishing a record did (or proposes to do) to the
// bureau's roster entry of the entity.
type Consequence struct {
	RecordID     int64      `db:"record_id"`
	Kind         string     `db:"kind"`
	EntityCode   string     `db:"entity_code"`
	Status       string     `db:"status"` // the new status, for KindStatus
	State        string     `db:"state"`
	Note         string     `db:"note"`
	EntryVersion *int       `db:"entry_version"`
	CreatedAt    time.Time  `db:"created_at"`
	DecidedBy    *int64     `db:"decided_by"`
	DecidedAt    *time.Time `db:"decided_at"`
}

// RecordFilter narrows a bureau's records.
type RecordFilter struct {
	States     []State
	DrawID     *int64
	EntityCode string
}
