package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"shuangsuiji/internal/page"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// TestRosterPageScansAsSqlx: a roster page, scanned column by column, holds
// for each row exactly what RosterEntity (the same columns through sqlx)
// reads for its code: every column in its field, NULL as nil, through the
// prepared first and next pages and the filtered, built-per-request one.
func TestRosterPageScansAsSqlx(t *testing.T) {
	s := newSeeded(t)
	ctx := context.Background()
	store := postgres.EntityStore{DB: s.DB}
	actor := actingAs(t, s, "wl-planner")
	penalty := civil(2026, 3, 4)
	rows := make([]roster.EntityRow, 6)
	for i := range rows {
		rows[i] = roster.EntityRow{Row: i + 2, Code: testUSCC(t, 700+i), CodeKind: roster.CodeUSCC,
			Name: fmt.Sprintf("扫描测试%d号", i), LegalRepresentative: "王五", Address: fmt.Sprintf("凤城镇%d号", i),
			Type: "娱乐场所", Unit: "一中队", Status: roster.StatusActive, Complaints: i, Given: roster.AllFields}
		if i%2 == 0 { // half classified, on the lists and penalised: every nullable column both ways
			rows[i].RiskClass, rows[i].AbnormalOperations, rows[i].SeriousViolation = roster.RiskB, true, true
			rows[i].LastPenaltyDate, rows[i].LicenceType, rows[i].LicenceNumber = &penalty, "娱乐经营许可证", fmt.Sprintf("L-%d", i)
		}
	}
	if _, err := store.ImportEntities(ctx, actor, rows, roster.ImportMeta{Filename: "scan.csv"}); err != nil {
		t.Fatal(err)
	}
	first := 4
	views := map[string]struct {
		f roster.EntityFilter
		p page.Request
	}{
		"first page":    {roster.EntityFilter{}, page.Request{First: first}},
		"filtered page": {roster.EntityFilter{Search: "扫描测试"}, page.Request{First: first}},
	}
	seen := 0
	for name, v := range views {
		list, err := store.ListEntities(ctx, actor, v.f, v.p)
		if err != nil || len(list) == 0 {
			t.Fatalf("%s: %d rows, %v", name, len(list), err)
		}
		last := list[len(list)-1].Entity.Code
		next, err := store.ListEntities(ctx, actor, v.f, page.Request{First: first, After: page.Cursor(last)})
		if err != nil {
			t.Fatalf("%s, next: %v", name, err)
		}
		for _, got := range append(list, next...) {
			want, err := store.RosterEntity(ctx, actor, got.Entity.Code)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: scanned\n%+v\nsqlx\n%+v", name, got, want)
			}
			if got.Entry.RiskClass == roster.RiskB && got.Entry.LastPenaltyDate != nil {
				seen++
			}
		}
	}
	if seen == 0 {
		t.Error("no row with its nullable columns set was compared")
	}
}
