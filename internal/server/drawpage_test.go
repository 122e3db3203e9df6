package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuangsuiji/internal/browser"
)

// bigRoster puts n entities in the culture-and-tourism bureau's roster
// directly (the import path is tested elsewhere and would take longer),
// risk classes cycling A–D, with names the page shows and the units
// S0–S4 of testUnits.
func bigRoster(t *testing.T, e *env, n int) {
	t.Helper()
	const entities = `INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
SELECT '140522', '91140522Z' || lpad(i::text, 9, '0'), 1, 'registration_number', '测试企业' || i, now()
FROM generate_series(1, $1) i`
	const entries = `INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, unit, status, status_since, risk_class, valid_from)
SELECT (SELECT id FROM bureaus WHERE code = '140522-wl'), '140522', '91140522Z' || lpad(i::text, 9, '0'), 1,
       'S' || (i % 5), 'active', '2025-01-01', (ARRAY['A','B','C','D'])[1 + i % 4], now()
FROM generate_series(1, $1) i`
	for _, q := range []string{entities, entries} {
		if _, err := e.DB.Exec(q, n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// The public draw page of a 100,000-entity draw: its facts and counts, and
// a button that recomputes every public check in headless Chromium (the
// page's own script, WebCrypto only, nothing fetched from elsewhere). It
// accepts the published manifest, refuses one with a changed team member,
// and tells an entity with its opening whether it was rightly selected.
func TestPublicDrawPageVerifiesInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 100,000 entities and verifies them in Chromium")
	}
	e := newEnv(t)
	planner := e.As("wl-planner")
	testUnits(t, e, planner)
	fillRoster(t, e, planner, "wl", usccs(4), 30)
	bigRoster(t, e, 100_000)
	id := makeDraw(t, e, planner, newDrawInput("十万户抽查", map[string]any{"crossUnit": true}))
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "骰子 3 1 4 1 5"}).mustData(t, nil)
	number := databaseID(t, id)
	_, published := getPublic(t, e, "/public/draws/"+number+"/manifest.json")

	b := browser.New(t)
	b.Open(e.Server.URL + "/public/draws/" + number)
	if got := b.Text("h1"); got != "十万户抽查" {
		t.Errorf("h1 = %q", got)
	}
	page := b.Text("main")
	for _, want := range []string{"阳城县文化和旅游局", "2026-03-01 至 2026-03-31", "分层抽取数量", "100004"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}

	t.Run("AcceptsPublishedManifest", func(t *testing.T) {
		verdict := verifyIn(t, b, chromedp.Click(chromedp.CSS("#verify-published")))
		if verdict != "pass" {
			t.Fatalf("the page refused the published manifest: %s", b.Text("#verify-checks"))
		}
		t.Logf("the browser verified the 100,000-entity manifest in %s s", browser.Eval[string](b, `document.getElementById('draw-verifier').dataset.seconds`))
		b.Screenshot("verified")
	})
	t.Run("RefusesChangedTeamMember", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(published, &doc); err != nil {
			t.Fatal(err)
		}
		tasks := doc["tasks"].([]any)
		team := tasks[len(tasks)/2].(map[string]any)["team"].([]any)
		member := team[1].(map[string]any)
		drawn, partner := member["inspector"], team[0].(map[string]any)["inspector"]
		for i := 0; member["inspector"] == drawn; i++ { // another real inspector, not on this team
			if c := fmt.Sprintf("WL-%03d", i); c != drawn && c != partner {
				member["inspector"] = c
			}
		}
		file := filepath.Join(t.TempDir(), "manifest.json")
		raw, _ := json.Marshal(doc)
		os.WriteFile(file, raw, 0o600)
		verdict := verifyIn(t, b, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{file}))
		checks := b.Text("#verify-checks")
		if verdict != "fail" || !strings.Contains(checks, ".team[1].inspector") {
			t.Fatalf("a changed team member: verdict %s, checks %s", verdict, checks)
		}
		b.Screenshot("refused")
	})
	t.Run("Openings", func(t *testing.T) {
		var m struct {
			Tasks []struct{ Entity string }
		}
		json.Unmarshal(published, &m)
		selected := m.Tasks[0].Entity
		notSelected := "91140522Z000000001"
		for _, task := range m.Tasks {
			if task.Entity == notSelected {
				notSelected = "91140522Z000000002"
			}
		}
		for entity, want := range map[string]string{selected: "selected", notSelected: "not selected"} {
			var o struct{ DrawOpening json.RawMessage }
			e.Do(planner, `query($id: ID!, $c: String!) { drawOpening(id: $id, entityCode: $c) }`, map[string]any{"id": id, "c": entity}).mustData(t, &o)
			if got := checkOpeningIn(t, b, string(o.DrawOpening)); got != want {
				t.Errorf("opening of %s: the page says %q (%s), want %q", entity, got, b.Text("#opening-result"), want)
			}
			changed := strings.Replace(string(o.DrawOpening), `"stratum":"`, `"stratum":"F`, 1)
			if got := checkOpeningIn(t, b, changed); got != "fail" {
				t.Errorf("a changed opening of %s: the page says %q", entity, got)
			}
		}
		b.Screenshot("opening")
	})
	b.FitsWidth()
	b.NoErrors()
}

// verifyIn starts a verification with start and waits for its verdict.
func verifyIn(t *testing.T, b *browser.Browser, start chromedp.Action[chromedp.Void]) string {
	t.Helper()
	browser.Eval[bool](b, `delete document.getElementById('draw-verifier').dataset.verified; true`)
	b.Do(start)
	return browser.Run(b, chromedp.Poll[string](`document.getElementById('draw-verifier').dataset.verified`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
}

// checkOpeningIn pastes an opening and returns the page's fate for it.
func checkOpeningIn(t *testing.T, b *browser.Browser, opening string) string {
	t.Helper()
	browser.Eval[bool](b, `delete document.getElementById('opening-result').dataset.fate; true`)
	b.Do(chromedp.SetValue(chromedp.CSS("#opening"), opening), chromedp.Click(chromedp.CSS("#check-opening")))
	return browser.Run(b, chromedp.Poll[string](`document.getElementById('opening-result').dataset.fate`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
}
