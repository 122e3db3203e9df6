package postgres_test

import (
	"testing"

	"shuangsuiji/internal/roster"
)

// wantRosterTalliesMatch fails unless roster_tallies (migration 00023)
// holds what counting the roster afresh gives.
func wantRosterTalliesMatch(t *testing.T, s seededDB) {
	t.Helper()
	const q = `
WITH counted AS (
    SELECT bureau_id, risk_class, abnormal_operations, serious_violation, complaints, last_penalty_date, focus_found_on, count(*) AS n
    FROM roster_entries WHERE valid_to IS NULL AND status = 'active' GROUP BY 1, 2, 3, 4, 5, 6, 7),
kept AS (
    SELECT bureau_id, risk_class, abnormal_operations, serious_violation, complaints, last_penalty_date, focus_found_on, n
    FROM roster_tallies WHERE n <> 0)
SELECT count(*) FROM ((TABLE counted EXCEPT TABLE kept) UNION ALL (TABLE kept EXCEPT TABLE counted)) d`
	if n := count(t, s, q); n != 0 {
		t.Errorf("roster_tallies differs from the roster in %d groups", n)
	}
}

// TestRosterTalliesFollowTheRoster: the roster's counts by the facts the
// dashboard's strata read follow imports that add entries, change their
// facts and deregister them, and entries removed by the owner.
func TestRosterTalliesFollowTheRoster(t *testing.T) {
	s := newSeeded(t)
	wantRosterTalliesMatch(t, s) // the demo, counted by the migration
	planner := actingAs(t, s, "wl-planner")
	a, b, c := testUSCC(t, 811), testUSCC(t, 812), testUSCC(t, 813)
	const header = "统一社会信用代码,名称,风险分类,经营异常名录,投诉次数,最近行政处罚日期,状态\n"
	importCSV(t, s, planner, roster.KindEntities, header+a+",甲,C,是,5,2025-06-30,在营\n"+b+",乙,B,否,0,,在营\n"+c+",丙,,否,1,,在营\n", false, nil)
	wantRosterTalliesMatch(t, s)
	importCSV(t, s, planner, roster.KindEntities, header+a+",甲,D,否,6,2025-07-01,在营\n"+b+",乙,B,否,0,,注销\n", false, nil)
	wantRosterTalliesMatch(t, s)
	if _, err := s.Exec(`DELETE FROM roster_entries WHERE entity_code = $1`, c); err != nil {
		t.Fatal(err)
	}
	wantRosterTalliesMatch(t, s)
}
