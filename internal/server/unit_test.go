package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lib/pq"

	"shuangsuiji/internal/draw"
)

const saveUnit = `mutation($in: SaveUnitInput!) { saveUnit(input: $in) { unit { code name aliases } } }`

type unitData struct {
	Code, Name string
	Aliases    []string
}

// testUnits gives the bureau of rq the units fillRoster and bigRoster use:
// FC 凤城所, Z0–Z2 执法N中队, S0–S4 第N所.
func testUnits(t *testing.T, e *env, rq request) {
	t.Helper()
	units := []unitData{{Code: "FC", Name: "凤城所"}}
	for i := range 3 {
		units = append(units, unitData{Code: fmt.Sprintf("Z%d", i), Name: fmt.Sprintf("执法%d中队", i)})
	}
	for i := range 5 {
		units = append(units, unitData{Code: fmt.Sprintf("S%d", i), Name: fmt.Sprintf("第%d所", i)})
	}
	for _, u := range units {
		e.Do(rq, saveUnit, map[string]any{"in": map[string]any{"code": u.Code, "name": u.Name}}).mustData(t, nil)
	}
}

// A bureau's units are a code table: saving one is for planners and
// admins, each spelling names one unit, and every bureau has its own.
func TestUnitTable(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fc := map[string]any{"code": "FC", "name": "凤城镇文化市场执法中队", "aliases": []string{"凤城镇执法中队", " 凤城所 "}}
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, saveUnit, map[string]any{"in": fc}), "UNAUTHENTICATED")
	})
	t.Run("ErrInspectorRole", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-inspector1"), saveUnit, map[string]any{"in": fc}), "FORBIDDEN")
	})
	var got struct{ SaveUnit struct{ Unit unitData } }
	e.Do(e.As("wl-planner"), saveUnit, map[string]any{"in": fc}).mustData(t, &got)
	if u := got.SaveUnit.Unit; u.Code != "FC" || !slices.Equal(u.Aliases, []string{"凤城所", "凤城镇执法中队"}) {
		t.Fatalf("saved %+v", u)
	}
	for _, tt := range []struct {
		name, field string
		in          map[string]any
	}{
		{"ErrCode", "input.code", map[string]any{"code": "凤城", "name": "凤城所2"}},
		{"ErrName", "input.name", map[string]any{"code": "X1", "name": " "}},
		{"ErrAlias", "input.aliases[0]", map[string]any{"code": "X1", "name": "西河所", "aliases": []string{""}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(planner, saveUnit, map[string]any{"in": tt.in})
			wantCode(t, r, "BAD_USER_INPUT")
			if r.Errors[0].Extensions.Field != tt.field {
				t.Errorf("field %q, want %q", r.Errors[0].Extensions.Field, tt.field)
			}
		})
	}
	t.Run("ErrSpellingOfAnotherUnit", func(t *testing.T) {
		r := e.Do(planner, saveUnit, map[string]any{"in": map[string]any{"code": "BL", "name": "北留所", "aliases": []string{"凤城所"}}})
		wantCode(t, r, "CONFLICT")
		if !strings.Contains(r.Errors[0].Message, "unit FC") {
			t.Errorf("message %q should name the unit", r.Errors[0].Message)
		}
	})
	t.Run("OtherBureauHasItsOwn", func(t *testing.T) {
		var list struct{ Units []unitData }
		e.Do(e.As("sj-inspector1"), `{ units { code } }`, nil).mustData(t, &list)
		if len(list.Units) != 0 {
			t.Fatalf("sj sees %v", list.Units)
		}
		e.Do(e.As("sj-planner"), saveUnit, map[string]any{"in": map[string]any{"code": "FC", "name": "凤城市场监管所"}}).mustData(t, nil)
		e.Do(e.As("wl-inspector1"), `{ units { code name } }`, nil).mustData(t, &list)
		if len(list.Units) != 1 || list.Units[0].Name != "凤城镇文化市场执法中队" {
			t.Fatalf("wl sees %v", list.Units)
		}
	})
	var count int
	e.DB.Get(&count, `SELECT count(*) FROM units u JOIN bureaus b ON b.id = u.bureau_id WHERE b.code = '140522-wl'`)
	if count != 1 {
		t.Errorf("wl has %d units, want the one saved", count)
	}
}

// Once a bureau has units, files and forms name them by code, name or
// alias and the roster keeps the code; a unit the table does not know is
// refused by row and column, and nothing changes.
func TestUnitsOfImportsAndForms(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	e.Do(planner, saveUnit, map[string]any{"in": map[string]any{"code": "FC", "name": "凤城镇文化市场执法中队", "aliases": []string{"凤城镇执法中队"}}}).mustData(t, nil)
	codes := usccs(3)
	csv := "统一社会信用代码,名称,属地单位\n" + codes[0] + ",甲,凤城镇文化市场执法中队\n" + codes[1] + ",乙,FC\n" + codes[2] + ",丙,凤城执法队\n"
	r := e.Upload(planner, importRosterFile, map[string]any{"in": map[string]any{"kind": "ENTITIES", "dryRun": false}}, "in.file", "e.csv", []byte(csv))
	wantCode(t, r.response, "BAD_USER_INPUT")
	if msg := r.Errors[0].Message; !strings.Contains(msg, "row 4, column 属地单位") || !strings.Contains(msg, `"凤城执法队" is not one of this bureau's units (FC)`) {
		t.Errorf("message %q should name the row, the column and the units", msg)
	}
	var n int
	e.DB.Get(&n, `SELECT count(*) FROM roster_entries WHERE entity_code = ANY($1)`, pq.Array(codes))
	if n != 0 {
		t.Fatalf("a refused file wrote %d entries", n)
	}
	e.importFile(t, planner, "ENTITIES", "e.csv", strings.Replace(csv, "凤城执法队", "凤城镇执法中队", 1), false)
	var units []string
	e.DB.Select(&units, `SELECT DISTINCT unit FROM roster_entries WHERE entity_code = ANY($1)`, pq.Array(codes))
	if !slices.Equal(units, []string{"FC"}) {
		t.Errorf("stored units %v, want the code", units)
	}
	in := inspectorIn("14052219001", "李强", testNow().AddDate(2, 0, 0), map[string]any{"unit": "北留执法中队"})
	rs := e.Do(planner, `mutation($in: SaveInspectorInput!) { saveInspector(input: $in) { inspector { unit } } }`, map[string]any{"in": in})
	wantCode(t, rs, "BAD_USER_INPUT")
	if rs.Errors[0].Extensions.Field != "input.unit" {
		t.Errorf("field %q", rs.Errors[0].Extensions.Field)
	}
}

// The own-unit rule (所所交叉) compares codes: entities written with a
// unit's full name and inspectors with its alias are of one unit, and no
// inspector visits an entity of their own unit. A bureau without units, or
// with a unit written before its table, cannot draw with the rule.
func TestOwnUnitRuleByCode(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	codes := usccs(40)
	var ent, ins strings.Builder
	ent.WriteString("统一社会信用代码,名称,风险分类,属地单位\n")
	for i, c := range codes {
		fmt.Fprintf(&ent, "%s,企业%d,D,%s\n", c, i, []string{"凤城镇文化市场执法中队", "北留镇文化市场执法中队"}[i%2])
	}
	ins.WriteString("姓名,执法证号,所属单位,有效期至,状态\n")
	for i := range 6 {
		fmt.Fprintf(&ins, "执法员%d,WL-%03d,%s,2030-12-31,在岗\n", i, i, []string{"凤城镇执法中队", "北留镇执法中队"}[i%2])
	}
	crossUnit := newDrawInput("所所交叉", map[string]any{"crossUnit": true})

	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(planner, createDraw, map[string]any{"in": crossUnit}).mustData(t, &c)
	e.importFile(t, planner, "ENTITIES", "e.csv", ent.String(), false)
	e.importFile(t, planner, "INSPECTORS", "i.csv", ins.String(), false)
	r := e.Do(planner, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID})
	wantCode(t, r, "CONFLICT")
	if !strings.Contains(r.Errors[0].Message, "140522-wl has no unit table") {
		t.Errorf("without units: %q", r.Errors[0].Message)
	}
	for _, u := range []map[string]any{
		{"code": "FC", "name": "凤城镇文化市场执法中队", "aliases": []string{"凤城镇执法中队"}},
		{"code": "BL", "name": "北留镇文化市场执法中队", "aliases": []string{"北留镇执法中队"}},
	} {
		e.Do(e.As("wl-planner"), saveUnit, map[string]any{"in": u}).mustData(t, nil)
	}
	r = e.Do(planner, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID})
	wantCode(t, r, "CONFLICT")
	if !strings.Contains(r.Errors[0].Message, "40 entities and 6 inspectors name a unit that is not in its unit table") {
		t.Errorf("units written before the table: %q", r.Errors[0].Message)
	}
	e.importFile(t, planner, "ENTITIES", "e.csv", ent.String(), false)
	e.importFile(t, planner, "INSPECTORS", "i.csv", ins.String(), false)
	e.Do(planner, freezeDraw, map[string]any{"id": c.CreateDraw.Draw.ID}).mustData(t, nil)
	e.Do(planner, executeDraw, map[string]any{"id": c.CreateDraw.Draw.ID, "c": "所所交叉"}).mustData(t, nil)

	var m struct{ DrawManifest json.RawMessage }
	e.Do(e.As("wl-leader"), `query($id: ID!) { drawManifest(id: $id, form: FULL) }`, map[string]any{"id": c.CreateDraw.Draw.ID}).mustData(t, &m)
	var full draw.Manifest
	if err := json.Unmarshal(m.DrawManifest, &full); err != nil {
		t.Fatal(err)
	}
	unitOf := map[string]string{}
	for _, in := range full.Inputs.Inspectors {
		unitOf[in.ID] = in.Unit
	}
	entityUnit := map[string]string{}
	for _, r := range full.Inputs.Frame {
		entityUnit[r.ID], _ = r.Units.Of("140522-wl")
	}
	if len(full.Tasks) < 10 {
		t.Fatalf("%d tasks: want stratum D's 30%% of 40 at least", len(full.Tasks))
	}
	for _, task := range full.Tasks {
		for _, member := range task.Team {
			if unitOf[member.Inspector] == entityUnit[task.Entity] {
				t.Fatalf("%s (unit %s) sent to %s of its own unit", member.Inspector, unitOf[member.Inspector], task.Entity)
			}
		}
	}
	if entityUnit[codes[0]] != "FC" || unitOf["WL-000"] != "FC" {
		t.Errorf("units %q and %q, want both FC", entityUnit[codes[0]], unitOf["WL-000"])
	}
}
