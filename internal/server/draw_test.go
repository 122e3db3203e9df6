package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
)

// fillRoster imports entities (classes cycling A–D) and inspectors into
// the bureau of rq, and returns the entity codes.
func fillRoster(t *testing.T, e *env, rq request, prefix string, codes []string, inspectors int) {
	t.Helper()
	var ent strings.Builder
	ent.WriteString("统一社会信用代码,名称,风险分类,属地单位,状态\n")
	for i, c := range codes {
		fmt.Fprintf(&ent, "%s,企业%s%d,%c,凤城所,在营\n", c, prefix, i, "ABCD"[i%4])
	}
	e.importFile(t, rq, "ENTITIES", "entities.csv", ent.String(), false)
	var ins strings.Builder
	ins.WriteString("姓名,执法证号,所属单位,发证日期,有效期至,资格,状态\n")
	for i := 0; i < inspectors; i++ {
		fmt.Fprintf(&ins, "执法员%s%d,%s-%03d,执法%d中队,2024-01-01,2030-12-31,WL-01,在岗\n", prefix, i, prefix, i, i%3)
	}
	if inspectors > 0 {
		e.importFile(t, rq, "INSPECTORS", "inspectors.csv", ins.String(), false)
	}
}

const createDraw = `mutation($in: CreateDrawInput!) { createDraw(input: $in) { draw { id status joint } } }`
const freezeDraw = `mutation($id: ID!) { freezeDraw(input: {drawId: $id}) { draw { id status frameSize } } }`
const executeDraw = `mutation($id: ID!, $c: String!) { executeDraw(input: {drawId: $id, ceremony: $c}) { draw { id status seed } } }`

type drawData struct {
	ID, Status string
	FrameSize  int
	Seed       string
}

func newDrawInput(title string, extra map[string]any) map[string]any {
	in := map[string]any{"year": 2026, "quarter": 1, "title": title, "teamSize": 2,
		"windowStart": "2026-03-01", "windowEnd": "2026-03-31"}
	for k, v := range extra {
		in[k] = v
	}
	if q, ok := extra["quarter"].(int); ok && extra["windowStart"] == nil {
		in["windowStart"], in["windowEnd"] = quarterDay(q, "06"), quarterDay(q, "28")
	}
	return in
}

// makeDraw creates and freezes a draw as rq and returns its id.
func makeDraw(t *testing.T, e *env, rq request, in map[string]any) string {
	t.Helper()
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(rq, createDraw, map[string]any{"in": in}).mustData(t, &c)
	var f struct{ FreezeDraw struct{ Draw drawData } }
	e.Do(rq, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID}).mustData(t, &f)
	if f.FreezeDraw.Draw.Status != "FROZEN" {
		t.Fatalf("after freeze: %+v", f.FreezeDraw.Draw)
	}
	return c.CreateDraw.Draw.ID
}

func getPublic(t *testing.T, e *env, path string) (int, []byte) {
	t.Helper()
	res, err := http.Get(e.Server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

func TestDrawLifecycle(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(40), 6)

	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(planner, createDraw, map[string]any{"in": newDrawInput("2026年第一季度抽查", nil)}).mustData(t, &c)
	id := c.CreateDraw.Draw.ID

	t.Run("ErrExecuteDraft", func(t *testing.T) {
		wantCode(t, e.Do(planner, executeDraw, map[string]any{"id": id, "c": "123456"}), "CONFLICT")
	})
	t.Run("NoPublicDocumentsForADraft", func(t *testing.T) {
		if status, _ := getPublic(t, e, "/public/draws/"+databaseID(t, id)+"/commitment.json"); status != http.StatusNotFound {
			t.Fatalf("commitment of a draft: status %d, want 404", status)
		}
	})
	var f struct{ FreezeDraw struct{ Draw drawData } }
	e.Do(planner, freezeDraw, map[string]any{"id": id}).mustData(t, &f)
	if f.FreezeDraw.Draw.FrameSize != 40 {
		t.Fatalf("frame size = %d, want 40", f.FreezeDraw.Draw.FrameSize)
	}
	t.Run("ErrFreezeTwice", func(t *testing.T) {
		wantCode(t, e.Do(planner, freezeDraw, map[string]any{"id": id}), "CONFLICT")
	})
	t.Run("ErrSubstituteBeforeTheCeremony", func(t *testing.T) {
		r := e.Do(planner, `mutation($id: ID!) { substituteInspector(input: {drawId: $id, seq: 1, out: "A", in: "B", reason: "病"}) { task { seq } } }`,
			map[string]any{"id": id})
		wantCode(t, r, "CONFLICT")
	})
	var commitment draw.Commitment
	t.Run("CommitmentIsPublicAtFreeze", func(t *testing.T) {
		status, body := getPublic(t, e, "/public/draws/"+databaseID(t, id)+"/commitment.json")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if err := json.Unmarshal(body, &commitment); err != nil {
			t.Fatal(err)
		}
		if len(commitment.Inputs.Frame) != 40 || strings.Contains(string(body), "row_key") || strings.Contains(string(body), `"nonce"`) {
			t.Fatalf("commitment: %d frame rows; must hold no row key or nonce", len(commitment.Inputs.Frame))
		}
	})
	// The roster changes after the freeze: the draw still uses the frozen frame.
	fillRoster(t, e, planner, "late", usccs(45)[40:], 0)

	var x struct{ ExecuteDraw struct{ Draw drawData } }
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "骰子 3-5-2-6-1-4"}).mustData(t, &x)
	if x.ExecuteDraw.Draw.Status != "EXECUTED" || len(x.ExecuteDraw.Draw.Seed) != 64 {
		t.Fatalf("after execute: %+v", x.ExecuteDraw.Draw)
	}
	t.Run("ErrEveryTransitionFromAWrongState", func(t *testing.T) {
		wantCode(t, e.Do(planner, executeDraw, map[string]any{"id": id, "c": "again"}), "CONFLICT")
		wantCode(t, e.Do(planner, freezeDraw, map[string]any{"id": id}), "CONFLICT")
		wantCode(t, e.Do(planner, `mutation($id: ID!) { setDrawParticipation(input: {drawId: $id, teamSize: 3, items: []}) { participant { teamSize } } }`,
			map[string]any{"id": id}), "CONFLICT")
	})
	t.Run("PublicManifestVerifies", func(t *testing.T) {
		status, body := getPublic(t, e, "/public/draws/"+databaseID(t, id)+"/manifest.json")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if _, err := draw.Verify(body); err != nil {
			t.Fatalf("public manifest does not verify: %v", err)
		}
		var pm draw.PublicManifest
		json.Unmarshal(body, &pm)
		if len(pm.Inputs.Frame) != 40 {
			t.Fatalf("manifest frame = %d rows, want the 40 frozen", len(pm.Inputs.Frame))
		}
		if err := commitment.Matches(&pm); err != nil {
			t.Fatalf("manifest does not match the commitment published at freeze: %v", err)
		}
		t.Run("EntityOpening", func(t *testing.T) {
			var o struct{ DrawOpening json.RawMessage }
			entity := pm.Inputs.Frame[0].ID
			e.Do(planner, `query($id: ID!, $c: String!) { drawOpening(id: $id, entityCode: $c) }`, map[string]any{"id": id, "c": entity}).mustData(t, &o)
			var opening draw.Opening
			if err := json.Unmarshal(o.DrawOpening, &opening); err != nil {
				t.Fatal(err)
			}
			if _, err := draw.CheckOpening(opening, &pm); err != nil {
				t.Fatalf("the entity's opening does not check out: %v", err)
			}
			wantCode(t, e.Do(e.As("sj-planner"), `query($id: ID!, $c: String!) { drawOpening(id: $id, entityCode: $c) }`,
				map[string]any{"id": id, "c": entity}), "NOT_FOUND")
		})
	})
	t.Run("FullManifestForAuditors", func(t *testing.T) {
		var m struct{ DrawManifest json.RawMessage }
		e.Do(e.As("wl-leader"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}).mustData(t, &m)
		if _, err := draw.Verify(m.DrawManifest); err != nil {
			t.Fatalf("full manifest does not verify: %v", err)
		}
		wantCode(t, e.Do(e.As("wl-inspector1"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}), "FORBIDDEN")
		// admins manage members; they are no auditors by default
		wantCode(t, e.Do(e.As("wl-admin"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}), "FORBIDDEN")
		wantCode(t, e.Do(e.As("sj-leader"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}), "NOT_FOUND")
	})
	t.Run("TasksAndTeams", func(t *testing.T) {
		var d struct {
			Draw struct {
				Tasks struct {
					Nodes []struct {
						EntityCode string
						Team       []struct{ Bureau, Certificate string }
					}
				}
			}
		}
		e.Do(planner, `query($id: ID!) { draw(id: $id) { tasks(first: 100) { nodes { entityCode team { bureau certificate } } } } }`,
			map[string]any{"id": id}).mustData(t, &d)
		if len(d.Draw.Tasks.Nodes) == 0 {
			t.Fatal("no tasks")
		}
		for _, task := range d.Draw.Tasks.Nodes {
			if len(task.Team) != 2 || task.Team[0].Bureau != "140522-wl" || task.Team[0].Certificate == task.Team[1].Certificate {
				t.Fatalf("task %s team %+v, want two different wl inspectors", task.EntityCode, task.Team)
			}
		}
		wantCode(t, e.Do(e.As("sj-planner"), `query($id: ID!) { draw(id: $id) { id } }`, map[string]any{"id": id}), "NOT_FOUND")
	})
}

func TestExecuteConcurrently(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(20), 6)
	id := makeDraw(t, e, planner, newDrawInput("并发", nil))
	var wg sync.WaitGroup
	codes := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes <- doGraphQL(t, e.Server.URL, planner, executeDraw, map[string]any{"id": id, "c": fmt.Sprint("client ", i)}).Code()
		}(i)
	}
	wg.Wait()
	close(codes)
	got := map[string]int{}
	for c := range codes {
		got[c]++
	}
	if got[""] != 1 || got["CONFLICT"] != 19 {
		t.Fatalf("results = %v, want one success and 19 CONFLICT", got)
	}
	var tasks int
	if err := e.DB.Get(&tasks, `SELECT count(DISTINCT seq) FROM draw_tasks WHERE draw_id = $1`, databaseID(t, id)); err != nil {
		t.Fatal(err)
	}
	var stored int
	e.DB.Get(&stored, `SELECT count(*) FROM draw_tasks WHERE draw_id = $1`, databaseID(t, id))
	if tasks == 0 || stored != tasks {
		t.Fatalf("stored %d task rows for %d tasks: one result only", stored, tasks)
	}
}

// A bureau with fewer qualified inspectors than its team size cannot freeze
// a draw at all, and is told the figures.
func TestFreezeRefusedWhenPoolSmallerThanTeam(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(8), 1) // one inspector; teams need two
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(planner, createDraw, map[string]any{"in": newDrawInput("人手不足", nil)}).mustData(t, &c)
	r := e.Do(planner, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID})
	wantCode(t, r, "CONFLICT")
	if msg := r.Errors[0].Message; !strings.Contains(msg, "140522-wl has 1 active inspectors") || !strings.Contains(msg, "team size 2") {
		t.Errorf("message %q should give the bureau, its pool and its team size", msg)
	}
}

func TestDrawThatCannotBeStaffedKeepsNothing(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(8), 2) // two inspectors, each on one task at most
	id := makeDraw(t, e, planner, newDrawInput("人手不足", map[string]any{"maxTasksPerInspector": 1}))
	r := e.Do(planner, executeDraw, map[string]any{"id": id, "c": "42"})
	wantCode(t, r, "CONFLICT")
	if !strings.Contains(r.Errors[0].Message, "insufficient_inspectors") || !strings.Contains(r.Errors[0].Message, "140522-wl") {
		t.Errorf("message %q should name insufficient_inspectors and the bureau", r.Errors[0].Message)
	}
	var d struct {
		Draw struct {
			Status  string
			Failure struct{ Code, Entity, Bureau string }
		}
	}
	e.Do(planner, `query($id: ID!) { draw(id: $id) { status failure { code entity bureau } } }`, map[string]any{"id": id}).mustData(t, &d)
	if d.Draw.Status != "FAILED" || d.Draw.Failure.Code != "insufficient_inspectors" || d.Draw.Failure.Entity == "" || d.Draw.Failure.Bureau != "140522-wl" {
		t.Fatalf("draw = %+v, want FAILED naming entity and bureau", d.Draw)
	}
	var tasks int
	e.DB.Get(&tasks, `SELECT count(*) FROM draw_tasks WHERE draw_id = $1`, databaseID(t, id))
	if tasks != 0 {
		t.Fatalf("a failed draw kept %d tasks", tasks)
	}
	wantCode(t, e.Do(planner, executeDraw, map[string]any{"id": id, "c": "another try"}), "CONFLICT")
}

func TestAnnualCapAcrossBureaus(t *testing.T) {
	e := newEnv(t)
	codes := usccs(40)
	shared := codes[:1] // class A: once a year, by any bureau
	sj, wl := e.As("sj-planner"), e.As("wl-planner")
	fillRoster(t, e, sj, "sj", shared, 3)
	fillRoster(t, e, wl, "wl", codes, 3)
	sjDraw := makeDraw(t, e, sj, newDrawInput("市监局抽查", nil))
	e.Do(sj, executeDraw, map[string]any{"id": sjDraw, "c": "1"}).mustData(t, nil)

	wlDraw := makeDraw(t, e, wl, newDrawInput("文旅局抽查", map[string]any{"quarter": 2}))
	e.Do(wl, executeDraw, map[string]any{"id": wlDraw, "c": "2"}).mustData(t, nil)
	var m struct{ DrawManifest json.RawMessage }
	e.Do(e.As("wl-leader"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": wlDraw}).mustData(t, &m)
	var full draw.Manifest
	if err := json.Unmarshal(m.DrawManifest, &full); err != nil {
		t.Fatal(err)
	}
	if len(full.Inputs.Exclusions) != 1 || full.Inputs.Exclusions[0].ID != shared[0] || full.Inputs.Exclusions[0].Reason != "annual_cap" {
		t.Fatalf("exclusions = %+v, want %s at its annual cap", full.Inputs.Exclusions, shared[0])
	}
	for _, task := range full.Tasks {
		if task.Entity == shared[0] {
			t.Fatalf("%s was drawn again although another bureau inspected it this year", shared[0])
		}
	}
	t.Run("ErrDrawBelowThePlansMinimum", func(t *testing.T) {
		// sj's roster is only the capped entity: a draw could take none of it.
		var c struct{ CreateDraw struct{ Draw drawData } }
		e.Do(sj, createDraw, map[string]any{"in": newDrawInput("无可抽", map[string]any{"quarter": 3})}).mustData(t, &c)
		r := e.Do(sj, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID})
		wantCode(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "0 of the 1 entities in scope") {
			t.Errorf("message %q should give the figures", r.Errors[0].Message)
		}
	})
}

func TestJointDraw(t *testing.T) {
	e := newEnv(t)
	codes := usccs(12)
	wl, sj, lh := e.As("wl-planner"), e.As("sj-planner"), e.As("lh-coordinator")
	fillRoster(t, e, wl, "wl", codes[:8], 4)
	fillRoster(t, e, sj, "sj", codes[4:], 4)
	var c struct{ CreateDraw struct{ Draw drawData } }
	in := newDrawInput("联合抽查", map[string]any{"participants": []string{"140522-wl", "140522-sj"}})
	delete(in, "teamSize")
	e.Do(lh, createDraw, map[string]any{"in": in}).mustData(t, &c)
	id := c.CreateDraw.Draw.ID
	const participate = `mutation($id: ID!) { setDrawParticipation(input: {drawId: $id, teamSize: 2, items: []}) { participant { bureau { code } teamSize } } }`
	e.Do(wl, participate, map[string]any{"id": id}).mustData(t, nil)
	e.Do(sj, participate, map[string]any{"id": id}).mustData(t, nil)
	wantCode(t, e.Do(e.As("wl-inspector1"), participate, map[string]any{"id": id}), "FORBIDDEN")
	r := e.Do(lh, freezeDraw, map[string]any{"id": id})
	wantCode(t, r, "CONFLICT")
	if !strings.Contains(r.Errors[0].Message, "140522-sj 140522-wl") {
		t.Errorf("message %q should name the bureaus that have not answered", r.Errors[0].Message)
	}
	e.Do(wl, answerInvitation, map[string]any{"id": id, "a": true}).mustData(t, nil)
	e.Do(e.As("sj-admin"), answerInvitation, map[string]any{"id": id, "a": true}).mustData(t, nil)

	var f struct{ FreezeDraw struct{ Draw drawData } }
	e.Do(lh, freezeDraw, map[string]any{"id": id}).mustData(t, &f)
	if f.FreezeDraw.Draw.FrameSize != 12 {
		t.Fatalf("joint frame = %d entities, want the 12 of both rosters", f.FreezeDraw.Draw.FrameSize)
	}
	wantCode(t, e.Do(wl, executeDraw, map[string]any{"id": id, "c": "7"}), "FORBIDDEN")
	e.Do(lh, executeDraw, map[string]any{"id": id, "c": "7"}).mustData(t, nil)

	// Each entity is visited by exactly the bureaus that supervise it:
	// codes[:4] only wl, codes[4:8] both, codes[8:] only sj.
	supervisors := func(code string) map[string]int {
		i := slices.Index(codes, code)
		want := map[string]int{}
		if i < 8 {
			want["140522-wl"] = 2
		}
		if i >= 4 {
			want["140522-sj"] = 2
		}
		return want
	}
	const tasksQuery = `query($id: ID!) { draw(id: $id) { joint tasks(first: 50) { nodes { entityCode team { bureau step ticket } } } } }`
	for _, rq := range []request{wl, sj, lh} {
		var d struct {
			Draw struct {
				Joint bool
				Tasks struct {
					Nodes []struct {
						EntityCode string
						Team       []struct {
							Bureau string
							Step   *int
							Ticket *string
						}
					}
				}
			}
		}
		e.Do(rq, tasksQuery, map[string]any{"id": id}).mustData(t, &d)
		if !d.Draw.Joint || len(d.Draw.Tasks.Nodes) == 0 {
			t.Fatalf("joint draw as seen by a participant: %+v", d.Draw)
		}
		for _, task := range d.Draw.Tasks.Nodes {
			per := map[string]int{}
			for _, m := range task.Team {
				per[m.Bureau]++
				if m.Step == nil || m.Ticket != nil {
					t.Fatalf("team member %+v of a v2 draw: want a step and no ticket", m)
				}
			}
			if want := supervisors(task.EntityCode); !maps.Equal(per, want) {
				t.Fatalf("entity %s: team %v, want two of each bureau that supervises it: %v", task.EntityCode, per, want)
			}
		}
	}
	t.Run("ParticipantGetsOwnOpeningsNotFullManifest", func(t *testing.T) { participantDocuments(t, e, id, codes) })
	t.Run("OpeningsKeptAgainAtStart", func(t *testing.T) {
		// A draw executed before the openings were kept gets them when the
		// service starts: the same as the ceremony keeps.
		const kept = `SELECT string_agg(b.code || '=' || md5(o.openings), ' ' ORDER BY b.code) FROM draw_openings o JOIN bureaus b ON b.id = o.bureau_id WHERE o.draw_id = $1`
		var before, after string
		if err := e.DB.Get(&before, kept, databaseID(t, id)); err != nil || strings.Count(before, "=") != 2 {
			t.Fatalf("openings kept at the ceremony: %q (%v), want wl's and sj's", before, err)
		}
		if _, err := e.DB.Exec(`DELETE FROM draw_openings WHERE draw_id = $1`, databaseID(t, id)); err != nil {
			t.Fatal(err)
		}
		if err := postgres.SealParticipantOpenings(context.Background(), e.DB); err != nil {
			t.Fatal(err)
		}
		if err := e.DB.Get(&after, kept, databaseID(t, id)); err != nil || after != before {
			t.Errorf("openings kept at start: %q (%v), want %q", after, err, before)
		}
	})
	t.Run("InvitationAndAnswerInBothTrails", func(t *testing.T) {
		for _, bureau := range []string{"140522-wl", "140522-sj", "140522-lh"} {
			var invites, answers int
			e.DB.Get(&invites, `SELECT count(*) FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id
WHERE b.code = $1 AND a.action = 'draw.invite' AND a.object_id = $2`, bureau, databaseID(t, id))
			e.DB.Get(&answers, `SELECT count(*) FROM audit_log a JOIN bureaus b ON b.id = a.bureau_id
WHERE b.code = $1 AND a.action = 'draw.answer' AND a.object_id = $2`, bureau, databaseID(t, id))
			want := 1 // an invited bureau: its invitation and its answer
			if bureau == "140522-lh" {
				want = 2 // the lead: both invitations and both answers
			}
			if invites != want || answers != want {
				t.Errorf("%s's trail holds %d invitations and %d answers of draw %s, want %d each", bureau, invites, answers, id, want)
			}
		}
	})
}

const answerInvitation = `mutation($id: ID!, $a: Boolean!) { answerDrawInvitation(input: {drawId: $id, accept: $a}) { participant { bureau { code } answer } } }`

// participantDocuments: a participant that does not lead gets the public
// manifest and the openings of the entities it supervises, never the full
// manifest; the lead's (here the joint office's) auditors get it.
func participantDocuments(t *testing.T, e *env, id string, codes []string) {
	const full = `query($id: ID!) { drawManifest(id: $id, form: FULL) }`
	wantCode(t, e.Do(e.As("wl-leader"), full, map[string]any{"id": id}), "FORBIDDEN")
	e.Do(e.As("lh-leader"), full, map[string]any{"id": id}).mustData(t, nil)
	_, body := getPublic(t, e, "/public/draws/"+databaseID(t, id)+"/manifest.json")
	var pm draw.PublicManifest
	if err := json.Unmarshal(body, &pm); err != nil {
		t.Fatal(err)
	}
	var o struct{ DrawOpenings json.RawMessage }
	e.Do(e.As("wl-planner"), `query($id: ID!) { drawOpenings(id: $id) }`, map[string]any{"id": id}).mustData(t, &o)
	var openings []draw.Opening
	if err := json.Unmarshal(o.DrawOpenings, &openings); err != nil {
		t.Fatal(err)
	}
	if len(openings) != 8 {
		t.Fatalf("wl got %d openings, want the 8 entities it supervises", len(openings))
	}
	for _, op := range openings {
		if _, wl := op.FrameRow.Units.Of("140522-wl"); !wl {
			t.Fatalf("wl got the opening of %s, which it does not supervise", op.Entity)
		}
		if _, err := draw.CheckOpening(op, &pm); err != nil {
			t.Fatalf("opening of %s: %v", op.Entity, err)
		}
	}
	const one = `query($id: ID!, $c: String!) { drawOpening(id: $id, entityCode: $c) }`
	wantCode(t, e.Do(e.As("wl-planner"), one, map[string]any{"id": id, "c": codes[11]}), "NOT_FOUND")
	e.Do(e.As("sj-planner"), one, map[string]any{"id": id, "c": codes[11]}).mustData(t, nil)
}

func TestDrawInvitationAnswer(t *testing.T) {
	e := newEnv(t)
	wl := e.As("wl-planner")
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(wl, createDraw, map[string]any{"in": newDrawInput("邀请", map[string]any{"participants": []string{"140522-sj"}})}).mustData(t, &c)
	id := c.CreateDraw.Draw.ID
	vars := map[string]any{"id": id, "a": true}
	t.Run("ErrUnauthenticated", func(t *testing.T) { wantCode(t, e.Do(request{}, answerInvitation, vars), "UNAUTHENTICATED") })
	t.Run("ErrInspectorRole", func(t *testing.T) { wantCode(t, e.Do(e.As("sj-inspector1"), answerInvitation, vars), "FORBIDDEN") })
	t.Run("ErrNotInvited", func(t *testing.T) { wantCode(t, e.Do(e.As("lh-admin"), answerInvitation, vars), "NOT_FOUND") })
	t.Run("ErrLeadHasNothingToAnswer", func(t *testing.T) { wantCode(t, e.Do(wl, answerInvitation, vars), "CONFLICT") })
	t.Run("DeclineThenAccept", func(t *testing.T) {
		var a struct {
			AnswerDrawInvitation struct{ Participant struct{ Answer string } }
		}
		e.Do(e.As("sj-planner"), answerInvitation, map[string]any{"id": id, "a": false}).mustData(t, &a)
		if a.AnswerDrawInvitation.Participant.Answer != "DECLINED" {
			t.Fatalf("answer = %s", a.AnswerDrawInvitation.Participant.Answer)
		}
		e.Do(e.As("sj-admin"), answerInvitation, vars).mustData(t, &a)
		if a.AnswerDrawInvitation.Participant.Answer != "ACCEPTED" {
			t.Fatalf("answer = %s", a.AnswerDrawInvitation.Participant.Answer)
		}
	})
}

func TestSubstituteInspector(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(4), 5)
	id := makeDraw(t, e, planner, newDrawInput("替换", nil))
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "9"}).mustData(t, nil)
	var d struct {
		Draw struct {
			Tasks struct {
				Nodes []struct {
					Seq  int
					Team []struct{ Certificate string }
				}
			}
		}
	}
	e.Do(planner, `query($id: ID!) { draw(id: $id) { tasks { nodes { seq team { certificate } } } } }`, map[string]any{"id": id}).mustData(t, &d)
	task := d.Draw.Tasks.Nodes[0]
	out := task.Team[0].Certificate
	in := ""
	for i := 0; i < 5 && in == ""; i++ {
		c := fmt.Sprintf("WL-%03d", i)
		if c != task.Team[0].Certificate && c != task.Team[1].Certificate {
			in = c
		}
	}
	const substitute = `mutation($in: SubstituteInspectorInput!) { substituteInspector(input: $in) { task { seq team { certificate } substitutions { out in reason } } } }`
	vars := map[string]any{"in": map[string]any{"drawId": id, "seq": task.Seq, "out": out, "in": in, "reason": "病假"}}
	t.Run("ErrOtherBureau", func(t *testing.T) {
		wantCode(t, e.Do(e.As("sj-planner"), substitute, vars), "NOT_FOUND")
	})
	t.Run("ErrInspectorRole", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-inspector1"), substitute, vars), "FORBIDDEN")
	})
	t.Run("OK", func(t *testing.T) {
		var s struct {
			SubstituteInspector struct {
				Task struct {
					Team          []struct{ Certificate string }
					Substitutions []struct{ Out, In, Reason string }
				}
			}
		}
		e.Do(planner, substitute, vars).mustData(t, &s)
		got := s.SubstituteInspector.Task
		if got.Team[0].Certificate != out || len(got.Substitutions) != 1 || got.Substitutions[0].In != in {
			t.Fatalf("task after substitution = %+v: the drawn team stays, the change is listed", got)
		}
	})
	t.Run("ErrOutNoLongerOnTeam", func(t *testing.T) {
		wantCode(t, e.Do(planner, substitute, vars), "BAD_USER_INPUT")
	})
	t.Run("EveryReadShowsTheSameTask", func(t *testing.T) {
		// The task as the mutation answers it, as its draw's page of tasks
		// reads it and as a page of draws reads it in one batch: the same
		// team and substitution, at the instant stored.
		const fields = `seq team { bureau certificate name ticket step position } substitutions { bureau out in reason at }`
		var byMutation struct {
			SubstituteInspector struct{ Task json.RawMessage }
		}
		var other = map[string]any{"in": map[string]any{"drawId": id, "seq": task.Seq, "out": in, "in": out, "reason": "复工"}}
		e.Do(planner, `mutation($in: SubstituteInspectorInput!) { substituteInspector(input: $in) { task { `+fields+` } } }`, other).mustData(t, &byMutation)
		var byDraw struct {
			Draw struct {
				Tasks struct{ Nodes []json.RawMessage }
			}
		}
		e.Do(planner, `query($id: ID!) { draw(id: $id) { tasks(first: 1) { nodes { `+fields+` } } } }`, map[string]any{"id": id}).mustData(t, &byDraw)
		var byPage struct {
			Draws struct {
				Nodes []struct {
					Tasks struct{ Nodes []json.RawMessage }
				}
			}
		}
		e.Do(planner, `{ draws(first: 1) { nodes { tasks(first: 1) { nodes { `+fields+` } } } } }`, nil).mustData(t, &byPage)
		want := string(byMutation.SubstituteInspector.Task)
		if got := string(byDraw.Draw.Tasks.Nodes[0]); got != want {
			t.Errorf("draw.tasks reads %s, the mutation answered %s", got, want)
		}
		if got := string(byPage.Draws.Nodes[0].Tasks.Nodes[0]); got != want {
			t.Errorf("draws.tasks reads %s, the mutation answered %s", got, want)
		}
		var stored []time.Time
		if err := e.DB.Select(&stored, `SELECT at FROM draw_substitutions ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		var task struct {
			Team          []struct{ Bureau, Certificate, Name string }
			Substitutions []struct{ Out, In, Reason, At string }
		}
		if err := json.Unmarshal([]byte(want), &task); err != nil {
			t.Fatal(err)
		}
		subs := task.Substitutions
		if len(stored) != 2 || len(subs) != 2 || subs[1].Reason != "复工" || subs[0].In != in ||
			subs[0].At != stored[0].Format(time.RFC3339Nano) || subs[1].At != stored[1].Format(time.RFC3339Nano) {
			t.Errorf("substitutions %+v, stored at %v", subs, stored)
		}
		if len(task.Team) != 2 || task.Team[0].Name == "" || task.Team[0].Bureau != "140522-wl" {
			t.Errorf("team %+v: the drawn team with its names", task.Team)
		}
	})
	t.Run("ManifestKeepsTheDrawnTeam", func(t *testing.T) {
		_, body := getPublic(t, e, "/public/draws/"+databaseID(t, id)+"/manifest.json")
		if _, err := draw.Verify(body); err != nil {
			t.Fatalf("manifest after substitution: %v", err)
		}
	})
}

func TestDrawOverlaps(t *testing.T) {
	e := newEnv(t)
	shared := usccs(1)
	sj, wl := e.As("sj-planner"), e.As("wl-planner")
	fillRoster(t, e, sj, "sj", shared, 2)
	fillRoster(t, e, wl, "wl", shared, 2)
	// A and B caps are once a year: set the class to D (cap 4) through the plan-free default.
	for _, rq := range []request{sj, wl} {
		e.Do(rq, saveEntity, map[string]any{"in": map[string]any{"uscc": shared[0], "name": "共同对象", "riskClass": "D"}}).mustData(t, nil)
		id := makeDraw(t, e, rq, newDrawInput("同季度", nil))
		e.Do(rq, executeDraw, map[string]any{"id": id, "c": "5"}).mustData(t, nil)
	}
	const q = `{ drawOverlaps(year: 2026, quarter: 1) { totalCount nodes { entityCode bureaus drawIds } } }`
	var o struct {
		DrawOverlaps struct {
			TotalCount int
			Nodes      []struct {
				EntityCode string
				Bureaus    []string
				DrawIds    []string
			}
		}
	}
	e.Do(e.As("lh-coordinator"), q, nil).mustData(t, &o)
	if ov := o.DrawOverlaps; len(ov.Nodes) != 1 || ov.TotalCount != 1 || ov.Nodes[0].EntityCode != shared[0] || len(ov.Nodes[0].Bureaus) != 2 {
		t.Fatalf("overlaps = %+v, want %s drawn by both bureaus", ov, shared[0])
	}
	wantCode(t, e.Do(wl, q, nil), "FORBIDDEN")

	t.Run("JointOfficeSeesParticipants", func(t *testing.T) {
		var d struct {
			Draws struct {
				Nodes []struct {
					Participants []struct{ Bureau struct{ Code string } }
				}
			}
		}
		e.Do(e.As("lh-coordinator"), `{ draws { nodes { participants { bureau { code } } } } }`, nil).mustData(t, &d)
		if len(d.Draws.Nodes) != 2 || len(d.Draws.Nodes[0].Participants) != 1 || len(d.Draws.Nodes[1].Participants) != 1 {
			t.Fatalf("the joint office sees %+v, want both bureaus' draws with their participant", d.Draws.Nodes)
		}
	})

	t.Run("JointVisit", func(t *testing.T) {
		const propose = `mutation($c: String!) { proposeJointVisit(input: {year: 2026, quarter: 1, entityCode: $c}) { jointVisit { id status bureaus } } }`
		const answer = `mutation($id: ID!, $a: Boolean!) { answerJointVisit(input: {jointVisitId: $id, accept: $a}) { jointVisit { status accepted declined } } }`
		lh := e.As("lh-coordinator")
		wantCode(t, e.Do(wl, propose, map[string]any{"c": shared[0]}), "FORBIDDEN")
		wantCode(t, e.Do(request{}, propose, map[string]any{"c": shared[0]}), "UNAUTHENTICATED")
		wantCode(t, e.Do(lh, propose, map[string]any{"c": usccs(2)[1]}), "NOT_FOUND")
		var p struct {
			ProposeJointVisit struct {
				JointVisit struct {
					ID, Status string
					Bureaus    []string
				}
			}
		}
		e.Do(lh, propose, map[string]any{"c": shared[0]}).mustData(t, &p)
		v := p.ProposeJointVisit.JointVisit
		if v.Status != "PROPOSED" || len(v.Bureaus) != 2 {
			t.Fatalf("proposal = %+v", v)
		}
		wantCode(t, e.Do(lh, propose, map[string]any{"c": shared[0]}), "CONFLICT")
		wantCode(t, e.Do(e.As("wl-inspector1"), answer, map[string]any{"id": v.ID, "a": true}), "FORBIDDEN")
		type answered struct {
			AnswerJointVisit struct{ JointVisit struct{ Status string } }
		}
		var a answered
		e.Do(wl, answer, map[string]any{"id": v.ID, "a": true}).mustData(t, &a)
		if a.AnswerJointVisit.JointVisit.Status != "PROPOSED" {
			t.Fatalf("after one acceptance: %s, want PROPOSED", a.AnswerJointVisit.JointVisit.Status)
		}
		wantCode(t, e.Do(wl, answer, map[string]any{"id": v.ID, "a": false}), "CONFLICT")
		e.Do(sj, answer, map[string]any{"id": v.ID, "a": true}).mustData(t, &a)
		if a.AnswerJointVisit.JointVisit.Status != "ACCEPTED" {
			t.Fatalf("after both acceptances: %s, want ACCEPTED", a.AnswerJointVisit.JointVisit.Status)
		}
		var list struct {
			JointVisits struct {
				TotalCount int
				Nodes      []struct{ Status string }
			}
		}
		e.Do(sj, `{ jointVisits(year: 2026, quarter: 1) { totalCount nodes { status } } }`, nil).mustData(t, &list)
		if jv := list.JointVisits; len(jv.Nodes) != 1 || jv.TotalCount != 1 || jv.Nodes[0].Status != "ACCEPTED" {
			t.Fatalf("sj sees %+v", jv)
		}
	})
}

func TestItemsDecideQualifications(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(6), 4) // inspectors hold WL-01
	const saveItem = `mutation($in: SaveInspectionItemInput!) { saveInspectionItem(input: $in) { item { code version } } }`
	for code, qual := range map[string]string{"WL-CHK-1": "WL-01", "WL-CHK-9": "WL-09"} {
		e.Do(planner, saveItem, map[string]any{"in": map[string]any{"code": code, "name": "检查" + code, "qualifications": []string{qual}}}).mustData(t, nil)
	}
	run := func(item string) response {
		id := makeDraw(t, e, planner, newDrawInput("事项", map[string]any{"items": []map[string]any{{"code": item}}}))
		return e.Do(planner, executeDraw, map[string]any{"id": id, "c": item})
	}
	t.Run("QualifiedInspectorsGo", func(t *testing.T) { run("WL-CHK-1").mustData(t, nil) })
	t.Run("ErrNobodyQualified", func(t *testing.T) {
		var c struct{ CreateDraw struct{ Draw drawData } }
		e.Do(planner, createDraw, map[string]any{"in": newDrawInput("事项", map[string]any{"items": []map[string]any{{"code": "WL-CHK-9"}}})}).mustData(t, &c)
		r := e.Do(planner, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID})
		wantCode(t, r, "CONFLICT")
		if !strings.Contains(r.Errors[0].Message, "0 active inspectors holding [WL-09]") {
			t.Errorf("message %q should give the figures", r.Errors[0].Message)
		}
	})
	t.Run("ErrUnknownItem", func(t *testing.T) {
		r := e.Do(planner, createDraw, map[string]any{"in": newDrawInput("事项", map[string]any{"items": []map[string]any{{"code": "NOPE"}}})})
		wantCode(t, r, "BAD_USER_INPUT")
		if r.Errors[0].Extensions.Field != "input.items[0]" {
			t.Errorf("field = %q, want input.items[0]", r.Errors[0].Extensions.Field)
		}
	})
}
