-- +goose Up

-- 检查通知书: the notice an entity receives for a drawn task, with a
-- verification code that anyone can check without signing in (扫码入企):
-- is this a real drawn task, which inspectors may come, when. The code
-- is random (100 bits), so it cannot be guessed; a withdrawn notice
-- answers exactly as a code that never existed. The lead of the draw
-- issues and withdraws; every participant reads.
CREATE TABLE task_notices (
    bureau_id        bigint NOT NULL REFERENCES bureaus, -- the draw's lead, who issued it
    draw_id          bigint NOT NULL,
    seq              int NOT NULL,
    code             text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{20}$'),
    issued_at        timestamptz NOT NULL DEFAULT now(),
    issued_by        bigint NOT NULL REFERENCES users,
    withdrawn_at     timestamptz,
    withdrawn_by     bigint REFERENCES users,
    withdrawn_reason text NOT NULL DEFAULT '',
    PRIMARY KEY (bureau_id, draw_id, seq),
    UNIQUE (draw_id, seq),
    FOREIGN KEY (draw_id, seq) REFERENCES draw_tasks,
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_reason = ''))
);
SELECT secure_tenant_table('task_notices', 'draw_id IN (SELECT app_draws())');
GRANT SELECT, INSERT, UPDATE (withdrawn_at, withdrawn_by, withdrawn_reason) ON task_notices TO shuangsuiji_app;

-- The task a code names, for anyone holding the code; no row for a wrong
-- code or a withdrawn notice alike.
CREATE FUNCTION public_task(notice_code text)
    RETURNS TABLE (draw_id bigint, seq int, title text, window_start date, window_end date,
                   entity_code text, entity_name text, entity_address text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
    SELECT d.id, t.seq, d.title, d.window_start, d.window_end, t.entity_code, coalesce(e.name, ''), coalesce(e.address, '')
    FROM task_notices n
    JOIN draws d ON d.id = n.draw_id AND d.status = 'executed'
    JOIN draw_tasks t ON t.draw_id = n.draw_id AND t.seq = n.seq
    LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL
    WHERE n.code = notice_code AND n.withdrawn_at IS NULL $$;

-- The inspectors who may come on the task a code names, as the team is
-- now: each certificate's latest event (drawn, substituted in, substituted
-- out) decides whether it is on the team.
CREATE FUNCTION public_task_team(notice_code text)
    RETURNS TABLE (bureau_code text, bureau_name text, certificate text, name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
    WITH task AS (
        SELECT n.draw_id, n.seq FROM task_notices n JOIN draws d ON d.id = n.draw_id AND d.status = 'executed'
        WHERE n.code = notice_code AND n.withdrawn_at IS NULL),
    events AS (
        SELECT m.bureau_id, m.certificate, 0::bigint AS at, true AS present, m.position
        FROM draw_task_members m JOIN task USING (draw_id, seq)
        UNION ALL
        SELECT s.bureau_id, s.out_certificate, s.id, false, NULL FROM draw_substitutions s JOIN task USING (draw_id, seq)
        UNION ALL
        SELECT s.bureau_id, s.in_certificate, s.id, true, NULL FROM draw_substitutions s JOIN task USING (draw_id, seq)),
    latest AS (
        SELECT DISTINCT ON (bureau_id, certificate) bureau_id, certificate, present, at, position
        FROM events ORDER BY bureau_id, certificate, at DESC, present)
    SELECT b.code, b.name, l.certificate, coalesce(i.name, '')
    FROM latest l JOIN bureaus b ON b.id = l.bureau_id
    LEFT JOIN inspectors i ON i.bureau_id = l.bureau_id AND i.certificate_number = l.certificate
    WHERE l.present
    ORDER BY b.code, l.position NULLS LAST, l.at, l.certificate $$;

REVOKE ALL ON FUNCTION public_task(text), public_task_team(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public_task(text), public_task_team(text) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION public_task_team(text), public_task(text);
DROP TABLE task_notices;
