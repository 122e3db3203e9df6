package server_test

import "testing"

// The authorization matrix rows of dashboards and histories: leaders,
// planners, reviewers, admins and coordinators read them, inspectors do
// not. TestDashboardAuthorization and TestInspectionHistoryAcrossBureaus
// check the other-region and not-involved cases on a county of their own.
func init() {
	operations = append(operations,
		operation{
			name: "dashboard", query: `{ dashboard(year: 2026) { bureaus { bureau { code } rosterSize covered tasks { total } } joint { quarter } } }`,
			allowed: "wl-leader", forbidden: "wl-inspector1",
			otherBureau: func(t *testing.T, r response) { mustNotMention(t, r, "140522-wl") },
		},
		operation{
			name: "inspectionHistory", query: `{ inspectionHistory(entityCode: "91140522MA0K000001") { entityCode visits { nodes { title } } } }`,
			allowed: "wl-reviewer", forbidden: "wl-inspector1",
		},
	)
}
