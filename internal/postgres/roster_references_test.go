package postgres_test

import (
	"testing"
)

// TestRosterReferences checks what the foreign keys dropped by migration
// 00031 guaranteed, now checked once a statement: entities name a region
// that exists, entries a bureau that exists, and neither can be deleted or
// renumbered while rows name it. Written as the owner, whom row-level
// security lets write anything, so only these checks stand in the way.
func TestRosterReferences(t *testing.T) {
	s := newSeeded(t)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO regions (code, name) VALUES ('999998', '测试县'), ('999996', '无局县')`)
	mustExec(`INSERT INTO bureaus (code, region_code, name, kind) VALUES ('999998-t', '999998', '测试局', 'other')`)
	const entity = `INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
VALUES ($1, $2, 1, 'uscc', '测试', now())`
	const entry = `INSERT INTO roster_entries (bureau_id, region_code, entity_code, version, status, status_since, valid_from)
VALUES ($1, '999998', $2, 1, 'suspended', current_date, now())`
	mustExec(entity, "999998", "REFCHECK1")
	mustExec(entity, "999996", "REFCHECK3") // a region with an entity and no bureau
	var bureau int64
	if err := s.Get(&bureau, `SELECT id FROM bureaus WHERE code = '999998-t'`); err != nil {
		t.Fatal(err)
	}
	mustExec(entry, bureau, "REFCHECK1")

	for _, c := range []struct {
		name  string
		query string
		args  []any
	}{
		{"entity of no region", entity, []any{"999997", "REFCHECK2"}},
		{"entry of no bureau", entry, []any{-1, "REFCHECK2"}},
		{"entity moved to no region", `UPDATE entities SET region_code = '999997' WHERE code = 'REFCHECK1'`, nil},
		{"entry moved to no bureau", `UPDATE roster_entries SET bureau_id = -1 WHERE entity_code = 'REFCHECK1'`, nil},
		{"region with entities deleted", `DELETE FROM regions WHERE code = '999996'`, nil},
		{"bureau with entries deleted", `DELETE FROM bureaus WHERE code = '999998-t'`, nil},
	} {
		_, err := s.Exec(c.query, c.args...)
		if code, msg := pqCode(err); code != "23503" {
			t.Errorf("%s: got %q %s, want foreign_key_violation (23503)", c.name, code, msg)
		}
	}

	// Once nothing names them, they go.
	mustExec(`DELETE FROM roster_entries WHERE bureau_id = $1`, bureau)
	mustExec(`DELETE FROM bureaus WHERE id = $1`, bureau)
	mustExec(`DELETE FROM entities WHERE region_code IN ('999998', '999996')`)
	mustExec(`DELETE FROM regions WHERE code IN ('999998', '999996')`)
}

// TestRosterReferencesHoldUnderConcurrency: as a foreign key would, an
// import's check locks the region its entities name, so a deletion of the
// region waits for the import (here refused by its lock timeout) and, once
// the import commits, finds its entities and is refused. (Entries' bureaus
// are locked by the roster tallies' rows as well, so the region is the
// reference only the check itself guards.)
func TestRosterReferencesHoldUnderConcurrency(t *testing.T) {
	s := newSeeded(t)
	if _, err := s.Exec(`INSERT INTO regions (code, name) VALUES ('999995', '并发县')`); err != nil {
		t.Fatal(err)
	}
	importing, err := s.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer importing.Rollback()
	if _, err := importing.Exec(`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
VALUES ('999995', 'LOCKCHECK1', 1, 'uscc', '并发', now())`); err != nil {
		t.Fatal(err)
	}
	deleting, err := s.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer deleting.Rollback()
	if _, err := deleting.Exec(`SET LOCAL lock_timeout = '200ms'`); err != nil {
		t.Fatal(err)
	}
	_, err = deleting.Exec(`DELETE FROM regions WHERE code = '999995'`)
	if code, msg := pqCode(err); code != "55P03" {
		t.Fatalf("deleting the region an uncommitted import names: got %q %s, want to wait on its lock (55P03)", code, msg)
	}
	deleting.Rollback()
	if err := importing.Commit(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Exec(`DELETE FROM regions WHERE code = '999995'`)
	if code, msg := pqCode(err); code != "23503" {
		t.Errorf("deleting the region after the import: got %q %s, want foreign_key_violation (23503)", code, msg)
	}
}
