-- +goose Up

-- 执法检查人员名录库: a bureau's inspectors. Not versioned: an inspector's
-- record is changed in place, and every change's before and after is in
-- the audit trail. Nothing is deleted: an inspector who leaves becomes
-- inactive. user_id links the inspector's login, so that they can declare
-- their own conflicts of interest.
CREATE TABLE inspectors (
    bureau_id          bigint NOT NULL REFERENCES bureaus,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    certificate_number text NOT NULL CHECK (certificate_number <> ''),
    name               text NOT NULL CHECK (name <> ''),
    unit               text NOT NULL DEFAULT '',
    issued_on          date,
    expires_on         date NOT NULL,
    qualifications     text[] NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    user_id            bigint REFERENCES users,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         bigint REFERENCES users,
    PRIMARY KEY (bureau_id, id),
    UNIQUE (bureau_id, certificate_number),
    CHECK (issued_on IS NULL OR expires_on >= issued_on)
);
-- A login is at most one inspector of a bureau.
CREATE UNIQUE INDEX inspectors_user ON inspectors (bureau_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX inspectors_expiry ON inspectors (bureau_id, expires_on, id) WHERE status = 'active';

-- 回避: a conflict of interest between an inspector and an entity of the
-- region, declared by the inspector or recorded by an admin. Withdrawing
-- keeps the row. The reason never leaves the bureau.
CREATE TABLE conflicts (
    bureau_id    bigint NOT NULL REFERENCES bureaus,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    inspector_id bigint NOT NULL,
    entity_code  text NOT NULL,
    reason       text NOT NULL CHECK (reason <> ''),
    declared_by  text NOT NULL CHECK (declared_by IN ('inspector', 'admin')),
    recorded_by  bigint NOT NULL REFERENCES users,
    created_at   timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    withdrawn_by bigint REFERENCES users,
    PRIMARY KEY (bureau_id, id),
    FOREIGN KEY (bureau_id, inspector_id) REFERENCES inspectors (bureau_id, id),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK (withdrawn_at IS NULL OR withdrawn_at >= created_at)
);
CREATE UNIQUE INDEX conflicts_open ON conflicts (bureau_id, inspector_id, entity_code) WHERE withdrawn_at IS NULL;
CREATE INDEX conflicts_entity ON conflicts (bureau_id, entity_code) WHERE withdrawn_at IS NULL;

-- 抽查事项清单: a bureau's inspection items, versioned like entities: a
-- change closes the current version (valid_to) and adds the next, and old
-- versions stay, for the draws that refer to them.
CREATE TABLE inspection_items (
    bureau_id          bigint NOT NULL REFERENCES bureaus,
    code               text NOT NULL CHECK (code <> ''),
    version            int NOT NULL CHECK (version >= 1),
    name               text NOT NULL CHECK (name <> ''),
    legal_basis        text NOT NULL DEFAULT '',
    subject_bureau     text NOT NULL DEFAULT '',
    entity_types       text[] NOT NULL DEFAULT '{}',
    methods            text[] NOT NULL DEFAULT '{}',
    ratio_basis_points int NOT NULL DEFAULT 0 CHECK (ratio_basis_points BETWEEN 0 AND 10000),
    frequency_per_year int NOT NULL DEFAULT 0 CHECK (frequency_per_year BETWEEN 0 AND 366),
    qualifications     text[] NOT NULL DEFAULT '{}',
    checklist          text[] NOT NULL DEFAULT '{}',
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz,
    changed_by         bigint REFERENCES users,
    PRIMARY KEY (bureau_id, code, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX inspection_items_current ON inspection_items (bureau_id, code) WHERE valid_to IS NULL;

SELECT secure_tenant_table('inspectors');
SELECT secure_tenant_table('conflicts');
SELECT secure_tenant_table('inspection_items');

-- Nothing is deleted, and only what changes may be updated.
GRANT SELECT, INSERT, UPDATE (certificate_number, name, unit, issued_on, expires_on, qualifications, status,
    user_id, updated_at, updated_by) ON inspectors TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (withdrawn_at, withdrawn_by) ON conflicts TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (valid_to) ON inspection_items TO shuangsuiji_app;

-- +goose Down
DROP TABLE conflicts, inspection_items, inspectors;
