-- +goose Up

-- The acting bureau's region and whether it is a joint office, derived from
-- app.bureau_id so no other setting needs trusting.
CREATE FUNCTION app_region() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT region_code FROM bureaus WHERE id = app_bureau() $$;
CREATE FUNCTION app_is_joint_office() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT kind = 'joint_office' FROM bureaus WHERE id = app_bureau()), false) $$;

-- 检查对象: one market entity per code per region, shared by the region's
-- bureaus. Versioned: a change closes the current version (valid_to) and
-- adds the next, so "as of" queries read the version valid then.
CREATE TABLE entities (
    region_code          text NOT NULL REFERENCES regions,
    code                 text NOT NULL,
    version              int NOT NULL,
    code_kind            text NOT NULL CHECK (code_kind IN ('uscc', 'registration_number')),
    name                 text NOT NULL,
    legal_representative text NOT NULL DEFAULT '',
    address              text NOT NULL DEFAULT '',
    valid_from           timestamptz NOT NULL,
    valid_to             timestamptz,
    changed_by           bigint REFERENCES users,
    changed_in           bigint REFERENCES bureaus,
    PRIMARY KEY (region_code, code, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX entities_current ON entities (region_code, code) WHERE valid_to IS NULL;
CREATE INDEX entities_name ON entities (region_code, name) WHERE valid_to IS NULL;

ALTER TABLE entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE entities FORCE ROW LEVEL SECURITY;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY entities_system ON entities FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
-- +goose StatementEnd
CREATE POLICY entities_of_region ON entities FOR ALL TO shuangsuiji_app
    USING (region_code = (SELECT app_region())) WITH CHECK (region_code = (SELECT app_region()));

-- 名录库 entry: a bureau's own record of an entity it supervises. Versioned
-- like entities; each focus flag keeps the date it was last set.
CREATE TABLE roster_entries (
    bureau_id                 bigint NOT NULL REFERENCES bureaus,
    region_code               text NOT NULL REFERENCES regions,
    entity_code               text NOT NULL,
    version                   int NOT NULL,
    entity_type               text NOT NULL DEFAULT '',
    licence_type              text NOT NULL DEFAULT '',
    licence_number            text NOT NULL DEFAULT '',
    unit                      text NOT NULL DEFAULT '',
    status                    text NOT NULL CHECK (status IN ('active', 'suspended', 'deregistered', 'revoked', 'moved')),
    status_since              date NOT NULL,
    risk_class                text NOT NULL DEFAULT '' CHECK (risk_class IN ('', 'A', 'B', 'C', 'D')),
    risk_class_since          date,
    abnormal_operations       boolean NOT NULL DEFAULT false,
    abnormal_operations_since date,
    serious_violation         boolean NOT NULL DEFAULT false,
    serious_violation_since   date,
    complaints                int NOT NULL DEFAULT 0 CHECK (complaints >= 0),
    complaints_since          date,
    last_penalty_date         date,
    valid_from                timestamptz NOT NULL,
    valid_to                  timestamptz,
    changed_by                bigint REFERENCES users,
    PRIMARY KEY (bureau_id, entity_code, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX roster_entries_current ON roster_entries (bureau_id, entity_code) WHERE valid_to IS NULL;
CREATE INDEX roster_entries_as_of ON roster_entries (bureau_id, valid_from, valid_to);
CREATE INDEX roster_entries_region ON roster_entries (region_code, entity_code) WHERE valid_to IS NULL;

-- A bureau sees its own entries; the region's joint office reads every
-- bureau's entries of its region, to coordinate joint inspections.
SELECT secure_tenant_table('roster_entries',
    'region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())');

GRANT SELECT, INSERT, UPDATE (valid_to) ON entities, roster_entries TO shuangsuiji_app;

-- +goose Down
DROP TABLE roster_entries, entities;
DROP FUNCTION app_is_joint_office();
DROP FUNCTION app_region();
