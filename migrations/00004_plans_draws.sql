-- +goose Up

-- 年度抽查计划: a bureau's year. Ratios are basis points (万分之一): 3% is
-- 300. strata holds, per stratum label (A, B, C, D, F), the ratio of each
-- draw, its minimum count and the yearly cap on inspections of one entity.
CREATE TABLE plans (
    bureau_id                bigint NOT NULL REFERENCES bureaus,
    id                       bigint GENERATED ALWAYS AS IDENTITY,
    year                     int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    draws_per_year           int NOT NULL DEFAULT 4 CHECK (draws_per_year BETWEEN 1 AND 12),
    min_draw_ratio_bp        int NOT NULL DEFAULT 300 CHECK (min_draw_ratio_bp BETWEEN 0 AND 10000),
    min_coverage_bp          int NOT NULL DEFAULT 2000 CHECK (min_coverage_bp BETWEEN 0 AND 10000),
    strata                   jsonb NOT NULL,
    focus_abnormal           boolean NOT NULL DEFAULT true,
    focus_serious            boolean NOT NULL DEFAULT true,
    focus_complaints         int NOT NULL DEFAULT 3 CHECK (focus_complaints >= 1),
    focus_penalty_months     int NOT NULL DEFAULT 12 CHECK (focus_penalty_months BETWEEN 0 AND 120),
    created_at               timestamptz NOT NULL DEFAULT now(),
    created_by               bigint REFERENCES users,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bureau_id, id),
    UNIQUE (bureau_id, year)
);
SELECT secure_tenant_table('plans');

-- 抽查任务: one draw. bureau_id is the lead (the bureau or joint office
-- that fixes the frame). status only moves forward:
-- draft → frozen → executed, or frozen → failed (no staffing).
CREATE TABLE draws (
    bureau_id                bigint NOT NULL REFERENCES bureaus,
    id                       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    region_code              text NOT NULL REFERENCES regions,
    plan_id                  bigint,
    year                     int NOT NULL,
    quarter                  int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    title                    text NOT NULL CHECK (title <> ''),
    joint                    boolean NOT NULL DEFAULT false,
    scope                    jsonb NOT NULL DEFAULT '{}',
    cross_unit               boolean NOT NULL DEFAULT false,
    max_tasks_per_inspector  int NOT NULL DEFAULT 0 CHECK (max_tasks_per_inspector >= 0),
    window_start             date NOT NULL,
    window_end               date NOT NULL CHECK (window_end >= window_start),
    redraw_of                bigint REFERENCES draws (id),
    redraw_reason            text NOT NULL DEFAULT '',
    status                   text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'frozen', 'executed', 'failed')),
    -- frozen: the private input (gzip of its canonical JSON, nonce and row
    -- key included) and the public commitment.
    input_gz                 bytea,
    nonce_commitment         text,
    frame_sha256             text,
    exclusions_sha256        text,
    inspectors_sha256        text,
    conflicts_sha256         text,
    params_sha256            text,
    frame_size               int,
    frozen_at                timestamptz,
    frozen_by                bigint REFERENCES users,
    -- executed (or failed)
    ceremony                 text,
    seed                     text,
    executed_at              timestamptz,
    executed_by              bigint REFERENCES users,
    failure                  jsonb,
    created_at               timestamptz NOT NULL DEFAULT now(),
    created_by               bigint REFERENCES users,
    PRIMARY KEY (bureau_id, id),
    FOREIGN KEY (bureau_id, plan_id) REFERENCES plans (bureau_id, id),
    CHECK (status = 'draft' OR input_gz IS NOT NULL)
);
CREATE INDEX draws_region_quarter ON draws (region_code, year, quarter);

-- The bureaus taking part in a draw (the lead too): each sends team_size
-- inspectors of its own roster to every visit and checks its own items.
CREATE TABLE draw_participants (
    bureau_id   bigint NOT NULL REFERENCES bureaus,
    draw_id     bigint NOT NULL REFERENCES draws (id),
    team_size   int NOT NULL DEFAULT 2 CHECK (team_size >= 2),
    items       jsonb NOT NULL DEFAULT '[]', -- [{"code": …, "version": …}]
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    bigint REFERENCES users,
    PRIMARY KEY (bureau_id, draw_id)
);

-- A drawn entity (检查对象) and its order.
CREATE TABLE draw_tasks (
    draw_id     bigint NOT NULL REFERENCES draws (id),
    seq         int NOT NULL,
    lead_id     bigint NOT NULL REFERENCES bureaus,
    region_code text NOT NULL,
    year        int NOT NULL,
    quarter     int NOT NULL,
    entity_code text NOT NULL,
    stratum     text NOT NULL,
    ticket      text NOT NULL,
    PRIMARY KEY (draw_id, seq)
);
CREATE INDEX draw_tasks_entity ON draw_tasks (region_code, year, entity_code);

-- The inspectors drawn for a task, per bureau, in rank order.
CREATE TABLE draw_task_members (
    draw_id       bigint NOT NULL,
    seq           int NOT NULL,
    bureau_id     bigint NOT NULL REFERENCES bureaus,
    position      int NOT NULL,
    certificate   text NOT NULL,
    ticket        text NOT NULL,
    PRIMARY KEY (draw_id, seq, bureau_id, position),
    FOREIGN KEY (draw_id, seq) REFERENCES draw_tasks
);

-- A change of team after the draw (an inspector falls ill): the drawn team
-- stays as drawn; this lists the change beside it.
CREATE TABLE draw_substitutions (
    draw_id       bigint NOT NULL,
    seq           int NOT NULL,
    bureau_id     bigint NOT NULL REFERENCES bureaus,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    out_certificate text NOT NULL,
    in_certificate  text NOT NULL,
    reason        text NOT NULL CHECK (reason <> ''),
    at            timestamptz NOT NULL DEFAULT now(),
    by_user       bigint REFERENCES users,
    PRIMARY KEY (draw_id, seq, id),
    FOREIGN KEY (draw_id, seq) REFERENCES draw_tasks
);

-- Which draws the acting bureau takes part in, read past row-level
-- security (a policy on draw_participants cannot query itself).
CREATE FUNCTION app_draws() RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT draw_id FROM draw_participants WHERE bureau_id = app_bureau() $$;
REVOKE ALL ON FUNCTION app_draws() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_draws() TO shuangsuiji_app;

-- Draws: the lead writes; participants read; the region's joint office
-- reads every draw of its region (to coordinate and find overlaps).
SELECT secure_tenant_table('draws',
    'id IN (SELECT app_draws()) OR (region_code = (SELECT app_region()) AND (SELECT app_is_joint_office()))');
SELECT secure_tenant_table('draw_participants', 'draw_id IN (SELECT app_draws())');
-- participants are added by the lead, and add their own items
CREATE POLICY draw_participants_lead ON draw_participants FOR ALL TO shuangsuiji_app
    USING (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())))
    WITH CHECK (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())));

-- Tasks and teams: the lead, every participant, and the region's joint office.
ALTER TABLE draw_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE draw_task_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_task_members FORCE ROW LEVEL SECURITY;
ALTER TABLE draw_substitutions ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_substitutions FORCE ROW LEVEL SECURITY;
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['draw_tasks', 'draw_task_members', 'draw_substitutions'] LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL TO %I USING (true) WITH CHECK (true)', t || '_system', t, current_user);
    END LOOP;
END
$$;
-- +goose StatementEnd
CREATE POLICY draw_tasks_visible ON draw_tasks FOR SELECT TO shuangsuiji_app
    USING (draw_id IN (SELECT app_draws()) OR (region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())));
CREATE POLICY draw_tasks_lead ON draw_tasks FOR INSERT TO shuangsuiji_app
    WITH CHECK (lead_id = (SELECT app_bureau()));
CREATE POLICY draw_task_members_visible ON draw_task_members FOR SELECT TO shuangsuiji_app
    USING (draw_id IN (SELECT app_draws()) OR draw_id IN (SELECT draw_id FROM draw_tasks));
CREATE POLICY draw_task_members_lead ON draw_task_members FOR INSERT TO shuangsuiji_app
    WITH CHECK (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())));
CREATE POLICY draw_substitutions_visible ON draw_substitutions FOR SELECT TO shuangsuiji_app
    USING (draw_id IN (SELECT app_draws()) OR draw_id IN (SELECT draw_id FROM draw_tasks));
-- a bureau substitutes only its own inspectors
CREATE POLICY draw_substitutions_own ON draw_substitutions FOR INSERT TO shuangsuiji_app
    WITH CHECK (bureau_id = (SELECT app_bureau()) AND draw_id IN (SELECT app_draws()));

-- How often each entity of a region was drawn in a year, by every bureau:
-- the annual cap counts all of them, though no bureau may read the others'
-- tasks. Only counts leave this function.
CREATE FUNCTION entity_inspections(region text, yr int) RETURNS TABLE (entity_code text, inspections bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT t.entity_code, count(*) FROM draw_tasks t
          WHERE t.region_code = region AND t.year = yr AND region = app_region()
          GROUP BY t.entity_code $$;
REVOKE ALL ON FUNCTION entity_inspections(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION entity_inspections(text, int) TO shuangsuiji_app;

-- The inspectors who may be sent on a draw the acting bureau leads: every
-- participating bureau's active inspectors whose certificate is valid
-- through the planned window. These rows are public in the draw's
-- manifest; the lead may not read the other bureaus' rosters otherwise.
CREATE FUNCTION draw_inspectors(draw bigint) RETURNS TABLE (certificate text, bureau_code text, unit text, qualifications text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT i.certificate_number, b.code, i.unit, i.qualifications
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN inspectors i ON i.bureau_id = p.bureau_id
          WHERE d.id = draw AND d.bureau_id = app_bureau() AND i.status = 'active'
            AND i.expires_on >= d.window_end AND (i.issued_on IS NULL OR i.issued_on <= d.window_start)
          ORDER BY i.certificate_number $$;
-- The open conflicts of those inspectors, without their reasons, which never
-- leave their bureau.
CREATE FUNCTION draw_conflicts(draw bigint) RETURNS TABLE (certificate text, entity_code text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT i.certificate_number, c.entity_code
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id
          JOIN conflicts c ON c.bureau_id = p.bureau_id AND c.withdrawn_at IS NULL
          JOIN inspectors i ON i.bureau_id = c.bureau_id AND i.id = c.inspector_id
          WHERE d.id = draw AND d.bureau_id = app_bureau()
          ORDER BY 1, 2 $$;
-- A frozen draw's stored input, for the public documents derived from it
-- (the commitment; after the ceremony, the manifest). Drafts stay private.
CREATE FUNCTION public_draw(draw bigint) RETURNS TABLE (status text, input_gz bytea, ceremony text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT d.status, d.input_gz, d.ceremony FROM draws d WHERE d.id = draw AND d.status <> 'draft' $$;
REVOKE ALL ON FUNCTION draw_inspectors(bigint), draw_conflicts(bigint), public_draw(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_inspectors(bigint), draw_conflicts(bigint), public_draw(bigint) TO shuangsuiji_app;

GRANT SELECT, INSERT, UPDATE ON plans TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE ON draws TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (team_size, items) ON draw_participants TO shuangsuiji_app;
GRANT SELECT, INSERT ON draw_tasks, draw_task_members, draw_substitutions TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION public_draw(bigint), draw_conflicts(bigint), draw_inspectors(bigint);
DROP FUNCTION entity_inspections(text, int);
DROP TABLE draw_substitutions, draw_task_members, draw_tasks, draw_participants, draws, plans;
DROP FUNCTION app_draws();
