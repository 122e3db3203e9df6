package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"

	"shuangsuiji/internal/browser"
	"shuangsuiji/internal/draw"
)

// freezeAsV1 turns a frozen draw into one frozen under dual-random-draw/v1
// as the service stored it then: gzip'd JSON of a v1 input (one unit per
// row, the lead's), with that input's commitment in the draw's row.
func freezeAsV1(t *testing.T, e *env, id string) draw.Input {
	t.Helper()
	var stored []byte
	if err := e.DB.Get(&stored, `SELECT input_gz FROM draws WHERE id = $1`, databaseID(t, id)); err != nil {
		t.Fatal(err)
	}
	in, err := draw.UnmarshalBinaryInput(stored)
	if err != nil {
		t.Fatal(err)
	}
	in.Params.Algorithm = draw.AlgorithmV1
	for i, r := range in.Frame {
		in.Frame[i] = draw.FrameRow{ID: r.ID, Stratum: r.Stratum, Unit: r.Units[0].Unit}
	}
	c, err := draw.Commit(in)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	json.NewEncoder(zw).Encode(in)
	zw.Close()
	const q = `UPDATE draws SET input_gz = $2, nonce_commitment = $3, frame_sha256 = $4, exclusions_sha256 = $5,
    inspectors_sha256 = $6, conflicts_sha256 = $7, params_sha256 = $8 WHERE id = $1`
	_, err = e.DB.Exec(q, databaseID(t, id), gz.Bytes(), c.NonceCommitment.String(), c.FrameSHA256.String(),
		c.ExclusionsSHA256.String(), c.InspectorsSHA256.String(), c.ConflictsSHA256.String(), c.ParamsSHA256.String())
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// A draw made under v1 keeps verifying: executed after v2 arrived, its
// tasks carry v1 tickets; its manifests through the API and under
// /public/draws verify as v1 (draw.Verify, which verify-draw runs); its
// commitment is the one frozen; and its public page recomputes it in the
// browser and checks an entity's opening.
func TestV1DrawStaysVerifiable(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	testUnits(t, e, planner)
	fillRoster(t, e, planner, "wl", usccs(30), 4)
	id := makeDraw(t, e, planner, newDrawInput("v1 抽查", map[string]any{"crossUnit": true}))
	frozen := freezeAsV1(t, e, id)
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "v1 ceremony"}).mustData(t, nil)
	number := databaseID(t, id)

	var tasks struct {
		Draw struct {
			Tasks struct {
				Nodes []struct {
					EntityCode string
					Team       []struct {
						Step   *int
						Ticket *string
					}
				}
			}
		}
	}
	e.Do(planner, `query($id: ID!) { draw(id: $id) { tasks(first: 50) { nodes { entityCode team { step ticket } } } } }`,
		map[string]any{"id": id}).mustData(t, &tasks)
	if len(tasks.Draw.Tasks.Nodes) == 0 {
		t.Fatal("no tasks")
	}
	for _, task := range tasks.Draw.Tasks.Nodes {
		for _, m := range task.Team {
			if m.Ticket == nil || m.Step != nil {
				t.Fatalf("task %s: member %+v of a v1 draw, want a ticket and no step", task.EntityCode, m)
			}
		}
	}

	var api struct{ DrawManifest json.RawMessage }
	e.Do(planner, `query($id: ID!) { drawManifest(id: $id) }`, map[string]any{"id": id}).mustData(t, &api)
	status, public := getPublic(t, e, "/public/draws/"+number+"/manifest.json")
	if status != 200 {
		t.Fatalf("public manifest: %d", status)
	}
	var full struct{ DrawManifest json.RawMessage }
	e.Do(e.As("wl-leader"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}).mustData(t, &full)
	for name, doc := range map[string][]byte{"API public": api.DrawManifest, "/public": public, "API full": full.DrawManifest} {
		if _, err := draw.Verify(doc); err != nil {
			t.Fatalf("%s manifest: %v", name, err)
		}
		var head struct{ Algorithm string }
		if json.Unmarshal(doc, &head); head.Algorithm != draw.AlgorithmV1 {
			t.Errorf("%s manifest: algorithm %q, want v1", name, head.Algorithm)
		}
	}
	var pm draw.PublicManifest
	if err := json.Unmarshal(public, &pm); err != nil {
		t.Fatal(err)
	}
	c, err := draw.Commit(frozen)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Matches(&pm); err != nil {
		t.Errorf("the manifest does not match what was frozen: %v", err)
	}

	b := browser.New(t)
	b.Open(e.Server.URL + "/public/draws/" + number)
	if verdict := verifyIn(t, b, chromedp.Click(chromedp.CSS("#verify-published"))); verdict != "pass" {
		t.Fatalf("the page refused the v1 manifest: %s", b.Text("#verify-checks"))
	}
	var o struct{ DrawOpening json.RawMessage }
	selected := tasks.Draw.Tasks.Nodes[0].EntityCode
	e.Do(planner, `query($id: ID!, $c: String!) { drawOpening(id: $id, entityCode: $c) }`, map[string]any{"id": id, "c": selected}).mustData(t, &o)
	if got := checkOpeningIn(t, b, string(o.DrawOpening)); got != "selected" {
		t.Errorf("the v1 opening of %s: the page says %q (%s)", selected, got, b.Text("#opening-result"))
	}
	b.NoErrors()
}
