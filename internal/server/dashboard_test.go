package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/postgres"
)

// dashboardFixture builds, as the schema owner, a county of its own
// (140525 泽州县) whose year 2025 is counted by hand below: a culture-
// and-tourism bureau Z-W, a market-supervision bureau Z-S and their joint
// office Z-J, each with a leader (Z-W also an inspector). The service's
// clock stands at 2026-01-05, so most of 2025's unpublished tasks are
// overdue.
//
// Z-W's roster (10 active): E01–E04 A, E05 B, E06 B, E07 unclassified
// (B), E08 C, E09 D, E10 A on the abnormal-operations list (F); E11 is
// deregistered. Its plan of 2025 gives 5 working days to publish.
// Z-S's roster (5 active, all B): E08, E09, S01, S02, S03; no plan.
//
// Draws of 2025 (executed unless said):
//
//	D1 Z-W Q1 (03-01–03-31): E01 A, E05 B, E10 F
//	D2 Z-W Q2 (06-01–06-30): E01 A, E02 A, E08 C
//	D3 Z-W Q3 joint with Z-S (09-01–09-30): E09 D (both visit), S01 B (Z-S only)
//	D4 Z-S Q2 (06-01–06-30): E08 B, S02 B
//	D5 Z-W Q4 (12-01–12-31): E03 A
//	D6 Z-W Q4, frozen only: nothing counted
//
// Records (one item per bureau and task):
//
//	Z-W: D1 E01 published 未发现问题; D1 E05 published 发现问题已责令改正+待后续处理, with a
//	     correction submitted; D1 E10 approved; D2 E01 submitted; D2 E02 returned;
//	     D2 E08 submitted; D3 E09 draft. Z-S: D3 E09 published 未发现问题; D3 S01 submitted; D4 S02 approved.
//
// The joint office proposed a joint visit of E08 (Q2 overlap), which Z-W accepted.
func dashboardFixture(t *testing.T, e *env) {
	t.Helper()
	stmts := []string{
		`INSERT INTO regions (code, name) VALUES ('140525', '泽州县')`,
		`INSERT INTO bureaus (code, region_code, name, kind) VALUES
		    ('140525-wl', '140525', '泽州县文化和旅游局', 'culture_tourism'),
		    ('140525-sj', '140525', '泽州县市场监督管理局', 'market_supervision'),
		    ('140525-lh', '140525', '泽州县双随机联合抽查办公室', 'joint_office')`,
		`INSERT INTO users (username, display_name, password_hash)
		 SELECT v.u, v.u, w.password_hash FROM users w,
		 (VALUES ('zz-wl-leader'), ('zz-wl-inspector'), ('zz-sj-leader'), ('zz-lh-leader')) v(u) WHERE w.username = 'wl-planner'`,
		`INSERT INTO members (bureau_id, user_id, role)
		 SELECT b.id, u.id, v.role FROM (VALUES ('140525-wl', 'zz-wl-leader', 'leader'), ('140525-wl', 'zz-wl-inspector', 'inspector'),
		     ('140525-sj', 'zz-sj-leader', 'leader'), ('140525-lh', 'zz-lh-leader', 'leader')) v(b, u, role)
		 JOIN bureaus b ON b.code = v.b JOIN users u ON u.username = v.u`,
		`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		 SELECT '140525', c, 1, 'uscc', '泽州企业' || c, '2024-01-01'
		 FROM unnest(ARRAY['E01','E02','E03','E04','E05','E06','E07','E08','E09','E10','E11','S01','S02','S03']) c`,
		`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, status, status_since, risk_class, abnormal_operations, valid_from)
		 SELECT b.id, '140525', v.c, 1, v.status, '2024-01-01', v.risk, v.abnormal, '2024-01-01'
		 FROM bureaus b, (VALUES ('E01','A','active',false), ('E02','A','active',false), ('E03','A','active',false), ('E04','A','active',false),
		     ('E05','B','active',false), ('E06','B','active',false), ('E07','','active',false), ('E08','C','active',false),
		     ('E09','D','active',false), ('E10','A','active',true), ('E11','A','deregistered',false)) v(c, risk, status, abnormal)
		 WHERE b.code = '140525-wl'`,
		`INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, status, status_since, valid_from)
		 SELECT b.id, '140525', c, 1, 'active', '2024-01-01', '2024-01-01'
		 FROM bureaus b, unnest(ARRAY['E08','E09','S01','S02','S03']) c WHERE b.code = '140525-sj'`,
		`INSERT INTO plans (bureau_id, year, strata, publish_within_days)
		 SELECT id, 2025, '{"A":{"ratio_bp":300,"min":1,"cap":1},"B":{"ratio_bp":500,"min":1,"cap":1},"C":{"ratio_bp":1000,"min":1,"cap":2},
		     "D":{"ratio_bp":3000,"min":1,"cap":4},"F":{"ratio_bp":5000,"min":1,"cap":4}}', 5
		 FROM bureaus WHERE code = '140525-wl'`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, joint, window_start, window_end, status, input_gz, executed_at)
		 SELECT b.id, '140525', 2025, v.q, v.title, v.joint, v.ws::date, v.we::date, v.status, '\x00', v.at::timestamptz
		 FROM (VALUES ('140525-wl', 1, 'D1', false, '2025-03-01', '2025-03-31', 'executed', '2025-02-20'),
		     ('140525-wl', 2, 'D2', false, '2025-06-01', '2025-06-30', 'executed', '2025-05-20'),
		     ('140525-wl', 3, 'D3', true, '2025-09-01', '2025-09-30', 'executed', '2025-08-20'),
		     ('140525-sj', 2, 'D4', false, '2025-06-01', '2025-06-30', 'executed', '2025-05-21'),
		     ('140525-wl', 4, 'D5', false, '2025-12-01', '2025-12-31', 'executed', '2025-11-20'),
		     ('140525-wl', 4, 'D6', false, '2025-12-01', '2025-12-31', 'frozen', NULL)) v(b, q, title, joint, ws, we, status, at)
		 JOIN bureaus b ON b.code = v.b`,
		`INSERT INTO draw_participants (bureau_id, draw_id, items)
		 SELECT b.id, d.id, jsonb_build_array(jsonb_build_object('code', v.item, 'version', 1))
		 FROM (VALUES ('D1', '140525-wl', 'ZW-1'), ('D2', '140525-wl', 'ZW-1'), ('D3', '140525-wl', 'ZW-1'), ('D3', '140525-sj', 'ZS-1'),
		     ('D4', '140525-sj', 'ZS-1'), ('D5', '140525-wl', 'ZW-1'), ('D6', '140525-wl', 'ZW-1')) v(d, b, item)
		 JOIN draws d ON d.title = v.d AND d.region_code = '140525' JOIN bureaus b ON b.code = v.b`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 SELECT d.id, v.seq, d.bureau_id, '140525', 2025, d.quarter, v.c, v.stratum, 't'
		 FROM (VALUES ('D1', 1, 'E01', 'A'), ('D1', 2, 'E05', 'B'), ('D1', 3, 'E10', 'F'), ('D2', 1, 'E01', 'A'), ('D2', 2, 'E02', 'A'),
		     ('D2', 3, 'E08', 'C'), ('D3', 1, 'E09', 'D'), ('D3', 2, 'S01', 'B'), ('D4', 1, 'E08', 'B'), ('D4', 2, 'S02', 'B'),
		     ('D5', 1, 'E03', 'A')) v(d, seq, c, stratum)
		 JOIN draws d ON d.title = v.d AND d.region_code = '140525'`,
		// each bureau sends two inspectors to the tasks of its roster's entities
		`INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
		 SELECT t.draw_id, t.seq, r.bureau_id, p, b.code || '-C' || p, 't'
		 FROM draw_tasks t JOIN draw_participants dp ON dp.draw_id = t.draw_id
		 JOIN roster_entries r ON r.bureau_id = dp.bureau_id AND r.entity_code = t.entity_code AND r.valid_to IS NULL
		 JOIN bureaus b ON b.id = r.bureau_id, generate_series(1, 2) p
		 WHERE t.region_code = '140525'`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
		     code_version, result_codes, inspected_on, state, created_by, updated_by, published_at)
		 SELECT b.id, '140525', t.draw_id, t.seq, t.entity_code, v.item, 1, '检查' || v.item, 1, v.codes::text[], v.day::date, v.state, u.id, u.id,
		     CASE WHEN v.state = 'published' THEN '2025-04-01'::timestamptz END
		 FROM (VALUES ('D1', 1, '140525-wl', 'ZW-1', '{NO_PROBLEM}', '2025-03-10', 'published'),
		     ('D1', 2, '140525-wl', 'ZW-1', '{CORRECTED,FOLLOW_UP}', '2025-03-12', 'published'),
		     ('D1', 3, '140525-wl', 'ZW-1', '{NO_PROBLEM}', '2025-03-20', 'approved'),
		     ('D2', 1, '140525-wl', 'ZW-1', '{NO_PROBLEM}', '2025-06-10', 'submitted'),
		     ('D2', 2, '140525-wl', 'ZW-1', '{NO_PROBLEM}', '2025-06-11', 'returned'),
		     ('D2', 3, '140525-wl', 'ZW-1', '{NO_PROBLEM}', '2025-06-12', 'submitted'),
		     ('D3', 1, '140525-wl', 'ZW-1', '{FOLLOW_UP}', '2025-09-10', 'draft'),
		     ('D3', 1, '140525-sj', 'ZS-1', '{NO_PROBLEM}', '2025-09-10', 'published'),
		     ('D3', 2, '140525-sj', 'ZS-1', '{NO_PROBLEM}', '2025-09-11', 'submitted'),
		     ('D4', 2, '140525-sj', 'ZS-1', '{NO_PROBLEM}', '2025-06-15', 'approved')) v(d, seq, b, item, codes, day, state)
		 JOIN draws d ON d.title = v.d AND d.region_code = '140525' JOIN draw_tasks t ON t.draw_id = d.id AND t.seq = v.seq
		 JOIN bureaus b ON b.code = v.b JOIN users u ON u.username = 'zz-wl-leader'`,
		`INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
		     code_version, result_codes, inspected_on, state, created_by, updated_by, corrects, correction_reason)
		 SELECT r.bureau_id, r.region_code, r.draw_id, r.seq, r.entity_code, r.item_code, 1, r.item_name, 1, '{CORRECTED}', r.inspected_on,
		     'submitted', r.created_by, r.created_by, r.id, '结果录入有误'
		 FROM inspection_records r JOIN draws d ON d.id = r.draw_id AND d.title = 'D1' AND d.region_code = '140525' WHERE r.seq = 2`,
		`INSERT INTO joint_visits (bureau_id, region_code, year, quarter, entity_code, draw_ids, bureau_ids)
		 SELECT j.id, '140525', 2025, 2, 'E08', ARRAY(SELECT id FROM draws WHERE title IN ('D2', 'D4') AND region_code = '140525' ORDER BY id),
		     ARRAY[w.id, s.id]
		 FROM bureaus j, bureaus w, bureaus s WHERE j.code = '140525-lh' AND w.code = '140525-wl' AND s.code = '140525-sj'`,
		`INSERT INTO joint_visit_answers (bureau_id, visit_id, accepted)
		 SELECT b.id, v.id, true FROM bureaus b, joint_visits v WHERE b.code = '140525-wl' AND v.region_code = '140525'`,
		`ANALYZE`,
		`SELECT pg_notify('authz_changed', '140525-wl')`,
	}
	for _, s := range stmts {
		if _, err := e.DB.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the NOTIFY reloads role assignments
}

const dashboardQuery = `query($y: Int!) { dashboard(year: $y) {
  year
  bureaus { bureau { code } plan { isDefault drawsPerYear minCoverageBasisPoints publishWithinDays }
    rosterSize covered coverageBasisPoints
    strata { stratum roster covered coverageBasisPoints planned }
    quarters { quarter draws covered cumulativeCovered cumulativeCoverageBasisPoints targetBasisPoints }
    tasks { total notEntered returned submitted approved published overdue dueSoon }
    recordsAwaitingReview
    results { code label count } }
  joint { quarter jointDraws jointTasks overlaps visitsProposed visitsAccepted visitsDeclined } } }`

type figures struct {
	Bureau struct{ Code string }
	Plan   struct {
		IsDefault              bool
		DrawsPerYear           int
		MinCoverageBasisPoints int
		PublishWithinDays      int
	}
	RosterSize, Covered, CoverageBasisPoints int
	Strata                                   []stratumFigures
	Quarters                                 []quarterFigures
	Tasks                                    struct {
		Total, NotEntered, Returned, Submitted, Approved, Published, Overdue, DueSoon int
	}
	RecordsAwaitingReview int
	Results               []struct {
		Code, Label string
		Count       int
	}
}

type stratumFigures struct {
	Stratum                                       string
	Roster, Covered, CoverageBasisPoints, Planned int
}

type quarterFigures struct {
	Quarter, Draws, Covered, CumulativeCovered, CumulativeCoverageBasisPoints, TargetBasisPoints int
}

type jointQuarter struct {
	Quarter, JointDraws, JointTasks, Overlaps, VisitsProposed, VisitsAccepted, VisitsDeclined int
}

type dashboardData struct {
	Dashboard struct {
		Year    int
		Bureaus []figures
		Joint   []jointQuarter
	}
}

// wantFigures is what the hand count above gives each bureau: its JSON
// (easier to compare and to read in a failure than nested literals), with
// its strata and quarters as tables (wantStrata, wantQuarters).
var wantFigures = map[string]string{
	"140525-wl": `{"Bureau":{"Code":"140525-wl"},"Plan":{"IsDefault":false,"DrawsPerYear":4,"MinCoverageBasisPoints":2000,"PublishWithinDays":5},
	"RosterSize":10,"Covered":7,"CoverageBasisPoints":7000,
	"Tasks":{"Total":8,"NotEntered":2,"Returned":1,"Submitted":2,"Approved":1,"Published":2,"Overdue":5,"DueSoon":1},
	"RecordsAwaitingReview":3,
	"Results":[{"Code":"NO_PROBLEM","Label":"未发现问题","Count":1},{"Code":"CORRECTED","Label":"发现问题已责令改正","Count":1},
	  {"Code":"FOLLOW_UP","Label":"发现问题待后续处理","Count":1}]}`,
	"140525-sj": `{"Bureau":{"Code":"140525-sj"},"Plan":{"IsDefault":true,"DrawsPerYear":4,"MinCoverageBasisPoints":2000,"PublishWithinDays":20},
	"RosterSize":5,"Covered":4,"CoverageBasisPoints":8000,
	"Tasks":{"Total":4,"NotEntered":1,"Returned":0,"Submitted":1,"Approved":1,"Published":1,"Overdue":3,"DueSoon":0},
	"RecordsAwaitingReview":1,
	"Results":[{"Code":"NO_PROBLEM","Label":"未发现问题","Count":1}]}`,
}

// wantStrata is each bureau's strata A, B, C, D, F in turn, one per
// "|": roster, covered, coverage (basis points), planned.
var wantStrata = map[string]string{
	"140525-wl": "4 3 7500 4 | 3 1 3333 3 | 1 1 10000 1 | 1 1 10000 1 | 1 1 10000 1",
	"140525-sj": "0 0 0 0 | 5 3 6000 4 | 0 0 0 0 | 0 1 0 0 | 0 0 0 0",
}

// wantQuarters is each bureau's quarters 1 to 4, one per "|": draws,
// covered, cumulative covered, cumulative coverage and the target (basis
// points).
var wantQuarters = map[string]string{
	"140525-wl": "1 3 3 3000 500 | 1 3 5 5000 1000 | 1 1 6 6000 1500 | 1 1 7 7000 2000",
	"140525-sj": "0 0 0 0 500 | 1 2 2 4000 1000 | 1 2 4 8000 1500 | 0 0 4 8000 2000",
}

// tableRows reads a table of wantStrata or wantQuarters: rows of numbers.
func tableRows(t *testing.T, table string) [][]int {
	t.Helper()
	var rows [][]int
	for _, row := range strings.Split(table, "|") {
		var nums []int
		for _, f := range strings.Fields(row) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("table %q: %v", table, err)
			}
			nums = append(nums, n)
		}
		rows = append(rows, nums)
	}
	return rows
}

// wantFiguresOf is the figures a bureau should have.
func wantFiguresOf(t *testing.T, code string) figures {
	t.Helper()
	var want figures
	if err := json.Unmarshal([]byte(wantFigures[code]), &want); err != nil {
		t.Fatalf("want of %s: %v", code, err)
	}
	for i, r := range tableRows(t, wantStrata[code]) {
		want.Strata = append(want.Strata, stratumFigures{Stratum: "ABCDF"[i : i+1], Roster: r[0], Covered: r[1], CoverageBasisPoints: r[2], Planned: r[3]})
	}
	for i, r := range tableRows(t, wantQuarters[code]) {
		want.Quarters = append(want.Quarters, quarterFigures{Quarter: i + 1, Draws: r[0], Covered: r[1], CumulativeCovered: r[2],
			CumulativeCoverageBasisPoints: r[3], TargetBasisPoints: r[4]})
	}
	return want
}

// wantJoint is the region's quarters: one joint draw of two tasks in Q3;
// E08 drawn by Z-W and Z-S apart in Q2, its joint visit accepted by Z-W
// only so far.
var wantJoint = []jointQuarter{
	{Quarter: 1}, {Quarter: 2, Overlaps: 1, VisitsProposed: 1}, {Quarter: 3, JointDraws: 1, JointTasks: 2}, {Quarter: 4}}

func checkFigures(t *testing.T, got figures) {
	t.Helper()
	want := wantFiguresOf(t, got.Bureau.Code)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("figures of %s:\n got %s\nwant %s", got.Bureau.Code, g, w)
	}
}

func TestDashboardOfABureau(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	for _, who := range []string{"zz-wl-leader", "zz-sj-leader"} {
		var d dashboardData
		e.Do(e.As(who), dashboardQuery, map[string]any{"y": 2025}).mustData(t, &d)
		if len(d.Dashboard.Bureaus) != 1 || d.Dashboard.Joint != nil {
			t.Fatalf("%s sees %d bureaus and joint %v, want its own only", who, len(d.Dashboard.Bureaus), d.Dashboard.Joint)
		}
		if code := d.Dashboard.Bureaus[0].Bureau.Code; !strings.HasPrefix(who, "zz-"+code[7:]) {
			t.Errorf("%s sees the figures of %s", who, code)
		}
		checkFigures(t, d.Dashboard.Bureaus[0])
	}
}

func TestDashboardOfTheJointOffice(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	var d dashboardData
	e.Do(e.As("zz-lh-leader"), dashboardQuery, map[string]any{"y": 2025}).mustData(t, &d)
	var codes []string
	for _, f := range d.Dashboard.Bureaus {
		codes = append(codes, f.Bureau.Code)
		checkFigures(t, f)
	}
	if strings.Join(codes, ",") != "140525-sj,140525-wl" {
		t.Errorf("the joint office sees the bureaus %v, want its region's two", codes)
	}
	if !reflect.DeepEqual(d.Dashboard.Joint, wantJoint) {
		t.Errorf("joint quarters:\n got %+v\nwant %+v", d.Dashboard.Joint, wantJoint)
	}
	// Another year is all zeros but still every bureau's.
	e.Do(e.As("zz-lh-leader"), dashboardQuery, map[string]any{"y": 2024}).mustData(t, &d)
	if len(d.Dashboard.Bureaus) != 2 || d.Dashboard.Bureaus[1].Covered != 0 || d.Dashboard.Bureaus[1].RosterSize != 10 {
		t.Errorf("2024: %+v", d.Dashboard.Bureaus)
	}
}

const historyQuery = `query($c: String!) { inspectionHistory(entityCode: $c) { entityCode entityName
  visits { totalCount nodes { title quarter joint lead bureaus records { bureauCode itemCode state inspectedOn results } } } } }`

type historyData struct {
	InspectionHistory struct {
		EntityCode, EntityName string
		Visits                 struct {
			TotalCount int
			Nodes      []struct {
				Title   string
				Quarter int
				Joint   bool
				Lead    string
				Bureaus []string
				Records []struct {
					BureauCode, ItemCode, State, InspectedOn string
					Results                                  []string
				}
			}
		}
	}
}

// visitsLine writes a history as one line: each visit's title and its
// records as bureau:state.
func (h historyData) visitsLine() string {
	var parts []string
	if n := len(h.InspectionHistory.Visits.Nodes); h.InspectionHistory.Visits.TotalCount != n {
		return fmt.Sprintf("totalCount %d of %d visits", h.InspectionHistory.Visits.TotalCount, n)
	}
	for _, v := range h.InspectionHistory.Visits.Nodes {
		p := v.Title + "("
		for i, r := range v.Records {
			if i > 0 {
				p += " "
			}
			p += strings.TrimPrefix(r.BureauCode, "140525-") + ":" + r.State
		}
		parts = append(parts, p+")")
	}
	return strings.Join(parts, " ")
}

// TestInspectionHistoryAcrossBureaus: everyone of the region sees every
// visit and the published results; an unpublished record only the bureaus
// taking part in its draw; another region nothing.
func TestInspectionHistoryAcrossBureaus(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	cases := []struct{ who, entity, want string }{
		// E09: the joint draw D3 of Z-W and Z-S; Z-W's record a draft, Z-S's published.
		{"zz-wl-leader", "E09", "D3(sj:PUBLISHED wl:DRAFT)"},
		{"zz-sj-leader", "E09", "D3(sj:PUBLISHED wl:DRAFT)"},
		{"zz-lh-leader", "E09", "D3(sj:PUBLISHED)"},
		// E08: Z-S's D4 (nothing recorded), Z-W's D2 (submitted): Z-S takes no part in D2.
		{"zz-wl-leader", "E08", "D4() D2(wl:SUBMITTED)"},
		{"zz-sj-leader", "E08", "D4() D2()"},
		{"zz-lh-leader", "E08", "D4() D2()"},
		// E05: published and its submitted correction, both Z-W's.
		{"zz-wl-leader", "E05", "D1(wl:PUBLISHED wl:SUBMITTED)"},
		{"zz-sj-leader", "E05", "D1(wl:PUBLISHED)"},
		// the demo county's bureau is of another region
		{"wl-leader", "E09", ""},
	}
	for _, c := range cases {
		var h historyData
		e.Do(e.As(c.who), historyQuery, map[string]any{"c": c.entity}).mustData(t, &h)
		if got := h.visitsLine(); got != c.want {
			t.Errorf("%s reads the history of %s as %q, want %q", c.who, c.entity, got, c.want)
		}
	}
	var h historyData
	e.Do(e.As("zz-sj-leader"), historyQuery, map[string]any{"c": "E09"}).mustData(t, &h)
	v := h.InspectionHistory.Visits.Nodes[0]
	if h.InspectionHistory.EntityName != "泽州企业E09" || !v.Joint || v.Lead != "140525-wl" || strings.Join(v.Bureaus, ",") != "140525-sj,140525-wl" ||
		v.Records[0].InspectedOn != "2025-09-10" || strings.Join(v.Records[0].Results, ",") != "未发现问题" {
		t.Errorf("history of E09: %+v", h)
	}
	// A page at a time, newest window first, either way.
	const paged = `query($c: String!, $after: String, $before: String, $first: Int, $last: Int) { inspectionHistory(entityCode: $c) {
  visits(first: $first, after: $after, last: $last, before: $before) { totalCount nodes { title } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`
	type visitsPage struct {
		InspectionHistory struct {
			Visits struct {
				TotalCount int
				Nodes      []struct{ Title string }
				PageInfo   struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       string
				}
			}
		}
	}
	var p1, p2, back visitsPage
	leader := e.As("zz-wl-leader")
	e.Do(leader, paged, map[string]any{"c": "E08", "first": 1}).mustData(t, &p1)
	e.Do(leader, paged, map[string]any{"c": "E08", "first": 1, "after": p1.InspectionHistory.Visits.PageInfo.EndCursor}).mustData(t, &p2)
	e.Do(leader, paged, map[string]any{"c": "E08", "last": 1, "before": p2.InspectionHistory.Visits.PageInfo.StartCursor}).mustData(t, &back)
	v1, v2, vb := p1.InspectionHistory.Visits, p2.InspectionHistory.Visits, back.InspectionHistory.Visits
	if len(v1.Nodes) != 1 || v1.Nodes[0].Title != "D4" || !v1.PageInfo.HasNextPage || v1.TotalCount != 2 ||
		len(v2.Nodes) != 1 || v2.Nodes[0].Title != "D2" || v2.PageInfo.HasNextPage || len(vb.Nodes) != 1 || vb.Nodes[0].Title != "D4" {
		t.Errorf("E08's visits one at a time: %+v, then %+v, back %+v", v1, v2, vb)
	}
	wantCode(t, e.Do(e.As("zz-wl-inspector"), historyQuery, map[string]any{"c": "E09"}), "FORBIDDEN")
	wantCode(t, e.Do(request{}, historyQuery, map[string]any{"c": "E09"}), "UNAUTHENTICATED")
	r := e.Do(e.As("zz-wl-leader"), historyQuery, map[string]any{"c": "not a code"})
	if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions.Field != "entityCode" {
		t.Errorf("a malformed code: %+v", r.Errors)
	}
}

// TestDashboardAuthorization: leaders and the others with dashboard:read
// see their own bureau; an inspector is refused, nobody signed in too,
// and a bureau of another region sees nothing of this one.
func TestDashboardAuthorization(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	wantCode(t, e.Do(e.As("zz-wl-inspector"), dashboardQuery, map[string]any{"y": 2025}), "FORBIDDEN")
	wantCode(t, e.Do(request{}, dashboardQuery, map[string]any{"y": 2025}), "UNAUTHENTICATED")
	r := e.Do(e.As("zz-wl-leader"), dashboardQuery, map[string]any{"y": 1999})
	if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions.Field != "year" {
		t.Errorf("year 1999: %+v", r.Errors)
	}
	for _, who := range []string{"wl-leader", "sj-planner", "lh-leader", "lh-coordinator"} {
		r := e.Do(e.As(who), dashboardQuery, map[string]any{"y": 2025})
		r.mustData(t, nil)
		mustNotMention(t, r, "140525")
	}
	// a member of one bureau asking in another is refused
	rq := e.As("zz-wl-leader")
	rq.Bureau = "140525-sj"
	wantCode(t, e.Do(rq, dashboardQuery, map[string]any{"y": 2025}), "FORBIDDEN")
}

// TestDashboardCostsFixedStatements: counting a dashboard costs the same
// statements for an empty year as for a full one, a joint office's region
// of bureaus one statement more than a bureau (its joint quarters); asking
// again while nothing changed costs the same few statements whatever the
// data.
func TestDashboardCostsFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	dashboardFixture(t, e)
	cost := func(who string, year int) (count, again int64) {
		rq := e.As(who)
		e.Do(rq, `{ actingBureau { code } }`, nil).mustData(t, nil) // a user's first request signs in
		for _, n := range []*int64{&count, &again} {
			before := stmts.Count()
			e.Do(rq, dashboardQuery, map[string]any{"y": year}).mustData(t, nil)
			*n = stmts.Count() - before
		}
		return count, again
	}
	empty, emptyAgain := cost("zz-wl-leader", 2024)
	full, fullAgain := cost("zz-wl-leader", 2025)
	joint, jointAgain := cost("zz-lh-leader", 2025)
	t.Logf("a bureau's dashboard: %d statements to count (empty year), %d (the fixture), %d to ask again; the joint office's: %d, %d again",
		empty, full, fullAgain, joint, jointAgain)
	if empty != full || emptyAgain != fullAgain || jointAgain != fullAgain {
		t.Errorf("a bureau's dashboard cost %d and %d statements (again %d, %d, the joint office %d): it must not grow with the data",
			empty, full, emptyAgain, fullAgain, jointAgain)
	}
	if joint != full+1 {
		t.Errorf("the joint office's dashboard cost %d statements, want %d (a bureau's and its joint quarters)", joint, full+1)
	}
	// Counted statements (BEGIN and COMMIT are not), all in the request's
	// one transaction: the session and the bureau's settings 1, the
	// calendar's overrides 2 (the settings of no bureau, query), the
	// region's version 2 (the bureau's settings again, query), and to
	// count: bureaus, plans, roster, coverage, tasks, results.
	const wantCount, wantAgain = 11, 5
	if full != wantCount {
		t.Errorf("counting a bureau's dashboard cost %d statements, want %d", full, wantCount)
	}
	if fullAgain != wantAgain {
		t.Errorf("asking again cost %d statements, want %d", fullAgain, wantAgain)
	}
}

// TestDashboardFollowsChanges: a change committed through the service is
// on the next dashboard, kept figures or not.
func TestDashboardFollowsChanges(t *testing.T) {
	e := newEnv(t)
	leader := e.As("wl-leader")
	days := func() int {
		var d dashboardData
		e.Do(leader, dashboardQuery, map[string]any{"y": 2026}).mustData(t, &d)
		return d.Dashboard.Bureaus[0].Plan.PublishWithinDays
	}
	if got := days(); got != 20 {
		t.Fatalf("the defaults give %d days to publish", got)
	}
	e.Do(e.As("wl-planner"), `mutation { savePlan(input: {year: 2026, publishWithinDays: 7}) { changed } }`, nil).mustData(t, nil)
	if got := days(); got != 7 {
		t.Errorf("after the plan changed, the dashboard gives %d days to publish, want 7", got)
	}
}

// TestDashboardViewsRowLevelSecurity holds the two doors of migration
// 00018 with the service bypassed: record_progress admits a bureau's own
// records and those of draws it takes part in, the region's joint office
// every record of its region, nobody else's; the joint office reads its
// region's plans, a bureau only its own.
func TestDashboardViewsRowLevelSecurity(t *testing.T) {
	e := newEnv(t)
	dashboardFixture(t, e)
	count := func(bureau, q string) int {
		var id int64
		if err := e.DB.Get(&id, `SELECT id FROM bureaus WHERE code = $1`, bureau); err != nil {
			t.Fatal(err)
		}
		var n int
		err := e.DB.InScope(context.Background(), postgres.Scope{BureauID: id}, func(tx *sqlx.Tx) error { return tx.Get(&n, q) })
		if err != nil {
			t.Fatalf("%s: %v", bureau, err)
		}
		return n
	}
	const progress = `SELECT count(*) FROM record_progress WHERE region_code = '140525'`
	const plans = `SELECT count(*) FROM plans p JOIN bureaus b ON b.id = p.bureau_id WHERE b.region_code = '140525'`
	for _, c := range []struct {
		bureau         string
		records, plans int
	}{
		{"140525-wl", 10, 1}, // its 7 records, the correction and Z-S's two of the joint draw D3
		{"140525-sj", 4, 0},  // its 3 and Z-W's draft of the joint draw D3
		{"140525-lh", 11, 1},
		{"140522-lh", 0, 0}, // another region's joint office
		{"140522-wl", 0, 0},
	} {
		if got := count(c.bureau, progress); got != c.records {
			t.Errorf("%s reads %d rows of record_progress, want %d", c.bureau, got, c.records)
		}
		if got := count(c.bureau, plans); got != c.plans {
			t.Errorf("%s reads %d plans of 140525, want %d", c.bureau, got, c.plans)
		}
	}
}
