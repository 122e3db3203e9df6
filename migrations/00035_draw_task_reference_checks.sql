-- +goose Up

-- Executing a 1,000,000-entity draw writes 53,000 tasks and 106,000 team
-- members in two statements. EXPLAIN ANALYZE (BENCHMARKS.md, issue 9, third
-- pass) put most of their time in four foreign keys checked row by row (each
-- check a query and a KEY SHARE lock on a row that every row of the
-- statement names: the draw, the lead, the same few bureaus, the task just
-- written) and in the recount of task_progress. As 00031 did for the
-- roster, the same guarantees are kept here once a statement, over the
-- statement's distinct values, and a draw, task or bureau that rows name
-- keeps its key. The service only ever inserts tasks and teams (its role
-- may not update or delete them).
ALTER TABLE draw_tasks DROP CONSTRAINT draw_tasks_draw_id_fkey, DROP CONSTRAINT draw_tasks_lead_id_fkey;
ALTER TABLE draw_task_members DROP CONSTRAINT draw_task_members_draw_id_seq_fkey,
    DROP CONSTRAINT draw_task_members_bureau_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION check_task_references() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing text;
BEGIN
    -- Locked as a foreign key locks them (see 00032).
    PERFORM FROM draws d WHERE d.id IN (SELECT DISTINCT draw_id FROM new_rows) FOR KEY SHARE;
    PERFORM FROM bureaus b WHERE b.id IN (SELECT DISTINCT lead_id FROM new_rows) FOR KEY SHARE;
    SELECT n.draw_id INTO missing FROM (SELECT DISTINCT draw_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM draws d WHERE d.id = n.draw_id) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('draw tasks name draw %s, which does not exist', missing);
    END IF;
    SELECT n.lead_id INTO missing FROM (SELECT DISTINCT lead_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM bureaus b WHERE b.id = n.lead_id) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('draw tasks name lead bureau %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION check_member_references() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing text;
BEGIN
    -- The bureaus are locked as a foreign key locks them (see 00032). The
    -- tasks are not (53,000 row locks a large draw): the tasks of a draw
    -- being executed are written by the same transaction as their teams,
    -- so no other sees them before both are committed, and the serving
    -- role may not delete or renumber tasks at all.
    PERFORM FROM bureaus b WHERE b.id IN (SELECT DISTINCT bureau_id FROM new_rows) FOR KEY SHARE;
    SELECT format('%s/%s', n.draw_id, n.seq) INTO missing FROM (SELECT DISTINCT draw_id, seq FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM draw_tasks t WHERE t.draw_id = n.draw_id AND t.seq = n.seq) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('team members name task %s, which does not exist', missing);
    END IF;
    SELECT n.bureau_id INTO missing FROM (SELECT DISTINCT bureau_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM bureaus b WHERE b.id = n.bureau_id) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('team members name bureau %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;

-- A draw, task or bureau keeps its key while tasks or team members name
-- it, as the foreign keys kept it.
CREATE FUNCTION keep_drawn_draw() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id) AND EXISTS (SELECT FROM draw_tasks WHERE draw_id = OLD.id) THEN
        RAISE foreign_key_violation USING MESSAGE = format('draw %s still has tasks', OLD.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION keep_staffed_task() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR (NEW.draw_id, NEW.seq) <> (OLD.draw_id, OLD.seq))
       AND EXISTS (SELECT FROM draw_task_members WHERE draw_id = OLD.draw_id AND seq = OLD.seq) THEN
        RAISE foreign_key_violation USING MESSAGE = format('task %s/%s still has team members', OLD.draw_id, OLD.seq);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION keep_drawing_bureau() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id)
       AND (EXISTS (SELECT FROM draw_tasks WHERE lead_id = OLD.id) OR EXISTS (SELECT FROM draw_task_members WHERE bureau_id = OLD.id)) THEN
        RAISE foreign_key_violation USING MESSAGE = format('bureau %s still has draw tasks or team members', OLD.id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger.
CREATE TRIGGER draw_tasks_references_insert AFTER INSERT ON draw_tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_task_references();
CREATE TRIGGER draw_tasks_references_update AFTER UPDATE ON draw_tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_task_references();
CREATE TRIGGER draw_task_members_references_insert AFTER INSERT ON draw_task_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_member_references();
CREATE TRIGGER draw_task_members_references_update AFTER UPDATE ON draw_task_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_member_references();
CREATE TRIGGER draws_drawn AFTER UPDATE OF id OR DELETE ON draws
    FOR EACH ROW EXECUTE FUNCTION keep_drawn_draw();
CREATE TRIGGER draw_tasks_staffed AFTER UPDATE OF draw_id, seq OR DELETE ON draw_tasks
    FOR EACH ROW EXECUTE FUNCTION keep_staffed_task();
CREATE TRIGGER bureaus_drawing AFTER UPDATE OF id OR DELETE ON bureaus
    FOR EACH ROW EXECUTE FUNCTION keep_drawing_bureau();

-- The recount of 00033 counted a new draw's tasks as any others: every
-- task of the statement locked, deleted from task_progress and counted
-- from its records and items, 5 s of the 11.7 s of a 1M draw's team insert
-- under load. A task without records (every task of a draw being
-- executed) is in the state not_entered for each participant with a
-- member on it, whatever its items: those rows are written directly, and
-- rows that already exist for such a task already say so. Tasks that
-- have records are counted as before.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recount_task_progress() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    source text;
    draws bigint[] := '{}';
    seqs int[] := '{}';
    d bigint[];
    s int[];
BEGIN
    IF TG_TABLE_NAME = 'draw_task_members' AND TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('task_progress', 0) # k.draw_id)
        FROM (SELECT DISTINCT draw_id FROM new_rows) k ORDER BY k.draw_id;
        -- After the lock, so that records committed while waiting are seen.
        INSERT INTO task_progress (bureau_id, region_code, draw_id, seq, state, inspected_until)
        SELECT DISTINCT n.bureau_id, t.region_code, n.draw_id, n.seq, 'not_entered', NULL::date
        FROM new_rows n
        JOIN draw_tasks t ON t.draw_id = n.draw_id AND t.seq = n.seq
        JOIN draw_participants dp ON dp.draw_id = n.draw_id AND dp.bureau_id = n.bureau_id
        WHERE NOT EXISTS (SELECT FROM inspection_records r WHERE r.draw_id = n.draw_id AND r.seq = n.seq)
        ORDER BY 3, 4, 1
        ON CONFLICT (draw_id, seq, bureau_id) DO NOTHING;
        SELECT array_agg(k.draw_id ORDER BY k.draw_id, k.seq), array_agg(k.seq ORDER BY k.draw_id, k.seq) INTO draws, seqs
        FROM (SELECT DISTINCT n.draw_id, n.seq FROM new_rows n
              WHERE EXISTS (SELECT FROM inspection_records r WHERE r.draw_id = n.draw_id AND r.seq = n.seq)) k;
        IF draws IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
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
    END IF;
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
    PERFORM pg_advisory_xact_lock(hashtextextended('task_progress', 0) # k.draw_id)
    FROM (SELECT DISTINCT draw_id FROM unnest(draws) u(draw_id)) k ORDER BY k.draw_id;
    DELETE FROM task_progress p USING unnest(draws, seqs) k(draw_id, seq) WHERE p.draw_id = k.draw_id AND p.seq = k.seq;
    INSERT INTO task_progress SELECT * FROM task_progress_of(draws, seqs) ORDER BY 3, 4, 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER bureaus_drawing ON bureaus;
DROP TRIGGER draw_tasks_staffed ON draw_tasks;
DROP TRIGGER draws_drawn ON draws;
DROP TRIGGER draw_task_members_references_update ON draw_task_members;
DROP TRIGGER draw_task_members_references_insert ON draw_task_members;
DROP TRIGGER draw_tasks_references_update ON draw_tasks;
DROP TRIGGER draw_tasks_references_insert ON draw_tasks;
DROP FUNCTION keep_drawing_bureau(), keep_staffed_task(), keep_drawn_draw(), check_member_references(), check_task_references();
ALTER TABLE draw_task_members ADD FOREIGN KEY (draw_id, seq) REFERENCES draw_tasks, ADD FOREIGN KEY (bureau_id) REFERENCES bureaus;
ALTER TABLE draw_tasks ADD FOREIGN KEY (draw_id) REFERENCES draws (id), ADD FOREIGN KEY (lead_id) REFERENCES bureaus;
