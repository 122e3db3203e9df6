-- +goose Up

-- 执法检查人员名录库 versioned like entities: inspectors keeps each
-- inspector's identity (its id, which conflicts and logins refer to) and
-- current record; inspector_versions keeps every record it has had, so
-- that the roster can be read as of any instant and a draw names the
-- versions it drew from. A trigger writes the versions, so that no writer
-- of inspectors can change one without leaving its history.
ALTER TABLE inspectors ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE TABLE inspector_versions (
    bureau_id          bigint NOT NULL REFERENCES bureaus,
    inspector_id       bigint NOT NULL,
    version            int NOT NULL CHECK (version >= 1),
    certificate_number text NOT NULL,
    name               text NOT NULL,
    unit               text NOT NULL,
    issued_on          date,
    expires_on         date NOT NULL,
    qualifications     text[] NOT NULL,
    status             text NOT NULL,
    user_id            bigint,
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz,
    changed_by         bigint,
    PRIMARY KEY (bureau_id, inspector_id, version),
    FOREIGN KEY (bureau_id, inspector_id) REFERENCES inspectors (bureau_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX inspector_versions_current ON inspector_versions (bureau_id, inspector_id) WHERE valid_to IS NULL;
SELECT secure_tenant_table('inspector_versions');
GRANT SELECT, INSERT, UPDATE (valid_to) ON inspector_versions TO shuangsuiji_app;

-- What was there before versions: the current record, from when the
-- inspector was added (earlier states are in the audit trail).
INSERT INTO inspector_versions (bureau_id, inspector_id, version, certificate_number, name, unit, issued_on, expires_on,
    qualifications, status, user_id, valid_from, changed_by)
SELECT bureau_id, id, 1, certificate_number, name, unit, issued_on, expires_on, qualifications, status, user_id,
    created_at, updated_by
FROM inspectors;

-- +goose StatementBegin
-- Numbers a change of an inspector's record as its next version; a write
-- that changes nothing of the record keeps the version.
CREATE FUNCTION inspector_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
    ELSIF (NEW.certificate_number, NEW.name, NEW.unit, NEW.issued_on, NEW.expires_on, NEW.qualifications, NEW.status, NEW.user_id)
          IS DISTINCT FROM
          (OLD.certificate_number, OLD.name, OLD.unit, OLD.issued_on, OLD.expires_on, OLD.qualifications, OLD.status, OLD.user_id) THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END
$$;

-- Closes the inspector's current version and adds the new one, taking
-- effect at updated_at (which the stores set after their lock), or now
-- when a writer left updated_at as it was.
CREATE FUNCTION inspector_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz := NEW.updated_at;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.version = OLD.version THEN
            RETURN NULL;
        END IF;
        IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
            at := clock_timestamp();
        END IF;
        UPDATE inspector_versions SET valid_to = greatest(at, valid_from)
        WHERE bureau_id = NEW.bureau_id AND inspector_id = NEW.id AND valid_to IS NULL;
    END IF;
    INSERT INTO inspector_versions (bureau_id, inspector_id, version, certificate_number, name, unit, issued_on,
        expires_on, qualifications, status, user_id, valid_from, changed_by)
    VALUES (NEW.bureau_id, NEW.id, NEW.version, NEW.certificate_number, NEW.name, NEW.unit, NEW.issued_on,
        NEW.expires_on, NEW.qualifications, NEW.status, NEW.user_id,
        (SELECT greatest(at, max(v.valid_to)) FROM inspector_versions v WHERE v.bureau_id = NEW.bureau_id AND v.inspector_id = NEW.id),
        NEW.updated_by);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER inspectors_next_version BEFORE INSERT OR UPDATE ON inspectors
    FOR EACH ROW EXECUTE FUNCTION inspector_next_version();
CREATE TRIGGER inspectors_keep_version AFTER INSERT OR UPDATE ON inspectors
    FOR EACH ROW EXECUTE FUNCTION inspector_keep_version();

-- The inspector versions a draw's frozen input used, recorded by the same
-- statement that reads them at freezing: the lead's row (bureau_id), read
-- by every participant.
CREATE TABLE draw_inspector_versions (
    bureau_id           bigint NOT NULL REFERENCES bureaus,
    draw_id             bigint NOT NULL REFERENCES draws (id),
    inspector_bureau_id bigint NOT NULL,
    inspector_id        bigint NOT NULL,
    version             int NOT NULL,
    PRIMARY KEY (draw_id, inspector_bureau_id, inspector_id),
    FOREIGN KEY (inspector_bureau_id, inspector_id, version) REFERENCES inspector_versions (bureau_id, inspector_id, version)
);
SELECT secure_tenant_table('draw_inspector_versions', 'draw_id IN (SELECT app_draws())');
GRANT SELECT, INSERT ON draw_inspector_versions TO shuangsuiji_app;

-- draw_inspectors as before, naming each inspector's id and version.
DROP FUNCTION draw_inspectors(bigint);
CREATE FUNCTION draw_inspectors(draw bigint)
    RETURNS TABLE (certificate text, bureau_code text, unit text, qualifications text[], bureau_id bigint, inspector_id bigint, version int)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT i.certificate_number, b.code, i.unit, i.qualifications, i.bureau_id, i.id, i.version
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN inspectors i ON i.bureau_id = p.bureau_id
          WHERE d.id = draw AND d.bureau_id = app_bureau() AND i.status = 'active'
            AND i.expires_on >= d.window_end AND (i.issued_on IS NULL OR i.issued_on <= d.window_start)
          ORDER BY i.certificate_number $$;
REVOKE ALL ON FUNCTION draw_inspectors(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_inspectors(bigint) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION draw_inspectors(bigint);
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
REVOKE ALL ON FUNCTION draw_inspectors(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_inspectors(bigint) TO shuangsuiji_app;
DROP TABLE draw_inspector_versions, inspector_versions;
DROP TRIGGER inspectors_keep_version ON inspectors;
DROP TRIGGER inspectors_next_version ON inspectors;
DROP FUNCTION inspector_keep_version(), inspector_next_version();
ALTER TABLE inspectors DROP COLUMN version;
