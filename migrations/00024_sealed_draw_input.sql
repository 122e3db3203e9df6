-- +goose Up

-- A joint draw's sealed input (every bureau's frame rows with their
-- strata, exclusions with their reasons, conflicts, the nonce and the row
-- key) is the full manifest in all but name: it is for the lead's and the
-- region's joint office's auditors. Row-level security on draws lets every
-- participant read the draw's row, so until now it read input_gz too, and
-- with it the other bureaus' conflicts (回避) and strata. The serving role
-- now reads every column of draws but input_gz, and the input only through
-- draw_sealed_input(), for the lead and the joint office. A participant
-- gets what issue 9 gives it: the public manifest and the openings of its
-- own rows, which the lead stores for it at the ceremony (draw_openings).
-- A column added to draws later must be granted to the serving role by
-- its migration (TestServingRoleReadsDrawsButTheSealedInput says which).
-- +goose StatementBegin
CREATE FUNCTION grant_select_but(tbl regclass, sealed text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE cols text;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped AND attname <> sealed;
    EXECUTE format('REVOKE SELECT ON %s FROM shuangsuiji_app', tbl);
    EXECUTE format('GRANT SELECT (%s) ON %s TO shuangsuiji_app', cols, tbl);
END
$$;
-- +goose StatementEnd
SELECT grant_select_but('draws', 'input_gz');

-- The sealed input of a draw that is not a draft, for its lead and the
-- joint office of its region.
-- +goose StatementBegin
CREATE FUNCTION draw_sealed_input(draw bigint) RETURNS TABLE (status text, input bytea, ceremony text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT d.status, d.input_gz, d.ceremony FROM draws d
          WHERE d.id = draw AND d.input_gz IS NOT NULL
            AND (d.bureau_id = app_bureau() OR (d.region_code = app_region() AND app_is_joint_office())) $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION draw_sealed_input(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_sealed_input(bigint) TO shuangsuiji_app;

-- The openings of the frame rows a participant of a joint draw supervises
-- (canonical JSON of the list, gzip'd), written by the lead at the
-- ceremony; each participant reads only its own.
CREATE TABLE draw_openings (
    bureau_id bigint NOT NULL REFERENCES bureaus,
    draw_id   bigint NOT NULL REFERENCES draws (id),
    openings  bytea NOT NULL,
    PRIMARY KEY (bureau_id, draw_id)
);
ALTER TABLE draw_openings ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_openings FORCE ROW LEVEL SECURITY;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY draw_openings_system ON draw_openings FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
-- +goose StatementEnd
CREATE POLICY draw_openings_own ON draw_openings FOR SELECT TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()));
CREATE POLICY draw_openings_lead_writes ON draw_openings FOR INSERT TO shuangsuiji_app
    WITH CHECK (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau()) AND status = 'frozen'));
GRANT SELECT, INSERT ON draw_openings TO shuangsuiji_app;

-- A task's stratum (风险分类) is sealed too: the lead and the joint office
-- read every task's, a participant only those of the tasks it sends a
-- team to (the entities it supervises, whose openings it holds).
SELECT grant_select_but('draw_tasks', 'stratum');
DROP FUNCTION grant_select_but(regclass, text);
CREATE VIEW draw_task_strata WITH (security_barrier) AS
SELECT t.draw_id, t.seq, t.entity_code, t.stratum
FROM draw_tasks t JOIN draws d ON d.id = t.draw_id
WHERE d.bureau_id = (SELECT app_bureau())
   OR (d.region_code = (SELECT app_region()) AND (SELECT app_is_joint_office()))
   OR EXISTS (SELECT FROM draw_task_members m
              WHERE m.draw_id = t.draw_id AND m.seq = t.seq AND m.bureau_id = (SELECT app_bureau()));
GRANT SELECT ON draw_task_strata TO shuangsuiji_app;

-- +goose Down
DROP VIEW draw_task_strata;
GRANT SELECT ON draw_tasks TO shuangsuiji_app;
DROP TABLE draw_openings;
DROP FUNCTION draw_sealed_input(bigint);
GRANT SELECT ON draws TO shuangsuiji_app;
