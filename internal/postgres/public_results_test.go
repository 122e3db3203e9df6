package postgres_test

import (
	"fmt"
	"testing"

	"shuangsuiji/internal/page"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/public"
)

// publishedResults lists the search table's rows: id, name and results.
func publishedResults(t *testing.T, s seededDB) []string {
	t.Helper()
	var rows []string
	if err := s.Select(&rows, `SELECT id || ' ' || entity_name || ' ' || array_to_string(results, '+') FROM published_results ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPublishedResultsFollowTheRecords: the table the public search
// reads (migration 00022) follows the records without the store's help:
// a record entering 'published' by UPDATE appears, a published
// correction replaces what it corrects, a new version of the entity
// renames it and its name is found, unpublished records never appear.
func TestPublishedResultsFollowTheRecords(t *testing.T) {
	s := newSeeded(t)
	wl := s.bureau["140522-wl"]
	const code = "91140522MA0000001X"
	if _, err := s.Exec(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		VALUES ('140522', $1, 1, 'uscc', '阳城县旧名文化有限公司', '2025-01-01')`, code); err != nil {
		t.Fatal(err)
	}
	original := seedRecord(t, s, wl, code)
	if got := publishedResults(t, s); len(got) != 1 || got[0] != fmt.Sprintf("%d 阳城县旧名文化有限公司 未发现问题", original) {
		t.Fatalf("after publishing: %q", got)
	}
	var correction int64
	if err := s.Get(&correction, `INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code,
		    item_version, item_name, code_version, result_codes, inspected_on, state, corrects, correction_reason, created_by, updated_by)
		SELECT bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name, code_version,
		    '{UNREACHABLE}', inspected_on, 'approved', id, '更正', created_by, updated_by
		FROM inspection_records WHERE id = $1 RETURNING id`, original); err != nil {
		t.Fatal(err)
	}
	if got := publishedResults(t, s); len(got) != 1 {
		t.Fatalf("an approved correction changed the results: %q", got)
	}
	if _, err := s.Exec(`UPDATE inspection_records SET state = 'published', published_at = now() WHERE id = $1`, correction); err != nil {
		t.Fatal(err)
	}
	if got := publishedResults(t, s); len(got) != 1 || got[0] != fmt.Sprintf("%d 阳城县旧名文化有限公司 通过登记的住所（经营场所）无法联系", correction) {
		t.Fatalf("after publishing the correction: %q", got)
	}
	if _, err := s.Exec(`UPDATE entities SET valid_to = now() WHERE code = $1 AND valid_to IS NULL`, code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		VALUES ('140522', $1, 2, 'uscc', '阳城县新名演艺有限公司', now())`, code); err != nil {
		t.Fatal(err)
	}
	if got := publishedResults(t, s); len(got) != 1 || got[0] != fmt.Sprintf("%d 阳城县新名演艺有限公司 通过登记的住所（经营场所）无法联系", correction) {
		t.Fatalf("after renaming: %q", got)
	}
	store := postgres.PublicStore{DB: s.DB}
	for query, want := range map[string]int{"新名演艺": 1, "旧名": 0, "演": 1, "旧": 0} {
		got, err := store.Results(t.Context(), public.ResultFilter{Query: query}, page.Request{First: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%q found %d results, want %d", query, len(got), want)
		}
	}
}

// TestEachResultReadsInChunks: the export reads a chunk a statement and
// still sends every result once, newest first, as the pages list them.
func TestEachResultReadsInChunks(t *testing.T) {
	s := newSeeded(t)
	for i := range 7 {
		seedRecord(t, s, s.bureau["140522-wl"], fmt.Sprintf("91140522MA000001%dX", i))
	}
	defer postgres.SetExportChunk(2)()
	store := postgres.PublicStore{DB: s.DB}
	var streamed []int64
	err := store.EachResult(t.Context(), public.ResultFilter{}, func(r public.Result) error {
		streamed = append(streamed, r.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	paged, err := store.Results(t.Context(), public.ResultFilter{}, page.Request{First: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed) != 7 || len(paged) != 7 {
		t.Fatalf("streamed %d, paged %d; want 7", len(streamed), len(paged))
	}
	for i, r := range paged {
		if streamed[i] != r.ID {
			t.Errorf("streamed %v, paged in another order", streamed)
			break
		}
	}
}

// TestResultsByOneCharacter: a page by one character is the newest
// matches whether the newest results hold enough of them (a common
// character) or the names' index must find them (a rare one), and pages
// on in order.
func TestResultsByOneCharacter(t *testing.T) {
	s := newSeeded(t)
	var want []int64
	for i := range 12 {
		code := fmt.Sprintf("91140522MA000002%dX", i)
		name := fmt.Sprintf("阳城县甲%d有限公司", i)
		if i%4 == 3 {
			name = fmt.Sprintf("阳城县乙%d有限公司", i) // 乙: rare, 3 of 12
		}
		if _, err := s.Exec(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
			VALUES ('140522', $1, 1, 'uscc', $2, '2025-01-01')`, code, name); err != nil {
			t.Fatal(err)
		}
		id := seedRecord(t, s, s.bureau["140522-wl"], code)
		if i%4 == 3 {
			want = append([]int64{id}, want...)
		}
	}
	store := postgres.PublicStore{DB: s.DB}
	search := func(q string, p page.Request) []int64 {
		t.Helper()
		got, err := store.Results(t.Context(), public.ResultFilter{Query: q}, p)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(got))
		for i, r := range got {
			ids[i] = r.ID
		}
		return ids
	}
	if got := search("乙", page.Request{First: 5}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("乙 found %v, want %v", got, want)
	}
	// 甲 is in 9 names: a page of 4 (the store reads 5, to know of more)
	// comes from the newest results, the next from after its fourth.
	common := search("甲", page.Request{First: 4})
	if len(common) != 5 {
		t.Fatalf("甲 found %d, want 5", len(common))
	}
	for i := 1; i < len(common); i++ {
		if common[i] >= common[i-1] {
			t.Errorf("甲: %v is not newest first", common)
		}
	}
	after := page.Cursor(public.ResultKey(public.Result{ID: common[3], InspectedOn: civil(2026, 3, 10)}))
	if next := search("甲", page.Request{First: 20, After: after}); len(next) != 5 || next[0] != common[4] {
		t.Errorf("甲 after the first page found %v, want 5 starting with %d", next, common[4])
	}
	if n := len(search("丙", page.Request{First: 5})); n != 0 {
		t.Errorf("丙 found %d", n)
	}
}
