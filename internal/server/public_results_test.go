package server_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"shuangsuiji/internal/browser"
	"shuangsuiji/internal/public"
)

// resultFixture is a record written as the records code leaves it (owner
// SQL): task seq of the draw, the item, the codes, the day and the state.
type resultFixture struct {
	seq       int
	item      string
	codes     []string
	day       string
	state     string
	corrects  int64 // id of the record this one corrects
	recordID  int64
	published bool
}

// insertRecord writes one inspection record of 140522-wl for a task of
// draw and returns its id.
func (e *env) insertRecord(t *testing.T, draw string, r resultFixture) int64 {
	t.Helper()
	const q = `
INSERT INTO inspection_records (bureau_id, region_code, draw_id, seq, entity_code, item_code, item_version, item_name,
    code_version, result_codes, methods, findings, inspected_on, state, return_reason, corrects, correction_reason,
    created_by, updated_by, published_at)
SELECT b.id, t.region_code, t.draw_id, t.seq, t.entity_code, $3, 1, $3 || '检查', 1, $4, '{实地检查}',
       '现场发现的问题细节（内部）', $5::date, $6, CASE WHEN $6 = 'returned' THEN '照片不清楚' ELSE '' END,
       nullif($7::bigint, 0), CASE WHEN $7::bigint = 0 THEN '' ELSE '更正笔误' END,
       u.id, u.id, CASE WHEN $6 = 'published' THEN now() END
FROM draw_tasks t, bureaus b, users u
WHERE t.draw_id = $1::bigint AND t.seq = $2 AND b.code = '140522-wl' AND u.username = 'wl-inspector1'
RETURNING id`
	var id int64
	if err := e.DB.Get(&id, q, draw, r.seq, r.item, "{"+strings.Join(r.codes, ",")+"}", r.day, r.state, r.corrects); err != nil {
		t.Fatalf("record: %v", err)
	}
	return id
}

// publishedFixture: an executed draw of 140522-wl and records of its
// tasks in every state; returns the draw id and the tasks' entities.
func publishedFixture(t *testing.T, e *env) (string, []struct{ Code, Name string }) {
	t.Helper()
	draw := publicFixture(t, e)
	var tasks []struct{ Code, Name string }
	if err := e.DB.Select(&tasks, `SELECT t.entity_code AS code, e.name FROM draw_tasks t
		JOIN entities e ON e.code = t.entity_code AND e.valid_to IS NULL WHERE t.draw_id = $1 ORDER BY t.seq`, draw); err != nil {
		t.Fatal(err)
	}
	wrong := e.insertRecord(t, draw, resultFixture{seq: 1, item: "WL-01", codes: []string{"NO_PROBLEM"}, day: "2026-03-05", state: "published"})
	e.insertRecord(t, draw, resultFixture{seq: 1, item: "WL-01", codes: []string{"CORRECTED", "FOLLOW_UP"}, day: "2026-03-05", state: "published", corrects: wrong})
	e.insertRecord(t, draw, resultFixture{seq: 2, item: "WL-01", codes: []string{"UNREACHABLE"}, day: "2026-03-10", state: "published"})
	e.insertRecord(t, draw, resultFixture{seq: 2, item: "WL-02", codes: []string{"NO_PROBLEM"}, day: "2026-03-11", state: "published"})
	e.insertRecord(t, draw, resultFixture{seq: 3, item: "WL-01", codes: []string{"FOLLOW_UP"}, day: "2026-03-12", state: "approved"})
	e.insertRecord(t, draw, resultFixture{seq: 4, item: "WL-01", codes: []string{"NO_PROBLEM"}, day: "2026-03-13", state: "returned"})
	e.insertRecord(t, draw, resultFixture{seq: 5, item: "WL-01", codes: []string{"NO_PROBLEM"}, day: "2026-03-14", state: "submitted"})
	return draw, tasks
}

const publicResultsQuery = `query($f: PublicResultFilter, $first: Int, $after: String) {
  publicResults(filter: $f, first: $first, after: $after) {
    nodes { entityName entityCode bureau { code name } drawNumber taskName itemCode itemName inspectedOn correction results }
    pageInfo { hasNextPage endCursor } } }`

type publicResultsData struct {
	PublicResults struct {
		Nodes []struct {
			EntityName, EntityCode string
			Bureau                 struct{ Code, Name string }
			DrawNumber             int
			TaskName, ItemCode     string
			ItemName, InspectedOn  string
			Correction             bool
			Results                []string
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   string
		}
	}
}

func TestPublicResultsSearch(t *testing.T) {
	e := newEnv(t)
	_, tasks := publishedFixture(t, e)
	search := func(t *testing.T, f map[string]any) publicResultsData {
		t.Helper()
		var d publicResultsData
		e.Do(request{}, publicResultsQuery, map[string]any{"f": f}).mustData(t, &d)
		return d
	}
	t.Run("OnlyPublishedNewestFirstCorrectionsReplace", func(t *testing.T) {
		n := search(t, nil).PublicResults.Nodes
		var got []string
		for _, r := range n {
			got = append(got, r.InspectedOn+" "+r.ItemCode+" "+strings.Join(r.Results, "+"))
		}
		want := []string{"2026-03-11 WL-02 未发现问题", "2026-03-10 WL-01 通过登记的住所（经营场所）无法联系",
			"2026-03-05 WL-01 发现问题已责令改正+发现问题待后续处理"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(n) == 3 && (!n[2].Correction || n[2].EntityCode != tasks[0].Code || n[2].EntityName != tasks[0].Name ||
			n[2].Bureau.Name != "阳城县文化和旅游局" || n[2].TaskName != "2026年第一季度文化市场双随机抽查") {
			t.Errorf("the corrected result: %+v", n[2])
		}
	})
	t.Run("ByCode", func(t *testing.T) {
		n := search(t, map[string]any{"query": strings.ToLower(tasks[1].Code)}).PublicResults.Nodes
		if len(n) != 2 || n[0].EntityCode != tasks[1].Code || n[1].EntityCode != tasks[1].Code {
			t.Errorf("by code %s: %+v", tasks[1].Code, n)
		}
	})
	t.Run("ByPartOfName", func(t *testing.T) {
		name := []rune(tasks[1].Name)
		part := string(name[len(name)-3:]) // e.g. "wl1"
		n := search(t, map[string]any{"query": part}).PublicResults.Nodes
		for _, r := range n {
			if !strings.Contains(r.EntityName, part) {
				t.Errorf("%q found %q", part, r.EntityName)
			}
		}
		if len(n) == 0 {
			t.Errorf("%q found nothing", part)
		}
		if n := search(t, map[string]any{"query": "企业"}).PublicResults.Nodes; len(n) != 3 {
			t.Errorf("企业 found %d, want 3", len(n))
		}
		if n := search(t, map[string]any{"query": "不存在的企业"}).PublicResults.Nodes; len(n) != 0 {
			t.Errorf("a name no entity has found %d", len(n))
		}
	})
	t.Run("ByBureauItemRegionDates", func(t *testing.T) {
		cases := []struct {
			f    map[string]any
			want int
		}{
			{map[string]any{"bureau": "140522-wl"}, 3},
			{map[string]any{"bureau": "140522-sj"}, 0},
			{map[string]any{"item": "WL-02"}, 1},
			{map[string]any{"region": "140522"}, 3},
			{map[string]any{"region": "110101"}, 0},
			{map[string]any{"from": "2026-03-06", "to": "2026-03-10"}, 1},
			{map[string]any{"from": "2026-03-06"}, 2},
			{map[string]any{"to": "2026-03-05", "item": "WL-01", "bureau": "140522-wl"}, 1},
		}
		for _, c := range cases {
			if n := search(t, c.f).PublicResults.Nodes; len(n) != c.want {
				t.Errorf("filter %v: %d results, want %d", c.f, len(n), c.want)
			}
		}
	})
	t.Run("Pages", func(t *testing.T) {
		var seen []string
		after := ""
		for i := 0; i < 5; i++ {
			var d publicResultsData
			vars := map[string]any{"first": 2}
			if after != "" {
				vars["after"] = after
			}
			e.Do(request{}, publicResultsQuery, vars).mustData(t, &d)
			for _, r := range d.PublicResults.Nodes {
				seen = append(seen, r.InspectedOn+r.ItemCode)
			}
			if !d.PublicResults.PageInfo.HasNextPage {
				break
			}
			after = d.PublicResults.PageInfo.EndCursor
		}
		if len(seen) != 3 || seen[0] != "2026-03-11WL-02" || seen[2] != "2026-03-05WL-01" {
			t.Errorf("paged: %v", seen)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		for field, f := range map[string]map[string]any{
			"q":      {"query": strings.Repeat("名", 61)},
			"region": {"region": "14"},
			"to":     {"from": "2026-03-06", "to": "2026-03-01"},
		} {
			r := e.Do(request{}, publicResultsQuery, map[string]any{"f": f})
			wantCode(t, r, "BAD_USER_INPUT")
			if len(r.Errors) > 0 && r.Errors[0].Extensions.Field != field {
				t.Errorf("%v: field %q, want %q", f, r.Errors[0].Extensions.Field, field)
			}
		}
		wantCode(t, e.Do(request{}, publicResultsQuery, map[string]any{"after": "bm9wZQ"}), "BAD_USER_INPUT")
	})
}

func TestPublicResultsExports(t *testing.T) {
	e := newEnv(t)
	_, tasks := publishedFixture(t, e)

	t.Run("CSV", func(t *testing.T) {
		status, body := getPage(t, e.Server.URL+"/public/results.csv?bureau=140522-wl&from=2026-03-06")
		if status != http.StatusOK || !strings.HasPrefix(body, "\ufeff") {
			t.Fatalf("status %d, BOM %v", status, strings.HasPrefix(body, "\ufeff"))
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(public.ResultColumns, ",") {
			t.Errorf("header %v", rows[0])
		}
		if len(rows) != 3 || rows[1][1] != tasks[1].Code || rows[1][2] != "阳城县文化和旅游局" || rows[1][5] != "2026-03-11" || rows[1][6] != "未发现问题" {
			t.Errorf("rows %v", rows)
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		res, err := http.Get(e.Server.URL + "/public/results.xlsx?q=" + tasks[0].Code)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		book, err := excelize.OpenReader(res.Body)
		if err != nil {
			t.Fatalf("excelize cannot open the export: %v", err)
		}
		rows, err := book.GetRows("抽查检查结果")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(public.ResultColumns, ",") {
			t.Fatalf("rows %v", rows)
		}
		want := []string{tasks[0].Name, tasks[0].Code, "阳城县文化和旅游局", "2026年第一季度文化市场双随机抽查", "WL-01检查", "2026-03-05", "发现问题已责令改正；发现问题待后续处理（更正）"}
		if strings.Join(rows[1], "|") != strings.Join(want, "|") {
			t.Errorf("row %q\nwant %q", rows[1], want)
		}
	})
	t.Run("BadFilter", func(t *testing.T) {
		for _, path := range []string{"/public/results.csv?from=2026-13-01", "/public/results.xlsx?region=abc"} {
			if status, _ := getPage(t, e.Server.URL+path); status != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400", path, status)
			}
		}
	})
	t.Run("NothingPrivate", func(t *testing.T) {
		_, body := getPage(t, e.Server.URL+"/public/results.csv")
		for _, private := range []string{"内部", "照片不清楚", "更正笔误", "实地检查"} {
			if strings.Contains(body, private) {
				t.Errorf("the export says %q", private)
			}
		}
		if bytes.Count([]byte(body), []byte("\n")) != 4 {
			t.Errorf("want the header and 3 published results:\n%s", body)
		}
	})
}

func TestPublicResultsPage(t *testing.T) {
	e := newEnv(t)
	_, tasks := publishedFixture(t, e)
	b := browser.New(t)
	b.Open(e.Server.URL + "/public/results?bureau=140522-wl")
	text := b.Text("main")
	for _, want := range []string{tasks[0].Name, tasks[1].Code, "发现问题已责令改正；发现问题待后续处理（更正）", "通过登记的住所（经营场所）无法联系"} {
		if !strings.Contains(text, want) {
			t.Errorf("the results page lacks %q", want)
		}
	}
	for _, private := range append(privateWords, "照片不清楚", "内部") {
		if strings.Contains(strings.ToLower(b.HTML()), strings.ToLower(private)) {
			t.Errorf("the results page says %q", private)
		}
	}
	if href := browser.Eval[string](b, `document.querySelector("a[href^='/public/results.csv']").getAttribute("href")`); !strings.Contains(href, "bureau=140522-wl") {
		t.Errorf("the CSV link does not carry the filter: %s", href)
	}
	b.FitsWidth()
	b.Screenshot("results")
	b.NoErrors()
}
