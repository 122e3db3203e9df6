-- +goose Up

-- The serving role: owns nothing, is no superuser, cannot bypass row-level
-- security. Every serving transaction starts with SET LOCAL ROLE to it.
-- Roles belong to the whole cluster, so create it only once.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shuangsuiji_app') THEN
        CREATE ROLE shuangsuiji_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    EXECUTE format('GRANT shuangsuiji_app TO %I', current_user);
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO shuangsuiji_app;

-- app_bureau and app_user read the transaction's tenant settings; an unset
-- setting reads as NULL, which matches no row.
CREATE FUNCTION app_bureau() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.bureau_id', true), '')::bigint $$;
CREATE FUNCTION app_user() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::bigint $$;

-- Reference data: public, read by everyone, written only by migrations and seed.
CREATE TABLE regions (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name text NOT NULL
);

CREATE TABLE bureaus (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    region_code text NOT NULL REFERENCES regions,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('culture_tourism', 'market_supervision', 'health',
        'emergency_management', 'ecology_environment', 'housing_construction', 'transport',
        'agriculture', 'education', 'public_security', 'fire_rescue', 'joint_office', 'other')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON bureaus (region_code);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Memberships: a user's roles in a bureau. A row is visible to its bureau and
-- to the user it names (so "me" lists every membership).
CREATE TABLE members (
    bureau_id  bigint NOT NULL REFERENCES bureaus,
    user_id    bigint NOT NULL REFERENCES users,
    role       text NOT NULL CHECK (role IN ('admin', 'planner', 'inspector', 'reviewer', 'leader', 'coordinator')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bureau_id, user_id, role)
);
CREATE INDEX ON members (user_id);

-- Sessions: only the SHA-256 of the token is kept.
CREATE TABLE sessions (
    token_sha256 bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    address      text NOT NULL DEFAULT ''
);
CREATE INDEX ON sessions (user_id);

-- Failed sign-ins, counted per username and per address over a window.
CREATE TABLE sign_in_failures (
    key       text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON sign_in_failures (key, failed_at);

-- The audit trail, one hash chain per bureau. audit_heads holds each chain's
-- last link; locking it orders concurrent writers of one bureau.
CREATE TABLE audit_heads (
    bureau_id bigint PRIMARY KEY REFERENCES bureaus,
    seq       bigint NOT NULL,
    hash      text NOT NULL
);

CREATE TABLE audit_log (
    bureau_id      bigint NOT NULL REFERENCES bureaus,
    seq            bigint NOT NULL,
    actor_id       bigint REFERENCES users,
    actor_username text NOT NULL,
    action         text NOT NULL,
    object_type    text NOT NULL,
    object_id      text NOT NULL,
    before         json,
    after          json,
    at             timestamptz NOT NULL,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    PRIMARY KEY (bureau_id, seq)
);
CREATE INDEX ON audit_log (bureau_id, object_type, object_id);
CREATE INDEX ON audit_log (bureau_id, action);

-- secure_tenant_table puts a table behind row-level security, ENABLE and
-- FORCE: a serving transaction sees and writes only rows whose bureau_id is
-- its app.bureau_id (plus, with extra_read, rows the expression admits for
-- reading). The schema owner keeps a policy of its own for system work
-- (loading role assignments, verify-audit, seed); the serving role is not
-- the owner and not a member of it, so that policy never applies to it.
-- +goose StatementBegin
CREATE FUNCTION secure_tenant_table(tbl regclass, extra_read text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := tbl::text;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY %I ON %s FOR ALL TO %I USING (true) WITH CHECK (true)',
        name || '_system', tbl, current_user);
    EXECUTE format('CREATE POLICY %I ON %s FOR ALL TO shuangsuiji_app
        USING (bureau_id = (SELECT app_bureau())) WITH CHECK (bureau_id = (SELECT app_bureau()))',
        name || '_of_bureau', tbl);
    IF extra_read IS NOT NULL THEN
        EXECUTE format('CREATE POLICY %I ON %s FOR SELECT TO shuangsuiji_app USING (%s)',
            name || '_extra_read', tbl, extra_read);
    END IF;
END
$$;
-- +goose StatementEnd

SELECT secure_tenant_table('members', 'user_id = (SELECT app_user())');
SELECT secure_tenant_table('audit_heads');
SELECT secure_tenant_table('audit_log');

GRANT SELECT ON regions, bureaus TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (display_name, password_hash) ON users TO shuangsuiji_app;
GRANT SELECT, INSERT, DELETE ON members TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (revoked_at) ON sessions TO shuangsuiji_app;
GRANT SELECT, INSERT, DELETE ON sign_in_failures TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO shuangsuiji_app;
GRANT SELECT, INSERT ON audit_log TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION secure_tenant_table(regclass, text);
DROP TABLE audit_log, audit_heads, sign_in_failures, sessions, members, users, bureaus, regions;
DROP FUNCTION app_user();
DROP FUNCTION app_bureau();
