-- +goose Up

-- 00030 serialised the recounts of one task with an advisory lock per
-- task. Executing a draw inserts all its teams in one statement, so a
-- draw of 53,000 tasks took 53,000 locks in one transaction and ran out of
-- the shared lock table ("out of shared memory"): a 1,000,000-entity draw
-- could not be executed. The recounts now take one lock per draw, in draw
-- order: writers of the same draw's records count one after the other,
-- as writers of one task did, and a statement takes as many locks as it
-- touches draws (one, nearly always).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recount_task_progress() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
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
    PERFORM pg_advisory_xact_lock(hashtextextended('task_progress', 0) # k.draw_id)
    FROM (SELECT DISTINCT draw_id FROM unnest(draws) u(draw_id)) k ORDER BY k.draw_id;
    DELETE FROM task_progress p USING unnest(draws, seqs) k(draw_id, seq) WHERE p.draw_id = k.draw_id AND p.seq = k.seq;
    INSERT INTO task_progress SELECT * FROM task_progress_of(draws, seqs) ORDER BY 3, 4, 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recount_task_progress() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
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
