package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	planFields = `year isDefault drawsPerYear minDrawRatioBasisPoints minCoverageBasisPoints
		strata { stratum ratioBasisPoints minPerDraw capPerYear }
		focus { abnormalOperations seriousViolation complaintThreshold penaltyMonths } createdAt updatedAt`
	savePlanMutation = `mutation($in: SavePlanInput!) { savePlan(input: $in) { changed plan { ` + planFields + ` }
		feasibility { checked rosterSize perDraw perDrawBasisPoints reachable reachableCoverageBasisPoints
			strata { stratum roster perDraw perYear } } } }`
	planQuery     = `query($year: Int!) { plan(year: $year) { ` + planFields + ` } }`
	plansQuery    = `{ plans { ` + planFields + ` } }`
	progressQuery = `query($year: Int!) { planProgress(year: $year) { year rosterSize covered coverageBasisPoints
		plan { drawsPerYear isDefault }
		strata { stratum roster covered coverageBasisPoints } quarters { quarter draws covered coverageBasisPoints } } }`
)

type planData struct {
	Year                    int
	IsDefault               bool
	DrawsPerYear            int
	MinDrawRatioBasisPoints int
	MinCoverageBasisPoints  int
	Strata                  []struct {
		Stratum                string
		RatioBasisPoints       int
		MinPerDraw, CapPerYear int
	}
	Focus struct {
		AbnormalOperations, SeriousViolation bool
		ComplaintThreshold, PenaltyMonths    int
	}
	CreatedAt, UpdatedAt *time.Time
}

type feasibilityData struct {
	Checked                      bool
	RosterSize, PerDraw          int
	PerDrawBasisPoints           *int
	Reachable                    int
	ReachableCoverageBasisPoints *int
	Strata                       []struct {
		Stratum                  string
		Roster, PerDraw, PerYear int
	}
}

type savePlanData struct {
	SavePlan struct {
		Changed     bool
		Plan        planData
		Feasibility feasibilityData
	}
}

// planRoster is the roster the plan tests give 140522-wl: 30 entities in
// B, 10 in C, 5 in D and 5 in F (class A, on the abnormal-operations
// list), by index into usccs(50).
var planRoster = []struct {
	from, to  int
	riskClass string
	abnormal  bool
}{
	{0, 30, "B", false}, {30, 40, "C", false}, {40, 45, "D", false}, {45, 50, "A", true},
}

// fillPlanRoster saves planRoster through the API as wl-planner and
// returns the entity codes.
func fillPlanRoster(t *testing.T, e *env) []string {
	t.Helper()
	planner := e.As("wl-planner")
	codes := usccs(50)
	for _, g := range planRoster {
		for i := g.from; i < g.to; i++ {
			in := map[string]any{"uscc": codes[i], "name": "阳城县测试商户", "riskClass": g.riskClass, "abnormalOperations": g.abnormal}
			e.Do(planner, saveEntity, map[string]any{"in": in}).mustData(t, nil)
		}
	}
	return codes
}

func (e *env) savePlan(t *testing.T, rq request, in map[string]any) savePlanData {
	t.Helper()
	var d savePlanData
	e.Do(rq, savePlanMutation, map[string]any{"in": in}).mustData(t, &d)
	return d
}

func (e *env) readPlan(t *testing.T, rq request, year int) planData {
	t.Helper()
	var d struct{ Plan planData }
	e.Do(rq, planQuery, map[string]any{"year": year}).mustData(t, &d)
	return d.Plan
}

// auditCount counts the bureau's audit entries whose action starts with prefix.
func (e *env) auditCount(t *testing.T, bureau, prefix string) int {
	t.Helper()
	var n int
	const q = `SELECT count(*) FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id WHERE b.code = $1 AND a.action LIKE $2 || '%'`
	if err := e.DB.Get(&n, q, bureau, prefix); err != nil {
		t.Fatal(err)
	}
	return n
}

func intPtr(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSavePlan(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")

	t.Run("DefaultsOnEmptyRosterAccepted", func(t *testing.T) {
		d := e.savePlan(t, planner, map[string]any{"year": 2026})
		p, f := d.SavePlan.Plan, d.SavePlan.Feasibility
		if !d.SavePlan.Changed || p.IsDefault || p.DrawsPerYear != 4 || p.MinCoverageBasisPoints != 2000 || p.CreatedAt == nil {
			t.Errorf("saved %+v (changed %v), want the defaults stored", p, d.SavePlan.Changed)
		}
		if f.Checked || f.RosterSize != 0 || f.PerDrawBasisPoints != nil || f.ReachableCoverageBasisPoints != nil {
			t.Errorf("feasibility %+v, want unchecked with no figures on an empty roster", f)
		}
	})

	fillPlanRoster(t, e)

	t.Run("DefaultsFeasible", func(t *testing.T) {
		d := e.savePlan(t, planner, map[string]any{"year": 2026})
		f := d.SavePlan.Feasibility
		// B 2, C 1, D 2, F 3 a draw; a year of 4 reaches B 8, C 4, D 5, F 5.
		if d.SavePlan.Changed {
			t.Error("saving the same plan again changed it")
		}
		got := []any{f.Checked, f.RosterSize, f.PerDraw, intPtr(f.PerDrawBasisPoints), f.Reachable, intPtr(f.ReachableCoverageBasisPoints)}
		want := []any{true, 50, 8, 1600, 22, 4400}
		if !equalJSON(got, want) {
			t.Errorf("checked, roster, per draw, bp, reachable, bp = %v, want %v", got, want)
		}
		if s := f.Strata; len(s) != 5 || s[1].Stratum != "B" || s[1].Roster != 30 || s[4].Stratum != "F" || s[4].PerDraw != 3 || s[4].PerYear != 5 {
			t.Errorf("strata %+v, want B 30 and F 3 a draw, 5 a year", s)
		}
	})

	refusals := []struct {
		name  string
		in    map[string]any
		field string
		want  []string
	}{
		{"ErrCoverageShort", map[string]any{"year": 2026, "drawsPerYear": 1}, "input.strata", []string{
			"the ratios reach at most 16% of 50 entities in 1 draw",
			"B 5% of 30: 2 a draw, 2 in the year",
			"below the 20% the plan requires"}},
		{"ErrPerDrawShort", map[string]any{"year": 2026, "minDrawRatioBasisPoints": 2000}, "input.strata", []string{
			"one draw takes at most 16% of 50 entities", "below the 20% a draw the plan requires"}},
		{"ErrStratumRatio", map[string]any{"year": 2026, "strata": map[string]any{"C": map[string]any{"ratioBasisPoints": 10001}}},
			"input.strata.C.ratioBasisPoints", []string{"10001"}},
		{"ErrCap", map[string]any{"year": 2026, "strata": map[string]any{"F": map[string]any{"capPerYear": 0}}},
			"input.strata.F.capPerYear", nil},
		{"ErrDraws", map[string]any{"year": 2026, "drawsPerYear": 13}, "input.drawsPerYear", nil},
		{"ErrYear", map[string]any{"year": 1999}, "input.year", nil},
		{"ErrComplaints", map[string]any{"year": 2026, "focus": map[string]any{"complaintThreshold": 0}}, "input.focus.complaintThreshold", nil},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			audits := e.auditCount(t, "140522-wl", "plan.")
			r := e.Do(planner, savePlanMutation, map[string]any{"in": tt.in})
			wantCode(t, r, "BAD_USER_INPUT")
			if got := r.Errors[0].Extensions.Field; got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Errors[0].Message, w) {
					t.Errorf("message %q\nlacks %q", r.Errors[0].Message, w)
				}
			}
			if p := e.readPlan(t, planner, 2026); p.DrawsPerYear != 4 || p.MinDrawRatioBasisPoints != 300 || p.Strata[2].RatioBasisPoints != 1000 {
				t.Errorf("plan afterwards %+v, want it unchanged", p)
			}
			if got := e.auditCount(t, "140522-wl", "plan."); got != audits {
				t.Errorf("audit entries %d → %d, want nothing written", audits, got)
			}
		})
	}

	t.Run("RefusalDetailsHoldTheFigures", func(t *testing.T) {
		body := rawErrors(t, e, planner, map[string]any{"year": 2026, "drawsPerYear": 1})
		for _, w := range []string{`"reachableCoverageBasisPoints":1600`, `"rosterSize":50`} {
			if !strings.Contains(body, w) {
				t.Errorf("extensions %s lack %s", body, w)
			}
		}
	})

	t.Run("ReplaceAudited", func(t *testing.T) {
		in := map[string]any{"year": 2026, "drawsPerYear": 6,
			"strata": map[string]any{"D": map[string]any{"ratioBasisPoints": 4000, "capPerYear": 3}},
			"focus":  map[string]any{"abnormalOperations": false}}
		d := e.savePlan(t, planner, in)
		p, f := d.SavePlan.Plan, d.SavePlan.Feasibility
		if !d.SavePlan.Changed || p.DrawsPerYear != 6 || p.Strata[3].RatioBasisPoints != 4000 || p.Strata[3].CapPerYear != 3 ||
			p.Strata[3].MinPerDraw != 1 || p.Strata[2].RatioBasisPoints != 1000 || p.Focus.AbnormalOperations {
			t.Errorf("saved %+v, want 6 draws, D 40%% cap 3, the rest default, abnormal operations not focus", p)
		}
		// Without the abnormal-operations rule the 5 focus entities are A.
		if f.Strata[0].Roster != 5 || f.Strata[4].Roster != 0 {
			t.Errorf("strata %+v, want A 5 and F 0 under the new focus rules", f.Strata)
		}
		var before, after string
		const q = `SELECT before::text, after::text FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id
WHERE b.code = '140522-wl' AND a.action = 'plan.update' ORDER BY seq DESC LIMIT 1`
		if err := e.DB.QueryRow(q).Scan(&before, &after); err != nil {
			t.Fatalf("audit entry of the update: %v", err)
		}
		if !strings.Contains(before, `"DrawsPerYear": 4`) && !strings.Contains(before, `"DrawsPerYear":4`) ||
			!strings.Contains(after, `"DrawsPerYear": 6`) && !strings.Contains(after, `"DrawsPerYear":6`) {
			t.Errorf("audit before %s after %s, want 4 then 6 draws", before, after)
		}
	})

	t.Run("ForbiddenRoleChangesNothing", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-leader"), savePlanMutation, map[string]any{"in": map[string]any{"year": 2026, "drawsPerYear": 2}}), "FORBIDDEN")
		if p := e.readPlan(t, planner, 2026); p.DrawsPerYear != 6 {
			t.Errorf("draws per year = %d, want 6", p.DrawsPerYear)
		}
	})
}

// rawErrors saves the plan, wants BAD_USER_INPUT and returns the answer's
// errors as sent, extensions and all.
func rawErrors(t *testing.T, e *env, rq request, in map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": savePlanMutation, "variables": map[string]any{"in": in}})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rq.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw struct {
		Errors []struct {
			Extensions json.RawMessage `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil || len(raw.Errors) == 0 {
		t.Fatalf("decode: %v, errors %v", err, raw.Errors)
	}
	if !strings.Contains(string(raw.Errors[0].Extensions), `"BAD_USER_INPUT"`) {
		t.Fatalf("extensions %s, want BAD_USER_INPUT", raw.Errors[0].Extensions)
	}
	return string(raw.Errors[0].Extensions)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestPlanQueries(t *testing.T) {
	e := newEnv(t)
	inspector := e.As("wl-inspector1")

	t.Run("UnplannedYearIsDefaults", func(t *testing.T) {
		p := e.readPlan(t, inspector, 2027)
		if !p.IsDefault || p.Year != 2027 || p.DrawsPerYear != 4 || p.MinDrawRatioBasisPoints != 300 || p.CreatedAt != nil {
			t.Errorf("plan %+v, want the defaults of 2027", p)
		}
		want := []struct {
			s          string
			ratio, cap int
		}{{"A", 300, 1}, {"B", 500, 1}, {"C", 1000, 2}, {"D", 3000, 4}, {"F", 5000, 4}}
		for i, w := range want {
			if s := p.Strata[i]; s.Stratum != w.s || s.RatioBasisPoints != w.ratio || s.CapPerYear != w.cap || s.MinPerDraw != 1 {
				t.Errorf("stratum %d = %+v, want %+v", i, s, w)
			}
		}
		if f := p.Focus; !f.AbnormalOperations || !f.SeriousViolation || f.ComplaintThreshold != 3 || f.PenaltyMonths != 12 {
			t.Errorf("focus %+v, want the defaults", f)
		}
	})

	planner := e.As("wl-planner")
	e.savePlan(t, planner, map[string]any{"year": 2025, "drawsPerYear": 2})
	e.savePlan(t, planner, map[string]any{"year": 2026, "drawsPerYear": 3})

	t.Run("PlansLatestFirst", func(t *testing.T) {
		var d struct{ Plans []planData }
		e.Do(inspector, plansQuery, nil).mustData(t, &d)
		if len(d.Plans) != 2 || d.Plans[0].Year != 2026 || d.Plans[0].DrawsPerYear != 3 || d.Plans[1].Year != 2025 || d.Plans[0].IsDefault {
			t.Errorf("plans %+v, want 2026 (3 draws) then 2025", d.Plans)
		}
	})
	t.Run("SavedYear", func(t *testing.T) {
		if p := e.readPlan(t, inspector, 2025); p.IsDefault || p.DrawsPerYear != 2 || p.UpdatedAt == nil {
			t.Errorf("plan %+v, want the saved 2025", p)
		}
	})
	t.Run("ErrYear", func(t *testing.T) {
		r := e.Do(inspector, planQuery, map[string]any{"year": 3000})
		wantCode(t, r, "BAD_USER_INPUT")
		if r.Errors[0].Extensions.Field != "year" {
			t.Errorf("field = %q, want year", r.Errors[0].Extensions.Field)
		}
	})
}

func TestPlansOtherBureau(t *testing.T) {
	e := newEnv(t)
	// A plan of 140522-wl with figures no default has.
	e.savePlan(t, e.As("wl-planner"), map[string]any{"year": 2026, "drawsPerYear": 7, "minCoverageBasisPoints": 1987})

	for _, who := range []string{"sj-inspector1", "lh-coordinator"} {
		t.Run(who, func(t *testing.T) {
			rq := e.As(who)
			if p := e.readPlan(t, rq, 2026); !p.IsDefault || p.DrawsPerYear != 4 || p.MinCoverageBasisPoints != 2000 {
				t.Errorf("plan(2026) = %+v, want its own defaults", p)
			}
			r := e.Do(rq, plansQuery, nil)
			r.mustData(t, nil)
			if string(r.Data) != `{"plans":[]}` {
				t.Errorf("plans = %s, want none", r.Data)
			}
			r = e.Do(rq, progressQuery, map[string]any{"year": 2026})
			r.mustData(t, nil)
			if s := string(r.Data); strings.Contains(s, "1987") || strings.Contains(s, `"drawsPerYear":7`) {
				t.Errorf("progress shows wl's plan: %s", s)
			}
		})
	}
	t.Run("OwnSaveLeavesOthersAlone", func(t *testing.T) {
		e.savePlan(t, e.As("sj-planner"), map[string]any{"year": 2026, "drawsPerYear": 5})
		if p := e.readPlan(t, e.As("wl-inspector1"), 2026); p.DrawsPerYear != 7 || p.MinCoverageBasisPoints != 1987 {
			t.Errorf("wl's plan afterwards %+v, want 7 draws, 19.87%%", p)
		}
	})
}

type progressData struct {
	PlanProgress struct {
		Year, RosterSize, Covered, CoverageBasisPoints int
		Plan                                           struct {
			DrawsPerYear int
			IsDefault    bool
		}
		Strata []struct {
			Stratum                              string
			Roster, Covered, CoverageBasisPoints int
		}
		Quarters []struct{ Quarter, Draws, Covered, CoverageBasisPoints int }
	}
}

// drawFixture makes a draw as the lead's code would leave it, with owner
// SQL: lead, participants, year, quarter, status, and the drawn entities
// with their recorded strata.
type drawFixture struct {
	lead         string
	participants []string
	year, qtr    int
	status       string
	executedAt   string
	tasks        [][2]string // entity code, stratum
}

func (e *env) makeDraw(t *testing.T, d drawFixture) {
	t.Helper()
	var id int64
	const draw = `
INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz, executed_at)
SELECT b.id, b.region_code, $2, $3, '测试抽查', make_date($2, $3 * 3 - 2, 1), make_date($2, $3 * 3, 28), $4, '\x00'::bytea,
       nullif($5, '')::timestamptz
FROM bureaus b WHERE b.code = $1 RETURNING id`
	if err := e.DB.Get(&id, draw, d.lead, d.year, d.qtr, d.status, d.executedAt); err != nil {
		t.Fatalf("draw: %v", err)
	}
	for _, p := range d.participants {
		if _, err := e.DB.Exec(`INSERT INTO draw_participants (bureau_id, draw_id) SELECT id, $2 FROM bureaus WHERE code = $1`, p, id); err != nil {
			t.Fatalf("participant: %v", err)
		}
	}
	const task = `
INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT d.id, $2, d.bureau_id, d.region_code, d.year, d.quarter, $3, $4, 'ticket' FROM draws d WHERE d.id = $1`
	for i, tk := range d.tasks {
		if _, err := e.DB.Exec(task, id, i+1, tk[0], tk[1]); err != nil {
			t.Fatalf("task: %v", err)
		}
	}
	// Each entity is visited by the participants that supervise it (v2's
	// units): a participant reads the strata of those tasks only.
	const teams = `
INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket)
SELECT t.draw_id, t.seq, p.bureau_id, 1, 'CERT-' || p.bureau_id, 'ticket'
FROM draw_tasks t JOIN draw_participants p ON p.draw_id = t.draw_id
WHERE t.draw_id = $1 AND EXISTS (SELECT FROM roster_entries r WHERE r.bureau_id = p.bureau_id AND r.entity_code = t.entity_code)`
	if _, err := e.DB.Exec(teams, id); err != nil {
		t.Fatalf("teams: %v", err)
	}
}

func TestPlanProgress(t *testing.T) {
	e := newEnv(t)
	c := fillPlanRoster(t, e)  // c[0:30] B, c[30:40] C, c[40:45] D, c[45:50] F
	sjOnly := testUSCC(t, 900) // in no roster of wl
	wl := []string{"140522-wl"}
	draws := []drawFixture{
		{"140522-wl", wl, 2026, 1, "executed", "2026-02-10T10:00:00+08:00",
			[][2]string{{c[0], "B"}, {c[1], "B"}, {c[2], "B"}, {c[30], "C"}, {c[45], "F"}}},
		// c[0] again, recorded as C this time: it counts once, in C.
		{"140522-wl", wl, 2026, 2, "executed", "2026-05-10T10:00:00+08:00",
			[][2]string{{c[0], "C"}, {c[3], "B"}, {c[40], "D"}}},
		// Frozen, not executed: does not count.
		{"140522-wl", wl, 2026, 2, "frozen", "", [][2]string{{c[4], "B"}}},
		// Another bureau's draw without wl: does not count for wl.
		{"140522-sj", []string{"140522-sj"}, 2026, 3, "executed", "2026-08-10T10:00:00+08:00", [][2]string{{c[5], "B"}}},
		// A joint draw led by sj that wl took part in: counts, but only for
		// the entities of wl's own roster (the other is sj's alone).
		{"140522-sj", []string{"140522-sj", "140522-wl"}, 2026, 4, "executed", "2026-11-10T10:00:00+08:00",
			[][2]string{{c[31], "C"}, {sjOnly, "B"}}},
		// Last year: does not count.
		{"140522-wl", wl, 2025, 4, "executed", "2025-11-10T10:00:00+08:00", [][2]string{{c[6], "B"}}},
	}
	for _, d := range draws {
		e.makeDraw(t, d)
	}

	progress := func(t *testing.T, who string) progressData {
		t.Helper()
		var d progressData
		e.Do(e.As(who), progressQuery, map[string]any{"year": 2026}).mustData(t, &d)
		return d
	}

	t.Run("Overall", func(t *testing.T) {
		p := progress(t, "wl-inspector1").PlanProgress
		if got, want := [4]int{p.Year, p.RosterSize, p.Covered, p.CoverageBasisPoints}, [4]int{2026, 50, 8, 1600}; got != want {
			t.Errorf("year, roster, covered, bp = %v, want %v", got, want)
		}
		if !p.Plan.IsDefault || p.Plan.DrawsPerYear != 4 {
			t.Errorf("plan %+v, want the defaults", p.Plan)
		}
	})
	t.Run("PerStratum", func(t *testing.T) {
		type row struct {
			Stratum                              string
			Roster, Covered, CoverageBasisPoints int
		}
		want := []row{{"A", 0, 0, 0}, {"B", 30, 3, 1000}, {"C", 10, 3, 3000}, {"D", 5, 1, 2000}, {"F", 5, 1, 2000}}
		got := progress(t, "wl-leader").PlanProgress.Strata
		if !equalJSON(got, want) {
			t.Errorf("strata %+v,\nwant %+v", got, want)
		}
	})
	t.Run("PerQuarter", func(t *testing.T) {
		type row struct{ Quarter, Draws, Covered, CoverageBasisPoints int }
		want := []row{{1, 1, 5, 1000}, {2, 1, 3, 600}, {3, 0, 0, 0}, {4, 1, 1, 200}}
		got := progress(t, "wl-reviewer").PlanProgress.Quarters
		if !equalJSON(got, want) {
			t.Errorf("quarters %+v,\nwant %+v", got, want)
		}
	})
	t.Run("FocusRulesOfThePlan", func(t *testing.T) {
		e.savePlan(t, e.As("wl-planner"), map[string]any{"year": 2026, "focus": map[string]any{"abnormalOperations": false}})
		s := progress(t, "wl-inspector1").PlanProgress.Strata
		if s[0].Roster != 5 || s[4].Roster != 0 || s[4].Covered != 1 {
			t.Errorf("strata %+v, want A 5 in the roster, F 0, and F's drawn entity still counted where it was drawn", s)
		}
	})
	t.Run("OtherBureauCountsItsOwn", func(t *testing.T) {
		p := progress(t, "sj-leader").PlanProgress
		// sj's own draw and the joint one, but no roster of its own: it
		// covered nothing of it, though both draws count as its draws.
		if p.Covered != 0 || p.RosterSize != 0 || p.CoverageBasisPoints != 0 || p.Quarters[2].Draws != 1 || p.Quarters[3].Draws != 1 {
			t.Errorf("sj progress %+v, want nothing covered over an empty roster, draws in Q3 and Q4", p)
		}
	})
	t.Run("JointOfficeSeesDrawsButTookPartInNone", func(t *testing.T) {
		if p := progress(t, "lh-coordinator").PlanProgress; p.Covered != 0 || p.RosterSize != 0 {
			t.Errorf("joint office progress %+v, want nothing", p)
		}
	})
}
