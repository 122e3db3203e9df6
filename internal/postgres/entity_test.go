package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// TestConcurrentImports runs 10 imports at once into one region (two
// bureaus sharing its entities) and into one bureau's inspector roster:
// each succeeds in some serial order, or is a CONFLICT; none fails
// because another ran at the same time.
func TestConcurrentImports(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	entities := postgres.EntityStore{DB: s.DB}
	inspectors := postgres.InspectorStore{DB: s.DB}
	planners := []string{"wl-planner", "sj-planner"}
	codes := make([]string, 20)
	for i := range codes {
		codes[i] = testUSCC(t, 900+i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			actor := actingAs(t, s, planners[i%2])
			rows := make([]roster.EntityRow, len(codes))
			for j, c := range codes {
				rows[j] = roster.EntityRow{Row: j + 2, Code: c, CodeKind: roster.CodeUSCC, Name: fmt.Sprintf("并发测试%d号", j),
					Address: fmt.Sprintf("凤城镇%d号", i), Unit: fmt.Sprintf("中队%d", i), Status: roster.StatusActive,
					Complaints: i, Given: roster.AllFields}
			}
			_, err := entities.ImportEntities(ctx, actor, rows, roster.ImportMeta{Filename: fmt.Sprintf("e%d.csv", i)})
			errc <- err
		}()
		go func() {
			defer wg.Done()
			actor := actingAs(t, s, "wl-planner")
			rows := []roster.InspectorRow{{Row: 2, Name: "并发", CertificateNumber: "14052219999",
				Unit: fmt.Sprintf("中队%d", i), ExpiresOn: civil(2030, 1, 1), Status: roster.InspectorActive, Given: roster.AllFields}}
			_, err := inspectors.ImportInspectors(ctx, actor, rows, roster.ImportMeta{Filename: fmt.Sprintf("i%d.csv", i)})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil && errs.KindOf(err) != errs.Conflict {
			t.Errorf("concurrent import: %v (%s)", err, errs.KindOf(err))
		}
	}
	// Versions of one entity follow each other without gap or overlap.
	bad := count(t, s, `SELECT count(*) FROM roster_entries a JOIN roster_entries b
ON b.bureau_id = a.bureau_id AND b.entity_code = a.entity_code AND b.version = a.version + 1
WHERE a.valid_to IS DISTINCT FROM b.valid_from`)
	if bad != 0 {
		t.Errorf("%d entry versions do not end where the next begins", bad)
	}
	wantRosterTalliesMatch(t, s)
}

// importCSV imports CSV text as the actor, failing the test on error.
func importCSV(t *testing.T, s seededDB, actor *authz.Actor, kind roster.Kind, text string, dryRun bool, sink roster.ChangeSink) roster.ImportResult {
	t.Helper()
	res, err := rosterService(s.DB).ImportAs(context.Background(), actor, kind, strings.NewReader(text), "t.csv", dryRun, sink)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// currentEntry is the bureau's current entry of the entity, read as owner.
func currentEntry(t *testing.T, s seededDB, bureauID int64, code string) map[string]any {
	t.Helper()
	row := map[string]any{}
	err := s.DB.QueryRowxContext(context.Background(), `SELECT entity_type, licence_type, licence_number, unit, risk_class,
    status, abnormal_operations, serious_violation, complaints, last_penalty_date::text AS last_penalty_date
FROM roster_entries WHERE bureau_id = $1 AND entity_code = $2 AND valid_to IS NULL`, bureauID, code).MapScan(row)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// TestImportKeepsWhatTheFileLeavesOut replays the losses of issue 10: each
// file below used to reset what it did not carry.
func TestImportKeepsWhatTheFileLeavesOut(t *testing.T) {
	s := newSeeded(t)
	planner := actingAs(t, s, "wl-planner")
	a, b := testUSCC(t, 801), testUSCC(t, 802)
	importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,类型,许可证类型,许可证号,属地单位,风险分类,经营异常名录,严重违法失信名单,投诉次数,最近行政处罚日期\n"+
		a+",甲,娱乐场所,娱乐经营许可证,140522001,凤城中队,C,是,否,5,2025-06-30\n"+
		b+",乙,网吧,网络文化经营许可证,140522002,北留中队,B,否,否,0,\n", false, nil)
	before := currentEntry(t, s, planner.BureauID, a)

	t.Run("NoRiskClassColumnKeepsRiskClasses", func(t *testing.T) {
		importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,属地单位\n"+a+",甲,凤城中队\n"+b+",乙,北留中队\n", false, nil)
		if got := currentEntry(t, s, planner.BureauID, a); got["risk_class"] != "C" {
			t.Errorf("risk class after a file without 风险分类 = %q, want C", got["risk_class"])
		}
	})
	t.Run("NoFlagColumnsKeepFlagsAndLicence", func(t *testing.T) {
		importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,状态\n"+a+",甲,在营\n", false, nil)
		got := currentEntry(t, s, planner.BureauID, a)
		for _, k := range []string{"abnormal_operations", "complaints", "licence_type", "last_penalty_date", "unit"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(before[k]) {
				t.Errorf("%s = %v after a file without it, want %v", k, got[k], before[k])
			}
		}
	})
	t.Run("EmptyCellsKeepExceptClearable", func(t *testing.T) {
		importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,风险分类,投诉次数,许可证号\n"+a+",甲,,,\n", false, nil)
		got := currentEntry(t, s, planner.BureauID, a)
		if got["risk_class"] != "C" || fmt.Sprint(got["complaints"]) != "5" || got["licence_number"] != "" {
			t.Errorf("after empty cells: risk %v, complaints %v, licence number %q; want C, 5 kept and the clearable licence number cleared",
				got["risk_class"], got["complaints"], got["licence_number"])
		}
	})
	t.Run("DryRunListsEveryChangeClearedFirst", func(t *testing.T) {
		var sink recordingSink
		res := importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,风险分类,经营异常名录,属地单位\n"+
			a+",甲,（清空）,(清空),凤城中队\n"+b+",乙,A,,\n", true, &sink)
		want := []roster.FieldChange{
			{Row: 2, Key: a, Field: "risk_class", From: "C", To: ""},
			{Row: 2, Key: a, Field: "abnormal_operations", From: "true", To: "false"},
			{Row: 3, Key: b, Field: "unit", From: "北留中队", To: ""}, // clearable: the empty cell clears it
			{Row: 3, Key: b, Field: "risk_class", From: "B", To: "A"},
		}
		if !sink.clearedFirst || sink.cleared != 3 || res.Cleared != 3 || !slices.Equal(sink.changes, want) || !slices.Equal(res.Changes, want) {
			t.Errorf("dry run: cleared %d (first %v, result %d), changes %+v\nwant 3 cleared, %+v", sink.cleared, sink.clearedFirst, res.Cleared, sink.changes, want)
		}
		if got := currentEntry(t, s, planner.BureauID, a); got["risk_class"] != "C" {
			t.Errorf("the dry run changed the roster: risk class %v", got["risk_class"])
		}
	})
	t.Run("MarkerClears", func(t *testing.T) {
		importCSV(t, s, planner, roster.KindEntities, "统一社会信用代码,名称,风险分类,最近行政处罚日期\n"+a+",甲,（清空）,（清空）\n", false, nil)
		if got := currentEntry(t, s, planner.BureauID, a); got["risk_class"] != "" || got["last_penalty_date"] != nil {
			t.Errorf("after （清空）: risk %q, penalty %v; want both cleared", got["risk_class"], got["last_penalty_date"])
		}
	})
	t.Run("ErrMarkerInRequiredColumn", func(t *testing.T) {
		_, err := rosterService(s.DB).ImportAs(context.Background(), planner, roster.KindEntities,
			strings.NewReader("统一社会信用代码,名称\n"+a+",（清空）\n"), "t.csv", false, nil)
		wantErrKind(t, err, errs.Invalid)
	})
}

// recordingSink keeps what a dry run streams.
type recordingSink struct {
	cleared      int
	clearedFirst bool
	changes      []roster.FieldChange
}

func (r *recordingSink) Cleared(n int) error {
	r.cleared, r.clearedFirst = n, len(r.changes) == 0
	return nil
}

func (r *recordingSink) Change(c roster.FieldChange) error {
	r.changes = append(r.changes, c)
	return nil
}

// TestInspectorImportKeepsWhatTheFileLeavesOut: a file with only 姓名,
// 执法证号 and 有效期至 used to clear the unit, issue date and
// qualifications, which took the inspector out of every draw.
func TestInspectorImportKeepsWhatTheFileLeavesOut(t *testing.T) {
	s := newSeeded(t)
	planner := actingAs(t, s, "wl-planner")
	importCSV(t, s, planner, roster.KindInspectors, "姓名,执法证号,所属单位,发证日期,有效期至,资格\n李强,14052219001,凤城执法中队,2024-03-01,2029-02-28,WH01、WH02\n", false, nil)
	var sink recordingSink
	importCSV(t, s, planner, roster.KindInspectors, "姓名,执法证号,有效期至,资格\n李强,14052219001,2029-02-28,（清空）\n", true, &sink)
	if want := []roster.FieldChange{{Row: 2, Key: "14052219001", Field: "qualifications", From: "WH01、WH02"}}; sink.cleared != 1 || !slices.Equal(sink.changes, want) {
		t.Errorf("dry run clearing qualifications: %d cleared, %+v; want %+v", sink.cleared, sink.changes, want)
	}
	importCSV(t, s, planner, roster.KindInspectors, "姓名,执法证号,有效期至\n李强,14052219001,2030-02-28\n", false, nil)
	var unit, issued, expires string
	var quals pq.StringArray
	err := s.DB.QueryRowContext(context.Background(), `SELECT unit, issued_on::text, expires_on::text, qualifications FROM inspectors
WHERE bureau_id = $1 AND certificate_number = '14052219001'`, planner.BureauID).Scan(&unit, &issued, &expires, &quals)
	if err != nil {
		t.Fatal(err)
	}
	if unit != "凤城执法中队" || issued != "2024-03-01" || expires != "2030-02-28" || !slices.Equal(quals, []string{"WH01", "WH02"}) {
		t.Errorf("inspector = %s, %s, %s, %v; want the unit, issue date and qualifications kept, the expiry changed", unit, issued, expires, quals)
	}
}

// TestWhoseEntity: a bureau changes the region's shared record only for
// entities on its own roster; adding one another bureau supervises links
// it, and the history names the bureau of each change.
func TestWhoseEntity(t *testing.T) {
	s := newSeeded(t)
	wl, sj := actingAs(t, s, "wl-planner"), actingAs(t, s, "sj-planner")
	code := testUSCC(t, 851)
	importCSV(t, s, wl, roster.KindEntities, "统一社会信用代码,名称,法定代表人,住所\n"+code+",阳城县甲网吧,张三,凤城镇1号\n", false, nil)

	var sink recordingSink
	importCSV(t, s, sj, roster.KindEntities, "统一社会信用代码,名称,法定代表人,住所,类型\n"+code+",别名网吧,李四,别处,网吧\n", true, &sink)
	for _, c := range sink.changes {
		if c.Field == "name" || c.Field == "legal_representative" || c.Field == "address" {
			t.Errorf("dry run of a link lists a shared change %+v", c)
		}
	}
	importCSV(t, s, sj, roster.KindEntities, "统一社会信用代码,名称,法定代表人,住所,类型\n"+code+",别名网吧,李四,别处,网吧\n", false, nil)
	store := postgres.EntityStore{DB: s.DB}
	e, err := store.EntityByCode(context.Background(), wl, code, nil)
	if err != nil || e.Name != "阳城县甲网吧" || e.LegalRepresentative != "张三" || e.Version != 1 {
		t.Fatalf("after another bureau linked it: %+v, %v; want wl's record unchanged", e, err)
	}
	if _, err := store.RosterEntity(context.Background(), sj, code); err != nil {
		t.Fatalf("sj's entry: %v", err)
	}
	// Now on sj's roster too, sj may correct the shared record.
	importCSV(t, s, sj, roster.KindEntities, "统一社会信用代码,名称,法定代表人\n"+code+",阳城县甲网吧有限公司,李四\n", false, nil)
	history, err := store.EntityHistory(context.Background(), wl, code, page.Request{})
	if err != nil || len(history) != 2 || history[1].Name != "阳城县甲网吧有限公司" || history[1].Address != "凤城镇1号" ||
		deref(history[0].ChangedIn) != wl.BureauID || deref(history[1].ChangedIn) != sj.BureauID {
		t.Fatalf("history = %+v, %v; want wl's version, then sj's naming sj", history, err)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p != nil {
		return *p
	}
	return zero
}

// TestInspectorVersions: every change of an inspector keeps the old
// version, the roster reads as of an instant, a form save keeps what it
// leaves out, and a frozen draw names the versions it drew from.
func TestInspectorVersions(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.InspectorStore{DB: s.DB}
	planner := actingAs(t, s, "wl-planner")
	importCSV(t, s, planner, roster.KindInspectors, "姓名,执法证号,所属单位,有效期至,资格\n李强,14052219101,凤城执法中队,2029-02-28,WH01\n", false, nil)
	list, err := store.ListInspectors(ctx, planner, roster.InspectorFilter{Search: "14052219101"}, page.Request{})
	if err != nil || len(list) != 1 || list[0].Version != 1 {
		t.Fatalf("after import: %+v, %v", list, err)
	}
	first := list[0]
	var between time.Time
	if err := s.DB.GetContext(ctx, &between, `SELECT clock_timestamp()`); err != nil {
		t.Fatal(err)
	}
	saved, changed, err := store.SaveInspector(ctx, planner, roster.InspectorInput{ID: &first.ID, Unit: "北留执法中队",
		Given: roster.InspectorUnit.Bit()})
	if err != nil || !changed || saved.Version != 2 || saved.Unit != "北留执法中队" || saved.Name != "李强" ||
		!slices.Equal(saved.Qualifications, []string{"WH01"}) || !saved.ExpiresOn.Equal(civil(2029, 2, 28)) {
		t.Fatalf("partial save = %+v, %v, %v; want version 2 with only the unit changed", saved, changed, err)
	}
	t.Run("History", func(t *testing.T) {
		history, err := store.InspectorHistory(ctx, planner, first.ID, page.Request{})
		if err != nil || len(history) != 2 || history[0].Unit != "凤城执法中队" || history[0].ValidTo == nil ||
			!history[0].ValidTo.Equal(history[1].UpdatedAt) || history[1].ValidTo != nil {
			t.Fatalf("history = %+v, %v", history, err)
		}
	})
	t.Run("AsOf", func(t *testing.T) {
		then, err := store.ListInspectors(ctx, planner, roster.InspectorFilter{Search: "14052219101", AsOf: &between}, page.Request{})
		if err != nil || len(then) != 1 || then[0].Unit != "凤城执法中队" || then[0].Version != 1 {
			t.Fatalf("as of before the save = %+v, %v", then, err)
		}
	})
	t.Run("OtherBureauNotFound", func(t *testing.T) {
		_, err := store.InspectorHistory(ctx, actingAs(t, s, "sj-planner"), first.ID, page.Request{})
		wantErrKind(t, err, errs.NotFound)
	})
	t.Run("RLSWithoutTheService", func(t *testing.T) {
		n := 0
		err := s.DB.InScope(ctx, postgres.Scope{BureauID: s.bureau["140522-sj"]}, func(tx *sqlx.Tx) error {
			return tx.GetContext(ctx, &n, `SELECT count(*) FROM inspector_versions WHERE inspector_id = $1`, first.ID)
		})
		if err != nil || n != 0 {
			t.Errorf("another bureau reads %d versions of the inspector past the service (%v)", n, err)
		}
	})
}
