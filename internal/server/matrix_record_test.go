package server_test

import "testing"

// recordOperation is a row of the records' authorization matrix. prepare
// makes a wl task (and record) and returns the variables. notOnTeam is an
// inspector of the same bureau who is not on the task's team: FORBIDDEN
// (谁检查、谁录入); other, a user of another bureau: NOT_FOUND.
type recordOperation struct {
	name, query                          string
	prepare                              func(t *testing.T, e *env) map[string]any
	allowed, forbidden, notOnTeam, other string
	public                               bool
}

// recordIn prepares a task with a record of wl-inspector1 brought to a state.
func recordIn(state string, codes ...string) func(t *testing.T, e *env) map[string]any {
	return func(t *testing.T, e *env) map[string]any {
		t.Helper()
		rt := prepareRecordTask(t, e)
		extra := map[string]any{}
		if len(codes) > 0 {
			extra["resultCodes"] = codes
		}
		rec := rt.enter(t, e, extra)
		steps := map[string][][2]string{
			"DRAFT":     {},
			"SUBMITTED": {{"wl-inspector1", "submitRecord"}},
			"APPROVED":  {{"wl-inspector1", "submitRecord"}, {"wl-reviewer", "approveRecord"}},
		}
		for _, s := range steps[state] {
			move(t, e, s[0], s[1], rec.ID, "").mustData(t, nil)
		}
		if state == "PUBLISHED" {
			move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
			move(t, e, "wl-reviewer", "approveRecord", rec.ID, "").mustData(t, nil)
			publish(e, "wl-reviewer", rec.ID).mustData(t, nil)
		}
		return map[string]any{"id": rec.ID, "draw": rt.DrawID, "in": rt.input(nil)["in"]}
	}
}

func withEvidence(t *testing.T, e *env) map[string]any {
	t.Helper()
	vars := recordIn("DRAFT")(t, e)
	var d struct {
		AddEvidence struct{ Evidence struct{ ID string } }
	}
	e.Upload(e.As("wl-inspector1"), `mutation($in: AddEvidenceInput!) { addEvidence(input: $in) { evidence { id } } }`,
		map[string]any{"in": map[string]any{"recordId": vars["id"]}}, "in.file", "a.pdf", []byte("%PDF-1.4\n%%EOF\n")).mustData(t, &d)
	return map[string]any{"id": d.AddEvidence.Evidence.ID}
}

func nothing(t *testing.T, e *env) map[string]any { return nil }

var recordOperations = []recordOperation{
	{name: "myTasks", query: `{ myTasks { nodes { id } } }`, prepare: nothing, allowed: "wl-inspector1", forbidden: "wl-reviewer"},
	{name: "inspectionTasks", query: `{ inspectionTasks(filter: {overdue: true}) { nodes { id } } }`, prepare: nothing, allowed: "wl-leader"},
	{name: "inspectionTask", query: `query($draw: ID!) { inspectionTask(drawId: $draw, seq: 1) { id team { name } } }`,
		prepare: recordIn("DRAFT"), allowed: "wl-inspector1", other: "sj-inspector1"},
	{name: "inspectionRecord", query: `query($id: ID!) { inspectionRecord(id: $id) { id findings } }`,
		prepare: recordIn("SUBMITTED"), allowed: "wl-reviewer", other: "sj-reviewer"},
	{name: "inspectionRecords", query: `{ inspectionRecords(filter: {states: [SUBMITTED]}) { nodes { id } } }`, prepare: nothing, allowed: "wl-reviewer"},
	{name: "resultCodes", query: `{ resultCodes { version codes { code label } } }`, prepare: nothing, allowed: "wl-inspector1"},
	{name: "inspectionMethods", query: `{ inspectionMethods }`, prepare: nothing, allowed: "wl-inspector1"},
	{name: "proposedConsequences", query: `{ proposedConsequences { nodes { recordId } } }`, prepare: nothing, allowed: "wl-admin", forbidden: "wl-reviewer"},
	{name: "workingDaysAfter", query: `{ workingDaysAfter(date: "2026-09-28", days: 5) }`, prepare: nothing, public: true},
	{name: "workdayYear", query: `{ workdayYear(year: 2026) { known overrides { day } } }`, prepare: nothing, public: true},
	{name: "saveRecord", query: saveRecord, prepare: recordIn("DRAFT"),
		allowed: "wl-inspector1", forbidden: "wl-reviewer", notOnTeam: "wl-inspector2", other: "sj-inspector1"},
	{name: "submitRecord", query: `mutation($id: ID!) { submitRecord(input: {id: $id}) { record { state } } }`, prepare: recordIn("DRAFT"),
		allowed: "wl-inspector1", forbidden: "wl-reviewer", notOnTeam: "wl-inspector2", other: "sj-inspector1"},
	{name: "approveRecord", query: `mutation($id: ID!) { approveRecord(input: {id: $id}) { record { state } } }`, prepare: recordIn("SUBMITTED"),
		allowed: "wl-reviewer", forbidden: "wl-inspector1", other: "sj-reviewer"},
	{name: "returnRecord", query: `mutation($id: ID!) { returnRecord(input: {id: $id, reason: "补充"}) { record { state } } }`, prepare: recordIn("SUBMITTED"),
		allowed: "wl-reviewer", forbidden: "wl-leader", other: "sj-reviewer"},
	{name: "publishRecords", query: `mutation($id: ID!) { publishRecords(input: {ids: [$id]}) { records { state } } }`, prepare: recordIn("APPROVED"),
		allowed: "wl-reviewer", forbidden: "wl-planner", other: "sj-reviewer"},
	{name: "correctRecord", query: `mutation($id: ID!) { correctRecord(input: {id: $id, reason: "更正"}) { record { state } } }`, prepare: recordIn("PUBLISHED"),
		allowed: "wl-inspector1", forbidden: "wl-reviewer", notOnTeam: "wl-inspector2", other: "sj-inspector1"},
	{name: "removeEvidence", query: `mutation($id: ID!) { removeEvidence(id: $id) { evidence { id } } }`, prepare: withEvidence,
		allowed: "wl-inspector1", forbidden: "wl-reviewer", notOnTeam: "wl-inspector2", other: "sj-inspector1"},
	{name: "decideConsequence", query: `mutation($id: ID!) { decideConsequence(input: {recordId: $id, kind: "abnormal_operations", confirm: true}) { consequence { state entryVersion } } }`,
		prepare: recordIn("PUBLISHED", "UNREACHABLE"), allowed: "wl-admin", forbidden: "wl-reviewer", other: "sj-admin"},
	{name: "setWorkday", query: `mutation { setWorkday(input: {day: "2026-10-10", working: false, name: "调整"}) { year { overrides { day } } } }`,
		prepare: nothing, allowed: "wl-admin", forbidden: "wl-planner"},
	{name: "removeWorkday", query: `mutation { removeWorkday(day: "2026-10-10") { year { known } } }`,
		prepare: func(t *testing.T, e *env) map[string]any {
			e.Do(e.As("wl-admin"), `mutation { setWorkday(input: {day: "2026-10-10", working: false}) { year { known } } }`, nil).mustData(t, nil)
			return nil
		}, allowed: "wl-admin", forbidden: "wl-leader"},
	{name: "setWorkdayYear", query: `mutation { setWorkdayYear(input: {year: 2031, complete: true, note: "国办发明电"}) { year { known } } }`,
		prepare: nothing, allowed: "wl-admin", forbidden: "wl-reviewer"},
}

func TestRecordAuthorizationMatrix(t *testing.T) {
	for _, op := range recordOperations {
		t.Run(op.name, func(t *testing.T) {
			e := newEnv(t)
			vars := op.prepare(t, e)
			if op.public {
				t.Run("PublicWithoutSignIn", func(t *testing.T) { e.Do(request{}, op.query, vars).mustData(t, nil) })
				return
			}
			t.Run("Unauthenticated", func(t *testing.T) { wantCode(t, e.Do(request{}, op.query, vars), "UNAUTHENTICATED") })
			if op.forbidden != "" {
				t.Run("ForbiddenRole", func(t *testing.T) { wantCode(t, e.Do(e.As(op.forbidden), op.query, vars), "FORBIDDEN") })
			}
			if op.notOnTeam != "" {
				t.Run("InspectorNotOnTeam", func(t *testing.T) { wantCode(t, e.Do(e.As(op.notOnTeam), op.query, vars), "FORBIDDEN") })
			}
			if op.other != "" {
				t.Run("OtherBureauNotFound", func(t *testing.T) { wantCode(t, e.Do(e.As(op.other), op.query, vars), "NOT_FOUND") })
			}
			t.Run("Allowed", func(t *testing.T) { e.Do(e.As(op.allowed), op.query, vars).mustData(t, nil) })
		})
	}
}
