-- +goose Up

-- dual-random-draw/v2: a team member is recorded with the step of its
-- task's shuffle where it was taken; v1 members keep their ticket.
ALTER TABLE draw_task_members ALTER COLUMN ticket DROP NOT NULL,
    ADD COLUMN step int CHECK (step >= 0),
    ADD CONSTRAINT draw_task_members_ticket_or_step CHECK ((ticket IS NULL) <> (step IS NULL));

-- A bureau joins a joint draw only by accepting it. The lead (and, for an
-- existing draw, every participant) has accepted; an invited bureau answers.
ALTER TABLE draw_participants
    ADD COLUMN answer text NOT NULL DEFAULT 'accepted' CHECK (answer IN ('invited', 'accepted', 'declined')),
    ADD COLUMN answered_at timestamptz,
    ADD COLUMN answered_by bigint REFERENCES users;
GRANT UPDATE (answer, answered_at, answered_by) ON draw_participants TO shuangsuiji_app;

-- Schedule: a draft can be cancelled; a re-draw, approved by a leader,
-- supersedes the draw it replaces.
ALTER TABLE draws DROP CONSTRAINT draws_status_check;
ALTER TABLE draws ADD CONSTRAINT draws_status_check
    CHECK (status IN ('draft', 'frozen', 'executed', 'failed', 'cancelled'));
-- A cancelled draft was never frozen: it has no input.
-- +goose StatementBegin
DO $$
DECLARE c text;
BEGIN
    SELECT conname INTO STRICT c FROM pg_constraint
    WHERE conrelid = 'draws'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%input_gz IS NOT NULL%';
    EXECUTE format('ALTER TABLE draws DROP CONSTRAINT %I', c);
END
$$;
-- +goose StatementEnd
ALTER TABLE draws ADD CONSTRAINT draws_frozen_input CHECK (status IN ('draft', 'cancelled') OR input_gz IS NOT NULL);
ALTER TABLE draws
    ADD COLUMN superseded_by bigint REFERENCES draws (id),
    ADD COLUMN redraw_approved_by bigint REFERENCES users,
    ADD COLUMN redraw_approved_at timestamptz,
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancel_reason text NOT NULL DEFAULT '';

-- Whether bureau is the other side of a draw with the acting bureau: one
-- leads it and the other is invited to it. Read past row-level security.
-- +goose StatementBegin
CREATE FUNCTION app_draw_counterpart(bureau bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT EXISTS (
        SELECT 1 FROM draws d JOIN draw_participants p ON p.draw_id = d.id
        WHERE (d.bureau_id = app_bureau() AND p.bureau_id = bureau)
           OR (d.bureau_id = bureau AND p.bureau_id = app_bureau())) $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app_draw_counterpart(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_draw_counterpart(bigint) TO shuangsuiji_app;

-- An invitation to a joint draw and its answer go into both bureaus'
-- audit trails: the lead appends to the invited bureau's chain, the
-- invited bureau to the lead's, and only draw.invite / draw.answer.
CREATE POLICY audit_log_draw_counterpart ON audit_log FOR INSERT TO shuangsuiji_app
    WITH CHECK (object_type = 'draw' AND action IN ('draw.invite', 'draw.answer')
        AND (SELECT app_draw_counterpart(bureau_id)));
CREATE POLICY audit_heads_draw_counterpart ON audit_heads FOR ALL TO shuangsuiji_app
    USING ((SELECT app_draw_counterpart(bureau_id))) WITH CHECK ((SELECT app_draw_counterpart(bureau_id)));

-- The frame of a draw: the current roster entries of its accepted
-- participants, each from that bureau's own roster, for the lead (who
-- may not read another bureau's roster itself) to freeze.
-- +goose StatementBegin
CREATE FUNCTION draw_frame(draw bigint) RETURNS TABLE (
        entity_code text, bureau_code text, unit text, status text, entity_type text, risk_class text,
        abnormal_operations boolean, serious_violation boolean, complaints int, last_penalty_date date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT r.entity_code, b.code, r.unit, r.status, r.entity_type, r.risk_class,
                 r.abnormal_operations, r.serious_violation, r.complaints, r.last_penalty_date
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id AND p.answer = 'accepted'
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN roster_entries r ON r.bureau_id = p.bureau_id AND r.valid_to IS NULL
          WHERE d.id = draw AND d.bureau_id = app_bureau() $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION draw_frame(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_frame(bigint) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION draw_frame(bigint);
DROP POLICY audit_heads_draw_counterpart ON audit_heads;
DROP POLICY audit_log_draw_counterpart ON audit_log;
DROP FUNCTION app_draw_counterpart(bigint);
ALTER TABLE draws DROP COLUMN cancel_reason, DROP COLUMN cancelled_at, DROP COLUMN redraw_approved_at,
    DROP COLUMN redraw_approved_by, DROP COLUMN superseded_by;
ALTER TABLE draws DROP CONSTRAINT draws_frozen_input;
ALTER TABLE draws ADD CHECK (status = 'draft' OR input_gz IS NOT NULL);
ALTER TABLE draws DROP CONSTRAINT draws_status_check;
ALTER TABLE draws ADD CONSTRAINT draws_status_check CHECK (status IN ('draft', 'frozen', 'executed', 'failed'));
ALTER TABLE draw_participants DROP COLUMN answered_by, DROP COLUMN answered_at, DROP COLUMN answer;
ALTER TABLE draw_task_members DROP CONSTRAINT draw_task_members_ticket_or_step, DROP COLUMN step;
ALTER TABLE draw_task_members ALTER COLUMN ticket SET NOT NULL;
