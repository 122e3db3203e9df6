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
