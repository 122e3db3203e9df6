package postgres

import (
	"fmt"
	"time"

	"shuangsuiji/internal/plan"
)

// stratumSQL is the SQL expression giving the stratum of roster entry r
// under the plan's focus rules at the instant (a parameter added to w):
// F for a focus entity (by the plan's rules, or with problems found by a
// published inspection in the year before), else its risk class, B when
// unclassified. It must agree with plan.Plan.StratumOf.
func stratumSQL(w *where, p plan.Plan, at time.Time) string {
	focus := "false"
	if p.Focus.AbnormalOperations {
		focus += " OR r.abnormal_operations"
	}
	if p.Focus.SeriousViolation {
		focus += " OR r.serious_violation"
	}
	if p.Focus.Complaints > 0 {
		focus += fmt.Sprintf(" OR r.complaints >= %d", p.Focus.Complaints)
	}
	if p.Focus.PenaltyMonths > 0 {
		since := w.param(at.AddDate(0, -p.Focus.PenaltyMonths, 0))
		focus += fmt.Sprintf(" OR r.last_penalty_date > %s::timestamptz", since)
	}
	// problems found in a published inspection (credit feedback) make the
	// entity focus for the following year's draws
	found := w.param(at.AddDate(-1, 0, 0))
	focus += fmt.Sprintf(" OR r.focus_found_on > %s::timestamptz", found)
	return fmt.Sprintf("(CASE WHEN %s THEN 'F' WHEN r.risk_class = '' THEN 'B' ELSE r.risk_class END)", focus)
}
