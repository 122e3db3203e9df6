package graph

import (
	"time"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/plan"
)

// planIn is the plan an input asks for: the defaults of its year, with
// every field the input gives replacing its default.
func planIn(in model.SavePlanInput) plan.Plan {
	p := plan.Defaults(in.Year)
	set(&p.DrawsPerYear, in.DrawsPerYear)
	set(&p.PublishWithinDays, in.PublishWithinDays)
	set(&p.MinDrawRatioBP, in.MinDrawRatioBasisPoints)
	set(&p.MinCoverageBP, in.MinCoverageBasisPoints)
	if s := in.Strata; s != nil {
		for h, r := range map[string]*model.StratumRuleInput{"A": s.A, "B": s.B, "C": s.C, "D": s.D, "F": s.F} {
			if r == nil {
				continue
			}
			rule := p.Strata[h]
			set(&rule.RatioBP, r.RatioBasisPoints)
			set(&rule.Min, r.MinPerDraw)
			set(&rule.Cap, r.CapPerYear)
			p.Strata[h] = rule
		}
	}
	if f := in.Focus; f != nil {
		set(&p.Focus.AbnormalOperations, f.AbnormalOperations)
		set(&p.Focus.SeriousViolation, f.SeriousViolation)
		set(&p.Focus.Complaints, f.ComplaintThreshold)
		set(&p.Focus.PenaltyMonths, f.PenaltyMonths)
	}
	return p
}

// set replaces *dst with *v when v is given.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// savedAt is a saved plan's time, nil for the defaults.
func savedAt(p *plan.Plan, t time.Time) *time.Time {
	if p.IsDefault() {
		return nil
	}
	return &t
}

// checkedBP is a feasibility figure, nil when there was nothing to check.
func checkedBP(f *plan.Feasibility, bp int) *int {
	if !f.Checked() {
		return nil
	}
	return &bp
}
