package postgres

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// DrawStore implements draw.Store.
type DrawStore struct{ DB *DB }

const drawColumns = `d.id, d.bureau_id, d.region_code, d.year, d.quarter, d.title, d.joint, d.scope, d.cross_unit,
	d.max_tasks_per_inspector, d.window_start, d.window_end, d.redraw_of, d.redraw_reason, d.redraw_approved_by,
	d.superseded_by, d.cancel_reason, d.status, d.frame_size,
	d.frozen_at, d.executed_at, d.ceremony, d.seed, d.failure, d.created_at`

// drawRow reads the JSON columns of a draw.
type drawRow struct {
	draw.Draw
	ScopeJSON   []byte `db:"scope"`
	FailureJSON []byte `db:"failure"`
}

func (r drawRow) decode() (draw.Draw, error) {
	d := r.Draw
	if err := json.Unmarshal(r.ScopeJSON, &d.Scope); err != nil {
		return d, err
	}
	if len(r.FailureJSON) > 0 {
		d.Failure = &draw.Failure{}
		if err := json.Unmarshal(r.FailureJSON, d.Failure); err != nil {
			return d, err
		}
	}
	return d, nil
}

func getDraw(ctx context.Context, tx *sqlx.Tx, id int64, lock string) (draw.Draw, error) {
	var r drawRow
	err := tx.GetContext(ctx, &r, `SELECT `+drawColumns+` FROM draws d WHERE d.id = $1 `+lock, id)
	if err != nil {
		return draw.Draw{}, notFound(err, "no draw %d", id)
	}
	return r.decode()
}

// leadDraw locks a draw for a change only its lead may make, and reads it
// after the lock, so that of two concurrent changes the second sees the
// first's result.
func leadDraw(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, id int64) (draw.Draw, error) {
	d, err := getDraw(ctx, tx, id, "")
	if err != nil {
		return d, err
	}
	if d.BureauID != actor.BureauID {
		return d, errs.E(errs.Forbidden, "only the lead bureau of draw %d may do this", id)
	}
	return getDraw(ctx, tx, id, "FOR UPDATE")
}

// CreateDraw stores a draft draw and its participants.
func (s DrawStore) CreateDraw(ctx context.Context, actor *authz.Actor, nd draw.NewDraw) (draw.Draw, error) {
	var created draw.Draw
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		others, err := participantBureaus(ctx, tx, actor, nd.Participants)
		if err != nil {
			return err
		}
		items, err := resolveItems(ctx, tx, nd.Items)
		if err != nil {
			return err
		}
		if err := checkDrawsPerYear(ctx, tx, actor, nd); err != nil {
			return err
		}
		id, err := insertDraw(ctx, tx, actor, nd, len(others) > 0)
		if err != nil {
			return err
		}
		if err := insertParticipants(ctx, tx, actor, id, nd.TeamSize, items, others); err != nil {
			return err
		}
		if created, err = getDraw(ctx, tx, id, ""); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.create", ObjectType: "draw",
			ObjectID: fmt.Sprint(id), After: created})
	})
	return created, err
}

// checkDrawsPerYear holds the plan's draws per year as a cap: an ordinary
// draw beyond it is refused, and a re-draw replaces an executed or failed
// draw of the acting bureau that no other re-draw has replaced.
func checkDrawsPerYear(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, nd draw.NewDraw) error {
	if nd.RedrawOf != nil {
		original, err := getDraw(ctx, tx, *nd.RedrawOf, "")
		switch {
		case err != nil || original.BureauID != actor.BureauID:
			return errs.InvalidField("input.redrawOf", "no draw %d of your bureau to re-draw", *nd.RedrawOf)
		case original.Status != draw.StatusExecuted && original.Status != draw.StatusFailed:
			return errs.InvalidField("input.redrawOf", "draw %d is %s: only an executed or failed draw is re-drawn", original.ID, original.Status)
		case original.SupersededBy != nil:
			return errs.InvalidField("input.redrawOf", "draw %d was already re-drawn by draw %d", original.ID, *original.SupersededBy)
		}
		return nil
	}
	p, err := planIn(ctx, tx, actor.BureauID, nd.Year)
	if err != nil {
		return err
	}
	limit := p.DrawsPerYear
	var made int64
	const q = `SELECT count(*) FROM draws WHERE bureau_id = $1 AND year = $2 AND redraw_of IS NULL AND status <> 'cancelled'`
	if err := tx.GetContext(ctx, &made, q, actor.BureauID, nd.Year); err != nil {
		return err
	}
	if made >= int64(limit) {
		return errs.E(errs.Conflict, "the plan of %d allows %d draws a year and %d are made: a further draw is a re-draw "+
			"of one of them (redrawOf, with its reason), approved by a leader", nd.Year, limit, made)
	}
	return nil
}

// ApproveRedraw records a leader's approval of a draft re-draw.
func (s DrawStore) ApproveRedraw(ctx context.Context, actor *authz.Actor, drawID int64) (draw.Draw, error) {
	var approved draw.Draw
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := ownDraft(ctx, tx, actor, drawID)
		if err != nil {
			return err
		}
		switch {
		case d.RedrawOf == nil:
			return errs.E(errs.Conflict, "draw %d is not a re-draw: it needs no approval", drawID)
		case d.RedrawApprovedBy != nil:
			return errs.E(errs.Conflict, "the re-draw %d is already approved", drawID)
		}
		const q = `UPDATE draws SET redraw_approved_by = $2, redraw_approved_at = now() WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, drawID, actor.UserID); err != nil {
			return err
		}
		if approved, err = getDraw(ctx, tx, drawID, ""); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.approve_redraw", ObjectType: "draw", ObjectID: fmt.Sprint(drawID),
			Before: d, After: map[string]any{"redraw_of": *d.RedrawOf, "reason": d.RedrawReason, "approved_by": actor.Username}})
	})
	return approved, err
}

// Cancel gives up a draft of the acting bureau, with its reason.
func (s DrawStore) Cancel(ctx context.Context, actor *authz.Actor, drawID int64, reason string) (draw.Draw, error) {
	var cancelled draw.Draw
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := ownDraft(ctx, tx, actor, drawID)
		if err != nil {
			return err
		}
		const q = `UPDATE draws SET status = 'cancelled', cancelled_at = now(), cancel_reason = $2 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, drawID, reason); err != nil {
			return err
		}
		if cancelled, err = getDraw(ctx, tx, drawID, ""); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.cancel", ObjectType: "draw", ObjectID: fmt.Sprint(drawID),
			Before: d, After: cancelled})
	})
	return cancelled, err
}

// ownDraft locks a draft led by the acting bureau: NOT_FOUND for a draw it
// may not see, FORBIDDEN for one it does not lead, CONFLICT once frozen.
func ownDraft(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, drawID int64) (draw.Draw, error) {
	d, err := leadDraw(ctx, tx, actor, drawID)
	if err != nil {
		return d, err
	}
	if d.Status != draw.StatusDraft {
		return d, errs.E(errs.Conflict, "draw %d is %s: only a draft", drawID, d.Status)
	}
	return d, nil
}

// participantBureaus resolves the other bureaus of a joint draw, which
// must be of the lead's region.
func participantBureaus(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, codes []string) ([]int64, error) {
	var ids []int64
	for _, code := range codes {
		if code == actor.BureauCode {
			continue
		}
		var id int64
		const q = `SELECT id FROM bureaus WHERE code = $1 AND region_code = $2 AND kind <> 'joint_office'`
		if err := tx.GetContext(ctx, &id, q, code, actor.RegionCode); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, errs.InvalidField("input.participants", "%q is not a bureau of region %s that inspects", code, actor.RegionCode)
			}
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// resolveItems checks the acting bureau's items exist, version 0 meaning
// the current one.
func resolveItems(ctx context.Context, tx *sqlx.Tx, items []draw.ItemRef) ([]draw.ItemRef, error) {
	out := make([]draw.ItemRef, len(items))
	for i, it := range items {
		const q = `SELECT version, qualifications, entity_types FROM inspection_items
WHERE bureau_id = (SELECT app_bureau()) AND code = $1 AND (version = $2 OR ($2 = 0 AND valid_to IS NULL))`
		var v struct {
			Version        int            `db:"version"`
			Qualifications pq.StringArray `db:"qualifications"`
			EntityTypes    pq.StringArray `db:"entity_types"`
		}
		if err := tx.GetContext(ctx, &v, q, it.Code, it.Version); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, errs.InvalidField(fmt.Sprintf("input.items[%d]", i), "no inspection item %s version %d in this bureau", it.Code, it.Version)
			}
			return nil, err
		}
		out[i] = draw.ItemRef{Code: it.Code, Version: v.Version, Qualifications: v.Qualifications, EntityTypes: v.EntityTypes}
	}
	return out, nil
}

func insertDraw(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, nd draw.NewDraw, joint bool) (int64, error) {
	scope, err := json.Marshal(nd.Scope)
	if err != nil {
		return 0, err
	}
	const q = `
INSERT INTO draws (bureau_id, region_code, plan_id, year, quarter, title, joint, scope, cross_unit,
    max_tasks_per_inspector, window_start, window_end, redraw_of, redraw_reason, created_by)
VALUES ($1, $2, (SELECT id FROM plans WHERE bureau_id = $1 AND year = $3), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING id`
	var id int64
	err = tx.GetContext(ctx, &id, q, actor.BureauID, actor.RegionCode, nd.Year, nd.Quarter, nd.Title, joint, scope,
		nd.CrossUnit, nd.MaxTasksPerInspector, nd.WindowStart, nd.WindowEnd, nd.RedrawOf, nd.RedrawReason, actor.UserID)
	return id, err
}

// insertParticipants adds the lead (unless it is a joint office, which
// sends no inspectors), who has accepted, and invites the other bureaus,
// who join only by accepting and add their items then. Each invitation is
// written in the lead's audit trail and in the invited bureau's.
func insertParticipants(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, drawID int64, teamSize int, items []draw.ItemRef, others []int64) error {
	const q = `INSERT INTO draw_participants (bureau_id, draw_id, team_size, items, added_by, answer) VALUES ($1, $2, $3, $4, $5, $6)`
	if actor.BureauKind != "joint_office" {
		itemsJSON, _ := json.Marshal(items)
		if _, err := tx.ExecContext(ctx, q, actor.BureauID, drawID, teamSize, itemsJSON, actor.UserID, draw.AnswerAccepted); err != nil {
			return err
		}
	}
	for _, b := range others {
		if _, err := tx.ExecContext(ctx, q, b, drawID, 2, []byte("[]"), actor.UserID, draw.AnswerInvited); err != nil {
			return err
		}
		invitation := audit.Change{Action: "draw.invite", ObjectType: "draw", ObjectID: fmt.Sprint(drawID),
			After: map[string]any{"lead": actor.BureauCode, "invited_bureau_id": b, "answer": draw.AnswerInvited}}
		if err := auditBoth(ctx, tx, actor, b, invitation); err != nil {
			return err
		}
	}
	return nil
}

// auditBoth writes a change of a joint draw in the acting bureau's trail
// and in the other bureau's: an invitation and its answer concern both.
func auditBoth(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, other int64, c audit.Change) error {
	if err := auditAs(ctx, tx, actor, c); err != nil {
		return err
	}
	return writeAudit(ctx, tx, other, actor.UserID, actor.Username, c)
}

// AnswerInvitation records the acting bureau's answer to its invitation
// to a draft joint draw, in its audit trail and in the lead's.
func (s DrawStore) AnswerInvitation(ctx context.Context, actor *authz.Actor, drawID int64, accept bool) (draw.Participant, error) {
	var p draw.Participant
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := getDraw(ctx, tx, drawID, "")
		if err != nil {
			return err
		}
		before, err := participantOf(ctx, tx, drawID)
		if err != nil {
			return err
		}
		if d.BureauID == actor.BureauID {
			return errs.E(errs.Conflict, "your bureau leads draw %d: it has no invitation to answer", drawID)
		}
		if d.Status != draw.StatusDraft {
			return errs.E(errs.Conflict, "draw %d is %s: its participants are fixed", drawID, d.Status)
		}
		answer := draw.AnswerDeclined
		if accept {
			answer = draw.AnswerAccepted
		}
		const q = `UPDATE draw_participants SET answer = $1, answered_at = now(), answered_by = $2
WHERE bureau_id = (SELECT app_bureau()) AND draw_id = $3`
		if _, err := tx.ExecContext(ctx, q, answer, actor.UserID, drawID); err != nil {
			return err
		}
		if p, err = participantOf(ctx, tx, drawID); err != nil {
			return err
		}
		return auditBoth(ctx, tx, actor, d.BureauID, audit.Change{Action: "draw.answer", ObjectType: "draw",
			ObjectID: fmt.Sprint(drawID), Before: before, After: p})
	})
	return p, err
}

// SetParticipation updates the acting bureau's part in a draft draw.
func (s DrawStore) SetParticipation(ctx context.Context, actor *authz.Actor, drawID int64, teamSize int, items []draw.ItemRef) (draw.Participant, error) {
	var p draw.Participant
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := getDraw(ctx, tx, drawID, "")
		if err != nil {
			return err
		}
		if d.Status != draw.StatusDraft {
			return errs.E(errs.Conflict, "draw %d is %s: its participants are fixed", drawID, d.Status)
		}
		resolved, err := resolveItems(ctx, tx, items)
		if err != nil {
			return err
		}
		before, err := participantOf(ctx, tx, drawID)
		if err != nil {
			return err
		}
		itemsJSON, _ := json.Marshal(resolved)
		const q = `UPDATE draw_participants SET team_size = $1, items = $2 WHERE bureau_id = (SELECT app_bureau()) AND draw_id = $3`
		if _, err := tx.ExecContext(ctx, q, teamSize, itemsJSON, drawID); err != nil {
			return err
		}
		if p, err = participantOf(ctx, tx, drawID); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.participate", ObjectType: "draw",
			ObjectID: fmt.Sprint(drawID), Before: before, After: p})
	})
	return p, err
}

type participantRow struct {
	draw.Participant
	ItemsJSON []byte `db:"items"`
}

const participantSelect = `SELECT p.bureau_id, b.code AS bureau_code, p.draw_id, p.team_size, p.items, p.answer
FROM draw_participants p JOIN bureaus b ON b.id = p.bureau_id`

func participantOf(ctx context.Context, tx *sqlx.Tx, drawID int64) (draw.Participant, error) {
	var r participantRow
	err := tx.GetContext(ctx, &r, participantSelect+` WHERE p.draw_id = $1 AND p.bureau_id = (SELECT app_bureau())`, drawID)
	if err != nil {
		return draw.Participant{}, notFound(err, "your bureau does not take part in draw %d", drawID)
	}
	return r.Participant, json.Unmarshal(r.ItemsJSON, &r.Participant.Items)
}

func participantsOf(ctx context.Context, tx *sqlx.Tx, drawID int64) ([]draw.Participant, error) {
	var rows []participantRow
	if err := tx.SelectContext(ctx, &rows, participantSelect+` WHERE p.draw_id = $1 ORDER BY b.code`, drawID); err != nil {
		return nil, err
	}
	out := make([]draw.Participant, len(rows))
	for i, r := range rows {
		out[i] = r.Participant
		if err := json.Unmarshal(r.ItemsJSON, &out[i].Items); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParticipantsOfDraws lists the participants of the visible draws among
// ids, in one statement.
func (s DrawStore) ParticipantsOfDraws(ctx context.Context, actor *authz.Actor, ids []int64) ([]draw.Participant, error) {
	var rows []participantRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, participantSelect+` WHERE p.draw_id = ANY($1) ORDER BY p.draw_id, b.code`, pq.Array(ids))
	})
	out := make([]draw.Participant, len(rows))
	for i, r := range rows {
		out[i] = r.Participant
		if err := json.Unmarshal(r.ItemsJSON, &out[i].Items); err != nil {
			return nil, err
		}
	}
	return out, err
}

// Draw returns a visible draw.
func (s DrawStore) Draw(ctx context.Context, actor *authz.Actor, id int64) (draw.Draw, error) {
	var d draw.Draw
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		var err error
		d, err = getDraw(ctx, tx, id, "")
		return err
	})
	return d, err
}

// Draws lists the visible draws, newest first.
func (s DrawStore) Draws(ctx context.Context, actor *authz.Actor, f draw.Filter, p page.Request) ([]draw.Draw, error) {
	var rows []drawRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if p.Backward() || p.Before != "" {
			w := drawWhere(f)
			w.seek(p, true, "d.id", intKey)
			q := `SELECT ` + drawColumns + ` FROM draws d WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("d.id", true), p.Limit())
			return tx.SelectContext(ctx, &rows, q, w.args...)
		}
		var after any // the first page: no bound
		if key, _ := p.AfterKey(); key != "" {
			after = intKey(key)[0]
		}
		st := s.DB.prepared(ctx, tx, drawsForwardQuery)
		return st.SelectContext(ctx, &rows, nonZero(f.Year), nonZero(f.Quarter), nonZero(string(f.Status)), after, p.Limit())
	})
	out := make([]draw.Draw, len(rows))
	for i, r := range rows {
		if out[i], err = r.decode(); err != nil {
			return nil, err
		}
	}
	return out, err
}

// drawsForwardQuery is a forward page of draws, newest first, under any
// filter: a filter left out is NULL, so one statement, prepared once per
// connection, serves every dashboard's list (an unprepared statement with
// parameters costs two round trips and a plan each time).
var drawsForwardQuery = prepare(`SELECT ` + drawColumns + ` FROM draws d
WHERE ($1::int IS NULL OR d.year = $1) AND ($2::int IS NULL OR d.quarter = $2) AND ($3::text IS NULL OR d.status = $3)
  AND ($4::bigint IS NULL OR d.id < $4)
ORDER BY d.id DESC LIMIT $5`)

// nonZero is v as a parameter, or NULL when v is its type's zero value
// (a filter not given).
func nonZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// CountDraws counts the visible draws of Draws.
func (s DrawStore) CountDraws(ctx context.Context, actor *authz.Actor, f draw.Filter) (int, error) {
	w := drawWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM draws d WHERE `+w.String(), w.args...)
}

// drawWhere is a draw filter's conditions; RLS keeps the draws the acting
// bureau may see.
func drawWhere(f draw.Filter) *where {
	w := &where{}
	if f.Year != 0 {
		w.add("d.year = %s", f.Year)
	}
	if f.Quarter != 0 {
		w.add("d.quarter = %s", f.Quarter)
	}
	if f.Status != "" {
		w.add("d.status = %s", string(f.Status))
	}
	return w
}

// encodeInput stores a frozen input in the draw package's binary form:
// decoding a million-row frame from it takes tens of milliseconds, where
// the gzip'd JSON that draws frozen before held took a second.
func encodeInput(in draw.Input) ([]byte, error) { return in.MarshalBinary() }

// decodeInput reads either form: the binary one, or gzip'd JSON (input_gz
// of draws frozen before the binary form, which stay verifiable).
func decodeInput(b []byte) (draw.Input, error) {
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		return draw.UnmarshalBinaryInput(b)
	}
	var in draw.Input
	data, err := gunzip(b)
	if err != nil {
		return in, err
	}
	return in, json.Unmarshal(data, &in)
}

// PublicDocuments returns a draw's public documents through
// public_draw(), which returns nothing else: anyone may call it.
func (s DrawStore) PublicDocuments(ctx context.Context, drawID int64) (draw.PublicDocuments, error) {
	var row struct {
		Status         draw.Status `db:"status"`
		Commitment     []byte      `db:"commitment"`
		PublicManifest []byte      `db:"public_manifest"`
	}
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT status, commitment, public_manifest FROM public_draw($1)`, drawID)
	})
	if err != nil {
		return draw.PublicDocuments{}, notFound(err, "no published draw %d", drawID)
	}
	return draw.PublicDocuments{Status: row.Status, Commitment: row.Commitment, PublicManifest: row.PublicManifest}, nil
}

// SealedInput returns the stored input of a draw that is not a draft,
// through draw_sealed_input(), which gives it to the draw's lead and the
// region's joint office only: the serving role cannot read the column.
func (s DrawStore) SealedInput(ctx context.Context, actor *authz.Actor, drawID int64) (draw.Input, draw.Status, error) {
	var row sealedRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		row, err = sealedInputIn(ctx, tx, drawID)
		return err
	})
	if err != nil {
		return draw.Input{}, "", err
	}
	return row.decode()
}

type sealedRow struct {
	Status   draw.Status `db:"status"`
	Input    []byte      `db:"input"`
	Ceremony *string     `db:"ceremony"`
}

func sealedInputIn(ctx context.Context, tx *sqlx.Tx, drawID int64) (sealedRow, error) {
	var row sealedRow
	err := tx.GetContext(ctx, &row, `SELECT status, input, ceremony FROM draw_sealed_input($1)`, drawID)
	return row, notFound(err, "no frozen draw %d that you lead", drawID)
}

func (r sealedRow) decode() (draw.Input, draw.Status, error) {
	in, err := decodeInput(r.Input)
	if r.Ceremony != nil {
		in.Ceremony = *r.Ceremony
	}
	return in, r.Status, err
}

// ParticipantOpenings returns the openings the lead stored for the
// actor's bureau at the ceremony; row-level security shows a bureau only
// its own.
func (s DrawStore) ParticipantOpenings(ctx context.Context, actor *authz.Actor, drawID int64) ([]draw.Opening, error) {
	var stored []byte // JSON, or gzip'd JSON
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &stored, `SELECT openings FROM draw_openings WHERE draw_id = $1 AND bureau_id = app_bureau()`, drawID)
	})
	if err != nil {
		return nil, notFound(err, "draw %d holds no openings for %s", drawID, actor.BureauCode)
	}
	var openings []draw.Opening
	raw := stored
	if bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) { // kept gzip'd before 00028
		if raw, err = gunzip(stored); err != nil {
			return nil, err
		}
	}
	return openings, json.Unmarshal(raw, &openings)
}

// storeParticipantOpenings keeps, beside an executed draw, the openings of
// the rows each participant but the lead supervises, one row per
// participant (an empty list too, so that a missing row means not yet
// stored).
func storeParticipantOpenings(ctx context.Context, tx *sqlx.Tx, drawID int64, lead string, m *draw.Manifest) error {
	var participants []string
	const q = `SELECT b.code FROM draw_participants p JOIN bureaus b ON b.id = p.bureau_id
WHERE p.draw_id = $1 AND p.answer = 'accepted' ORDER BY b.code`
	if err := tx.SelectContext(ctx, &participants, q, drawID); err != nil {
		return err
	}
	byBureau, err := draw.ParticipantOpenings(m, lead, participants)
	if err != nil {
		return err
	}
	const ins = `INSERT INTO draw_openings (bureau_id, draw_id, openings) SELECT id, $2, $3 FROM bureaus WHERE code = $1`
	for b, openings := range byBureau { // TOAST compresses them (lz4)
		if _, err := tx.ExecContext(ctx, ins, b, drawID, openings); err != nil {
			return fmt.Errorf("openings of %s: %w", b, err)
		}
	}
	return nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// SealPublicDocuments stores the public documents of frozen and executed
// draws that have none (draws frozen before the documents were kept), as
// the schema owner: system work at start, before serving.
func SealPublicDocuments(ctx context.Context, db *DB) error {
	var ids []int64
	const q = `SELECT id FROM draws WHERE input_gz IS NOT NULL AND (commitment IS NULL OR status = 'executed' AND public_manifest IS NULL) ORDER BY id`
	if err := db.SelectContext(ctx, &ids, q); err != nil {
		return fmt.Errorf("draws without public documents: %w", err)
	}
	for _, id := range ids {
		if err := db.AsOwner(ctx, func(tx *sqlx.Tx) error { return sealDocumentsOf(ctx, tx, id) }); err != nil {
			return fmt.Errorf("public documents of draw %d: %w", id, err)
		}
	}
	return nil
}

// SealParticipantOpenings stores the participants' openings of executed
// joint draws that have none (draws executed before the openings were
// kept), as the schema owner: system work at start, before serving.
func SealParticipantOpenings(ctx context.Context, db *DB) error {
	var ids []int64
	const q = `
SELECT d.id FROM draws d
WHERE d.status = 'executed' AND EXISTS (
    SELECT FROM draw_participants p WHERE p.draw_id = d.id AND p.answer = 'accepted' AND p.bureau_id <> d.bureau_id
      AND NOT EXISTS (SELECT FROM draw_openings o WHERE o.draw_id = d.id AND o.bureau_id = p.bureau_id))
ORDER BY d.id`
	if err := db.SelectContext(ctx, &ids, q); err != nil {
		return fmt.Errorf("draws without participants' openings: %w", err)
	}
	for _, id := range ids {
		if err := db.AsOwner(ctx, func(tx *sqlx.Tx) error { return sealOpeningsOf(ctx, tx, id) }); err != nil {
			return fmt.Errorf("participants' openings of draw %d: %w", id, err)
		}
	}
	return nil
}

func sealOpeningsOf(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var row struct {
		sealedRow
		Lead string `db:"lead"`
	}
	const q = `SELECT d.status, d.input_gz AS input, d.ceremony, b.code AS lead FROM draws d JOIN bureaus b ON b.id = d.bureau_id WHERE d.id = $1`
	if err := tx.GetContext(ctx, &row, q, id); err != nil {
		return err
	}
	in, _, err := row.decode()
	if err != nil {
		return err
	}
	m, err := draw.Run(in)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM draw_openings WHERE draw_id = $1`, id); err != nil {
		return err
	}
	return storeParticipantOpenings(ctx, tx, id, row.Lead, m)
}

func sealDocumentsOf(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var row struct {
		Status   draw.Status `db:"status"`
		InputGz  []byte      `db:"input_gz"`
		Ceremony *string     `db:"ceremony"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT status, input_gz, ceremony FROM draws WHERE id = $1`, id); err != nil {
		return err
	}
	in, err := decodeInput(row.InputGz)
	if err != nil {
		return err
	}
	var m *draw.Manifest
	if row.Status == draw.StatusExecuted && row.Ceremony != nil {
		in.Ceremony = *row.Ceremony
		if m, err = draw.Run(in); err != nil {
			return err
		}
	}
	commitment, public, err := draw.SealDocuments(in, m)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE draws SET commitment = $2, public_manifest = $3 WHERE id = $1`, id, commitment, public)
	return err
}

// Overlaps lists entities drawn by two or more bureaus' separate draws of
// the quarter in the joint office's region.
func (s DrawStore) Overlaps(ctx context.Context, actor *authz.Actor, year, quarter int, p page.Request) ([]draw.Overlap, error) {
	w := &where{}
	w.add("t.year = %s AND t.quarter = %s", year, quarter)
	w.seek(p, false, "t.entity_code", textKey)
	q := fmt.Sprintf(overlapsSQL, w.String()) + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("t.entity_code", false), p.Limit())
	var rows []struct {
		EntityCode string         `db:"entity_code"`
		EntityName string         `db:"entity_name"`
		DrawIDs    pq.Int64Array  `db:"draw_ids"`
		Bureaus    pq.StringArray `db:"bureaus"`
	}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, w.args...) })
	out := make([]draw.Overlap, len(rows))
	for i, r := range rows {
		out[i] = draw.Overlap{EntityCode: r.EntityCode, EntityName: r.EntityName, DrawIDs: r.DrawIDs, Bureaus: r.Bureaus}
	}
	return out, err
}

// CountOverlaps counts the entities of Overlaps.
func (s DrawStore) CountOverlaps(ctx context.Context, actor *authz.Actor, year, quarter int) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), fmt.Sprintf(overlapsSQL, "t.year = $1 AND t.quarter = $2"), year, quarter)
}

// overlapsSQL groups the region's tasks of separate draws by entity and
// keeps those of two bureaus or more; %s is the condition on the tasks.
const overlapsSQL = `
SELECT t.entity_code, coalesce(e.name, '') AS entity_name,
       array_agg(DISTINCT t.draw_id ORDER BY t.draw_id) AS draw_ids,
       array_agg(DISTINCT b.code ORDER BY b.code) AS bureaus
FROM draw_tasks t
JOIN draws d ON d.id = t.draw_id AND NOT d.joint AND d.status = 'executed'
JOIN bureaus b ON b.id = t.lead_id
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
WHERE t.region_code = (SELECT app_region()) AND %s
GROUP BY t.entity_code, e.name
HAVING count(DISTINCT t.lead_id) >= 2`

// sortedCopy returns the strings sorted, leaving s alone.
func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
