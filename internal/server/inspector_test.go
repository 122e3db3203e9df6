package server_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"shuangsuiji/internal/roster"
)

// inspectorNode is an inspector as the tests read it.
type inspectorNode struct {
	ID                   string
	Name                 string
	CertificateNumber    string
	Unit                 string
	CertificateExpiresOn string
	Qualifications       []string
	Status               string
	User                 *struct{ Username string }
}

const listInspectors = `query($f: InspectorFilter, $first: Int, $after: String) {
  inspectors(filter: $f, first: $first, after: $after) {
    nodes { id name certificateNumber unit certificateExpiresOn qualifications status user { username } }
    pageInfo { hasNextPage endCursor }
  }
}`

type inspectorPage struct {
	Inspectors struct {
		Nodes    []inspectorNode
		PageInfo struct {
			HasNextPage bool
			EndCursor   string
		}
	}
}

func inspectorNames(nodes []inspectorNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// today is today's date in China, where certificates expire.
func today() time.Time { return roster.Today(time.Now()) }

func TestInspectorRoster(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	d := today()
	e.saveInspector(t, planner, inspectorIn("14052219001", "李强", d.AddDate(0, 0, 10), map[string]any{"username": "wl-inspector1"}))
	e.saveInspector(t, planner, inspectorIn("14052219002", "赵敏", d.AddDate(0, 0, 40), map[string]any{"unit": "北留执法中队"}))
	e.saveInspector(t, planner, inspectorIn("14052219003", "王五", d.AddDate(0, 0, -1), map[string]any{"qualifications": []string{"WH02"}}))
	e.saveInspector(t, planner, inspectorIn("14052219004", "孙六", d.AddDate(0, 0, 5), map[string]any{"status": "INACTIVE"}))

	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"All", nil, []string{"李强", "赵敏", "王五", "孙六"}},
		{"Status", map[string]any{"status": []string{"INACTIVE"}}, []string{"孙六"}},
		{"Unit", map[string]any{"unit": "北留执法中队"}, []string{"赵敏"}},
		{"SearchName", map[string]any{"search": "王"}, []string{"王五"}},
		{"SearchCertificate", map[string]any{"search": "14052219002"}, []string{"赵敏"}},
		{"Qualification", map[string]any{"qualification": "WH02"}, []string{"王五"}},
		{"CertificateExpiresBefore", map[string]any{"certificateExpiresBefore": d.AddDate(0, 0, 30).Format(time.DateOnly)}, []string{"李强", "王五", "孙六"}},
		{"Combined", map[string]any{"status": []string{"ACTIVE"}, "unit": "凤城执法中队", "certificateExpiresBefore": d.AddDate(0, 0, 30).Format(time.DateOnly)}, []string{"李强", "王五"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got inspectorPage
			e.Do(e.As("wl-inspector2"), listInspectors, map[string]any{"f": tt.filter}).mustData(t, &got)
			if names := inspectorNames(got.Inspectors.Nodes); !slices.Equal(names, tt.want) {
				t.Errorf("got %v, want %v", names, tt.want)
			}
		})
	}

	t.Run("Pages", func(t *testing.T) {
		var names []string
		after := any(nil)
		for range 5 {
			var got inspectorPage
			e.Do(planner, listInspectors, map[string]any{"first": 3, "after": after}).mustData(t, &got)
			names = append(names, inspectorNames(got.Inspectors.Nodes)...)
			if !got.Inspectors.PageInfo.HasNextPage {
				break
			}
			after = got.Inspectors.PageInfo.EndCursor
		}
		if want := []string{"李强", "赵敏", "王五", "孙六"}; !slices.Equal(names, want) {
			t.Errorf("pages = %v, want %v", names, want)
		}
	})

	t.Run("ExpiringCertificates", func(t *testing.T) {
		const q = `query($within: Int) { expiringCertificates(within: $within) { nodes { name certificateExpiresOn } } }`
		tests := []struct {
			within any
			want   []string
		}{
			// Active only, expired included, soonest first; 孙六 is inactive.
			{nil, []string{"王五", "李强"}},
			{10, []string{"王五", "李强"}},
			{9, []string{"王五"}},
			{40, []string{"王五", "李强", "赵敏"}},
		}
		for _, tt := range tests {
			var got struct {
				ExpiringCertificates struct{ Nodes []inspectorNode }
			}
			e.Do(planner, q, map[string]any{"within": tt.within}).mustData(t, &got)
			if names := inspectorNames(got.ExpiringCertificates.Nodes); !slices.Equal(names, tt.want) {
				t.Errorf("within %v: got %v, want %v", tt.within, names, tt.want)
			}
		}
		wantCode(t, e.Do(planner, q, map[string]any{"within": -1}), "BAD_USER_INPUT")
	})

	t.Run("InspectorByIDWithLogin", func(t *testing.T) {
		var list inspectorPage
		e.Do(planner, listInspectors, map[string]any{"f": map[string]any{"search": "李强"}}).mustData(t, &list)
		var got struct{ Inspector inspectorNode }
		e.Do(planner, `query($id: ID!) { inspector(id: $id) { id name status qualifications user { username } } }`,
			map[string]any{"id": list.Inspectors.Nodes[0].ID}).mustData(t, &got)
		if got.Inspector.User == nil || got.Inspector.User.Username != "wl-inspector1" || got.Inspector.Status != "ACTIVE" {
			t.Errorf("inspector = %+v, want linked to wl-inspector1 and ACTIVE", got.Inspector)
		}
		wantCode(t, e.Do(planner, `{ inspector(id: "not-an-id") { id } }`, nil), "NOT_FOUND")
	})
}

func TestSaveInspector(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	expires := today().AddDate(2, 0, 0)
	in := inspectorIn("14052219001", "李强", expires, nil)

	save := func(t *testing.T, in map[string]any) (bool, inspectorNode) {
		t.Helper()
		var got struct {
			SaveInspector struct {
				Changed   bool
				Inspector inspectorNode
			}
		}
		e.Do(planner, saveInspectorMutation, map[string]any{"in": in}).mustData(t, &got)
		return got.SaveInspector.Changed, got.SaveInspector.Inspector
	}
	changed, first := save(t, in)
	if !changed || first.CertificateNumber != "14052219001" {
		t.Fatalf("create: changed %v, %+v", changed, first)
	}
	t.Run("SameAgainChangesNothing", func(t *testing.T) {
		before := auditCount(t, e)
		if changed, _ := save(t, in); changed {
			t.Error("changed = true, want false")
		}
		if auditCount(t, e) != before {
			t.Error("an unchanged save wrote an audit entry")
		}
	})
	t.Run("ChangeIsAuditedWithBeforeAndAfter", func(t *testing.T) {
		changed, got := save(t, inspectorIn("14052219001", "李强", expires, map[string]any{"unit": "北留执法中队"}))
		if !changed || got.Unit != "北留执法中队" || got.ID != first.ID {
			t.Fatalf("changed %v, %+v", changed, got)
		}
		q := `{ auditLog(first: 1, filter: {objectType: "inspector"}) { nodes { action objectId before after } } }`
		r := e.Do(e.As("wl-leader"), q, nil)
		r.mustData(t, nil)
		if !strings.Contains(string(r.Data), `凤城执法中队`) || !strings.Contains(string(r.Data), `北留执法中队`) || !strings.Contains(string(r.Data), "inspector.update") {
			t.Errorf("audit entry %s: want inspector.update with the unit before and after", r.Data)
		}
	})

	tests := []struct {
		name      string
		change    map[string]any
		wantCode  string
		wantField string
	}{
		{"ErrNameRequired", map[string]any{"name": " "}, "BAD_USER_INPUT", "input.name"},
		{"ErrCertificateTooLong", map[string]any{"certificateNumber": strings.Repeat("1", 65)}, "BAD_USER_INPUT", "input.certificateNumber"},
		{"ErrExpiresBeforeIssued", map[string]any{"certificateIssuedOn": expires.AddDate(0, 0, 1).Format(time.DateOnly)}, "BAD_USER_INPUT", "input.certificateExpiresOn"},
		{"ErrSeparatorInQualification", map[string]any{"qualifications": []string{"WH01,WH02"}}, "BAD_USER_INPUT", "input.qualifications[0]"},
		{"ErrUsernameNotAMember", map[string]any{"username": "sj-inspector1"}, "BAD_USER_INPUT", "input.username"},
		{"ErrUnknownID", map[string]any{"id": "999999"}, "NOT_FOUND", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount(t, e)
			r := e.Do(planner, saveInspectorMutation, map[string]any{"in": inspectorIn("14052219001", "李强", expires, tt.change)})
			wantCode(t, r, tt.wantCode)
			if tt.wantField != "" && r.Errors[0].Extensions.Field != tt.wantField {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, tt.wantField)
			}
			if auditCount(t, e) != before {
				t.Error("a refused save wrote an audit entry")
			}
		})
	}
	t.Run("ErrCertificateOfAnother", func(t *testing.T) {
		e.saveInspector(t, planner, inspectorIn("14052219002", "赵敏", expires, nil))
		r := e.Do(planner, saveInspectorMutation, map[string]any{"in": inspectorIn("14052219002", "李强", expires, map[string]any{"id": first.ID})})
		wantCode(t, r, "CONFLICT")
	})
}

const conflictsQuery = `query($f: ConflictFilter) { conflicts(filter: $f, first: 50) { nodes {
  id entityCode entityName reason declaredBy withdrawnAt withdrawnBy { username } recordedBy { username } inspector { name }
} } }`

type conflictNode struct {
	ID          string
	EntityCode  string
	EntityName  string
	Reason      string
	DeclaredBy  string
	WithdrawnAt *string
	WithdrawnBy *struct{ Username string }
	RecordedBy  struct{ Username string }
	Inspector   struct {
		Name string
		User *struct{ Username string }
	}
}

func TestConflictLifecycle(t *testing.T) {
	e := newEnv(t)
	planner, admin, inspector := e.As("wl-planner"), e.As("wl-admin"), e.As("wl-inspector1")
	entity := testUSCC(t, 7)
	e.Do(planner, saveEntityForRoster, map[string]any{"in": map[string]any{"uscc": entity, "name": "阳城县示例网吧"}}).mustData(t, nil)
	declare := map[string]any{"in": map[string]any{"entityCode": entity, "reason": "配偶在该单位任职"}}

	t.Run("ErrDeclareBeforeLinked", func(t *testing.T) {
		r := e.Do(inspector, declareConflictMut, declare)
		wantCode(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "linked") {
			t.Errorf("message %q does not say the login is not linked", r.Errors[0].Message)
		}
	})

	// The planner links wl-inspector1's login to their inspector record.
	expires := today().AddDate(1, 0, 0)
	e.saveInspector(t, planner, inspectorIn("14052219001", "李强", expires, map[string]any{"username": "wl-inspector1"}))
	other := e.saveInspector(t, planner, inspectorIn("14052219002", "赵敏", expires, nil))

	var declared struct {
		DeclareConflict struct{ Conflict conflictNode }
	}
	e.Do(inspector, declareConflictMut, declare).mustData(t, &declared)
	c := declared.DeclareConflict.Conflict
	if c.DeclaredBy != "INSPECTOR" || c.Inspector.Name != "李强" || c.Inspector.User == nil ||
		c.Inspector.User.Username != "wl-inspector1" || c.RecordedBy.Username != "wl-inspector1" {
		t.Fatalf("declared = %+v", c)
	}

	t.Run("ErrDeclaredTwice", func(t *testing.T) {
		wantCode(t, e.Do(inspector, declareConflictMut, declare), "CONFLICT")
	})
	t.Run("ErrEntityNotInRegion", func(t *testing.T) {
		in := map[string]any{"in": map[string]any{"inspectorId": other, "entityCode": testUSCC(t, 8), "reason": "x"}}
		r := e.Do(admin, recordConflictMut, in)
		wantCode(t, r, "BAD_USER_INPUT")
		if r.Errors[0].Extensions.Field != "input.entityCode" {
			t.Errorf("field = %q, want input.entityCode", r.Errors[0].Extensions.Field)
		}
	})
	t.Run("ErrReasonRequired", func(t *testing.T) {
		in := map[string]any{"in": map[string]any{"inspectorId": other, "entityCode": entity, "reason": "  "}}
		wantCode(t, e.Do(admin, recordConflictMut, in), "BAD_USER_INPUT")
	})

	var recorded struct {
		RecordConflict struct{ Conflict conflictNode }
	}
	in := map[string]any{"in": map[string]any{"inspectorId": other, "entityCode": entity, "reason": "曾任该单位股东"}}
	e.Do(admin, recordConflictMut, in).mustData(t, &recorded)
	if r := recorded.RecordConflict.Conflict; r.DeclaredBy != "ADMIN" || r.EntityName != "阳城县示例网吧" || r.RecordedBy.Username != "wl-admin" {
		t.Fatalf("recorded = %+v", r)
	}

	list := func(t *testing.T, filter map[string]any) []conflictNode {
		t.Helper()
		var got struct {
			Conflicts struct{ Nodes []conflictNode }
		}
		e.Do(planner, conflictsQuery, map[string]any{"f": filter}).mustData(t, &got)
		return got.Conflicts.Nodes
	}
	t.Run("Listed", func(t *testing.T) {
		if got := list(t, nil); len(got) != 2 || got[0].Reason != "配偶在该单位任职" {
			t.Fatalf("conflicts = %+v", got)
		}
		if got := list(t, map[string]any{"inspectorId": other}); len(got) != 1 || got[0].Inspector.Name != "赵敏" {
			t.Fatalf("conflicts of %s = %+v", other, got)
		}
		if got := list(t, map[string]any{"entityCode": strings.ToLower(entity)}); len(got) != 2 {
			t.Fatalf("conflicts with %s = %+v", entity, got)
		}
	})
	t.Run("InspectorCannotList", func(t *testing.T) {
		wantCode(t, e.Do(inspector, conflictsQuery, nil), "FORBIDDEN")
	})

	t.Run("WithdrawKeepsIt", func(t *testing.T) {
		var got struct {
			WithdrawConflict struct{ Conflict conflictNode }
		}
		e.Do(admin, withdrawConflictMut, map[string]any{"id": c.ID}).mustData(t, &got)
		w := got.WithdrawConflict.Conflict
		if w.WithdrawnAt == nil || w.WithdrawnBy == nil || w.WithdrawnBy.Username != "wl-admin" {
			t.Fatalf("withdrawn = %+v", w)
		}
		if open := list(t, nil); len(open) != 1 || open[0].ID == c.ID {
			t.Errorf("open conflicts = %+v, want only the recorded one", open)
		}
		if all := list(t, map[string]any{"includeWithdrawn": true}); len(all) != 2 {
			t.Errorf("all conflicts = %+v, want both", all)
		}
		wantCode(t, e.Do(admin, withdrawConflictMut, map[string]any{"id": c.ID}), "CONFLICT")
		wantCode(t, e.Do(inspector, withdrawConflictMut, map[string]any{"id": c.ID}), "FORBIDDEN")
		// Withdrawn, it may be declared again.
		e.Do(inspector, declareConflictMut, declare).mustData(t, nil)
	})
}

const importInspectorsCSV = "姓名,执法证号,所属单位,发证日期,有效期至,资格,状态\n" +
	"李强,14052219001,凤城执法中队,2024-03-01,2029-02-28,WH01、WH02,在岗\n" +
	"赵敏,14052219002,北留执法中队,,2027/6/30,WH01,在岗\n"

func TestImportInspectorsFile(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	count := func(t *testing.T) int {
		t.Helper()
		var got inspectorPage
		e.Do(planner, listInspectors, nil).mustData(t, &got)
		return len(got.Inspectors.Nodes)
	}

	steps := []struct {
		name    string
		content string
		dryRun  bool
		want    [3]int
		total   int
	}{
		{"DryRunChangesNothing", importInspectorsCSV, true, [3]int{2, 0, 0}, 0},
		{"Import", importInspectorsCSV, false, [3]int{2, 0, 0}, 2},
		{"SameFileChangesNothing", importInspectorsCSV, false, [3]int{0, 0, 2}, 2},
		{"OneChanged", strings.Replace(importInspectorsCSV, "北留执法中队", "町店执法中队", 1), false, [3]int{0, 1, 1}, 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := e.importFile(t, planner, "INSPECTORS", "inspectors.csv", st.content, st.dryRun)
			if c := [3]int{got.Created, got.Updated, got.Unchanged}; c != st.want || got.Kind != "INSPECTORS" || got.DryRun != st.dryRun {
				t.Errorf("import = %+v, want created, updated, unchanged %v", got, st.want)
			}
			if n := count(t); n != st.total {
				t.Errorf("inspectors = %d, want %d", n, st.total)
			}
		})
	}

	t.Run("BadRowChangesNothing", func(t *testing.T) {
		before := auditCount(t, e)
		bad := importInspectorsCSV + "王五,14052219003,凤城执法中队,,2027-02-30,,在岗\n"
		r := e.Upload(planner, importRosterFile, map[string]any{"in": map[string]any{"kind": "INSPECTORS"}}, "in.file", "inspectors.csv", []byte(bad))
		wantCode(t, r.response, "BAD_USER_INPUT")
		if len(r.Details) != 1 || r.Details[0].Row != 4 || r.Details[0].Column != "有效期至" {
			t.Fatalf("details = %+v, want row 4, column 有效期至", r.Details)
		}
		if n := count(t); n != 2 || auditCount(t, e) != before {
			t.Errorf("inspectors = %d and %d new audit entries, want 2 and none", n, auditCount(t, e)-before)
		}
	})

	t.Run("ExportImportsBackUnchanged", func(t *testing.T) {
		body := e.export(t, planner, "inspectors.csv")
		got := e.importFile(t, planner, "INSPECTORS", "export.csv", body, false)
		if got.Unchanged != 2 || got.Created+got.Updated != 0 {
			t.Errorf("re-import of the export = %+v, want 2 unchanged", got)
		}
	})

	t.Run("ForbiddenRoleChangesNothing", func(t *testing.T) {
		r := e.Upload(e.As("wl-inspector1"), importRosterFile, map[string]any{"in": map[string]any{"kind": "INSPECTORS"}}, "in.file", "inspectors.csv", []byte(importInspectorsCSV))
		wantCode(t, r.response, "FORBIDDEN")
	})
}

// export downloads the acting bureau's roster file as rq.
func (e *env) export(t *testing.T, rq request, file string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/roster/export/"+file, nil)
	req.Header.Set("Authorization", "Bearer "+rq.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /roster/export/%s: %d %s", file, res.StatusCode, body)
	}
	return string(body)
}

// TestRosterListsCostFixedStatements: a conflict's inspector and users, and
// an item's versions, are batch loaded, so that a page costs the same
// statements whatever its size.
func TestRosterListsCostFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	planner, admin := e.As("wl-planner"), e.As("wl-admin")
	entity := testUSCC(t, 9)
	e.Do(planner, saveEntityForRoster, map[string]any{"in": map[string]any{"uscc": entity, "name": "阳城县示例酒店"}}).mustData(t, nil)
	var inspectors, items strings.Builder
	inspectors.WriteString("姓名,执法证号,有效期至\n")
	items.WriteString("事项编码,事项名称\n")
	for i := range 60 {
		fmt.Fprintf(&inspectors, "执法员%d,1405221%04d,2030-01-01\n", i, i)
		fmt.Fprintf(&items, "WHLY-%03d,事项%d\n", i, i)
	}
	e.importFile(t, planner, "INSPECTORS", "inspectors.csv", inspectors.String(), false)
	e.importFile(t, planner, "ITEMS", "items.csv", items.String(), false)
	var list inspectorPage
	e.Do(planner, listInspectors, map[string]any{"first": 60}).mustData(t, &list)
	for _, n := range list.Inspectors.Nodes {
		in := map[string]any{"inspectorId": n.ID, "entityCode": entity, "reason": "测试"}
		e.Do(admin, recordConflictMut, map[string]any{"in": in}).mustData(t, nil)
	}

	queries := map[string]string{
		"conflicts": `query($n: Int) { conflicts(first: $n) { nodes { id reason inspector { name user { username } updatedBy { username } }
			recordedBy { username } withdrawnBy { username } } } }`,
		"inspectionItems": `query($n: Int) { inspectionItems(first: $n) { nodes { code changedBy { username }
			versions { nodes { version changedBy { displayName } } } } } }`,
		"inspectors": `query($n: Int) { inspectors(first: $n) { nodes { id user { username } updatedBy { username } } } }`,
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			cost := func(n int) int64 {
				before := stmts.Count()
				r := e.Do(planner, q, map[string]any{"n": n})
				r.mustData(t, nil)
				if got := strings.Count(string(r.Data), `"id"`) + strings.Count(string(r.Data), `"code"`); got != n {
					t.Fatalf("page of %d has %d rows: %s", n, got, r.Data)
				}
				return stmts.Count() - before
			}
			// A lookup per row would cost 45 statements more on the larger
			// page; a loader's batch split in two by a slow scheduler (the
			// race detector) costs a few.
			if small, large := cost(5), cost(50); large > small+10 {
				t.Fatalf("a page of 5 took %d statements, a page of 50 took %d: the cost must not grow with the page", small, large)
			}
		})
	}
}

// TestDrawNamesInspectorVersions: a frozen draw names the inspector
// versions it drew from, which stay readable after the inspector changes.
func TestDrawNamesInspectorVersions(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(40), 6)
	e.importFile(t, planner, "INSPECTORS", "i.csv", "姓名,执法证号,所属单位,有效期至\n执法员wl0,wl-000,改后中队,2030-12-31\n", false)
	id := makeDraw(t, e, planner, newDrawInput("版本", nil))
	e.importFile(t, planner, "INSPECTORS", "i.csv", "姓名,执法证号,所属单位,有效期至\n执法员wl0,wl-000,再改中队,2030-12-31\n", false)

	const q = `query($d: ID!) { drawInspectorVersions(drawId: $d) { id certificateNumber unit version validTo } }`
	var got struct {
		DrawInspectorVersions []struct {
			ID, CertificateNumber, Unit string
			Version                     int
			ValidTo                     *string
		}
	}
	e.Do(planner, q, map[string]any{"d": id}).mustData(t, &got)
	if len(got.DrawInspectorVersions) != 6 {
		t.Fatalf("draw inspector versions = %+v, want the 6 inspectors", got.DrawInspectorVersions)
	}
	v := got.DrawInspectorVersions[0]
	if v.CertificateNumber != "WL-000" || v.Unit != "改后中队" || v.Version != 2 || v.ValidTo == nil {
		t.Errorf("first inspector as drawn = %+v, want version 2 (改后中队), replaced since", v)
	}
	var history struct {
		InspectorHistory struct {
			TotalCount int
			Nodes      []struct{ Unit string }
		}
	}
	e.Do(planner, `query($i: ID!) { inspectorHistory(id: $i, last: 1) { totalCount nodes { unit } } }`, map[string]any{"i": v.ID}).mustData(t, &history)
	if h := history.InspectorHistory; h.TotalCount != 3 || len(h.Nodes) != 1 || h.Nodes[0].Unit != "再改中队" {
		t.Errorf("history = %+v, want 3 versions, the last (last: 1) 再改中队", h)
	}
	t.Run("OtherBureauSeesNone", func(t *testing.T) {
		var other struct{ DrawInspectorVersions []struct{ ID string } }
		e.Do(e.As("sj-planner"), q, map[string]any{"d": id}).mustData(t, &other)
		if len(other.DrawInspectorVersions) != 0 {
			t.Errorf("sj reads %d of wl's inspector versions", len(other.DrawInspectorVersions))
		}
		wantCode(t, e.Do(e.As("sj-planner"), `query($i: ID!) { inspectorHistory(id: $i) { nodes { unit } } }`, map[string]any{"i": v.ID}), "NOT_FOUND")
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		wantCode(t, e.Do(request{}, q, map[string]any{"d": id}), "UNAUTHENTICATED")
	})
}
