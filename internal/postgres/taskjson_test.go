package postgres

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"

	"shuangsuiji/internal/draw"
)

// teamJSONCases are team and substitution arrays as PostgreSQL writes them
// (json_agg of json_build_object, its spacing) and texts the hand reader
// must hand over to encoding/json: other keys, kinds and spellings,
// escapes, broken JSON.
var teamJSONCases = []string{
	`[]`,
	`null`,
	`[{"bureau_code" : "WL", "certificate" : "C-001", "name" : "张三", "ticket" : null, "step" : 3, "position" : 1}, 
 {"bureau_code" : "SJ", "certificate" : "C-002", "name" : "", "ticket" : "9f3a", "step" : null, "position" : 2}]`,
	`[{"bureau_code":"WL","certificate":"C\"1\\2\/3\n\t\u00e9\u4e2d","name":"a\bb\fc\rd","position":-7}]`,
	`[{"bureau_code" : "WL", "out" : "C-1", "in" : "C-2", "reason" : "病假", "at" : "2026-12-02T10:11:12.345678+08:00"}]`,
	`[{"bureau_code" : "WL", "out" : "C-1", "in" : "C-2", "reason" : "x", "at" : "2026-12-02T10:11:12Z"}, {"bureau_code" : "WL", "at" : null}]`,
	`[{}]`,
	`[{"Bureau_Code" : "WL"}]`, // encoding/json matches keys in any case
	`[{"bureau_code" : "WL", "extra" : [1, 2]}]`, // a key of neither
	`[{"position" : 1.0}]`,                       // not an int
	`[{"position" : 1e2}]`,
	`[{"position" : 012}]`,
	`[{"position" : "1"}]`,
	`[{"position" : 99999999999999999999}]`,
	`[{"step" : -0}]`,
	`[{"name" : "\ud83d\ude00 surrogates"}]`,
	`[{"name" : "\ud83d alone"}]`,
	`[{"name" : "bad \x bad"}]`,
	"[{\"name\" : \"\xff invalid utf-8\"}]",
	"[{\"name\" : \"a\x01control\"}]",
	`[{"name" : true}]`,
	`[{"name" : "unterminated}]`,
	`[{"name" : "x"} {"name" : "y"}]`,
	`[{"name" : "x"},]`,
	`[{"name" : "x"}] trailing`,
	`{"name" : "not an array"}`,
	`[{"at" : "2026-13-40T00:00:00Z"}]`,
	`[{"at" : "2026-12-02T10:11:12\u002b08:00"}]`,
	`[{"ticket" : null, "ticket" : "last wins"}]`,
	`[{"name" : null}]`,
	``,
}

// TestTeamJSONReadsAsEncodingJSON: for every text, as a team and as
// substitutions, decodeTeam gives what encoding/json gives, value and
// whether it failed.
func TestTeamJSONReadsAsEncodingJSON(t *testing.T) {
	for _, text := range teamJSONCases {
		checkTeamJSON(t, text)
	}
}

// FuzzTeamJSON holds the same on any text.
func FuzzTeamJSON(f *testing.F) {
	for _, text := range teamJSONCases {
		f.Add(text)
	}
	f.Fuzz(checkTeamJSON)
}

func checkTeamJSON(t *testing.T, text string) {
	for _, column := range []string{"team", "substitutions"} {
		team, subs := []byte(text), []byte(nil)
		if column == "substitutions" {
			team, subs = nil, team
		}
		want := draw.TaskRow{DrawID: 1, Seq: 2}
		wantErr := decodeTeamWithEncodingJSON(&want, team, subs)
		got := draw.TaskRow{DrawID: 1, Seq: 2}
		gotErr := decodeTeam(&got, team, subs, interner{})
		if (wantErr != nil) != (gotErr != nil) || wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s %q: got %+v, %v; encoding/json %+v, %v", column, text, got, gotErr, want, wantErr)
		}
	}
}

// decodeTeamWithEncodingJSON is how a task's team and substitutions were
// decoded before the hand reader: the reference it is held to.
func decodeTeamWithEncodingJSON(t *draw.TaskRow, team, subs []byte) error {
	var members []taskMember
	var substitutions []taskSubstitution
	if team != nil {
		if err := json.Unmarshal(team, &members); err != nil {
			return err
		}
	}
	if subs != nil {
		if err := json.Unmarshal(subs, &substitutions); err != nil {
			return err
		}
	}
	for _, m := range members {
		t.Team = append(t.Team, draw.Member(m))
	}
	for _, s := range substitutions {
		t.Substitutions = append(t.Substitutions, draw.Substitution(s))
	}
	return nil
}

// TestTeamJSONNullIsNone: a task without a team or substitutions has the
// columns NULL (nil bytes), which is none, not an error.
func TestTeamJSONNullIsNone(t *testing.T) {
	task := draw.TaskRow{}
	if err := decodeTeam(&task, nil, nil, interner{}); err != nil || task.Team != nil || task.Substitutions != nil {
		t.Errorf("NULL team and substitutions: %+v, %v", task, err)
	}
}

// TestTeamJSONHandReaderTakesPostgresOutput: the texts PostgreSQL writes
// are read by hand, not handed over to encoding/json (which would be
// correct but slow), and a page's repeated strings are shared.
func TestTeamJSONHandReaderTakesPostgresOutput(t *testing.T) {
	in := interner{}
	for _, text := range teamJSONCases[2:4] {
		if members, err := membersByHand([]byte(text), in); err != nil || len(members) == 0 {
			t.Errorf("team %q handed over: %v", text, err)
		}
	}
	for _, text := range teamJSONCases[4:6] {
		if subs, err := substitutionsByHand([]byte(text), in); err != nil || len(subs) == 0 {
			t.Errorf("substitutions %q handed over: %v", text, err)
		}
	}
	a, _ := membersByHand([]byte(teamJSONCases[2]), in)
	b, _ := membersByHand([]byte(teamJSONCases[2]), in)
	if unsafe.StringData(a[0].Certificate) != unsafe.StringData(b[0].Certificate) {
		t.Error("a certificate read twice in a page is two strings")
	}
}
