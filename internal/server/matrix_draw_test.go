package server_test

import "testing"

// drawOperation is a row of the draws' authorization matrix. prepare
// makes the object the operation needs (as 140522-wl) and returns the
// variables; other is a user of another bureau who must get NOT_FOUND.
type drawOperation struct {
	name, query               string
	prepare                   func(t *testing.T, e *env) map[string]any
	allowed, forbidden, other string
	public                    bool // anyone may run it, signed in or not
}

// draftDraw, frozenDraw and executedDraw prepare a wl draw in that state.
func draftDraw(t *testing.T, e *env) map[string]any {
	t.Helper()
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(6), 3)
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(planner, createDraw, map[string]any{"in": newDrawInput("矩阵", nil)}).mustData(t, &c)
	return map[string]any{"id": c.CreateDraw.Draw.ID}
}

func frozenDraw(t *testing.T, e *env) map[string]any {
	t.Helper()
	vars := draftDraw(t, e)
	e.Do(e.As("wl-planner"), freezeDraw, vars).mustData(t, nil)
	return vars
}

func executedDraw(t *testing.T, e *env) map[string]any {
	t.Helper()
	vars := frozenDraw(t, e)
	e.Do(e.As("wl-planner"), executeDraw, map[string]any{"id": vars["id"], "c": "matrix"}).mustData(t, nil)
	return vars
}

// redrawDraft prepares a draft re-draw of an executed wl draw.
func redrawDraft(t *testing.T, e *env) map[string]any {
	t.Helper()
	vars := executedDraw(t, e)
	in := newDrawInput("重抽", map[string]any{"redrawOf": vars["id"], "redrawReason": "仪式中断"})
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(e.As("wl-planner"), createDraw, map[string]any{"in": in}).mustData(t, &c)
	return map[string]any{"id": c.CreateDraw.Draw.ID}
}

// invitingDraw prepares a wl draft that invites 140522-sj.
func invitingDraw(t *testing.T, e *env) map[string]any {
	t.Helper()
	in := newDrawInput("邀请", map[string]any{"participants": []string{"140522-sj"}})
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(e.As("wl-planner"), createDraw, map[string]any{"in": in}).mustData(t, &c)
	return map[string]any{"id": c.CreateDraw.Draw.ID}
}

var drawOperations = []drawOperation{
	{name: "draws", query: `{ draws { nodes { id } } }`, prepare: draftDraw, allowed: "wl-inspector1"},
	{name: "draw", query: `query($id: ID!) { draw(id: $id) { id status participants { bureau { code } } } }`,
		prepare: draftDraw, allowed: "wl-inspector1", other: "sj-planner"},
	{name: "createDraw", query: createDraw,
		prepare: func(t *testing.T, e *env) map[string]any { return map[string]any{"in": newDrawInput("矩阵", nil)} },
		allowed: "wl-planner", forbidden: "wl-inspector1"},
	{name: "setDrawParticipation", query: `mutation($id: ID!) { setDrawParticipation(input: {drawId: $id, teamSize: 3, items: []}) { participant { teamSize } } }`,
		prepare: draftDraw, allowed: "wl-planner", forbidden: "wl-leader", other: "sj-planner"},
	{name: "freezeDraw", query: freezeDraw, prepare: draftDraw, allowed: "wl-planner", forbidden: "wl-leader", other: "sj-planner"},
	{name: "executeDraw", query: `mutation($id: ID!) { executeDraw(input: {drawId: $id, ceremony: "1"}) { draw { status } } }`,
		prepare: frozenDraw, allowed: "wl-planner", forbidden: "wl-reviewer", other: "sj-planner"},
	{name: "drawManifestFull", query: `query($id: ID!) { drawManifest(id: $id, form: FULL) }`,
		prepare: executedDraw, allowed: "wl-leader", forbidden: "wl-inspector1", other: "sj-leader"},
	{name: "drawManifestPublic", query: `query($id: ID!) { drawManifest(id: $id) }`, prepare: executedDraw, public: true},
	{name: "drawCommitment", query: `query($id: ID!) { drawCommitment(id: $id) }`, prepare: frozenDraw, public: true},
	{name: "drawOverlaps", query: `{ drawOverlaps(year: 2026, quarter: 1) { nodes { entityCode } } }`,
		prepare: func(t *testing.T, e *env) map[string]any { return nil }, allowed: "lh-coordinator", forbidden: "wl-planner"},
	{name: "jointVisits", query: `{ jointVisits(year: 2026, quarter: 1) { nodes { id } } }`,
		prepare: func(t *testing.T, e *env) map[string]any { return nil }, allowed: "wl-inspector1"},
	{name: "answerJointVisit", query: `mutation { answerJointVisit(input: {jointVisitId: "1", accept: true}) { jointVisit { id } } }`,
		prepare: func(t *testing.T, e *env) map[string]any { return nil }, forbidden: "wl-inspector1"},
	{name: "substituteInspector", query: `mutation($id: ID!) { substituteInspector(input: {drawId: $id, seq: 1, out: "x", in: "y", reason: "病"}) { task { seq } } }`,
		prepare: executedDraw, forbidden: "wl-inspector1", other: "sj-planner"},
	{name: "answerDrawInvitation", query: answerInvitation,
		prepare: func(t *testing.T, e *env) map[string]any {
			vars := invitingDraw(t, e)
			vars["a"] = true
			return vars
		}, allowed: "sj-planner", forbidden: "sj-inspector1", other: "lh-admin"},
	{name: "approveRedraw", query: approveRedraw, prepare: redrawDraft, allowed: "wl-leader", forbidden: "wl-planner", other: "sj-leader"},
	{name: "cancelDraw", query: cancelDraw,
		prepare: func(t *testing.T, e *env) map[string]any {
			vars := draftDraw(t, e)
			vars["r"] = "计划调整"
			return vars
		}, allowed: "wl-planner", forbidden: "wl-leader", other: "sj-planner"},
	{name: "drawOpenings", query: `query($id: ID!) { drawOpenings(id: $id) }`, prepare: executedDraw, allowed: "wl-planner", other: "sj-planner"},
	{name: "drawOpening", query: `query($id: ID!) { drawOpening(id: $id, entityCode: "91140522MA1000000R") }`,
		prepare: executedDraw, allowed: "wl-planner", other: "sj-planner"},
}

func TestDrawAuthorizationMatrix(t *testing.T) {
	for _, op := range drawOperations {
		t.Run(op.name, func(t *testing.T) {
			e := newEnv(t)
			vars := op.prepare(t, e)
			if op.public {
				t.Run("PublicWithoutSignIn", func(t *testing.T) { e.Do(request{}, op.query, vars).mustData(t, nil) })
				return
			}
			if op.allowed != "" {
				t.Run("Allowed", func(t *testing.T) { e.Do(e.As(op.allowed), op.query, vars).mustData(t, nil) })
			}
			if op.forbidden != "" {
				t.Run("ForbiddenRole", func(t *testing.T) { wantCode(t, e.Do(e.As(op.forbidden), op.query, vars), "FORBIDDEN") })
			}
			t.Run("Unauthenticated", func(t *testing.T) { wantCode(t, e.Do(request{}, op.query, vars), "UNAUTHENTICATED") })
			if op.other != "" {
				t.Run("OtherBureauNotFound", func(t *testing.T) { wantCode(t, e.Do(e.As(op.other), op.query, vars), "NOT_FOUND") })
			}
		})
	}
}
