package draw

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tamper changes one thing in a decoded manifest; Verify must then name want in its error.
type tamper struct {
	name   string
	change func(doc map[string]any)
	want   string
}

// Helpers to reach into decoded JSON.
func field(v any, path ...any) any {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			v = v.(map[string]any)[s]
		case int:
			v = v.([]any)[s]
		}
	}
	return v
}

func object(v any, path ...any) map[string]any { return field(v, path...).(map[string]any) }
func list(v any, path ...any) []any            { return field(v, path...).([]any) }

// otherHex changes the first hex digit of a digest.
func otherHex(v any) string {
	s := v.(string)
	if s[0] == '0' {
		return "1" + s[1:]
	}
	return "0" + s[1:]
}

// otherInspector returns an inspector of the first task's first bureau who is not in its team.
func otherInspector(d map[string]any) string {
	team := list(d, "tasks", 0, "team")
	bureau := field(team[0], "bureau")
	for _, in := range list(d, "inputs", "inspectors") {
		id := field(in, "id")
		if field(in, "bureau") == bureau && !slices.ContainsFunc(team, func(m any) bool { return field(m, "inspector") == id }) {
			return id.(string)
		}
	}
	panic("every inspector of the bureau is in the team")
}

// firstStratum returns the label of the first stratum that selects something.
func firstStratum(doc map[string]any) string {
	strata := object(doc, "strata")
	for _, label := range sortedKeys(strata) {
		if object(strata, label)["selected"] != json.Number("0") {
			return label
		}
	}
	panic("no stratum selects anything")
}

// tampersOfBoth apply to full and public manifests alike, of either version.
func tampersOfBoth(v2, public bool) []tamper {
	tampers := []tamper{
		{"algorithm", func(d map[string]any) { d["algorithm"] = "dual-random-draw/v9" }, "algorithm"},
		{"seed", func(d map[string]any) { d["seed"] = otherHex(d["seed"]) }, "seed does not match"},
		{"nonce", func(d map[string]any) { object(d, "inputs")["nonce"] = otherHex(field(d, "inputs", "nonce")) }, "nonce_commitment does not match inputs.nonce"},
		{"ceremony", func(d map[string]any) { object(d, "inputs")["ceremony"] = "dice 6" }, "seed does not match inputs.nonce, inputs.ceremony"},
		{"an inspector", func(d map[string]any) { object(d, "inputs", "inspectors", 0)["unit"] = "外所" }, "inspectors_sha256 does not match inputs.inspectors"},
		{"params", func(d map[string]any) {
			object(d, "inputs", "params")["cross_unit"] = !field(d, "inputs", "params", "cross_unit").(bool)
		}, "params_sha256 does not match inputs.params"},
		{"a strata count", func(d map[string]any) {
			s := object(d, "strata", firstStratum(d))
			s["selected"] = json.Number("99")
		}, ".selected"},

		{"a task's entity", func(d map[string]any) { object(d, "tasks", 0)["entity"] = field(d, "tasks", 1, "entity") }, "tasks[0]"},
		{"a task's ticket", func(d map[string]any) { object(d, "tasks", 0)["ticket"] = otherHex(field(d, "tasks", 0, "ticket")) }, "tasks[0].ticket"},
		{"a team member", func(d map[string]any) { object(d, "tasks", 0, "team", 1)["inspector"] = otherInspector(d) }, "tasks[0].team[1]"},

		{"a team member's bureau", func(d map[string]any) { object(d, "tasks", 0, "team", 0)["bureau"] = "140522-zz" }, "tasks[0].team[0].bureau"},
		{"team without a member", func(d map[string]any) { t := object(d, "tasks", 0); t["team"] = list(t, "team")[:1] }, "tasks[0].team"},
		{"task order", func(d map[string]any) {
			tasks := list(d, "tasks")
			tasks[0], tasks[1] = tasks[1], tasks[0]
		}, "tasks[0]"},
		{"last task removed", func(d map[string]any) { d["tasks"] = slices.Clip(list(d, "tasks")[:len(list(d, "tasks"))-1]) }, "tasks"},
		{"first task removed", func(d map[string]any) { d["tasks"] = list(d, "tasks")[1:] }, "tasks"},
		{"a field removed", func(d map[string]any) { delete(d, "strata") }, "strata"},
		{"a field added", func(d map[string]any) { d["comment"] = "fine" }, "comment"},
	}
	if !v2 || !public {
		tampers = append(tampers, tamper{"a threshold", func(d map[string]any) {
			s := object(d, "strata", firstStratum(d))
			s["threshold"] = otherHex(s["threshold"])
		}, ".threshold"})
	}
	if v2 && !public {
		// A public manifest's threshold commitment can only be checked with an opening (see
		// TestVerifyRejectsTamperedOpenings); the full manifest recomputes it.
		tampers = append(tampers, tamper{"a threshold commitment", func(d map[string]any) {
			s := object(d, "strata", firstStratum(d))
			s["threshold_commitment"] = otherHex(s["threshold_commitment"])
		}, ".threshold_commitment"})
	}
	if v2 {
		tampers = append(tampers,
			tamper{"a team member's step", func(d map[string]any) {
				m := object(d, "tasks", 0, "team", 1)
				m["step"] = json.Number(fmt.Sprint(mustInt(m["step"]) + 1))
			}, "tasks[0].team[1]"},
			tamper{"a step turned ticket", func(d map[string]any) {
				m := object(d, "tasks", 0, "team", 0)
				delete(m, "step")
				m["ticket"] = field(d, "tasks", 0, "ticket")
			}, "tasks[0].team[0]"},
		)
	} else {
		tampers = append(tampers, tamper{"a team member's ticket", func(d map[string]any) {
			object(d, "tasks", 0, "team", 0)["ticket"] = otherHex(field(d, "tasks", 0, "team", 0, "ticket"))
		}, "tasks[0].team[0].ticket"})
	}
	for _, h := range (Hashes{}).named() {
		tampers = append(tampers, tamper{h.name, func(d map[string]any) { d[h.name] = otherHex(d[h.name]) }, h.name + " does not match"})
	}
	return tampers
}

func mustInt(v any) int {
	n, err := strconv.Atoi(string(v.(json.Number)))
	if err != nil {
		panic(err)
	}
	return n
}

func tampersOfFull() []tamper {
	return []tamper{
		{"row_key", func(d map[string]any) { object(d, "inputs")["row_key"] = otherHex(field(d, "inputs", "row_key")) }, "frame_sha256 does not match inputs.frame and inputs.row_key"},
		{"a frame row", func(d map[string]any) {
			row := object(d, "inputs", "frame", 0)
			if units, v2 := row["units"].(map[string]any); v2 {
				for b := range units {
					units[b] = units[b].(string) + "所"
				}
			} else {
				row["unit"] = row["unit"].(string) + "所"
			}
		}, "frame_sha256 does not match inputs.frame"},
		{"frame order", func(d map[string]any) {
			frame := list(d, "inputs", "frame")
			frame[0], frame[1] = frame[1], frame[0]
		}, "inputs.frame[0]: rows are not sorted by id"},
		{"an exclusion", func(d map[string]any) { object(d, "inputs")["exclusions"] = []any{} }, "exclusions_sha256 does not match"},
		{"a conflict", func(d map[string]any) {
			object(d, "inputs")["conflicts"] = []any{map[string]any{"inspector": "I-x", "entity": "E-x"}}
		}, "conflicts_sha256 does not match"},
		{"a frame count", func(d map[string]any) { object(d, "strata", firstStratum(d))["frame"] = json.Number("1000") }, ".frame: got 1000"},
		{"a task's stratum", func(d map[string]any) { object(d, "tasks", 0)["stratum"] = "Z" }, "tasks[0].stratum"},
	}
}

func tampersOfPublic() []tamper {
	return []tamper{
		{"a frame commitment", func(d map[string]any) {
			row := object(d, "inputs", "frame", 0)
			row["commitment"] = otherHex(row["commitment"])
		}, "frame_sha256 does not match inputs.frame"},
		{"a frame id", func(d map[string]any) { object(d, "inputs", "frame", 0)["id"] = "0" }, "frame_sha256 does not match inputs.frame"},
		{"frame order", func(d map[string]any) {
			frame := list(d, "inputs", "frame")
			frame[0], frame[1] = frame[1], frame[0]
		}, "inputs.frame[1]: not after"},
		{"an exclusion", func(d map[string]any) { object(d, "inputs")["exclusions"] = []any{} }, "exclusions_sha256 does not match"},
		{"a frame count", func(d map[string]any) { object(d, "strata", firstStratum(d))["frame"] = json.Number("1000") }, "strata"},
		{"an eligible count", func(d map[string]any) {
			s := object(d, "strata", firstStratum(d))
			s["frame"], s["eligible"] = json.Number("1000"), json.Number("999")
		}, "strata"},
		{"a private row", func(d map[string]any) {
			object(d, "inputs", "frame", 0)["stratum"] = "A"
		}, "unknown field"},
	}
}

func TestVerifyRejectsTamperedManifests(t *testing.T) {
	for _, v := range drawVectors(t) {
		forms := []struct {
			form    string
			raw     json.RawMessage
			tampers []tamper
		}{
			{"full", v.Manifest, append(tampersOfBoth(v.v2(), false), tampersOfFull()...)},
			{"public", v.PublicManifest, append(tampersOfBoth(v.v2(), true), tampersOfPublic()...)},
		}
		for _, f := range forms {
			for _, tt := range f.tampers {
				t.Run(v.Name+"/"+f.form+"/"+tt.name, func(t *testing.T) {
					doc, err := decodeGeneric(f.raw)
					if err != nil {
						t.Fatal(err)
					}
					tt.change(doc.(map[string]any))
					raw, err := CanonicalJSON(doc)
					if err != nil {
						t.Fatal(err)
					}
					_, err = Verify(raw)
					if err == nil {
						t.Fatalf("Verify accepted the manifest with %s changed", tt.name)
					}
					if !strings.Contains(err.Error(), tt.want) {
						t.Errorf("Verify: %v\nwant a message naming %q", err, tt.want)
					}
				})
			}
		}
	}
}

// A vector file whose manifest was tampered with is refused, naming the manifest's field.
func TestVerifyRejectsTamperedVector(t *testing.T) {
	v := drawVectors(t)[0]
	doc, _ := decodeGeneric(v.raw)
	object(doc, "manifest", "tasks", 0, "team", 1)["inspector"] = "晋X"
	raw, _ := CanonicalJSON(doc)
	if _, err := Verify(raw); err == nil || !strings.Contains(err.Error(), "manifest.tasks[0].team[1].inspector") {
		t.Errorf("Verify = %v, want manifest.tasks[0].team[1].inspector named", err)
	}
}

func TestVerifyRejectsTamperedOpenings(t *testing.T) {
	for _, v := range drawVectors(t) {
		var p PublicManifest
		if err := json.Unmarshal(v.PublicManifest, &p); err != nil {
			t.Fatal(err)
		}
		for i, o := range v.Openings {
			tampers := map[string]func(o *Opening){
				"salt":    func(o *Opening) { o.FrameSalt[0] ^= 1 },
				"stratum": func(o *Opening) { o.FrameRow.Stratum += "x" },
				"unit":    func(o *Opening) { o.FrameRow.Unit += "x" },
				"entity":  func(o *Opening) { o.Entity += "x" },
				"exclusion claimed": func(o *Opening) {
					o.ExclusionRow, o.ExclusionSalt = &Exclusion{ID: o.Entity, Reason: "annual_cap"}, &Digest{}
				},
			}
			if o.ExclusionRow != nil {
				tampers["exclusion reason"] = func(o *Opening) { o.ExclusionRow = &Exclusion{ID: o.Entity, Reason: "other"} }
			}
			if o.StratumRow != nil {
				delete(tampers, "unit")
				tampers["units"] = func(o *Opening) { o.FrameRow.Units = append(Units{{"140522-aa", ""}}, o.FrameRow.Units...) }
				tampers["stratum salt"] = func(o *Opening) { o.StratumSalt = &Digest{1} }
				tampers["stratum row's stratum"] = func(o *Opening) { o.StratumRow = &StratumRow{Stratum: "Z", Threshold: o.StratumRow.Threshold} }
				tampers["stratum row's threshold"] = func(o *Opening) { o.StratumRow = &StratumRow{Stratum: o.StratumRow.Stratum, Threshold: &Digest{0xff}} }
				tampers["stratum row left out"] = func(o *Opening) { o.StratumRow, o.StratumSalt = nil, nil }
			}
			for name, change := range tampers {
				changed := o
				change(&changed)
				if _, err := CheckOpening(changed, &p); err == nil {
					t.Errorf("%s openings[%d]: CheckOpening accepted a changed %s", v.Name, i, name)
				}
			}
		}
	}
}

// An opening must reflect the draw: an entity that was selected cannot be shown as not selected.
func TestCheckOpeningDetectsWrongOutcome(t *testing.T) {
	v := drawVectors(t)[0]
	m, err := Run(v.input(t))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Public()
	o, err := OpeningFor(m.Inputs, m.Tasks[0].Entity)
	if err != nil {
		t.Fatal(err)
	}
	p.Tasks = p.Tasks[1:]
	if _, err := CheckOpening(*o, p); err == nil || !strings.Contains(err.Error(), "is not among the tasks") {
		t.Errorf("CheckOpening = %v, want the missing selection named", err)
	}
}
