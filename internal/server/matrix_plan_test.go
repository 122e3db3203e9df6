package server_test

import (
	"strings"
	"testing"
)

// The authorization matrix rows of annual plans (年度抽查计划). Every
// member reads plans; planners and admins save them. A query's other-bureau
// case needs a plan of 140522-wl to hide, which a fresh database has not:
// TestPlansOtherBureau saves one and runs plan, plans and planProgress as
// 140522-sj and as the joint office.
func init() {
	operations = append(operations,
		operation{
			name: "plan", query: `{ plan(year: 2026) { year isDefault drawsPerYear strata { stratum ratioBasisPoints } } }`,
			allowed: "wl-inspector1",
		},
		operation{
			name: "plans", query: `{ plans { year drawsPerYear } }`,
			allowed: "wl-reviewer",
		},
		operation{
			name: "planProgress", query: `{ planProgress(year: 2026) { rosterSize covered coverageBasisPoints quarters { quarter covered } } }`,
			allowed: "wl-leader",
		},
		operation{
			name:  "savePlan",
			query: `mutation($in: SavePlanInput!) { savePlan(input: $in) { changed plan { year drawsPerYear minCoverageBasisPoints } } }`,
			vars:  map[string]any{"in": map[string]any{"year": 2026, "drawsPerYear": 5, "minCoverageBasisPoints": 1987}},
			// sj saving the same year makes sj's own plan: had it found
			// wl's, identical, it would answer changed: false.
			allowed: "wl-planner", forbidden: "wl-inspector1",
			otherBureau: func(t *testing.T, r response) {
				if !strings.Contains(string(r.Data), `"changed":true`) {
					t.Fatalf("sj's save did not create sj's own plan: %s", r.Data)
				}
			},
		},
	)
}
