package main

import (
	"context"
	"fmt"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/roster"
)

// The demo's second-quarter draw checks one item, and its tasks hold
// inspection records in every state, so that a new user sees the flow:
// wl-inspector1 enters, wl-reviewer reviews and publishes, wl-admin
// decides on a proposed abnormal-operations listing.
const (
	demoItemCode         = "WL-YC-001"
	demoRecordsCeremony  = "演示抽取 2026-04-01 见证人掷骰 2-7-1-8-2-8"
	demoRecordsWindowEnd = "2026-06-30"
)

// demoRecordSteps says, per task in order, the result codes and how far
// the record goes.
var demoRecordSteps = []struct {
	codes    []string
	findings string
	state    record.State
}{
	{[]string{"NO_PROBLEM"}, "经营场所证照齐全，安全通道畅通。", record.StatePublished},
	{[]string{"CORRECTED"}, "未在显著位置悬挂许可证，已当场责令改正。", record.StatePublished},
	{[]string{"UNREACHABLE"}, "登记住所无人，电话无法接通。", record.StatePublished},
	{[]string{"FOLLOW_UP"}, "消防器材过期，已下达整改通知书。", record.StateApproved},
	{[]string{"NO_PROBLEM"}, "未发现问题。", record.StateSubmitted},
	{[]string{"NO_ACTIVITY"}, "未发现开展演出经营活动。", record.StateReturned},
	{[]string{"NO_PROBLEM"}, "", record.StateDraft},
}

func demoRecords(ctx context.Context, db *postgres.DB, planner *authz.Actor) error {
	items := roster.ItemRow{Code: demoItemCode, Name: "营业性演出场所经营活动检查", LegalBasis: "《营业性演出管理条例》第七条",
		Methods: []string{"实地检查", "书面检查"}, Qualifications: []string{"WL-01"},
		Checklist: []string{"许可证件", "安全通道", "消防器材"}}
	if _, err := (postgres.ItemStore{DB: db}).ImportItems(ctx, planner, []roster.ItemRow{items}, roster.ImportMeta{Filename: "demo"}); err != nil {
		return fmt.Errorf("demo item: %w", err)
	}
	drawID, err := demoRecordsDraw(ctx, db, planner)
	if err != nil {
		return err
	}
	inspector, err := demoInspectorOnTeams(ctx, db, drawID)
	if err != nil {
		return err
	}
	reviewer, err := demoActor(ctx, db, "wl-reviewer")
	if err != nil {
		return err
	}
	seqs, err := demoTeamTasks(ctx, db, drawID, inspector)
	if err != nil {
		return err
	}
	return demoRecordFlow(ctx, postgres.RecordStore{DB: db}, inspector, reviewer, drawID, seqs)
}

func demoRecordsDraw(ctx context.Context, db *postgres.DB, planner *authz.Actor) (int64, error) {
	start, _ := time.Parse(time.DateOnly, "2026-04-01")
	end, _ := time.Parse(time.DateOnly, demoRecordsWindowEnd)
	store := postgres.DrawStore{DB: db}
	d, err := store.CreateDraw(ctx, planner, draw.NewDraw{Year: 2026, Quarter: 2, Title: "2026年第二季度营业性演出场所双随机抽查",
		TeamSize: 2, Items: []draw.ItemRef{{Code: demoItemCode}}, WindowStart: start, WindowEnd: end})
	if err != nil {
		return 0, fmt.Errorf("demo records draw: %w", err)
	}
	if _, err := store.Freeze(ctx, planner, d.ID, draw.Seal); err != nil {
		return 0, fmt.Errorf("demo records draw freeze: %w", err)
	}
	if _, err := store.Execute(ctx, planner, d.ID, demoRecordsCeremony, draw.RunCeremony); err != nil {
		return 0, fmt.Errorf("demo records draw ceremony: %w", err)
	}
	return d.ID, nil
}

// demoInspectorOnTeams links wl-inspector1's login to the inspector on
// the most teams of the draw, and wl-inspector2's to another one.
func demoInspectorOnTeams(ctx context.Context, db *postgres.DB, drawID int64) (*authz.Actor, error) {
	const link = `
WITH ranked AS (
    SELECT m.certificate, row_number() OVER (ORDER BY count(*) DESC, m.certificate) AS rank
    FROM draw_task_members m WHERE m.draw_id = $1 GROUP BY m.certificate)
UPDATE inspectors i SET user_id = u.id
FROM ranked r, users u
WHERE i.certificate_number = r.certificate AND r.rank <= 2
  AND u.username = CASE r.rank WHEN 1 THEN 'wl-inspector1' ELSE 'wl-inspector2' END`
	if _, err := db.ExecContext(ctx, link, drawID); err != nil {
		return nil, fmt.Errorf("demo inspectors' logins: %w", err)
	}
	return demoActor(ctx, db, "wl-inspector1")
}

// demoTeamTasks lists the tasks whose team holds the inspector.
func demoTeamTasks(ctx context.Context, db *postgres.DB, drawID int64, inspector *authz.Actor) ([]int, error) {
	var seqs []int
	const q = `SELECT m.seq FROM draw_task_members m JOIN inspectors i ON i.certificate_number = m.certificate AND i.bureau_id = m.bureau_id
WHERE m.draw_id = $1 AND i.user_id = $2 ORDER BY m.seq LIMIT $3`
	err := db.SelectContext(ctx, &seqs, q, drawID, inspector.UserID, len(demoRecordSteps))
	return seqs, err
}

// demoRecordFlow enters a record per task and moves it to its state.
func demoRecordFlow(ctx context.Context, store postgres.RecordStore, inspector, reviewer *authz.Actor, drawID int64, seqs []int) error {
	valid := func(r record.Record, rules record.Rules) error { return record.Validate(r, rules) }
	var publish []int64
	for i, seq := range seqs {
		step := demoRecordSteps[i]
		inspected := time.Date(2026, 4, 8+i, 0, 0, 0, 0, time.UTC)
		methods := []string{"实地检查"}
		e := record.Entry{ResultCodes: &step.codes, Methods: &methods, Findings: &step.findings, InspectedOn: &inspected}
		rec, err := store.Save(ctx, inspector, record.Key{DrawID: drawID, Seq: seq, ItemCode: demoItemCode}, e, nil, valid)
		if err != nil {
			return fmt.Errorf("demo record %d: %w", seq, err)
		}
		if err := demoMoves(ctx, store, inspector, reviewer, rec.ID, step.state); err != nil {
			return err
		}
		if step.state == record.StatePublished {
			publish = append(publish, rec.ID)
		}
	}
	if len(publish) > 0 {
		if _, err := store.Publish(ctx, reviewer, publish); err != nil {
			return fmt.Errorf("demo publication: %w", err)
		}
	}
	return nil
}

func demoMoves(ctx context.Context, store postgres.RecordStore, inspector, reviewer *authz.Actor, id int64, to record.State) error {
	if to == record.StateDraft {
		return nil
	}
	moves := []record.Move{{Action: "record.submit", From: []record.State{record.StateDraft}, To: record.StateSubmitted, Team: true}}
	switch to {
	case record.StateReturned:
		moves = append(moves, record.Move{Action: "record.return", From: []record.State{record.StateSubmitted}, To: record.StateReturned, Reason: "请补充现场照片"})
	case record.StateApproved, record.StatePublished:
		moves = append(moves, record.Move{Action: "record.approve", From: []record.State{record.StateSubmitted}, To: record.StateApproved})
	}
	for _, m := range moves {
		actor := reviewer
		if m.Team {
			actor = inspector
		}
		if _, err := store.Move(ctx, actor, id, m); err != nil {
			return fmt.Errorf("demo record %d %s: %w", id, m.Action, err)
		}
	}
	return nil
}
