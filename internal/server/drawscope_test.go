package server_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"shuangsuiji/internal/draw"
)

// typedRoster imports entities of the given types (code → 类型) and four
// inspectors into the bureau of rq.
func typedRoster(t *testing.T, e *env, rq request, prefix string, types map[string]string) {
	t.Helper()
	var ent strings.Builder
	ent.WriteString("统一社会信用代码,名称,类型,风险分类,状态\n")
	for _, c := range slices.Sorted(maps.Keys(types)) {
		fmt.Fprintf(&ent, "%s,企业%s%s,%s,A,在营\n", c, prefix, c[12:], types[c])
	}
	e.importFile(t, rq, "ENTITIES", "entities.csv", ent.String(), false)
	var ins strings.Builder
	ins.WriteString("姓名,执法证号,发证日期,有效期至,状态\n")
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&ins, "执法员%s%d,%s-%03d,2024-01-01,2030-12-31,在岗\n", prefix, i, prefix, i)
	}
	e.importFile(t, rq, "INSPECTORS", "inspectors.csv", ins.String(), false)
}

// fullFrame returns the full manifest's frame of a draw as entity → the
// bureaus of its units, read by an auditor of the lead.
func fullFrame(t *testing.T, e *env, auditor request, id string) map[string][]string {
	t.Helper()
	var m struct{ DrawManifest json.RawMessage }
	e.Do(auditor, `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": id}).mustData(t, &m)
	var full draw.Manifest
	if err := json.Unmarshal(m.DrawManifest, &full); err != nil {
		t.Fatal(err)
	}
	frame := map[string][]string{}
	for _, r := range full.Inputs.Frame {
		for _, u := range r.Units {
			frame[r.ID] = append(frame[r.ID], u.Bureau)
		}
	}
	return frame
}

// A 定向 draw's frame takes from each participant's roster the entity types
// that participant's items apply to: the market-supervision bureau's food
// businesses come with its unit, the culture bureau's entertainment venues
// with its, and an entity both supervise for their own items with both; a
// food business on the culture bureau's roster is not visited by it. A
// 不定向 draw takes both rosters whole.
func TestDirectedFrameByEachBureausItems(t *testing.T) {
	e := newEnv(t)
	wl, sj := e.As("wl-planner"), e.As("sj-planner")
	c := usccs(16)
	wlTypes, sjTypes := map[string]string{}, map[string]string{}
	for i := 0; i < 4; i++ {
		wlTypes[c[i]] = "娱乐场所"      // wl only
		wlTypes[c[4+i]] = "娱乐场所"    // both, each for its own items
		sjTypes[c[4+i]] = "食品经营"    // …
		sjTypes[c[8+i]] = "食品经营"    // sj only
		wlTypes[c[12+i/2]] = "食品经营" // on wl's roster, but wl checks no food
		sjTypes[c[14+i/2]] = "娱乐场所" // on sj's roster, but sj checks no venue
	}
	typedRoster(t, e, wl, "wl", wlTypes)
	typedRoster(t, e, sj, "sj", sjTypes)
	const saveItem = `mutation($in: SaveInspectionItemInput!) { saveInspectionItem(input: $in) { item { code } } }`
	e.Do(wl, saveItem, map[string]any{"in": map[string]any{"code": "WL-YL", "name": "娱乐场所检查", "entityTypes": []string{"娱乐场所"}}}).mustData(t, nil)
	e.Do(sj, saveItem, map[string]any{"in": map[string]any{"code": "SJ-SP", "name": "食品经营检查", "entityTypes": []string{"食品经营"}}}).mustData(t, nil)

	joint := func(quarter int, scope map[string]any) string {
		t.Helper()
		in := newDrawInput("联合定向", map[string]any{"quarter": quarter, "participants": []string{"140522-sj"},
			"items": []map[string]any{{"code": "WL-YL"}}, "scope": scope})
		var cd struct{ CreateDraw struct{ Draw drawData } }
		e.Do(wl, createDraw, map[string]any{"in": in}).mustData(t, &cd)
		id := cd.CreateDraw.Draw.ID
		e.Do(sj, answerInvitation, map[string]any{"id": id, "a": true}).mustData(t, nil)
		e.Do(sj, `mutation($id: ID!) { setDrawParticipation(input: {drawId: $id, teamSize: 2, items: [{code: "SJ-SP"}]}) { participant { teamSize } } }`,
			map[string]any{"id": id}).mustData(t, nil)
		e.Do(wl, freezeDraw, map[string]any{"id": id}).mustData(t, nil)
		e.Do(wl, executeDraw, map[string]any{"id": id, "c": "scope"}).mustData(t, nil)
		return id
	}
	t.Run("Directed", func(t *testing.T) {
		got := fullFrame(t, e, e.As("wl-leader"), joint(1, nil))
		want := map[string][]string{}
		for i := 0; i < 4; i++ {
			want[c[i]] = []string{"140522-wl"}
			want[c[4+i]] = []string{"140522-sj", "140522-wl"}
			want[c[8+i]] = []string{"140522-sj"}
		}
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("frame = %v\nwant %v", got, want)
		}
	})
	t.Run("Undirected", func(t *testing.T) {
		got := fullFrame(t, e, e.As("wl-leader"), joint(2, map[string]any{"undirected": true}))
		if len(got) != 16 {
			t.Errorf("不定向 frame holds %d entities, want both rosters whole (16): %v", len(got), got)
		}
		if !slices.Equal(got[c[12]], []string{"140522-wl"}) || !slices.Equal(got[c[14]], []string{"140522-sj"}) {
			t.Errorf("不定向: %s %v, %s %v: want each on its own bureau's roster", c[12], got[c[12]], c[14], got[c[14]])
		}
	})
}
