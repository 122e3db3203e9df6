package server_test

import (
	"testing"
	"time"

	"shuangsuiji/internal/postgres"
)

// leadOf reads the lead bureau's name of the newest draw through the
// instance at url.
func leadOf(t *testing.T, url string, rq request) string {
	t.Helper()
	var d struct {
		Draws struct {
			Nodes []struct{ Lead struct{ Name string } }
		}
	}
	doGraphQL(t, url, rq, drawsPageQuery, map[string]any{"draws": 1, "tasks": 1}).mustData(t, &d)
	if len(d.Draws.Nodes) != 1 {
		t.Fatalf("%d draws, want 1", len(d.Draws.Nodes))
	}
	return d.Draws.Nodes[0].Lead.Name
}

// Each instance keeps the bureaus in memory; a change to one, however
// made, is announced, and every instance shows it once it hears; while an
// instance cannot hear, it reads bureaus afresh on every request.
func TestBureauChangeSeenByEveryInstance(t *testing.T) {
	e := newEnv(t)
	seedPageOfDraws(t, e, 1, 1)
	other, err := postgres.Open(t.Context(), e.URL) // another instance: its own pools and cache
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	p, listenURL := newProxy(t, e.URL)
	b := instance(t, other, listenURL, nil)
	waitFor(t, 5*time.Second, "listeners up", func() bool { return listenerUp(t, e.Server.URL) && listenerUp(t, b) })
	as := e.As("wl-leader")
	rename := func(name string) {
		t.Helper()
		if _, err := e.DB.Exec(`UPDATE bureaus SET name = $1 WHERE code = '140522-wl'`, name); err != nil {
			t.Fatal(err)
		}
	}
	original := leadOf(t, b, as) // kept by b
	if original == "" || leadOf(t, e.Server.URL, as) != original {
		t.Fatalf("lead %q on b, %q on a", original, leadOf(t, e.Server.URL, as))
	}

	rename("改名的文旅局")
	for name, url := range map[string]string{"a": e.Server.URL, "b": b} {
		waitFor(t, 5*time.Second, "instance "+name+" shows the new name", func() bool { return leadOf(t, url, as) == "改名的文旅局" })
	}

	p.cut() // b hears nothing now: it must not answer from its cache
	waitFor(t, 5*time.Second, "b's listener down", func() bool { return !listenerUp(t, b) })
	rename("又改名的文旅局")
	if got := leadOf(t, b, as); got != "又改名的文旅局" {
		t.Errorf("while b cannot hear of changes, its next request shows %q, want the new name", got)
	}
	p.restore()
	waitFor(t, 5*time.Second, "b's listener back", func() bool { return listenerUp(t, b) })
	rename(original)
	waitFor(t, 5*time.Second, "b shows the name given back", func() bool { return leadOf(t, b, as) == original })
}
