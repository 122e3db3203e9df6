-- +goose Up

-- 检查结果代码表: the result codes an inspection record may carry. The
-- table is versioned: a new version is a new set of rows, and a record
-- keeps the version it was entered with. Labels are data. consequence says
-- what publishing a record with the code does to the entity's roster entry
-- (credit feedback): propose the abnormal-operations list, mark the entity
-- focus (重点) for next year's draws, or change its status. exclusive codes
-- stand alone on a record (未发现问题 beside a problem makes no sense).
CREATE TABLE result_code_versions (
    version    int PRIMARY KEY CHECK (version >= 1),
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE result_codes (
    version     int NOT NULL REFERENCES result_code_versions,
    code        text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{0,39}$'),
    label       text NOT NULL CHECK (label <> ''),
    position    int NOT NULL,
    consequence text NOT NULL DEFAULT '' CHECK (consequence IN ('', 'propose_abnormal', 'focus', 'deregistered', 'revoked', 'moved')),
    exclusive   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (version, code),
    UNIQUE (version, position)
);

-- The default table follows the national system's categories (DESIGN.md §2).
INSERT INTO result_code_versions (version, note) VALUES (1, '全国双随机监管工作平台抽查检查结果类别');
INSERT INTO result_codes (version, code, label, position, consequence, exclusive) VALUES
    (1, 'NO_PROBLEM',          '未发现问题', 1, '', true),
    (1, 'INFO_NOT_PUBLISHED',  '未按规定公示应当公示的信息', 2, 'focus', false),
    (1, 'INFO_FALSIFIED',      '公示信息隐瞒真实情况弄虚作假', 3, 'focus', false),
    (1, 'UNREACHABLE',         '通过登记的住所（经营场所）无法联系', 4, 'propose_abnormal', false),
    (1, 'CORRECTED',           '发现问题已责令改正', 5, 'focus', false),
    (1, 'FOLLOW_UP',           '发现问题待后续处理', 6, 'focus', false),
    (1, 'OBSTRUCTED',          '不配合检查情节严重', 7, 'focus', false),
    (1, 'NO_ACTIVITY',         '未发现开展本次抽查涉及的经营活动', 8, '', false),
    (1, 'CLOSED',              '已关闭停业或正在组织清算', 9, '', false),
    (1, 'DEREGISTERED',        '已注销', 10, 'deregistered', false),
    (1, 'LICENCE_REVOKED',     '被吊销', 11, 'revoked', false),
    (1, 'REGISTRATION_REVOKED', '被撤销', 12, 'revoked', false),
    (1, 'MOVED_OUT',           '迁出', 13, 'moved', false);

-- 检查方式: the methods a record may name, also data.
CREATE TABLE inspection_methods (
    name     text PRIMARY KEY CHECK (name <> ''),
    position int NOT NULL UNIQUE
);
INSERT INTO inspection_methods (name, position) VALUES
    ('实地检查', 1), ('书面检查', 2), ('网络监测', 3), ('检验检测', 4), ('委托专业机构', 5),
    ('信息比对', 6), ('专业鉴定', 7), ('审计', 8);

-- 检查记录: one bureau's result for one item of one drawn task (an entity
-- of a draw). In a joint visit each bureau records only its own items, so
-- bureau_id is the recording bureau, not necessarily the draw's lead.
-- state: draft (未录入, being entered) → submitted (待审核) → returned (退回,
-- with a reason, back to the team) or approved (已审核) → published (已公示).
-- A published record never changes (a trigger below holds it); a
-- correction is a new record whose corrects names the one it corrects.
-- revision counts changes, so that two reviewers acting at once are told
-- apart: the second one's expected revision is stale.
CREATE TABLE inspection_records (
    bureau_id          bigint NOT NULL REFERENCES bureaus,
    id                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    region_code        text NOT NULL REFERENCES regions,
    draw_id            bigint NOT NULL,
    seq                int NOT NULL,
    entity_code        text NOT NULL,
    item_code          text NOT NULL,
    item_version       int NOT NULL,
    item_name          text NOT NULL,
    code_version       int NOT NULL REFERENCES result_code_versions,
    result_codes       text[] NOT NULL CHECK (cardinality(result_codes) >= 1),
    methods            text[] NOT NULL DEFAULT '{}',
    findings           text NOT NULL DEFAULT '',
    disposal           text NOT NULL DEFAULT '',
    follow_up          text NOT NULL DEFAULT 'none' CHECK (follow_up IN ('none', 'open', 'closed')),
    follow_up_due      date,
    follow_up_closed_on date,
    follow_up_note     text NOT NULL DEFAULT '',
    inspected_on       date NOT NULL,
    state              text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'returned', 'approved', 'published')),
    revision           int NOT NULL DEFAULT 1,
    return_reason      text NOT NULL DEFAULT '',
    corrects           bigint REFERENCES inspection_records (id),
    correction_reason  text NOT NULL DEFAULT '',
    created_by         bigint NOT NULL REFERENCES users,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         bigint NOT NULL REFERENCES users,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    submitted_by       bigint REFERENCES users,
    submitted_at       timestamptz,
    reviewed_by        bigint REFERENCES users,
    reviewed_at        timestamptz,
    published_by       bigint REFERENCES users,
    published_at       timestamptz,
    PRIMARY KEY (bureau_id, id),
    FOREIGN KEY (draw_id, seq) REFERENCES draw_tasks,
    CHECK ((state = 'published') = (published_at IS NOT NULL)),
    CHECK ((corrects IS NULL) = (correction_reason = '')),
    CHECK (follow_up <> 'closed' OR follow_up_closed_on IS NOT NULL)
);
-- one original record per task item and bureau; each record is corrected at most once
CREATE UNIQUE INDEX inspection_records_original ON inspection_records (bureau_id, draw_id, seq, item_code) WHERE corrects IS NULL;
CREATE UNIQUE INDEX inspection_records_correction ON inspection_records (bureau_id, corrects) WHERE corrects IS NOT NULL;
CREATE INDEX inspection_records_task ON inspection_records (draw_id, seq);
CREATE INDEX inspection_records_state ON inspection_records (bureau_id, state, id);
-- the public result search (一公开) reads published records by entity and date
CREATE INDEX inspection_records_published ON inspection_records (region_code, entity_code, inspected_on) WHERE state = 'published';

-- 证据材料: photos and PDFs attached to a record, kept in the database with
-- their SHA-256, so that a record and its evidence are one backup and one
-- tenancy wall.
CREATE TABLE record_evidence (
    bureau_id    bigint NOT NULL REFERENCES bureaus,
    id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    record_id    bigint NOT NULL,
    filename     text NOT NULL CHECK (filename <> ''),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    size_bytes   int NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content      bytea NOT NULL,
    uploaded_by  bigint NOT NULL REFERENCES users,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bureau_id, id),
    FOREIGN KEY (bureau_id, record_id) REFERENCES inspection_records (bureau_id, id),
    UNIQUE (bureau_id, record_id, sha256),
    CHECK (octet_length(content) = size_bytes)
);

-- 信用反馈: what publishing a record did to the bureau's roster entry of
-- the entity. One row per record and kind, so a retried publication applies
-- nothing twice. A proposal (the abnormal-operations list) waits for an
-- admin: proposed → confirmed (a new roster version) or rejected.
-- entry_version is the roster entry version the consequence wrote.
CREATE TABLE record_consequences (
    bureau_id     bigint NOT NULL REFERENCES bureaus,
    record_id     bigint NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('abnormal_operations', 'focus', 'status')),
    entity_code   text NOT NULL,
    status        text NOT NULL DEFAULT '',
    state         text NOT NULL CHECK (state IN ('applied', 'proposed', 'confirmed', 'rejected', 'skipped')),
    note          text NOT NULL DEFAULT '',
    entry_version int,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_by    bigint REFERENCES users,
    decided_at    timestamptz,
    PRIMARY KEY (bureau_id, record_id, kind),
    FOREIGN KEY (bureau_id, record_id) REFERENCES inspection_records (bureau_id, id)
);
CREATE INDEX record_consequences_open ON record_consequences (bureau_id, created_at) WHERE state = 'proposed';

-- Roster entry versions written by credit feedback name the record they
-- came from; problems found in a published inspection make the entry focus
-- (stratum F) for the following year from focus_found_on.
ALTER TABLE roster_entries ADD COLUMN source_record_id bigint;
ALTER TABLE roster_entries ADD COLUMN focus_found_on date;

-- 公示时限: working days to publish results after the inspection ends.
ALTER TABLE plans ADD COLUMN publish_within_days int NOT NULL DEFAULT 20 CHECK (publish_within_days BETWEEN 1 AND 120);

-- 节假日调整: the State Council's calendar comes with the service (a
-- library); an admin can override days of a year, and declaring a year
-- complete (workday_years) makes its deadlines final even when the library
-- lacks it. The calendar is national, so these rows are shared reference
-- data of the deployment, changed only through the audited service.
CREATE TABLE workday_years (
    year       int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    note       text NOT NULL DEFAULT '',
    changed_by bigint REFERENCES users,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE workday_overrides (
    day        date PRIMARY KEY,
    working    boolean NOT NULL,
    name       text NOT NULL DEFAULT '',
    changed_by bigint REFERENCES users,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- A published record and its evidence never change again, whoever asks.
-- +goose StatementBegin
CREATE FUNCTION refuse_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'inspection_records' AND OLD.state = 'published' THEN
        RAISE EXCEPTION 'inspection record % is published and cannot change', OLD.id USING ERRCODE = '55000';
    END IF;
    IF TG_TABLE_NAME = 'record_evidence' AND EXISTS (
        SELECT FROM inspection_records r WHERE r.id = OLD.record_id AND r.state IN ('approved', 'published')) THEN
        RAISE EXCEPTION 'evidence of approved record % cannot change', OLD.record_id USING ERRCODE = '55000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER inspection_records_published BEFORE UPDATE OR DELETE ON inspection_records
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();
CREATE TRIGGER record_evidence_published BEFORE UPDATE OR DELETE ON record_evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();

-- A bureau reads and writes its own records. The other participants of a
-- joint visit read its records of the tasks they share (the record form
-- shows the whole visit); the region's joint office reads published ones.
SELECT secure_tenant_table('inspection_records',
    'draw_id IN (SELECT app_draws()) OR (state = ''published'' AND region_code = (SELECT app_region()) AND (SELECT app_is_joint_office()))');
SELECT secure_tenant_table('record_evidence');
SELECT secure_tenant_table('record_consequences');

-- The names of a task's inspectors, every bureau's, for a team-mate: an
-- inspector of the acting bureau (the signed-in user) drawn onto the task
-- or substituted in. Other bureaus' rosters stay closed otherwise.
CREATE FUNCTION task_team_names(draw_ids bigint[], seqs int[])
    RETURNS TABLE (draw_id bigint, seq int, bureau_id bigint, certificate text, name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
    WITH t AS (
        SELECT u.draw_id, u.seq FROM unnest(draw_ids, seqs) AS u(draw_id, seq)
        WHERE u.draw_id IN (SELECT app_draws())
          AND EXISTS (
              SELECT FROM inspectors me
              WHERE me.bureau_id = app_bureau() AND me.user_id = app_user()
                AND (EXISTS (SELECT FROM draw_task_members m WHERE m.draw_id = u.draw_id AND m.seq = u.seq
                             AND m.bureau_id = me.bureau_id AND m.certificate = me.certificate_number)
                  OR EXISTS (SELECT FROM draw_substitutions s WHERE s.draw_id = u.draw_id AND s.seq = u.seq
                             AND s.bureau_id = me.bureau_id AND s.in_certificate = me.certificate_number))))
    SELECT t.draw_id, t.seq, i.bureau_id, i.certificate_number, i.name
    FROM t
    JOIN (SELECT m.draw_id, m.seq, m.bureau_id, m.certificate FROM draw_task_members m
          UNION SELECT s.draw_id, s.seq, s.bureau_id, s.in_certificate FROM draw_substitutions s) c
      ON c.draw_id = t.draw_id AND c.seq = t.seq
    JOIN inspectors i ON i.bureau_id = c.bureau_id AND i.certificate_number = c.certificate
    ORDER BY 1, 2, 3, 4 $$;
REVOKE ALL ON FUNCTION task_team_names(bigint[], int[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION task_team_names(bigint[], int[]) TO shuangsuiji_app;

GRANT SELECT ON result_code_versions, result_codes, inspection_methods TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE ON inspection_records TO shuangsuiji_app;
GRANT SELECT, INSERT, DELETE ON record_evidence TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (state, note, entry_version, decided_by, decided_at) ON record_consequences TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON workday_years, workday_overrides TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION task_team_names(bigint[], int[]);
DROP TABLE workday_overrides, workday_years;
ALTER TABLE plans DROP COLUMN publish_within_days;
ALTER TABLE roster_entries DROP COLUMN focus_found_on, DROP COLUMN source_record_id;
DROP TABLE record_consequences, record_evidence, inspection_records;
DROP FUNCTION refuse_published_change();
DROP TABLE inspection_methods, result_codes, result_code_versions;
