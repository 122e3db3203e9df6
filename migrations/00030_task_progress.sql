-- +goose Up

-- The dashboard's tasks by state (internal/postgres/dashboard.go) worked
-- out every task's state from its records on every count: the year's
-- 16,000 tasks joined to their teams, items and records, 150–220 ms (see
-- BENCHMARKS.md). The state of a task for a bureau depends only on that
-- task's records of the bureau's items, so it is kept here, one row per
-- task and bureau sending inspectors to it, in the transaction that
-- writes a record, a team or a participant's items; the dashboard counts
-- the rows. The latest inspection day is kept for the overdue counts,
-- which depend on the day of asking and so stay counted on reading.
CREATE TABLE task_progress (
    bureau_id       bigint NOT NULL REFERENCES bureaus,
    region_code     text NOT NULL,
    draw_id         bigint NOT NULL,
    seq             int NOT NULL,
    state           text NOT NULL,
    inspected_until date, -- the latest inspection of its original records; NULL when none
    PRIMARY KEY (draw_id, seq, bureau_id)
);
CREATE INDEX task_progress_bureau ON task_progress (bureau_id, draw_id) INCLUDE (state, inspected_until);
-- Read as record_progress is counted: the bureau's own, the joint office its region's.
SELECT secure_tenant_table('task_progress',
    'region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())');
GRANT SELECT ON task_progress TO shuangsuiji_app;

-- task_progress_of works a task's state out as the dashboard did
-- (taskStateSQL in internal/postgres/record_task.go): the least advanced
-- of its items' original records, an item without one not entered.
-- +goose StatementBegin
CREATE FUNCTION task_progress_of(draws bigint[], seqs int[]) RETURNS TABLE (
    bureau_id bigint, region_code text, draw_id bigint, seq int, state text, inspected_until date)
LANGUAGE sql STABLE AS $$
SELECT dp.bureau_id, t.region_code, t.draw_id, t.seq,
       CASE min(CASE WHEN r.state = 'returned' THEN 0 WHEN r.state IS NULL OR r.state = 'draft' THEN 1
                     WHEN r.state = 'submitted' THEN 2 WHEN r.state = 'approved' THEN 3 ELSE 4 END)
            WHEN 0 THEN 'returned' WHEN 1 THEN 'not_entered' WHEN 2 THEN 'submitted' WHEN 3 THEN 'approved' ELSE 'published' END,
       max(r.inspected_on)
FROM unnest(draws, seqs) k(draw_id, seq)
JOIN draw_tasks t ON t.draw_id = k.draw_id AND t.seq = k.seq
JOIN draw_participants dp ON dp.draw_id = t.draw_id
LEFT JOIN LATERAL jsonb_array_elements(dp.items) it ON true
LEFT JOIN inspection_records r ON r.bureau_id = dp.bureau_id AND r.draw_id = t.draw_id AND r.seq = t.seq
     AND r.item_code = it->>'code' AND r.corrects IS NULL
WHERE EXISTS (SELECT FROM draw_task_members m WHERE m.draw_id = t.draw_id AND m.seq = t.seq AND m.bureau_id = dp.bureau_id)
GROUP BY dp.bureau_id, t.region_code, t.draw_id, t.seq
$$;
-- +goose StatementEnd

-- recount_task_progress counts again the tasks one statement touched:
-- those of its records and team members, or every task of a draw whose
-- participants changed. Each task is locked first (in key order, so two
-- writers lock alike), and only then counted, by statements that see
-- what was committed while waiting: two transactions writing records of
-- one task count it one after the other, the second seeing the first's.
-- Runs as the owner: the serving role writes records but not this table.
-- +goose StatementBegin
CREATE FUNCTION recount_task_progress() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    source text;
    draws bigint[] := '{}';
    seqs int[] := '{}';
    d bigint[];
    s int[];
BEGIN
    FOREACH source IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                                       ELSE ARRAY['new_rows', 'old_rows'] END LOOP
        IF TG_TABLE_NAME = 'draw_participants' THEN
            EXECUTE format('SELECT array_agg(t.draw_id), array_agg(t.seq) FROM draw_tasks t WHERE t.draw_id IN (SELECT draw_id FROM %I)', source)
                INTO d, s;
        ELSE
            EXECUTE format('SELECT array_agg(draw_id), array_agg(seq) FROM %I', source) INTO d, s;
        END IF;
        draws := draws || coalesce(d, '{}');
        seqs := seqs || coalesce(s, '{}');
    END LOOP;
    SELECT coalesce(array_agg(k.draw_id ORDER BY k.draw_id, k.seq), '{}'), coalesce(array_agg(k.seq ORDER BY k.draw_id, k.seq), '{}')
    INTO draws, seqs FROM (SELECT DISTINCT * FROM unnest(draws, seqs) u(draw_id, seq)) k;
    PERFORM pg_advisory_xact_lock(hashtextextended('task_progress', 0) # (k.draw_id << 20) # k.seq)
    FROM unnest(draws, seqs) k(draw_id, seq) ORDER BY hashtextextended('task_progress', 0) # (k.draw_id << 20) # k.seq;
    DELETE FROM task_progress p USING unnest(draws, seqs) k(draw_id, seq) WHERE p.draw_id = k.draw_id AND p.seq = k.seq;
    INSERT INTO task_progress SELECT * FROM task_progress_of(draws, seqs) ORDER BY 3, 4, 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger.
-- +goose StatementBegin
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['inspection_records', 'draw_task_members', 'draw_participants'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION recount_task_progress()', tbl || '_task_progress_insert', tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION recount_task_progress()', tbl || '_task_progress_update', tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION recount_task_progress()', tbl || '_task_progress_delete', tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO task_progress
SELECT p.* FROM (SELECT array_agg(draw_id) AS d, array_agg(seq) AS s FROM draw_tasks) k, task_progress_of(k.d, k.s) p;

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    tbl text;
    op text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['inspection_records', 'draw_task_members', 'draw_participants'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format('DROP TRIGGER %I ON %I', tbl || '_task_progress_' || op, tbl);
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION recount_task_progress();
DROP FUNCTION task_progress_of(bigint[], int[]);
DROP TABLE task_progress;
