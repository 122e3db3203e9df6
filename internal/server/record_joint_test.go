package server_test

import (
	"testing"
)

// jointTask is a task of an executed joint draw that both wl and sj visit,
// with wl-inspector1 and sj-inspector1 linked to members of its team.
type jointTask struct {
	DrawID string
	Seq    int
}

// prepareJointTask runs a joint draw of the joint office in which wl
// checks WL-CHK-1 and sj checks SJ-CHK-1, and picks a task of an entity
// that both supervise.
func prepareJointTask(t *testing.T, e *env) jointTask {
	t.Helper()
	codes := usccs(8)
	wl, sj, lh := e.As("wl-planner"), e.As("sj-planner"), e.As("lh-coordinator")
	fillRoster(t, e, wl, "wl", codes[:6], 4)
	fillRoster(t, e, sj, "sj", codes[2:], 4)
	const saveItem = `mutation($in: SaveInspectionItemInput!) { saveInspectionItem(input: $in) { item { code } } }`
	e.Do(wl, saveItem, map[string]any{"in": map[string]any{"code": "WL-CHK-1", "name": "营业性演出场所检查", "qualifications": []string{"WL-01"}}}).mustData(t, nil)
	e.Do(sj, saveItem, map[string]any{"in": map[string]any{"code": "SJ-CHK-1", "name": "食品经营检查", "qualifications": []string{"WL-01"}}}).mustData(t, nil)
	in := newDrawInput("联合记录", map[string]any{"participants": []string{"140522-wl", "140522-sj"}})
	delete(in, "teamSize")
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(lh, createDraw, map[string]any{"in": in}).mustData(t, &c)
	id := c.CreateDraw.Draw.ID
	const participate = `mutation($id: ID!, $item: String!) { setDrawParticipation(input: {drawId: $id, teamSize: 2, items: [{code: $item}]}) { participant { teamSize } } }`
	e.Do(wl, participate, map[string]any{"id": id, "item": "WL-CHK-1"}).mustData(t, nil)
	e.Do(sj, participate, map[string]any{"id": id, "item": "SJ-CHK-1"}).mustData(t, nil)
	e.Do(wl, answerInvitation, map[string]any{"id": id, "a": true}).mustData(t, nil)
	e.Do(sj, answerInvitation, map[string]any{"id": id, "a": true}).mustData(t, nil)
	e.Do(lh, freezeDraw, map[string]any{"id": id}).mustData(t, nil)
	e.Do(lh, executeDraw, map[string]any{"id": id, "c": "joint-records"}).mustData(t, nil)

	dbID := databaseID(t, id)
	var seq int
	if err := e.DB.Get(&seq, `SELECT t.seq FROM draw_tasks t WHERE t.draw_id = $1
AND (SELECT count(DISTINCT m.bureau_id) FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq) = 2
ORDER BY t.seq LIMIT 1`, dbID); err != nil {
		t.Fatalf("no task visited by both bureaus: %v", err)
	}
	for user, bureau := range map[string]string{"wl-inspector1": "140522-wl", "sj-inspector1": "140522-sj"} {
		if _, err := e.DB.Exec(`UPDATE inspectors SET user_id = (SELECT id FROM users WHERE username = $1)
WHERE certificate_number = (SELECT m.certificate FROM draw_task_members m JOIN bureaus b ON b.id = m.bureau_id
    WHERE m.draw_id = $2 AND m.seq = $3 AND b.code = $4 ORDER BY m.position LIMIT 1)
  AND bureau_id = (SELECT id FROM bureaus WHERE code = $4)`, user, dbID, seq, bureau); err != nil {
			t.Fatal(err)
		}
	}
	return jointTask{DrawID: id, Seq: seq}
}

func (jt jointTask) input(item string) map[string]any {
	return map[string]any{"in": map[string]any{"drawId": jt.DrawID, "seq": jt.Seq, "itemCode": item,
		"resultCodes": []string{"NO_PROBLEM"}, "methods": []string{"实地检查"}, "inspectedOn": "2026-03-10"}}
}

// TestJointVisitRecords: in a joint visit (进一次门、查多项事) each bureau's
// team members record only their own bureau's items, review stays with
// the bureau that owns the record, and the team sees its partners' names.
func TestJointVisitRecords(t *testing.T) {
	e := newEnv(t)
	jt := prepareJointTask(t, e)
	wlInspector, sjInspector := e.As("wl-inspector1"), e.As("sj-inspector1")
	countRecords := func() int {
		var n int
		if err := e.DB.Get(&n, `SELECT count(*) FROM inspection_records WHERE draw_id = $1 AND seq = $2`, databaseID(t, jt.DrawID), jt.Seq); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var wlRec struct{ SaveRecord struct{ Record recordData } }
	e.Do(wlInspector, saveRecord, jt.input("WL-CHK-1")).mustData(t, &wlRec)
	e.Do(sjInspector, saveRecord, jt.input("SJ-CHK-1")).mustData(t, nil)
	if n := countRecords(); n != 2 {
		t.Fatalf("records of the joint task = %d, want one per bureau", n)
	}

	t.Run("NotThePartnersItems", func(t *testing.T) {
		r := e.Do(wlInspector, saveRecord, jt.input("SJ-CHK-1"))
		if r.Code() != "BAD_USER_INPUT" && r.Code() != "FORBIDDEN" && r.Code() != "NOT_FOUND" {
			t.Fatalf("wl inspector recording sj's item: code %q, want a refusal", r.Code())
		}
		if r.Code() == "BAD_USER_INPUT" && r.Errors[0].Extensions.Field == "" {
			t.Errorf("refusal %q names no field", r.Errors[0].Message)
		}
		if n := countRecords(); n != 2 {
			t.Fatalf("a refused record changed the task: %d records", n)
		}
	})
	t.Run("ReviewStaysWithTheOwner", func(t *testing.T) {
		move(t, e, "wl-inspector1", "submitRecord", wlRec.SaveRecord.Record.ID, "").mustData(t, nil)
		r := move(t, e, "sj-reviewer", "approveRecord", wlRec.SaveRecord.Record.ID, "")
		if r.Code() != "NOT_FOUND" && r.Code() != "FORBIDDEN" {
			t.Fatalf("sj reviewer approving wl's record: code %q, want NOT_FOUND or FORBIDDEN", r.Code())
		}
		wantCode(t, move(t, e, "sj-inspector1", "submitRecord", wlRec.SaveRecord.Record.ID, ""), r.Code())
		move(t, e, "wl-reviewer", "approveRecord", wlRec.SaveRecord.Record.ID, "").mustData(t, nil)
	})
	t.Run("TeamSeesPartners", func(t *testing.T) {
		var d struct {
			MyTasks struct {
				Nodes []struct {
					Seq   int
					Joint bool
					Items []struct{ Code string }
					Team  []struct{ BureauCode, Name, Certificate string }
				}
			}
		}
		e.Do(wlInspector, `{ myTasks(first: 50) { nodes { seq joint items { code } team { bureauCode name certificate } } } }`, nil).mustData(t, &d)
		found := false
		for _, task := range d.MyTasks.Nodes {
			if task.Seq != jt.Seq {
				continue
			}
			found = true
			if !task.Joint || len(task.Items) != 1 || task.Items[0].Code != "WL-CHK-1" {
				t.Errorf("wl's view of the joint task: joint %v, items %+v; want joint and only WL-CHK-1", task.Joint, task.Items)
			}
			partners := 0
			for _, m := range task.Team {
				if m.BureauCode == "140522-sj" {
					partners++
					if m.Name == "" || m.Certificate == "" {
						t.Errorf("partner team-mate %+v is not named to the team", m)
					}
				}
			}
			if partners != 2 {
				t.Errorf("team %+v: want sj's two inspectors beside wl's", task.Team)
			}
		}
		if !found {
			t.Fatalf("task %d is not among wl-inspector1's tasks: %+v", jt.Seq, d.MyTasks.Nodes)
		}
	})
}
