package server_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// itemNode is an inspection item as the tests read it.
type itemNode struct {
	Code             string
	Version          int
	Name             string
	Checklist        []string
	EntityTypes      []string
	RatioBasisPoints *int
	FrequencyPerYear *int
	ValidTo          *string
	ChangedBy        *struct{ Username string }
	Versions         struct{ Nodes []struct{ Version int } }
}

const itemQuery = `query($code: String!, $version: Int) { inspectionItem(code: $code, version: $version) {
  code version name checklist entityTypes ratioBasisPoints frequencyPerYear validTo changedBy { username } versions { nodes { version } }
} }`

const listItems = `query($f: InspectionItemFilter) { inspectionItems(filter: $f, first: 50) { nodes { code version name } } }`

func TestInspectionItemVersions(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	item := map[string]any{"code": "whly-001", "name": "娱乐场所经营活动检查", "legalBasis": "《娱乐场所管理条例》第三十四条",
		"entityTypes": []string{"娱乐场所"}, "methods": []string{"实地检查"}, "ratioBasisPoints": 500, "frequencyPerYear": 1,
		"qualifications": []string{"WH01"}, "checklist": []string{"是否取得娱乐经营许可证", "是否按规定悬挂警示标志"}}
	save := func(t *testing.T, item map[string]any) (bool, itemNode) {
		t.Helper()
		var got struct {
			SaveInspectionItem struct {
				Changed bool
				Item    itemNode
			}
		}
		e.Do(planner, saveItemMutation, map[string]any{"in": item}).mustData(t, &got)
		return got.SaveInspectionItem.Changed, got.SaveInspectionItem.Item
	}
	read := func(t *testing.T, version any) itemNode {
		t.Helper()
		var got struct{ InspectionItem itemNode }
		e.Do(e.As("wl-inspector1"), itemQuery, map[string]any{"code": "WHLY-001", "version": version}).mustData(t, &got)
		return got.InspectionItem
	}

	if changed, v1 := save(t, item); !changed || v1.Code != "WHLY-001" || v1.Version != 1 || *v1.RatioBasisPoints != 500 {
		t.Fatalf("create: changed %v, %+v", changed, v1)
	}
	t.Run("SameAgainChangesNothing", func(t *testing.T) {
		before := auditCount(t, e)
		if changed, got := save(t, item); changed || got.Version != 1 {
			t.Errorf("changed %v, version %d; want false, 1", changed, got.Version)
		}
		if auditCount(t, e) != before {
			t.Error("an unchanged save wrote an audit entry")
		}
	})
	t.Run("EditMakesVersion2", func(t *testing.T) {
		edited := map[string]any{}
		for k, v := range item {
			edited[k] = v
		}
		edited["checklist"] = []string{"是否取得娱乐经营许可证", "是否按规定悬挂警示标志", "是否落实实名登记"}
		delete(edited, "ratioBasisPoints")
		changed, v2 := save(t, edited)
		if !changed || v2.Version != 2 || len(v2.Checklist) != 3 || v2.RatioBasisPoints != nil {
			t.Fatalf("edit: changed %v, %+v", changed, v2)
		}
	})
	t.Run("Version1StaysReadable", func(t *testing.T) {
		v1 := read(t, 1)
		if v1.Version != 1 || len(v1.Checklist) != 2 || v1.ValidTo == nil || *v1.RatioBasisPoints != 500 {
			t.Errorf("version 1 = %+v", v1)
		}
		latest := read(t, nil)
		if latest.Version != 2 || latest.ValidTo != nil || latest.ChangedBy == nil || latest.ChangedBy.Username != "wl-planner" {
			t.Errorf("latest = %+v", latest)
		}
		if v := latest.Versions.Nodes; len(v) != 2 || v[0].Version != 1 || v[1].Version != 2 {
			t.Errorf("versions = %+v, want 1 and 2", v)
		}
		wantCode(t, e.Do(planner, itemQuery, map[string]any{"code": "WHLY-001", "version": 3}), "NOT_FOUND")
		wantCode(t, e.Do(planner, itemQuery, map[string]any{"code": "WHLY-404"}), "NOT_FOUND")
	})

	t.Run("ListShowsCurrentVersions", func(t *testing.T) {
		save(t, map[string]any{"code": "WHLY-002", "name": "旅行社经营活动检查", "entityTypes": []string{"旅行社"}})
		tests := []struct {
			filter map[string]any
			want   []string
		}{
			{nil, []string{"WHLY-001/2", "WHLY-002/1"}},
			{map[string]any{"entityType": "旅行社"}, []string{"WHLY-002/1"}},
			{map[string]any{"search": "娱乐"}, []string{"WHLY-001/2"}},
			{map[string]any{"search": "whly-002"}, []string{"WHLY-002/1"}},
			{map[string]any{"qualification": "WH01"}, []string{"WHLY-001/2"}},
		}
		for _, tt := range tests {
			var got struct{ InspectionItems struct{ Nodes []itemNode } }
			e.Do(planner, listItems, map[string]any{"f": tt.filter}).mustData(t, &got)
			var keys []string
			for _, n := range got.InspectionItems.Nodes {
				keys = append(keys, n.Code+"/"+strconv.Itoa(n.Version))
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("filter %v: got %v, want %v", tt.filter, keys, tt.want)
			}
		}
	})
}

func TestSaveInspectionItemErrors(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	tests := []struct {
		name      string
		change    map[string]any
		wantField string
	}{
		{"ErrCodeRequired", map[string]any{"code": ""}, "input.code"},
		{"ErrNameRequired", map[string]any{"name": ""}, "input.name"},
		{"ErrRatioOver100Percent", map[string]any{"ratioBasisPoints": 20000}, "input.ratioBasisPoints"},
		{"ErrFrequency", map[string]any{"frequencyPerYear": -1}, "input.frequencyPerYear"},
		{"ErrSeparatorInChecklistLine", map[string]any{"checklist": []string{"一", "二；三"}}, "input.checklist[1]"},
		{"ErrSeparatorInEntityType", map[string]any{"entityTypes": []string{"娱乐场所、网吧"}}, "input.entityTypes[0]"},
		{"ErrLegalBasisTooLong", map[string]any{"legalBasis": strings.Repeat("法", 4001)}, "input.legalBasis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]any{"code": "WHLY-001", "name": "娱乐场所检查"}
			for k, v := range tt.change {
				in[k] = v
			}
			before := auditCount(t, e)
			r := e.Do(planner, saveItemMutation, map[string]any{"in": in})
			wantCode(t, r, "BAD_USER_INPUT")
			if got := r.Errors[0].Extensions.Field; got != tt.wantField {
				t.Errorf("field = %q, want %q", got, tt.wantField)
			}
			if auditCount(t, e) != before {
				t.Error("a refused save wrote an audit entry")
			}
		})
	}
}

const importItemsCSV = "事项编码,事项名称,抽查依据,主体部门,适用对象类型,检查方式,抽查比例,抽查频次,资格要求,检查内容\n" +
	"WHLY-001,娱乐场所经营活动检查,《娱乐场所管理条例》第三十四条,阳城县文化和旅游局,娱乐场所,实地检查、书面检查,5%,1次/年,WH01,是否取得娱乐经营许可证；是否按规定悬挂警示标志\n" +
	"WHLY-002,旅行社经营活动检查,《旅行社条例》,阳城县文化和旅游局,旅行社,书面检查,3%,,WH02,是否按规定投保\n"

func TestImportItemsFile(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	steps := []struct {
		name    string
		content string
		want    [3]int
	}{
		{"Import", importItemsCSV, [3]int{2, 0, 0}},
		{"SameFileChangesNothing", importItemsCSV, [3]int{0, 0, 2}},
		{"ChangedItemGetsAVersion", strings.Replace(importItemsCSV, "是否按规定投保", "是否按规定投保；是否签订合同", 1), [3]int{0, 1, 1}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := e.importFile(t, planner, "ITEMS", "items.csv", st.content, false)
			if c := [3]int{got.Created, got.Updated, got.Unchanged}; c != st.want || got.Kind != "ITEMS" {
				t.Errorf("import = %+v, want created, updated, unchanged %v", got, st.want)
			}
		})
	}
	t.Run("VersionsAfterImports", func(t *testing.T) {
		var got struct{ InspectionItem itemNode }
		e.Do(planner, itemQuery, map[string]any{"code": "WHLY-002"}).mustData(t, &got)
		if it := got.InspectionItem; it.Version != 2 || len(it.Checklist) != 2 || len(it.Versions.Nodes) != 2 || it.FrequencyPerYear != nil {
			t.Errorf("WHLY-002 = %+v, want version 2 of 2 with 2 checklist lines", it)
		}
	})
	t.Run("BadRowChangesNothing", func(t *testing.T) {
		before := auditCount(t, e)
		bad := strings.Replace(importItemsCSV, "3%,", "300%,", 1)
		r := e.Upload(planner, importRosterFile, map[string]any{"in": map[string]any{"kind": "ITEMS"}}, "in.file", "items.csv", []byte(bad))
		wantCode(t, r.response, "BAD_USER_INPUT")
		if len(r.Details) != 1 || r.Details[0].Row != 3 || r.Details[0].Column != "抽查比例" {
			t.Fatalf("details = %+v, want row 3, column 抽查比例", r.Details)
		}
		if auditCount(t, e) != before {
			t.Error("a refused import wrote an audit entry")
		}
		var got struct{ InspectionItem itemNode }
		e.Do(planner, itemQuery, map[string]any{"code": "WHLY-001"}).mustData(t, &got)
		if got.InspectionItem.Version != 1 {
			t.Errorf("WHLY-001 version = %d after a refused import, want 1", got.InspectionItem.Version)
		}
	})
	t.Run("ExportImportsBackUnchanged", func(t *testing.T) {
		body := e.export(t, planner, "items.csv")
		got := e.importFile(t, planner, "ITEMS", "export.csv", body, false)
		if got.Unchanged != 2 || got.Created+got.Updated != 0 {
			t.Errorf("re-import of the export = %+v, want 2 unchanged", got)
		}
	})
}
