-- +goose Up

-- 合并检查: the joint office proposes that an entity drawn by several
-- bureaus' separate draws of one quarter be visited once, together; each
-- of those bureaus accepts or declines. The proposal belongs to the joint
-- office; the bureaus it names read it and answer for themselves.
CREATE TABLE joint_visits (
    bureau_id    bigint NOT NULL REFERENCES bureaus, -- the joint office
    id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    region_code  text NOT NULL,
    year         int NOT NULL,
    quarter      int NOT NULL,
    entity_code  text NOT NULL,
    draw_ids     bigint[] NOT NULL,
    bureau_ids   bigint[] NOT NULL,
    proposed_by  bigint REFERENCES users,
    proposed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bureau_id, id),
    UNIQUE (region_code, year, quarter, entity_code)
);

CREATE TABLE joint_visit_answers (
    bureau_id   bigint NOT NULL REFERENCES bureaus,
    visit_id    bigint NOT NULL REFERENCES joint_visits (id),
    accepted    boolean NOT NULL,
    answered_by bigint REFERENCES users,
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bureau_id, visit_id)
);

-- The proposals naming the acting bureau, read past row-level security.
CREATE FUNCTION app_joint_visits() RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM joint_visits WHERE app_bureau() = ANY(bureau_ids) $$;
REVOKE ALL ON FUNCTION app_joint_visits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_joint_visits() TO shuangsuiji_app;

SELECT secure_tenant_table('joint_visits', 'id IN (SELECT app_joint_visits())');
-- every answer of a visit is readable by the joint office and the bureaus it names
SELECT secure_tenant_table('joint_visit_answers',
    'visit_id IN (SELECT app_joint_visits()) OR visit_id IN (SELECT id FROM joint_visits)');

GRANT SELECT, INSERT ON joint_visits TO shuangsuiji_app;
GRANT SELECT, INSERT ON joint_visit_answers TO shuangsuiji_app;

-- +goose Down
DROP TABLE joint_visit_answers, joint_visits;
DROP FUNCTION app_joint_visits();
