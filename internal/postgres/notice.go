package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/notice"
)

// NoticeStore implements notice.Store.
type NoticeStore struct{ DB *DB }

// Issue inserts a notice for every task of the draw that has none, as its
// lead, with the audit entry, in one transaction. Two issuers at once:
// each task keeps the first code (ON CONFLICT DO NOTHING).
func (s NoticeStore) Issue(ctx context.Context, actor *authz.Actor, drawID int64, newCode func() string) (notice.Issued, error) {
	out := notice.Issued{DrawID: drawID}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := getDraw(ctx, tx, drawID, "")
		if err != nil {
			return err
		}
		if d.BureauID != actor.BureauID {
			return errs.E(errs.Forbidden, "only the lead bureau of draw %d issues its notices", drawID)
		}
		if d.Status != draw.StatusExecuted {
			return errs.E(errs.Conflict, "draw %d is %s: notices follow the ceremony", drawID, d.Status)
		}
		var seqs []int
		const missing = `SELECT t.seq FROM draw_tasks t WHERE t.draw_id = $1
			AND NOT EXISTS (SELECT FROM task_notices n WHERE n.draw_id = t.draw_id AND n.seq = t.seq) ORDER BY t.seq`
		if err := tx.SelectContext(ctx, &seqs, missing, drawID); err != nil {
			return err
		}
		codes := make([]string, len(seqs))
		for i := range codes {
			codes[i] = newCode()
		}
		const insert = `
INSERT INTO task_notices (bureau_id, draw_id, seq, code, issued_by)
SELECT (SELECT app_bureau()), $1, u.seq, u.code, $4 FROM unnest($2::int[], $3::text[]) AS u(seq, code)
ON CONFLICT (draw_id, seq) DO NOTHING`
		res, err := tx.ExecContext(ctx, insert, drawID, pq.Array(seqs), pq.Array(codes), actor.UserID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		out.New = int(n)
		if err := tx.GetContext(ctx, &out.Total, `SELECT count(*) FROM task_notices WHERE draw_id = $1`, drawID); err != nil {
			return err
		}
		if out.New == 0 {
			return nil
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "notice.issue", ObjectType: "draw",
			ObjectID: fmt.Sprint(drawID), After: map[string]int{"issued": out.New, "total": out.Total}})
	})
	return out, err
}

// Withdraw withdraws a task's notice as the draw's lead, audited.
func (s NoticeStore) Withdraw(ctx context.Context, actor *authz.Actor, drawID int64, seq int, reason string) error {
	return s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var n struct {
			BureauID    int64      `db:"bureau_id"`
			WithdrawnAt *time.Time `db:"withdrawn_at"`
		}
		const q = `SELECT bureau_id, withdrawn_at FROM task_notices WHERE draw_id = $1 AND seq = $2 FOR UPDATE`
		if err := tx.GetContext(ctx, &n, q, drawID, seq); err != nil {
			return notFound(err, "no notice for task %d of draw %d", seq, drawID)
		}
		switch {
		case n.BureauID != actor.BureauID:
			return errs.E(errs.Forbidden, "only the lead bureau of draw %d withdraws its notices", drawID)
		case n.WithdrawnAt != nil:
			return errs.E(errs.Conflict, "the notice of task %d of draw %d is withdrawn already", seq, drawID)
		}
		const update = `UPDATE task_notices SET withdrawn_at = now(), withdrawn_by = $3, withdrawn_reason = $4
			WHERE draw_id = $1 AND seq = $2`
		if _, err := tx.ExecContext(ctx, update, drawID, seq, actor.UserID, reason); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "notice.withdraw", ObjectType: "task",
			ObjectID: fmt.Sprintf("%d/%d", drawID, seq), After: map[string]string{"reason": reason}})
	})
}

type noticeRow struct {
	Code            string     `db:"code"`
	LeadName        string     `db:"lead_name"`
	IssuedAt        time.Time  `db:"issued_at"`
	WithdrawnAt     *time.Time `db:"withdrawn_at"`
	WithdrawnReason string     `db:"withdrawn_reason"`
}

// Notice reads a task's notice: the notice row (participants read it),
// then the task as its code shows it.
func (s NoticeStore) Notice(ctx context.Context, actor *authz.Actor, drawID int64, seq int) (notice.Notice, error) {
	var out notice.Notice
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var r noticeRow
		const q = `SELECT n.code, b.name AS lead_name, n.issued_at, n.withdrawn_at, n.withdrawn_reason
			FROM task_notices n JOIN bureaus b ON b.id = n.bureau_id WHERE n.draw_id = $1 AND n.seq = $2`
		if err := tx.GetContext(ctx, &r, q, drawID, seq); err != nil {
			return notFound(err, "no notice for task %d of draw %d", seq, drawID)
		}
		out = notice.Notice{LeadName: r.LeadName, IssuedAt: r.IssuedAt, WithdrawnAt: r.WithdrawnAt, WithdrawnReason: r.WithdrawnReason}
		if r.WithdrawnAt != nil {
			out.Code, out.DrawNumber, out.Seq = r.Code, drawID, seq
			return nil
		}
		t, err := taskOfCode(ctx, tx, r.Code)
		out.Task = t
		return err
	})
	return out, err
}

// Verify returns the task of a current code, for anyone.
func (s NoticeStore) Verify(ctx context.Context, code string) (notice.Task, error) {
	var t notice.Task
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) (err error) {
		t, err = taskOfCode(ctx, tx, code)
		return err
	})
	return t, err
}

// taskOfCode reads, through the functions that demand the code, the
// task, its team as it is now and the items of the draw's bureaus.
func taskOfCode(ctx context.Context, tx *sqlx.Tx, code string) (notice.Task, error) {
	var t notice.Task
	const task = `SELECT draw_id, seq, title, window_start, window_end, entity_code, entity_name, entity_address
		FROM public_task($1)`
	if err := tx.GetContext(ctx, &t, task, code); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, errs.NotFoundf("no inspection task has this code")
		}
		return t, err
	}
	t.Code = code
	if err := tx.SelectContext(ctx, &t.Inspectors, `SELECT bureau_code, bureau_name, certificate, name FROM public_task_team($1)`, code); err != nil {
		return t, err
	}
	const bureaus = `SELECT b.name FROM public_draw_participants p JOIN bureaus b ON b.id = p.bureau_id
		JOIN public_draws d ON d.id = p.draw_id WHERE p.draw_id = $1 ORDER BY p.bureau_id <> d.lead_id, b.code`
	if err := tx.SelectContext(ctx, &t.Bureaus, bureaus, t.DrawNumber); err != nil {
		return t, err
	}
	const items = `
SELECT b.name AS bureau_name, ref.code, coalesce(i.name, ref.code) AS name, coalesce(i.legal_basis, '') AS legal_basis
FROM public_draw_participants p JOIN bureaus b ON b.id = p.bureau_id
CROSS JOIN LATERAL jsonb_to_recordset(p.items) AS ref(code text, version int)
LEFT JOIN public_items i ON i.bureau_id = p.bureau_id AND i.code = ref.code AND i.version = ref.version
WHERE p.draw_id = $1 ORDER BY b.code, ref.code`
	return t, tx.SelectContext(ctx, &t.Items, items, t.DrawNumber)
}
