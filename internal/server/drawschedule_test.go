package server_test

import (
	"strings"
	"testing"
)

// A draw's window lies in its quarter and not in the past (the tests live
// on 2026-01-05, see testNow); the message names the field and the dates.
func TestDrawWindowRefusals(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	tests := []struct {
		name, field, message string
		extra                map[string]any
	}{
		{"BeforeQuarter", "input.windowStart", "is before 2026 Q2, which runs from 2026-04-01 to 2026-06-30",
			map[string]any{"quarter": 2, "windowStart": "2026-03-31", "windowEnd": "2026-04-30"}},
		{"AfterQuarter", "input.windowEnd", "2026-04-01 is after 2026 Q1, which runs from 2026-01-01 to 2026-03-31",
			map[string]any{"windowStart": "2026-03-01", "windowEnd": "2026-04-01"}},
		{"InThePast", "input.windowStart", "2026-01-02 is in the past: the window starts today (2026-01-05) or later",
			map[string]any{"windowStart": "2026-01-02", "windowEnd": "2026-01-31"}},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) {
			r := e.Do(planner, createDraw, map[string]any{"in": newDrawInput("窗口", tt.extra)})
			wantCode(t, r, "BAD_USER_INPUT")
			if r.Errors[0].Extensions.Field != tt.field || !strings.Contains(r.Errors[0].Message, tt.message) {
				t.Errorf("error %+v, want field %s and %q", r.Errors[0], tt.field, tt.message)
			}
		})
	}
	var count int
	e.DB.Get(&count, `SELECT count(*) FROM draws WHERE title = '窗口'`)
	if count != 0 {
		t.Errorf("%d refused draws were stored", count)
	}
}

const (
	approveRedraw = `mutation($id: ID!) { approveRedraw(input: {drawId: $id}) { draw { id redrawApproved } } }`
	cancelDraw    = `mutation($id: ID!, $r: String!) { cancelDraw(input: {drawId: $id, reason: $r}) { draw { id status cancelReason } } }`
)

// The plan's draws per year is a cap: the fifth ordinary draw is refused,
// a cancelled draft does not count, and a re-draw needs a leader's
// approval, recorded, before it is frozen; freezing it marks the original
// superseded.
func TestDrawsPerYearCapAndRedraw(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	fillRoster(t, e, planner, "wl", usccs(20), 4)
	var ids []string
	for q := 1; q <= 3; q++ {
		id := makeDraw(t, e, planner, newDrawInput("季度抽查", map[string]any{"quarter": q,
			"windowStart": quarterDay(q, "06"), "windowEnd": quarterDay(q, "28")}))
		ids = append(ids, id)
	}
	e.Do(planner, executeDraw, map[string]any{"id": ids[0], "c": "1"}).mustData(t, nil)
	var c struct{ CreateDraw struct{ Draw drawData } }
	e.Do(planner, createDraw, map[string]any{"in": newDrawInput("第四次", nil)}).mustData(t, &c)
	draft := c.CreateDraw.Draw.ID

	t.Run("ErrFifthDraw", func(t *testing.T) {
		r := e.Do(planner, createDraw, map[string]any{"in": newDrawInput("第五次", nil)})
		wantCode(t, r, "CONFLICT")
		if !strings.Contains(r.Errors[0].Message, "allows 4 draws a year and 4 are made") {
			t.Errorf("message %q should give the cap and the count", r.Errors[0].Message)
		}
	})
	t.Run("CancelledDraftDoesNotCount", func(t *testing.T) {
		vars := map[string]any{"id": draft, "r": "计划调整"}
		wantCode(t, e.Do(request{}, cancelDraw, vars), "UNAUTHENTICATED")
		wantCode(t, e.Do(e.As("wl-inspector1"), cancelDraw, vars), "FORBIDDEN")
		wantCode(t, e.Do(e.As("sj-planner"), cancelDraw, vars), "NOT_FOUND")
		wantCode(t, e.Do(planner, cancelDraw, map[string]any{"id": draft, "r": " "}), "BAD_USER_INPUT")
		wantCode(t, e.Do(planner, cancelDraw, map[string]any{"id": ids[1], "r": "已冻结"}), "CONFLICT")
		var d struct {
			CancelDraw struct {
				Draw struct{ Status, CancelReason string }
			}
		}
		e.Do(planner, cancelDraw, vars).mustData(t, &d)
		if d.CancelDraw.Draw.Status != "CANCELLED" || d.CancelDraw.Draw.CancelReason != "计划调整" {
			t.Fatalf("after cancelling: %+v", d.CancelDraw.Draw)
		}
		wantCode(t, e.Do(planner, cancelDraw, vars), "CONFLICT")
		e.Do(planner, createDraw, map[string]any{"in": newDrawInput("第四次", nil)}).mustData(t, nil)
	})
	t.Run("Redraw", func(t *testing.T) {
		in := newDrawInput("重抽", map[string]any{"redrawOf": ids[0], "redrawReason": "仪式录像丢失"})
		var c struct{ CreateDraw struct{ Draw drawData } }
		e.Do(planner, createDraw, map[string]any{"in": in}).mustData(t, &c)
		redraw := c.CreateDraw.Draw.ID
		r := e.Do(planner, freezeDraw, map[string]any{"id": redraw})
		wantCode(t, r, "CONFLICT")
		if !strings.Contains(r.Errors[0].Message, "a leader approves a re-draw") {
			t.Errorf("message %q", r.Errors[0].Message)
		}
		wantCode(t, e.Do(planner, approveRedraw, map[string]any{"id": redraw}), "FORBIDDEN")
		wantCode(t, e.Do(request{}, approveRedraw, map[string]any{"id": redraw}), "UNAUTHENTICATED")
		wantCode(t, e.Do(e.As("sj-leader"), approveRedraw, map[string]any{"id": redraw}), "NOT_FOUND")
		e.Do(e.As("wl-leader"), approveRedraw, map[string]any{"id": redraw}).mustData(t, nil)
		wantCode(t, e.Do(e.As("wl-leader"), approveRedraw, map[string]any{"id": redraw}), "CONFLICT")
		e.Do(planner, freezeDraw, map[string]any{"id": redraw}).mustData(t, nil)
		var d struct {
			Draw struct{ SupersededBy *string }
		}
		e.Do(planner, `query($id: ID!) { draw(id: $id) { supersededBy } }`, map[string]any{"id": ids[0]}).mustData(t, &d)
		if d.Draw.SupersededBy == nil || *d.Draw.SupersededBy != redraw {
			t.Fatalf("original supersededBy = %v, want %s", d.Draw.SupersededBy, redraw)
		}
		var approvals int
		e.DB.Get(&approvals, `SELECT count(*) FROM audit_log WHERE action = 'draw.approve_redraw' AND object_id = $1`, databaseID(t, redraw))
		if approvals != 1 {
			t.Errorf("%d approvals in the audit trail, want 1", approvals)
		}
		t.Run("ErrSecondRedraw", func(t *testing.T) {
			r := e.Do(planner, createDraw, map[string]any{"in": in})
			wantCode(t, r, "BAD_USER_INPUT")
			if r.Errors[0].Extensions.Field != "input.redrawOf" {
				t.Errorf("field %q", r.Errors[0].Extensions.Field)
			}
		})
	})
}

// quarterDay is a day of 2026's quarter q, as a Date.
func quarterDay(q int, day string) string {
	return "2026-" + []string{"", "01", "04", "07", "10"}[q] + "-" + day
}
