// Package plan is a bureau's annual inspection plan (年度抽查计划): how many
// draws a year, the share of the roster each draw must cover, per stratum,
// the coverage the year must reach, the yearly cap on inspections of one
// entity, and what makes an entity a focus (重点) entity.
//
// Strata are the credit-risk classes A 低, B 一般, C 较高, D 高 (国市监信发
// 〔2022〕6号) and F 重点: entities on the abnormal-operations list, the
// serious-violation list, with many complaints or a recent administrative
// penalty. An unclassified entity counts as B. Ratios are basis points
// (万分之一): 3% is 300.
package plan

import (
	"fmt"
	"time"
)

// Stratum labels, in the order draws walk them.
var Strata = []string{"A", "B", "C", "D", "F"}

// StratumRule is what a plan asks of one stratum.
type StratumRule struct {
	RatioBP int `json:"ratio_bp"` // share of the stratum each draw takes, basis points
	Min     int `json:"min"`      // at least this many per draw while any are eligible
	Cap     int `json:"cap"`      // at most this many inspections of one entity a year, by all bureaus
}

// FocusRules say what puts an entity in stratum F.
type FocusRules struct {
	AbnormalOperations bool // on the 经营异常名录
	SeriousViolation   bool // on the 严重违法失信名单
	Complaints         int  // this many complaints or more
	PenaltyMonths      int  // an administrative penalty within this many months (0: never)
}

// Plan is a bureau's plan for a year.
type Plan struct {
	ID             int64
	BureauID       int64
	Year           int
	DrawsPerYear   int
	MinDrawRatioBP int
	MinCoverageBP  int
	Strata         map[string]StratumRule
	Focus          FocusRules
	// PublishWithinDays is how many working days after an inspection ends
	// its results must be published (公示时限, 20 by 企业信息公示暂行条例 Art. 6).
	PublishWithinDays int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Defaults is the plan a bureau gets unless it says otherwise: four
// draws, 3% a draw, 20% a year; A 3%, B 5%, C 10%, D 30%, F 50%; caps A
// and B 1, C 2, D and F 4.
func Defaults(year int) Plan {
	return Plan{
		Year: year, DrawsPerYear: 4, MinDrawRatioBP: 300, MinCoverageBP: 2000, PublishWithinDays: 20,
		Strata: map[string]StratumRule{
			"A": {RatioBP: 300, Min: 1, Cap: 1},
			"B": {RatioBP: 500, Min: 1, Cap: 1},
			"C": {RatioBP: 1000, Min: 1, Cap: 2},
			"D": {RatioBP: 3000, Min: 1, Cap: 4},
			"F": {RatioBP: 5000, Min: 1, Cap: 4},
		},
		Focus: FocusRules{AbnormalOperations: true, SeriousViolation: true, Complaints: 3, PenaltyMonths: 12},
	}
}

// StratumOf is the stratum of an entity with these flags at the instant;
// postgres.stratumSQL is its SQL twin.
func (p Plan) StratumOf(riskClass string, abnormal, serious bool, complaints int, lastPenalty *time.Time, at time.Time) string {
	f := p.Focus
	recent := f.PenaltyMonths > 0 && lastPenalty != nil && lastPenalty.After(at.AddDate(0, -f.PenaltyMonths, 0))
	switch {
	case f.AbnormalOperations && abnormal, f.SeriousViolation && serious,
		f.Complaints > 0 && complaints >= f.Complaints, recent:
		return "F"
	case riskClass == "":
		return "B"
	}
	return riskClass
}

// DrawQuota is how many entities one draw takes by the spec's formula:
// per stratum, the ratio of the whole stratum in scope (frame), at least
// its minimum while any are eligible, at most the eligible.
func (p Plan) DrawQuota(frame, eligible map[string]int) int {
	total := 0
	for label, rule := range p.Strata {
		e := eligible[label]
		if e == 0 {
			continue
		}
		total += min(e, max(rule.Min, ceilDiv(rule.RatioBP*frame[label], 10000)))
	}
	return total
}

// CheckDrawRatio refuses a draw that would take less than the plan's
// minimum share of the roster in scope, with the figures.
func (p Plan) CheckDrawRatio(frame, eligible map[string]int) error {
	size := 0
	for _, n := range frame {
		size += n
	}
	quota := p.DrawQuota(frame, eligible)
	if size == 0 || quota*10000 >= p.MinDrawRatioBP*size {
		return nil
	}
	return fmt.Errorf("the draw would take %d of the %d entities in scope (%s), below the plan's minimum of %s a draw: "+
		"too many are excluded (not active, or at their yearly cap); widen the scope or raise the strata ratios",
		quota, size, percent(basisPoints(quota, size)), percent(p.MinDrawRatioBP))
}
