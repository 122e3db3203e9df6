package server_test

import (
	"database/sql"
	"sync"
	"testing"
)

// poolClients is more requests at once than the pool used to keep idle
// connections (20), so that a pool that closes what it used churns.
const poolClients = 32

// TestPoolOpensNoConnectionInSteadyLoop: once the pool has grown to what a
// steady load needs, the same load opens no new PostgreSQL session: the
// backends of pg_stat_activity are the same before and after.
// pg_stat_database.sessions is logged beside them but not compared, since
// a new backend reports its session when it flushes its statistics, which
// an idle one does up to 10 s later: with the old pool (20 idle of 40) the
// backends check failed while the counter had not moved yet.
func TestPoolOpensNoConnectionInSteadyLoop(t *testing.T) {
	e := newEnv(t)
	seedPageOfDraws(t, e, 4, 20)
	as := e.As("wl-leader")
	loop := func() {
		var wg sync.WaitGroup
		for range poolClients {
			wg.Go(func() {
				for range 5 {
					var d map[string]any
					e.Do(as, drawsPageQuery, map[string]any{"draws": 4, "tasks": 10}).mustData(t, &d)
				}
			})
		}
		wg.Wait()
	}
	loop() // the pool grows to what the load needs
	// A request holds its connection while it runs, so the pool's peak
	// varies from loop to loop: fill it to its bound, so that any new
	// session after this is churn, not growth.
	fillPool(t, e)
	sessions, backends := poolSessions(t, e), poolBackends(t, e)
	loop()
	after := poolBackends(t, e)
	for pid := range after {
		if !backends[pid] {
			t.Errorf("backend %d is new after a steady loop (%d backends before, %d after)", pid, len(backends), len(after))
		}
	}
	t.Logf("pg_stat_database.sessions %d before, %d after; %d backends of the test's database", sessions, poolSessions(t, e), len(after))
}

// poolSessions is the number of sessions ever opened on the test's
// database, from a fresh statistics snapshot.
func poolSessions(t *testing.T, e *env) int64 {
	t.Helper()
	var n int64
	tx := e.DB.MustBegin()
	defer tx.Rollback()
	if err := tx.Get(&n, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	return n
}

// poolBackends are the process ids of the connections to the test's
// database now.
func poolBackends(t *testing.T, e *env) map[int]bool {
	t.Helper()
	var pids []int
	if err := e.DB.Select(&pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	set := map[int]bool{}
	for _, p := range pids {
		set[p] = true
	}
	return set
}

// fillPool opens the serving pool's every connection at once and leaves
// them idle.
func fillPool(t *testing.T, e *env) {
	t.Helper()
	serving, err := e.DB.Serving(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var conns []*sql.Conn
	for range serving.Stats().MaxOpenConnections {
		c, err := serving.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if idle := serving.Stats().Idle; idle != len(conns) {
		t.Fatalf("%d idle connections after opening %d: the pool closes what it opened", idle, len(conns))
	}
}
