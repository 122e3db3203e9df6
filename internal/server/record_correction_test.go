package server_test

import (
	"fmt"
	"testing"
)

// TestCorrectionWithdrawsConsequences: a record published with problems
// found and 已注销 made the entity focus and deregistered; its published
// correction to 未发现问题 withdraws both and puts the roster entry back, so
// next year's draws no longer put the entity in stratum F.
func TestCorrectionWithdrawsConsequences(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	focusBefore := focusEntities(t, e)
	rec := rt.enter(t, e, map[string]any{"resultCodes": []string{"FOLLOW_UP", "DEREGISTERED"}})
	move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
	move(t, e, "wl-reviewer", "approveRecord", rec.ID, "").mustData(t, nil)
	publish(e, "wl-reviewer", rec.ID).mustData(t, nil)
	type entry struct {
		Status  string  `db:"status"`
		Focus   *string `db:"focus_found_on"`
		Version int     `db:"version"`
		Source  *int64  `db:"source_record_id"`
	}
	current := func() entry {
		t.Helper()
		var en entry
		if err := e.DB.Get(&en, `SELECT status, focus_found_on::text, version, source_record_id FROM roster_entries
WHERE entity_code = $1 AND valid_to IS NULL AND bureau_id = (SELECT id FROM bureaus WHERE code = '140522-wl')`, rt.Entity); err != nil {
			t.Fatal(err)
		}
		return en
	}
	published := current()
	if published.Status != "deregistered" || published.Focus == nil {
		t.Fatalf("after publishing: %+v; want deregistered and focus", published)
	}

	var c struct {
		CorrectRecord struct{ Record struct{ ID string } }
	}
	e.Do(e.As("wl-inspector1"), `mutation($id: ID!) { correctRecord(input: {id: $id, reason: "误录结果", resultCodes: ["NO_PROBLEM"]}) { record { id } } }`,
		map[string]any{"id": rec.ID}).mustData(t, &c)
	fix := c.CorrectRecord.Record.ID
	move(t, e, "wl-inspector1", "submitRecord", fix, "").mustData(t, nil)
	move(t, e, "wl-reviewer", "approveRecord", fix, "").mustData(t, nil)
	publish(e, "wl-reviewer", fix).mustData(t, nil)

	restored := current()
	if restored.Status == "deregistered" || restored.Focus != nil || restored.Version != published.Version+1 {
		t.Errorf("after the correction: %+v; want the status before, no focus, one new version", restored)
	}
	if restored.Source == nil || fmt.Sprint(*restored.Source) != databaseID(t, fix) {
		t.Errorf("the restoring version names record %v, want the correction %s", restored.Source, databaseID(t, fix))
	}
	if got := focusEntities(t, e); got != focusBefore {
		t.Errorf("stratum F after the correction = %d, want %d as before the mistaken record", got, focusBefore)
	}
	var d struct {
		InspectionRecord struct {
			Consequences []struct{ Kind, State, Note string }
		}
	}
	e.Do(e.As("wl-reviewer"), `query($id: ID!) { inspectionRecord(id: $id) { consequences { kind state note } } }`,
		map[string]any{"id": rec.ID}).mustData(t, &d)
	if len(d.InspectionRecord.Consequences) != 2 {
		t.Fatalf("consequences of the corrected record: %+v", d.InspectionRecord.Consequences)
	}
	for _, cq := range d.InspectionRecord.Consequences {
		if cq.State != "withdrawn" || cq.Note == "" {
			t.Errorf("consequence %+v of the corrected record: want withdrawn with a note", cq)
		}
	}

	t.Run("UnpublishedCorrectionChangesNothing", func(t *testing.T) {
		e.Do(e.As("wl-inspector1"), `mutation($id: ID!) { correctRecord(input: {id: $id, reason: "再次更正", resultCodes: ["NO_PROBLEM"]}) { record { id } } }`,
			map[string]any{"id": fix}).mustData(t, nil)
		if got := current(); got.Version != restored.Version || got.Status != restored.Status {
			t.Errorf("an unpublished correction changed the roster: %+v", got)
		}
	})
}
