package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// actingAs is the demo user acting in their bureau, as the server would
// build them after sign-in.
func actingAs(t testing.TB, s seededDB, username string) *authz.Actor {
	t.Helper()
	a := &authz.Actor{Username: username}
	const q = `SELECT u.id, b.id, b.code, b.region_code, b.kind, array_agg(m.role ORDER BY m.role)::text
FROM users u JOIN members m ON m.user_id = u.id JOIN bureaus b ON b.id = m.bureau_id
WHERE u.username = $1 GROUP BY u.id, b.id`
	var roles string
	err := s.QueryRow(q, username).Scan(&a.UserID, &a.BureauID, &a.BureauCode, &a.RegionCode, &a.BureauKind, &roles)
	if err != nil {
		t.Fatalf("actor %s: %v", username, err)
	}
	a.Roles = strings.Split(strings.Trim(roles, "{}"), ",")
	return a
}

func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func civilPtr(y int, m time.Month, d int) *time.Time {
	t := civil(y, m, d)
	return &t
}

// uscc returns the i-th valid USCC of a test series of the demo county.
func testUSCC(t *testing.T, i int) string {
	t.Helper()
	body := fmt.Sprintf("91140522MA0T%05d", i)
	c, err := roster.USCCCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

func wantErrKind(t *testing.T, err error, want errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != want {
		t.Fatalf("err = %v (%s), want %s", err, got, want)
	}
}

func auditEntries(t *testing.T, s seededDB, bureauID int64, action string) int {
	t.Helper()
	return count(t, s, `SELECT count(*) FROM audit_log WHERE bureau_id = $1 AND action = $2`, bureauID, action)
}

var inspectorRows = []roster.InspectorRow{
	{Row: 2, Name: "李强", CertificateNumber: "14052219001", Unit: "凤城执法中队", IssuedOn: civilPtr(2024, 3, 1),
		ExpiresOn: civil(2029, 2, 28), Qualifications: []string{"WH01", "WH02"}, Status: roster.InspectorActive, Given: roster.AllFields},
	{Row: 3, Name: "赵敏", CertificateNumber: "14052219002", Unit: "北留执法中队",
		ExpiresOn: civil(2026, 12, 10), Status: roster.InspectorActive, Given: roster.AllFields},
	{Row: 4, Name: "王五", CertificateNumber: "14052219003", Unit: "凤城执法中队",
		ExpiresOn: civil(2027, 1, 5), Qualifications: []string{"WH01"}, Status: roster.InspectorInactive, Given: roster.AllFields},
}

func TestImportInspectors(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.InspectorStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	meta := roster.ImportMeta{Filename: "inspectors.csv", SHA256: "x"}

	steps := []struct {
		name    string
		rows    []roster.InspectorRow
		dryRun  bool
		want    [3]int // created, updated, unchanged
		audited int    // inspector.import entries written
	}{
		{"DryRunWritesNothing", inspectorRows, true, [3]int{3, 0, 0}, 0},
		{"Create", inspectorRows, false, [3]int{3, 0, 0}, 3},
		{"SameFileChangesNothing", inspectorRows, false, [3]int{0, 0, 3}, 0},
		{"OneChanged", func() []roster.InspectorRow {
			rows := slices.Clone(inspectorRows)
			rows[1].Qualifications = []string{"WH03"}
			return rows
		}(), false, [3]int{0, 1, 2}, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := auditEntries(t, s, planner.BureauID, "inspector.import")
			m := meta
			m.DryRun = st.dryRun
			res, err := store.ImportInspectors(ctx, planner, st.rows, m)
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int{res.Created, res.Updated, res.Unchanged}; got != st.want {
				t.Errorf("created, updated, unchanged = %v, want %v", got, st.want)
			}
			if got := auditEntries(t, s, planner.BureauID, "inspector.import") - before; got != st.audited {
				t.Errorf("inspector.import audit entries = %d, want %d", got, st.audited)
			}
		})
	}

	t.Run("ExportImportsBackUnchanged", func(t *testing.T) {
		rows, err := store.ExportInspectors(ctx, planner)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].CertificateNumber != "14052219001" || !slices.Equal(rows[1].Qualifications, []string{"WH03"}) {
			t.Fatalf("export = %+v", rows)
		}
		res, err := store.ImportInspectors(ctx, planner, rows, meta)
		if err != nil || res.Unchanged != 3 {
			t.Fatalf("re-import of the export = %+v, %v; want 3 unchanged", res, err)
		}
	})

	t.Run("OtherBureauSeesNone", func(t *testing.T) {
		rows, err := store.ExportInspectors(ctx, actingAs(t, s, "sj-planner"))
		if err != nil || len(rows) != 0 {
			t.Fatalf("sj export = %d rows, %v; want none", len(rows), err)
		}
	})
}

func TestSaveInspector(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.InspectorStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	in := roster.InspectorInput{CertificateNumber: "14052219001", Name: "李强", Unit: "凤城执法中队",
		ExpiresOn: civil(2029, 2, 28), Qualifications: []string{"WH01"}, Status: roster.InspectorActive, Given: roster.AllFields}

	created, changed, err := store.SaveInspector(ctx, planner, in)
	if err != nil || !changed || created.ID == 0 {
		t.Fatalf("create = %+v, %v, %v", created, changed, err)
	}
	t.Run("SameAgainChangesNothing", func(t *testing.T) {
		before := auditEntries(t, s, planner.BureauID, "inspector.update")
		got, changed, err := store.SaveInspector(ctx, planner, in)
		if err != nil || changed || got.ID != created.ID {
			t.Fatalf("save = %+v, %v, %v; want unchanged", got, changed, err)
		}
		if auditEntries(t, s, planner.BureauID, "inspector.update") != before {
			t.Error("an unchanged save wrote an audit entry")
		}
	})
	t.Run("LinkLogin", func(t *testing.T) {
		link := in
		link.Username = refTo("wl-inspector1")
		got, changed, err := store.SaveInspector(ctx, planner, link)
		if err != nil || !changed || got.UserID == nil {
			t.Fatalf("save = %+v, %v, %v; want linked", got, changed, err)
		}
		// A save without a username keeps the link.
		got, changed, err = store.SaveInspector(ctx, planner, in)
		if err != nil || changed || got.UserID == nil {
			t.Fatalf("save without username = %+v, %v, %v; want the link kept", got, changed, err)
		}
	})
	t.Run("ChangeCertificateByID", func(t *testing.T) {
		renew := in
		renew.ID, renew.CertificateNumber, renew.ExpiresOn = &created.ID, "14052224001", civil(2034, 2, 28)
		got, changed, err := store.SaveInspector(ctx, planner, renew)
		if err != nil || !changed || got.ID != created.ID || got.CertificateNumber != "14052224001" {
			t.Fatalf("save = %+v, %v, %v", got, changed, err)
		}
	})
	t.Run("ErrCertificateTaken", func(t *testing.T) {
		other := in
		other.CertificateNumber, other.Name = "14052219009", "赵敏"
		o, _, err := store.SaveInspector(ctx, planner, other)
		if err != nil {
			t.Fatal(err)
		}
		other.ID, other.CertificateNumber = &o.ID, "14052224001"
		_, _, err = store.SaveInspector(ctx, planner, other)
		wantErrKind(t, err, errs.Conflict)
	})
	t.Run("ErrLoginLinkedElsewhere", func(t *testing.T) {
		other := in
		other.CertificateNumber, other.Username = "14052219010", refTo("wl-inspector1")
		_, _, err := store.SaveInspector(ctx, planner, other)
		wantErrKind(t, err, errs.Conflict)
	})
	t.Run("ErrNotAMember", func(t *testing.T) {
		other := in
		other.CertificateNumber, other.Username = "14052219011", refTo("sj-inspector1")
		_, _, err := store.SaveInspector(ctx, planner, other)
		wantErrKind(t, err, errs.Invalid)
	})
	t.Run("ErrOtherBureauID", func(t *testing.T) {
		other := in
		other.ID = &created.ID
		_, _, err := store.SaveInspector(ctx, actingAs(t, s, "sj-planner"), other)
		wantErrKind(t, err, errs.NotFound)
	})
}

func refTo[T any](v T) *T { return &v }

func TestListInspectors(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.InspectorStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	if _, err := store.ImportInspectors(ctx, planner, inspectorRows, roster.ImportMeta{}); err != nil {
		t.Fatal(err)
	}
	names := func(list []roster.Inspector) []string {
		var out []string
		for _, i := range list {
			out = append(out, i.Name)
		}
		return out
	}
	tests := []struct {
		name string
		f    roster.InspectorFilter
		want []string
	}{
		{"All", roster.InspectorFilter{}, []string{"李强", "赵敏", "王五"}},
		{"Active", roster.InspectorFilter{Statuses: []roster.InspectorStatus{roster.InspectorActive}}, []string{"李强", "赵敏"}},
		{"Unit", roster.InspectorFilter{Unit: "凤城执法中队"}, []string{"李强", "王五"}},
		{"SearchName", roster.InspectorFilter{Search: "赵"}, []string{"赵敏"}},
		{"SearchCertificatePrefix", roster.InspectorFilter{Search: "1405221900"}, []string{"李强", "赵敏", "王五"}},
		{"SearchIsLiteral", roster.InspectorFilter{Search: "%"}, nil},
		{"Qualification", roster.InspectorFilter{Qualification: "WH01"}, []string{"李强", "王五"}},
		{"ExpiresBefore", roster.InspectorFilter{ExpiresBefore: civilPtr(2027, 1, 5)}, []string{"赵敏"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ListInspectors(ctx, planner, tt.f, page.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("got %v, want %v", names(got), tt.want)
			}
		})
	}
	t.Run("ExpiringSoonestFirstActiveOnly", func(t *testing.T) {
		got, err := store.ExpiringCertificates(ctx, planner, civil(2030, 1, 1), page.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"赵敏", "李强"}; !slices.Equal(names(got), want) {
			t.Fatalf("got %v, want %v", names(got), want)
		}
		next, err := store.ExpiringCertificates(ctx, planner, civil(2030, 1, 1), page.Request{After: page.Cursor(roster.ExpiryKey(got[0]))})
		if err != nil || !slices.Equal(names(next), []string{"李强"}) {
			t.Fatalf("next page = %v, %v; want [李强]", names(next), err)
		}
	})
}

// conflictFixture imports inspectors, links wl-inspector1 to the first and
// adds an entity of the region; it returns the inspectors.
func conflictFixture(t *testing.T, s seededDB, entityCode string) []roster.Inspector {
	t.Helper()
	ctx := context.Background()
	planner := actingAs(t, s, "wl-planner")
	_, err := postgres.EntityStore{DB: s.DB}.ImportEntities(ctx, planner,
		[]roster.EntityRow{{Row: 2, Code: entityCode, CodeKind: roster.CodeUSCC, Name: "阳城县示例歌舞厅", Status: roster.StatusActive, Given: roster.AllFields}},
		roster.ImportMeta{})
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.InspectorStore{DB: s.DB}
	if _, err := store.ImportInspectors(ctx, planner, inspectorRows, roster.ImportMeta{}); err != nil {
		t.Fatal(err)
	}
	list, err := store.ListInspectors(ctx, planner, roster.InspectorFilter{}, page.Request{})
	if err != nil {
		t.Fatal(err)
	}
	link := roster.InspectorInput{ID: &list[0].ID, CertificateNumber: list[0].CertificateNumber, Name: list[0].Name,
		Unit: list[0].Unit, IssuedOn: list[0].IssuedOn, ExpiresOn: list[0].ExpiresOn,
		Qualifications: list[0].Qualifications, Status: list[0].Status, Username: refTo("wl-inspector1"), Given: roster.AllFields}
	if _, _, err := store.SaveInspector(ctx, planner, link); err != nil {
		t.Fatal(err)
	}
	return list
}

func TestConflicts(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.InspectorStore{DB: s.DB}
	code := testUSCC(t, 1)

	t.Run("ErrDeclareWithoutLinkedInspector", func(t *testing.T) {
		_, err := store.DeclareConflict(ctx, actingAs(t, s, "wl-inspector2"), roster.ConflictInput{EntityCode: code, Reason: "亲属"})
		wantErrKind(t, err, errs.Invalid)
	})
	inspectors := conflictFixture(t, s, code)
	inspector, admin := actingAs(t, s, "wl-inspector1"), actingAs(t, s, "wl-admin")

	declared, err := store.DeclareConflict(ctx, inspector, roster.ConflictInput{EntityCode: code, Reason: "配偶在该单位任职"})
	if err != nil {
		t.Fatal(err)
	}
	if declared.InspectorID != inspectors[0].ID || declared.DeclaredBy != roster.DeclaredByInspector ||
		declared.EntityName != "阳城县示例歌舞厅" || declared.RecordedBy != inspector.UserID {
		t.Fatalf("declared = %+v", declared)
	}
	t.Run("ErrDeclaredTwice", func(t *testing.T) {
		_, err := store.DeclareConflict(ctx, inspector, roster.ConflictInput{EntityCode: code, Reason: "again"})
		wantErrKind(t, err, errs.Conflict)
	})
	t.Run("ErrEntityNotInRegion", func(t *testing.T) {
		_, err := store.RecordConflict(ctx, admin, roster.ConflictInput{InspectorID: inspectors[1].ID, EntityCode: testUSCC(t, 2), Reason: "x"})
		wantErrKind(t, err, errs.Invalid)
	})
	recorded, err := store.RecordConflict(ctx, admin, roster.ConflictInput{InspectorID: inspectors[1].ID, EntityCode: code, Reason: "曾在该单位任职"})
	if err != nil || recorded.DeclaredBy != roster.DeclaredByAdmin {
		t.Fatalf("record = %+v, %v", recorded, err)
	}
	t.Run("ErrOtherBureauInspector", func(t *testing.T) {
		_, err := store.RecordConflict(ctx, actingAs(t, s, "sj-admin"), roster.ConflictInput{InspectorID: inspectors[1].ID, EntityCode: code, Reason: "x"})
		wantErrKind(t, err, errs.NotFound)
	})
	t.Run("ErrOtherBureauWithdraws", func(t *testing.T) {
		_, err := store.WithdrawConflict(ctx, actingAs(t, s, "sj-admin"), recorded.ID)
		wantErrKind(t, err, errs.NotFound)
	})
	t.Run("WithdrawKeepsTheRow", func(t *testing.T) {
		got, err := store.WithdrawConflict(ctx, admin, recorded.ID)
		if err != nil || got.WithdrawnAt == nil || got.WithdrawnBy == nil || *got.WithdrawnBy != admin.UserID {
			t.Fatalf("withdraw = %+v, %v", got, err)
		}
		_, err = store.WithdrawConflict(ctx, admin, recorded.ID)
		wantErrKind(t, err, errs.Conflict)
		open, _ := store.ListConflicts(ctx, admin, roster.ConflictFilter{}, page.Request{})
		all, _ := store.ListConflicts(ctx, admin, roster.ConflictFilter{IncludeWithdrawn: true}, page.Request{})
		if len(open) != 1 || len(all) != 2 {
			t.Fatalf("open %d, all %d; want 1 and 2", len(open), len(all))
		}
		// Withdrawn, the pair may be recorded again.
		if _, err := store.RecordConflict(ctx, admin, roster.ConflictInput{InspectorID: inspectors[1].ID, EntityCode: code, Reason: "again"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Audited", func(t *testing.T) {
		for action, want := range map[string]int{"conflict.declare": 1, "conflict.record": 2, "conflict.withdraw": 1} {
			if got := auditEntries(t, s, admin.BureauID, action); got != want {
				t.Errorf("%s entries = %d, want %d", action, got, want)
			}
		}
	})
}

var itemRows = []roster.ItemRow{
	{Row: 2, Code: "WHLY-001", Name: "娱乐场所经营活动检查", LegalBasis: "《娱乐场所管理条例》第三十四条",
		EntityTypes: []string{"娱乐场所"}, Methods: []string{"实地检查"}, Ratio: 500, FrequencyPerYear: 1,
		Qualifications: []string{"WH01"}, Checklist: []string{"是否取得娱乐经营许可证", "是否按规定悬挂警示标志"}},
	{Row: 3, Code: "WHLY-002", Name: "旅行社经营活动检查", EntityTypes: []string{"旅行社"}, Methods: []string{"书面检查"}},
}

func TestItemVersions(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.ItemStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")

	steps := []struct {
		name string
		rows []roster.ItemRow
		want [3]int
	}{
		{"Create", itemRows, [3]int{2, 0, 0}},
		{"SameFileChangesNothing", itemRows, [3]int{0, 0, 2}},
		{"ChangeMakesAVersion", func() []roster.ItemRow {
			rows := slices.Clone(itemRows)
			rows[0].Checklist = append(slices.Clone(rows[0].Checklist), "是否落实实名登记")
			return rows
		}(), [3]int{0, 1, 1}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res, err := store.ImportItems(ctx, planner, st.rows, roster.ImportMeta{})
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int{res.Created, res.Updated, res.Unchanged}; got != st.want {
				t.Errorf("created, updated, unchanged = %v, want %v", got, st.want)
			}
		})
	}
	t.Run("OldVersionReadable", func(t *testing.T) {
		v1, err := store.ItemVersion(ctx, planner, "WHLY-001", 1)
		if err != nil || len(v1.Checklist) != 2 || v1.ValidTo == nil {
			t.Fatalf("version 1 = %+v, %v", v1, err)
		}
		latest, err := store.ItemVersion(ctx, planner, "WHLY-001", 0)
		if err != nil || latest.Version != 2 || len(latest.Checklist) != 3 || latest.ValidTo != nil {
			t.Fatalf("latest = %+v, %v", latest, err)
		}
		all, err := store.ItemVersions(ctx, planner, []string{"WHLY-001", "WHLY-002"}, page.Request{})
		if err != nil || len(all) != 3 {
			t.Fatalf("versions = %d, %v; want 3", len(all), err)
		}
	})
	t.Run("SaveUnchangedWritesNothing", func(t *testing.T) {
		row := itemRows[1]
		got, changed, err := store.SaveItem(ctx, planner, row)
		if err != nil || changed || got.Version != 1 {
			t.Fatalf("save = %+v, %v, %v", got, changed, err)
		}
		row.Ratio = 1000
		got, changed, err = store.SaveItem(ctx, planner, row)
		if err != nil || !changed || got.Version != 2 || got.Ratio != 1000 {
			t.Fatalf("save = %+v, %v, %v", got, changed, err)
		}
	})
	t.Run("ExportIsCurrentVersions", func(t *testing.T) {
		rows, err := store.ExportItems(ctx, planner)
		if err != nil || len(rows) != 2 || len(rows[0].Checklist) != 3 || rows[1].Ratio != 1000 {
			t.Fatalf("export = %+v, %v", rows, err)
		}
	})
	t.Run("ErrOtherBureau", func(t *testing.T) {
		_, err := store.ItemVersion(ctx, actingAs(t, s, "sj-planner"), "WHLY-001", 0)
		wantErrKind(t, err, errs.NotFound)
	})
}

// TestRosterTablesRLS: with the rows of 140522-wl in place, a serving
// transaction of 140522-sj sees none of them and cannot write any, even
// granted every privilege; and without such grants the serving role can
// delete nothing, not even its own bureau's rows.
func TestRosterTablesRLS(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	conflictFixture(t, s, testUSCC(t, 1))
	inspector := actingAs(t, s, "wl-inspector1")
	if _, err := (postgres.InspectorStore{DB: s.DB}).DeclareConflict(ctx, inspector, roster.ConflictInput{EntityCode: testUSCC(t, 1), Reason: "亲属"}); err != nil {
		t.Fatal(err)
	}
	if _, err := (postgres.ItemStore{DB: s.DB}).ImportItems(ctx, actingAs(t, s, "wl-planner"), itemRows, roster.ImportMeta{}); err != nil {
		t.Fatal(err)
	}
	wl, sj := s.bureau["140522-wl"], s.bureau["140522-sj"]
	// insert writes a row for bureau $1 that would otherwise succeed.
	tables := []struct{ name, insert string }{
		{"inspectors", `INSERT INTO inspectors (bureau_id, certificate_number, name, expires_on) VALUES ($1, 'X1', 'mallory', '2030-01-01')`},
		{"conflicts", `INSERT INTO conflicts (bureau_id, inspector_id, entity_code, reason, declared_by, recorded_by)
			SELECT $1, min(id), 'X', 'x', 'admin', 1 FROM inspectors WHERE bureau_id = $1`},
		{"inspection_items", `INSERT INTO inspection_items (bureau_id, code, version, name, valid_from) VALUES ($1, 'X', 1, 'x', now())`},
	}
	// sjRows gives sj rows of its own (as the owner, rolled back), for the
	// serving role to try moving into wl.
	sjRows := []string{
		fmt.Sprintf(`INSERT INTO inspectors (bureau_id, certificate_number, name, expires_on) VALUES (%d, 'S1', 'sj', '2030-01-01')`, sj),
		fmt.Sprintf(`INSERT INTO conflicts (bureau_id, inspector_id, entity_code, reason, declared_by, recorded_by)
			SELECT %[1]d, id, 'S', 's', 'admin', 1 FROM inspectors WHERE bureau_id = %[1]d`, sj),
		fmt.Sprintf(`INSERT INTO inspection_items (bureau_id, code, version, name, valid_from) VALUES (%d, 'S', 1, 's', now())`, sj),
	}
	const grantAll = `GRANT SELECT, INSERT, UPDATE, DELETE ON inspectors, conflicts, inspection_items TO ` + postgres.ServingRole
	for _, tbl := range tables {
		t.Run(tbl.name, func(t *testing.T) {
			own := count(t, s, `SELECT count(*) FROM `+tbl.name+` WHERE bureau_id = $1`, wl)
			if own == 0 {
				t.Fatalf("no wl rows in %s: the test needs some", tbl.name)
			}
			servingTx(t, s.DB, &wl, nil, func(tx *sqlx.Tx) {
				if got := count(t, tx, `SELECT count(*) FROM `+tbl.name); got != own {
					t.Errorf("wl sees %d of its %d rows", got, own)
				}
			})
			servingTx(t, s.DB, &sj, nil, func(tx *sqlx.Tx) {
				if got := count(t, tx, `SELECT count(*) FROM `+tbl.name); got != 0 {
					t.Errorf("sj sees %d rows, want 0", got)
				}
			})
			for name, q := range map[string]string{
				"InsertRefused":   tbl.insert,
				"MoveRowsRefused": `UPDATE ` + tbl.name + ` SET bureau_id = $1`,
			} {
				t.Run(name, func(t *testing.T) {
					servingTx(t, s.DB, &sj, append([]string{grantAll}, sjRows...), func(tx *sqlx.Tx) {
						if got := count(t, tx, `SELECT count(*) FROM `+tbl.name); got != 1 {
							t.Fatalf("sj sees %d rows of its own, want the 1 of the setup", got)
						}
						_, err := tx.Exec(q, wl)
						if code, msg := pqCode(err); code != "42501" || !strings.Contains(msg, "row-level security") {
							t.Errorf("err = %v, want a row-level security violation", err)
						}
					})
				})
			}
			t.Run("DeleteDenied", func(t *testing.T) {
				servingTx(t, s.DB, &wl, nil, func(tx *sqlx.Tx) {
					_, err := tx.Exec(`DELETE FROM ` + tbl.name)
					if code, msg := pqCode(err); code != "42501" || !strings.Contains(msg, "permission denied") {
						t.Errorf("err = %v, want permission denied", err)
					}
				})
			})
		})
	}
}
