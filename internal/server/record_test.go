package server_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// recordTask is an executed wl draw with one item, and who is on task 1's
// team: wl-inspector1 is linked to a team member, wl-inspector2 to an
// inspector of the same bureau who is not on the team.
type recordTask struct {
	DrawID string
	Seq    int
	Item   string
	Entity string
}

const itemCode = "WL-CHK-1"

func prepareRecordTask(t *testing.T, e *env) recordTask {
	t.Helper()
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(6), 4)
	const saveItem = `mutation($in: SaveInspectionItemInput!) { saveInspectionItem(input: $in) { item { code version } } }`
	e.Do(planner, saveItem, map[string]any{"in": map[string]any{"code": itemCode, "name": "营业性演出场所检查", "qualifications": []string{"WL-01"}}}).mustData(t, nil)
	id := makeDraw(t, e, planner, newDrawInput("记录", map[string]any{"items": []map[string]any{{"code": itemCode}}}))
	e.Do(planner, executeDraw, map[string]any{"id": id, "c": "records"}).mustData(t, nil)
	dbID := databaseID(t, id)
	var task struct {
		Entity string `db:"entity_code"`
		Cert   string `db:"certificate"`
	}
	if err := e.DB.Get(&task, `SELECT t.entity_code, m.certificate FROM draw_tasks t JOIN draw_task_members m USING (draw_id, seq)
WHERE t.draw_id = $1 AND t.seq = 1 ORDER BY m.position LIMIT 1`, dbID); err != nil {
		t.Fatal(err)
	}
	var off string
	if err := e.DB.Get(&off, `SELECT certificate_number FROM inspectors i JOIN bureaus b ON b.id = i.bureau_id
WHERE b.code = '140522-wl' AND certificate_number NOT IN (SELECT certificate FROM draw_task_members WHERE draw_id = $1 AND seq = 1)
ORDER BY 1 LIMIT 1`, dbID); err != nil {
		t.Fatal(err)
	}
	link := func(user, cert string) {
		if _, err := e.DB.Exec(`UPDATE inspectors SET user_id = (SELECT id FROM users WHERE username = $1) WHERE certificate_number = $2`, user, cert); err != nil {
			t.Fatal(err)
		}
	}
	link("wl-inspector1", task.Cert)
	link("wl-inspector2", off)
	return recordTask{DrawID: id, Seq: 1, Item: itemCode, Entity: task.Entity}
}

const saveRecord = `mutation($in: SaveRecordInput!) { saveRecord(input: $in) { record { id state revision results { code label } inspectedOn } } }`

type recordData struct {
	ID          string
	State       string
	Revision    int
	InspectedOn string
}

func (rt recordTask) input(extra map[string]any) map[string]any {
	in := map[string]any{"drawId": rt.DrawID, "seq": rt.Seq, "itemCode": rt.Item,
		"resultCodes": []string{"NO_PROBLEM"}, "methods": []string{"实地检查"}, "inspectedOn": "2026-03-10"}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"in": in}
}

// enter saves a record of the task as wl-inspector1 and returns it.
func (rt recordTask) enter(t *testing.T, e *env, extra map[string]any) recordData {
	t.Helper()
	var d struct{ SaveRecord struct{ Record recordData } }
	e.Do(e.As("wl-inspector1"), saveRecord, rt.input(extra)).mustData(t, &d)
	return d.SaveRecord.Record
}

func move(t *testing.T, e *env, who, mutation, id string, extra string) response {
	t.Helper()
	q := fmt.Sprintf(`mutation($id: ID!) { %s(input: {id: $id%s}) { record { id state revision returnReason } } }`, mutation, extra)
	return e.Do(e.As(who), q, map[string]any{"id": id})
}

func publish(e *env, who string, ids ...string) response {
	return e.Do(e.As(who), `mutation($ids: [ID!]!) { publishRecords(input: {ids: $ids}) { records { id state consequences { kind state status entryVersion } } } }`,
		map[string]any{"ids": ids})
}

func TestRecordLifecycle(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	rec := rt.enter(t, e, map[string]any{"resultCodes": []string{"FOLLOW_UP"}, "findings": "消防通道堵塞", "disposal": "责令限期整改",
		"followUp": map[string]any{"status": "OPEN", "due": "2026-04-10"}})
	if rec.State != "DRAFT" || rec.Revision != 1 {
		t.Fatalf("new record = %+v, want DRAFT revision 1", rec)
	}
	t.Run("AbsentKeepsValue", func(t *testing.T) {
		var d struct {
			SaveRecord struct {
				Record struct{ Findings, Disposal string }
			}
		}
		e.Do(e.As("wl-inspector1"), `mutation($in: SaveRecordInput!) { saveRecord(input: $in) { record { findings disposal } } }`,
			map[string]any{"in": map[string]any{"drawId": rt.DrawID, "seq": rt.Seq, "itemCode": rt.Item, "inspectedOn": "2026-03-11"}}).mustData(t, &d)
		if d.SaveRecord.Record.Findings != "消防通道堵塞" || d.SaveRecord.Record.Disposal != "责令限期整改" {
			t.Errorf("absent fields changed: %+v", d.SaveRecord.Record)
		}
	})
	t.Run("ReviewerCannotApproveDraft", func(t *testing.T) {
		wantCode(t, move(t, e, "wl-reviewer", "approveRecord", rec.ID, ""), "CONFLICT")
	})
	t.Run("InspectorCannotApprove", func(t *testing.T) {
		wantCode(t, move(t, e, "wl-inspector1", "approveRecord", rec.ID, ""), "FORBIDDEN")
	})
	t.Run("NotOnTeamCannotSubmit", func(t *testing.T) {
		wantCode(t, move(t, e, "wl-inspector2", "submitRecord", rec.ID, ""), "FORBIDDEN")
	})
	move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
	t.Run("SubmittedDoesNotChange", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-inspector1"), saveRecord, rt.input(nil)), "CONFLICT")
	})
	t.Run("ReturnNeedsReason", func(t *testing.T) {
		wantCode(t, move(t, e, "wl-reviewer", "returnRecord", rec.ID, `, reason: " "`), "BAD_USER_INPUT")
	})
	var ret struct {
		ReturnRecord struct {
			Record struct{ State, ReturnReason string }
		}
	}
	move(t, e, "wl-reviewer", "returnRecord", rec.ID, `, reason: "请补充整改期限"`).mustData(t, &ret)
	if ret.ReturnRecord.Record.State != "RETURNED" || ret.ReturnRecord.Record.ReturnReason != "请补充整改期限" {
		t.Fatalf("returned = %+v", ret.ReturnRecord.Record)
	}
	rt.enter(t, e, map[string]any{"resultCodes": []string{"FOLLOW_UP"}})
	move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
	t.Run("PublishNeedsApproval", func(t *testing.T) { wantCode(t, publish(e, "wl-reviewer", rec.ID), "CONFLICT") })
	move(t, e, "wl-reviewer", "approveRecord", rec.ID, "").mustData(t, nil)
	t.Run("InspectorCannotPublish", func(t *testing.T) { wantCode(t, publish(e, "wl-inspector1", rec.ID), "FORBIDDEN") })

	var pub struct {
		PublishRecords struct {
			Records []struct {
				State        string
				Consequences []struct {
					Kind, State, Status string
					EntryVersion        *int
				}
			}
		}
	}
	focusBefore := focusEntities(t, e)
	publish(e, "wl-reviewer", rec.ID).mustData(t, &pub)
	if after := focusEntities(t, e); after != focusBefore+1 {
		t.Errorf("stratum F holds %d entities after publishing problems found, %d before: want one more", after, focusBefore)
	}
	got := pub.PublishRecords.Records[0]
	if got.State != "PUBLISHED" || len(got.Consequences) != 1 || got.Consequences[0].Kind != "focus" ||
		got.Consequences[0].State != "applied" || got.Consequences[0].EntryVersion == nil {
		t.Fatalf("published = %+v, want PUBLISHED with an applied focus consequence", got)
	}
	t.Run("RetryAppliesOnce", func(t *testing.T) {
		publish(e, "wl-reviewer", rec.ID).mustData(t, nil)
		var versions, sourced int
		e.DB.Get(&versions, `SELECT count(*) FROM roster_entries WHERE entity_code = $1 AND bureau_id = (SELECT id FROM bureaus WHERE code = '140522-wl')`, rt.Entity)
		e.DB.Get(&sourced, `SELECT count(*) FROM roster_entries WHERE entity_code = $1 AND source_record_id = $2 AND focus_found_on = '2026-03-10'`, rt.Entity, databaseID(t, rec.ID))
		if versions != 2 || sourced != 1 {
			t.Errorf("entry versions = %d, from the record = %d; want 2 and 1", versions, sourced)
		}
	})
	t.Run("PublishedIsImmutable", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-inspector1"), saveRecord, rt.input(nil)), "CONFLICT")
		wantCode(t, move(t, e, "wl-reviewer", "returnRecord", rec.ID, `, reason: "x"`), "CONFLICT")
		if _, err := e.DB.Exec(`UPDATE inspection_records SET findings = 'tampered' WHERE id = $1`, databaseID(t, rec.ID)); err == nil {
			t.Error("the database let the owner change a published record")
		}
	})
	t.Run("CorrectionLinks", func(t *testing.T) {
		var c struct {
			CorrectRecord struct {
				Record struct{ ID, State, Corrects, CorrectionReason string }
			}
		}
		e.Do(e.As("wl-inspector1"), `mutation($id: ID!) { correctRecord(input: {id: $id, reason: "整改期限填错", findings: "消防通道堵塞，已整改"}) { record { id state corrects correctionReason } } }`,
			map[string]any{"id": rec.ID}).mustData(t, &c)
		if c.CorrectRecord.Record.Corrects != rec.ID || c.CorrectRecord.Record.State != "DRAFT" {
			t.Fatalf("correction = %+v", c.CorrectRecord.Record)
		}
		var orig struct{ InspectionRecord struct{ CorrectedBy string } }
		e.Do(e.As("wl-reviewer"), `query($id: ID!) { inspectionRecord(id: $id) { correctedBy } }`, map[string]any{"id": rec.ID}).mustData(t, &orig)
		if orig.InspectionRecord.CorrectedBy != c.CorrectRecord.Record.ID {
			t.Errorf("correctedBy = %q, want %q", orig.InspectionRecord.CorrectedBy, c.CorrectRecord.Record.ID)
		}
		wantCode(t, e.Do(e.As("wl-inspector1"), `mutation($id: ID!) { correctRecord(input: {id: $id, reason: "again"}) { record { id } } }`,
			map[string]any{"id": rec.ID}), "CONFLICT")
	})
}

// focusEntities counts the wl roster's stratum F by the plan's figures.
func focusEntities(t *testing.T, e *env) int {
	t.Helper()
	var d struct {
		SavePlan struct {
			Feasibility struct {
				Strata []struct {
					Stratum string
					Roster  int
				}
			}
		}
	}
	e.Do(e.As("wl-planner"), `mutation { savePlan(input: {year: 2027}) { feasibility { strata { stratum roster } } } }`, nil).mustData(t, &d)
	for _, s := range d.SavePlan.Feasibility.Strata {
		if s.Stratum == "F" {
			return s.Roster
		}
	}
	return 0
}

func TestRecordBadInput(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	cases := []struct {
		name  string
		extra map[string]any
		field string
	}{
		{"ErrUnknownCode", map[string]any{"resultCodes": []string{"NOPE"}}, "input.resultCodes"},
		{"ErrExclusiveCombined", map[string]any{"resultCodes": []string{"NO_PROBLEM", "FOLLOW_UP"}}, "input.resultCodes"},
		{"ErrDateOutsideWindow", map[string]any{"inspectedOn": "2026-04-01"}, "input.inspectedOn"},
		{"ErrUnknownMethod", map[string]any{"methods": []string{"掐指一算"}}, "input.methods"},
		{"ErrItemNotOfTask", map[string]any{"itemCode": "WL-OTHER"}, "input.itemCode"},
		{"ErrClosedWithoutDate", map[string]any{"followUp": map[string]any{"status": "CLOSED"}}, "input.followUp.closedOn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(e.As("wl-inspector1"), saveRecord, rt.input(c.extra))
			wantCode(t, r, "BAD_USER_INPUT")
			if r.Errors[0].Extensions.Field != c.field {
				t.Errorf("field = %q, want %q", r.Errors[0].Extensions.Field, c.field)
			}
		})
	}
	var n int
	e.DB.Get(&n, `SELECT count(*) FROM inspection_records`)
	if n != 0 {
		t.Errorf("%d records stored after bad input", n)
	}
}

func TestEvidence(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	rec := rt.enter(t, e, nil)
	const add = `mutation($in: AddEvidenceInput!) { addEvidence(input: $in) { evidence { id contentType size sha256 url } } }`
	vars := map[string]any{"in": map[string]any{"recordId": rec.ID}}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	t.Run("PDF", func(t *testing.T) {
		var d struct {
			AddEvidence struct {
				Evidence struct{ ID, ContentType, Sha256, URL string }
			}
		}
		r := e.Upload(e.As("wl-inspector1"), add, vars, "in.file", "现场.pdf", pdf)
		r.mustData(t, &d)
		ev := d.AddEvidence.Evidence
		if ev.ContentType != "application/pdf" || len(ev.Sha256) != 64 {
			t.Fatalf("evidence = %+v", ev)
		}
		got := e.get(t, e.As("wl-inspector1"), ev.URL)
		if got.status != 200 || string(got.body) != string(pdf) {
			t.Errorf("download: status %d, %d bytes", got.status, len(got.body))
		}
		if got := e.get(t, e.As("sj-inspector1"), ev.URL); got.status != 404 {
			t.Errorf("another bureau's download: status %d, want 404", got.status)
		}
		if got := e.get(t, request{}, ev.URL); got.status != 401 {
			t.Errorf("download without sign-in: status %d, want 401", got.status)
		}
	})
	t.Run("ErrTypeByContent", func(t *testing.T) {
		r := e.Upload(e.As("wl-inspector1"), add, vars, "in.file", "photo.jpg", []byte("#!/bin/sh\nrm -rf /\n"))
		wantCode(t, r.response, "BAD_USER_INPUT")
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := append([]byte("%PDF-1.4\n"), make([]byte, 10<<20)...)
		r := e.Upload(e.As("wl-inspector1"), add, vars, "in.file", "big.pdf", big)
		wantCode(t, r.response, "BAD_USER_INPUT")
		var n int
		e.DB.Get(&n, `SELECT count(*) FROM record_evidence`)
		if n != 1 {
			t.Errorf("%d files stored, want only the first", n)
		}
	})
	t.Run("NotOnTeam", func(t *testing.T) {
		r := e.Upload(e.As("wl-inspector2"), add, vars, "in.file", "x.pdf", pdf)
		wantCode(t, r.response, "FORBIDDEN")
	})
	t.Run("ForbiddenRole", func(t *testing.T) {
		wantCode(t, e.Upload(e.As("wl-reviewer"), add, vars, "in.file", "x.pdf", pdf).response, "FORBIDDEN")
	})
	t.Run("OtherBureauNotFound", func(t *testing.T) {
		wantCode(t, e.Upload(e.As("sj-inspector1"), add, vars, "in.file", "x.pdf", pdf).response, "NOT_FOUND")
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		wantCode(t, e.Upload(request{}, add, vars, "in.file", "x.pdf", pdf).response, "UNAUTHENTICATED")
	})
}

// TestCreditFeedback: publishing applies status changes at once, proposes
// the abnormal-operations list for an admin, and lists both on the record.
func TestCreditFeedback(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	rec := rt.enter(t, e, map[string]any{"resultCodes": []string{"UNREACHABLE", "DEREGISTERED"}})
	move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
	move(t, e, "wl-reviewer", "approveRecord", rec.ID, "").mustData(t, nil)
	type consequence struct {
		Kind, State, Status string
		EntryVersion        *int
	}
	var pub struct {
		PublishRecords struct {
			Records []struct{ Consequences []consequence }
		}
	}
	publish(e, "wl-reviewer", rec.ID).mustData(t, &pub)
	got := map[string]consequence{}
	for _, c := range pub.PublishRecords.Records[0].Consequences {
		got[c.Kind] = c
	}
	if c := got["abnormal_operations"]; c.State != "proposed" || c.EntryVersion != nil {
		t.Errorf("abnormal operations = %+v, want proposed, no version yet", c)
	}
	if c := got["status"]; c.State != "applied" || c.Status != "deregistered" || c.EntryVersion == nil || *c.EntryVersion != 2 {
		t.Errorf("status = %+v, want applied deregistered as version 2", c)
	}
	entry := func() (status string, abnormal bool) {
		t.Helper()
		row := e.DB.QueryRow(`SELECT status, abnormal_operations FROM roster_entries WHERE entity_code = $1 AND valid_to IS NULL
AND bureau_id = (SELECT id FROM bureaus WHERE code = '140522-wl')`, rt.Entity)
		if err := row.Scan(&status, &abnormal); err != nil {
			t.Fatal(err)
		}
		return status, abnormal
	}
	if status, abnormal := entry(); status != "deregistered" || abnormal {
		t.Fatalf("entry: status %s, abnormal %v; want deregistered, not yet abnormal", status, abnormal)
	}
	const decide = `mutation($id: ID!, $ok: Boolean!) { decideConsequence(input: {recordId: $id, kind: "abnormal_operations", confirm: $ok, note: "核实无法联系"}) { consequence { state entryVersion } } }`
	var d struct {
		DecideConsequence struct{ Consequence consequence }
	}
	e.Do(e.As("wl-admin"), decide, map[string]any{"id": rec.ID, "ok": true}).mustData(t, &d)
	if c := d.DecideConsequence.Consequence; c.State != "confirmed" || c.EntryVersion == nil || *c.EntryVersion != 3 {
		t.Errorf("decided = %+v, want confirmed as version 3", c)
	}
	if status, abnormal := entry(); status != "deregistered" || !abnormal {
		t.Errorf("entry after confirming: status %s, abnormal %v", status, abnormal)
	}
	t.Run("DecidedOnce", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-admin"), decide, map[string]any{"id": rec.ID, "ok": false}), "CONFLICT")
	})
}

func TestTwoReviewersAtOnce(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	rec := rt.enter(t, e, nil)
	move(t, e, "wl-inspector1", "submitRecord", rec.ID, "").mustData(t, nil)
	// a second reviewer
	e.Do(e.As("wl-admin"), `mutation { setMemberRoles(input: {username: "wl-leader", roles: [LEADER, REVIEWER]}) { member { roles } } }`, nil).mustData(t, nil)
	codes := make([]string, 2)
	var wg sync.WaitGroup
	for i, who := range []string{"wl-reviewer", "wl-leader"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mutation, extra := "approveRecord", ""
			if i == 1 {
				mutation, extra = "returnRecord", `, reason: "不同意"`
			}
			codes[i] = move(t, e, who, mutation, rec.ID, extra).Code()
		}()
	}
	wg.Wait()
	wins := 0
	for _, c := range codes {
		switch c {
		case "":
			wins++
		case "CONFLICT":
		default:
			t.Errorf("code %q, want success or CONFLICT", c)
		}
	}
	if wins != 1 {
		t.Errorf("codes %q: want exactly one winner", codes)
	}
}

func TestMyTasks(t *testing.T) {
	e := newEnv(t)
	rt := prepareRecordTask(t, e)
	const q = `query($f: TaskFilter) { myTasks(filter: $f) { nodes { drawId seq entityCode state items { code record { id } }
		team { certificate name substitutedIn } deadline { due overdue provisional } formUrl } } }`
	var d struct {
		MyTasks struct {
			Nodes []struct {
				DrawID   string
				Seq      int
				State    string
				Team     []struct{ Certificate, Name string }
				Deadline struct {
					Due     string
					Overdue bool
				}
			}
		}
	}
	e.Do(e.As("wl-inspector1"), q, nil).mustData(t, &d)
	found := false
	for _, n := range d.MyTasks.Nodes {
		if n.DrawID == rt.DrawID && n.Seq == rt.Seq {
			found = true
			if n.State != "NOT_ENTERED" || len(n.Team) != 2 || n.Team[0].Name == "" {
				t.Errorf("task = %+v", n)
			}
			// window ends 2026-03-31; 20 working days later, past 清明 (4-4..4-6)
			if n.Deadline.Due != "2026-04-29" || !n.Deadline.Overdue {
				t.Errorf("deadline = %+v, want 2026-04-29, overdue", n.Deadline)
			}
		}
	}
	if !found {
		t.Fatalf("task %s/%d not among wl-inspector1's tasks: %+v", rt.DrawID, rt.Seq, d.MyTasks.Nodes)
	}
	t.Run("PlanSetsWorkingDays", func(t *testing.T) {
		e.Do(e.As("wl-planner"), `mutation { savePlan(input: {year: 2026, publishWithinDays: 5}) { plan { publishWithinDays } } }`, nil).mustData(t, nil)
		var one struct {
			InspectionTask struct{ Deadline struct{ Due string } }
		}
		e.Do(e.As("wl-inspector1"), `query($d: ID!) { inspectionTask(drawId: $d, seq: 1) { deadline { due } } }`,
			map[string]any{"d": rt.DrawID}).mustData(t, &one)
		// 2026-03-31 + 5 working days, over 清明 (04-04..04-06)
		if got := one.InspectionTask.Deadline.Due; got != "2026-04-08" {
			t.Errorf("deadline with a plan of 5 working days = %s, want 2026-04-08", got)
		}
	})
	var other struct {
		MyTasks struct {
			Nodes []struct {
				DrawID string
				Seq    int
			}
		}
	}
	e.Do(e.As("wl-inspector2"), q, nil).mustData(t, &other)
	for _, n := range other.MyTasks.Nodes {
		if n.DrawID == rt.DrawID && n.Seq == rt.Seq {
			t.Error("task listed for an inspector not on its team")
		}
	}
	var overdue struct {
		InspectionTasks struct{ Nodes []struct{ Seq int } }
	}
	e.Do(e.As("wl-reviewer"), `query { inspectionTasks(filter: {overdue: true}) { nodes { seq } } }`, nil).mustData(t, &overdue)
	var all struct {
		InspectionTasks struct{ Nodes []struct{ Seq int } }
	}
	e.Do(e.As("wl-reviewer"), `query { inspectionTasks { nodes { seq } } }`, nil).mustData(t, &all)
	if len(overdue.InspectionTasks.Nodes) == 0 || len(overdue.InspectionTasks.Nodes) != len(all.InspectionTasks.Nodes) {
		t.Errorf("overdue %d of %d tasks; every task of March 2026 is overdue now", len(overdue.InspectionTasks.Nodes), len(all.InspectionTasks.Nodes))
	}
	var soon struct {
		InspectionTasks struct{ Nodes []struct{ Seq int } }
	}
	e.Do(e.As("wl-reviewer"), `query { inspectionTasks(filter: {dueWithin: 10}) { nodes { seq } } }`, nil).mustData(t, &soon)
	if len(soon.InspectionTasks.Nodes) != 0 {
		t.Errorf("%d tasks due within 10 working days; all are overdue", len(soon.InspectionTasks.Nodes))
	}
}

func TestWorkingDaysAfterPublic(t *testing.T) {
	e := newEnv(t)
	var d struct{ WorkingDaysAfter string }
	e.Do(request{}, `{ workingDaysAfter(date: "2026-03-02", days: 20) }`, nil).mustData(t, &d)
	if d.WorkingDaysAfter != "2026-03-30" {
		t.Errorf("2026-03-02 + 20 = %s, want 2026-03-30", d.WorkingDaysAfter)
	}
	t.Run("OverrideApplies", func(t *testing.T) {
		e.Do(e.As("wl-admin"), `mutation { setWorkday(input: {day: "2026-03-16", working: false, name: "测试"}) { year { known overrides { day } } } }`, nil).mustData(t, nil)
		e.Do(request{}, `{ workingDaysAfter(date: "2026-03-02", days: 20) }`, nil).mustData(t, &d)
		if d.WorkingDaysAfter != "2026-03-31" {
			t.Errorf("with a rest day on 2026-03-16: %s, want 2026-03-31", d.WorkingDaysAfter)
		}
	})
	t.Run("ForbiddenRole", func(t *testing.T) {
		wantCode(t, e.Do(e.As("wl-planner"), `mutation { setWorkday(input: {day: "2026-03-17", working: false}) { year { known } } }`, nil), "FORBIDDEN")
	})
	t.Run("ErrDays", func(t *testing.T) {
		wantCode(t, e.Do(request{}, `{ workingDaysAfter(date: "2026-03-02", days: -1) }`, nil), "BAD_USER_INPUT")
	})
}

type httpResult struct {
	status int
	header http.Header
	body   []byte
}

// get fetches a path of the service as rq.
func (e *env) get(t *testing.T, rq request, path string) httpResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+path, nil)
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	if rq.Bureau != "" {
		req.Header.Set("X-Bureau", rq.Bureau)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return httpResult{status: res.StatusCode, header: res.Header, body: body}
}
