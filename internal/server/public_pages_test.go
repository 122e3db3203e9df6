package server_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"shuangsuiji/internal/browser"
)

// privateWords are what a public page must never say: risk classes and
// strata, focus lists, exclusions and their reasons, conflicts, notes.
var privateWords = []string{"风险", "重点", "risk", "stratum", "strata", "回避", "conflict", "exclu", "annual_cap", "排除", "审核意见", "note"}

// getPage fetches a public page without signing in.
func getPage(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func savePlan2026(t *testing.T, e *env, username string) {
	t.Helper()
	e.Do(e.As(username), `mutation { savePlan(input: {year: 2026, drawsPerYear: 4, minCoverageBasisPoints: 2000,
		strata: {D: {ratioBasisPoints: 3700}}}) { changed } }`, nil).mustData(t, nil)
}

// publicFixture gives 140522-wl a roster (classes A–D), a 2026 plan and
// an executed draw, and returns the draw's database id (public pages and
// URLs number draws as the public manifest does).
func publicFixture(t *testing.T, e *env) string {
	t.Helper()
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(12), 4)
	savePlan2026(t, e, "wl-planner")
	id := makeDraw(t, e, planner, newDrawInput("2026年第一季度文化市场双随机抽查", nil))
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "公开测试"}).mustData(t, nil)
	return databaseID(t, id)
}

func TestPublicPagesShowPlansAndDrawsWithoutSignIn(t *testing.T) {
	e := newEnv(t)
	id := publicFixture(t, e)

	b := browser.New(t)
	b.Open(e.Server.URL + "/public/")
	if got := b.Text("h1"); got != "双随机、一公开" {
		t.Errorf("index h1 = %q", got)
	}
	if body := b.Text("main"); !strings.Contains(body, "阳城县文化和旅游局") || !strings.Contains(body, "阳城县市场监督管理局") {
		t.Errorf("the index does not list the county's bureaus:\n%s", body)
	}
	b.FitsWidth()
	b.Screenshot("index")

	b.Open(e.Server.URL + "/public/plans?bureau=140522-wl")
	plan := b.Text("main")
	for _, want := range []string{"阳城县文化和旅游局 2026年度抽查计划", "每年 4 次", "不低于 3%", "不低于 20%"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan page lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "37%") {
		t.Errorf("the plan page shows a stratum's ratio (37%%):\n%s", plan)
	}
	b.FitsWidth()
	b.Screenshot("plans")

	b.Open(e.Server.URL + "/public/draws?bureau=140522-wl")
	draws := b.Text("main")
	for _, want := range []string{"已抽取", "阳城县文化和旅游局", "commitment.json", "manifest.json", "户检查对象"} {
		if !strings.Contains(draws, want) {
			t.Errorf("the draws page lacks %q:\n%s", want, draws)
		}
	}
	selected := browser.Eval[int](b, `document.querySelectorAll("#draw-`+id+` ol.entities li").length`)
	if selected == 0 {
		t.Errorf("the executed demo draw lists no selected entity")
	}
	b.FitsWidth()
	b.Screenshot("draws")
	b.NoErrors()
}

func TestPublicPagesNeverShowPrivateFacts(t *testing.T) {
	e := newEnv(t)
	publicFixture(t, e)
	for _, path := range []string{"/public/", "/public/plans", "/public/plans?bureau=140522-wl&year=2026",
		"/public/draws", "/public/draws?bureau=140522-wl", "/public/draws?year=2026&quarter=1"} {
		status, body := getPage(t, e.Server.URL+path)
		if status != http.StatusOK {
			t.Errorf("GET %s: %d", path, status)
		}
		lower := strings.ToLower(body)
		for _, w := range privateWords {
			if strings.Contains(lower, strings.ToLower(w)) {
				t.Errorf("GET %s says %q", path, w)
			}
		}
	}
}

func TestPublicPagesRefuseBadFilters(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]string{
		"/public/draws?year=abc":   "year",
		"/public/draws?quarter=7":  "quarter",
		"/public/plans?year=1800":  "year",
		"/public/draws?region=14x": "region",
		"/public/draws?after=!!":   "after",
	} {
		status, body := getPage(t, e.Server.URL+path)
		if status != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, want 400 naming %q", path, status, want)
		}
	}
	if status, _ := getPage(t, e.Server.URL+"/public/nothing-here"); status != http.StatusNotFound {
		t.Errorf("GET /public/nothing-here: %d, want 404", status)
	}
}

// TestPublicPlansPaged: published plans come latest year first, then by
// bureau code, a page at a time through publicPlans and /public/plans,
// and the filter narrows them.
func TestPublicPlansPaged(t *testing.T) {
	e := newEnv(t)
	if _, err := e.DB.Exec(`INSERT INTO plans (bureau_id, year, strata)
SELECT b.id, y, '{}' FROM bureaus b, generate_series(2024, 2027) y WHERE b.code IN ('140522-wl', '140522-sj') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	const q = `query($f: PublicPlanFilter, $after: String) { publicPlans(filter: $f, first: 3, after: $after) {
  totalCount nodes { year bureau { code } } pageInfo { hasNextPage endCursor } } }`
	read := func(filter map[string]any) (got []string, total int) {
		after := any(nil)
		for range 10 {
			var d struct {
				PublicPlans struct {
					TotalCount int
					Nodes      []struct {
						Year   int
						Bureau struct{ Code string }
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			e.Do(request{}, q, map[string]any{"f": filter, "after": after}).mustData(t, &d)
			for _, n := range d.PublicPlans.Nodes {
				got = append(got, fmt.Sprintf("%d %s", n.Year, strings.TrimPrefix(n.Bureau.Code, "140522-")))
			}
			total = d.PublicPlans.TotalCount
			if !d.PublicPlans.PageInfo.HasNextPage {
				break
			}
			after = d.PublicPlans.PageInfo.EndCursor
		}
		return got, total
	}
	got, total := read(nil)
	want := "2027 sj, 2027 wl, 2026 sj, 2026 wl, 2025 sj, 2025 wl, 2024 sj, 2024 wl"
	if strings.Join(got, ", ") != want || total != 8 {
		t.Errorf("publicPlans in pages of 3: %v (totalCount %d), want %s (8)", got, total, want)
	}
	got, total = read(map[string]any{"bureau": "140522-wl", "year": 2026})
	if strings.Join(got, ", ") != "2026 wl" || total != 1 {
		t.Errorf("publicPlans of 140522-wl in 2026: %v (totalCount %d)", got, total)
	}
	r := e.Do(request{}, q, map[string]any{"f": map[string]any{"year": 1800}})
	if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions.Field != "year" {
		t.Errorf("year 1800: %+v", r.Errors)
	}

	// The page shows 20 plans and links to the next ones.
	if _, err := e.DB.Exec(`INSERT INTO plans (bureau_id, year, strata)
SELECT b.id, y, '{}' FROM bureaus b, generate_series(2000, 2023) y WHERE b.code = '140522-wl'`); err != nil {
		t.Fatal(err)
	}
	status, body := getPage(t, e.Server.URL+"/public/plans?bureau=140522-wl")
	next := regexp.MustCompile(`href="(/public/plans\?[^"]*after=[^"]+)"`).FindStringSubmatch(body)
	if status != http.StatusOK || strings.Count(body, `class="card plan"`) != 20 || next == nil {
		t.Fatalf("GET /public/plans: %d, %d plans, next %v", status, strings.Count(body, `class="card plan"`), next)
	}
	status, body = getPage(t, e.Server.URL+html.UnescapeString(next[1]))
	if status != http.StatusOK || strings.Count(body, `class="card plan"`) != 8 || !strings.Contains(body, "2000年度") || strings.Contains(body, `class="more"`) {
		t.Errorf("the next page: %d, %d plans", status, strings.Count(body, `class="card plan"`))
	}
}
