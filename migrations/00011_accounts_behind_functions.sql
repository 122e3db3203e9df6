-- +goose Up

-- Accounts behind narrow functions. The serving role reads users' names
-- (never their password hashes), and reaches password hashes, sessions and
-- failed sign-ins only through the SECURITY DEFINER functions below, each
-- doing one thing and checking in the database who may do it.

ALTER TABLE users
    ADD COLUMN password_must_change boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at timestamptz;

-- A sign-in attempt is recorded as a failure before its password is
-- checked (under keys pair:USER|ADDRESS, user:USER and addr:ADDRESS), and
-- forgotten if it succeeds: parallel guesses are counted, not raced.
ALTER TABLE sign_in_failures ADD COLUMN attempt bigint;
CREATE INDEX ON sign_in_failures (attempt);
CREATE SEQUENCE sign_in_attempts;

-- Once a username has had many failures from anywhere, its checks are
-- spaced one a second: an attacker's flood slows to that pace and the
-- owner, signing in from elsewhere, is delayed rather than locked out.
CREATE TABLE sign_in_throttle (
    username text PRIMARY KEY,
    next_at  timestamptz NOT NULL
);

REVOKE ALL ON users, sessions, sign_in_failures FROM shuangsuiji_app;
GRANT SELECT (id, username, display_name, created_at, password_must_change) ON users TO shuangsuiji_app;

-- sign_in_user returns what checking a password needs.
CREATE FUNCTION sign_in_user(p_username text)
RETURNS TABLE (id bigint, username text, display_name text, created_at timestamptz, password_hash text, password_must_change boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, username, display_name, created_at, password_hash, password_must_change FROM users WHERE username = p_username
$$;

-- sign_in_reserve decides whether an attempt may check a password now. It
-- answers (attempt, 0, wait_ms) when it may, after wait_ms, and has then
-- recorded it as a failure; or (NULL, retry_after, 0) when it may not, for
-- retry_after seconds. Per (username, address): 5 failures in 15 minutes,
-- then a backoff from 30 s doubling to 15 minutes. Per address (an office
-- behind one NAT is many people): 100 failures. Per username, from anywhere: past 20 failures checks are
-- spaced a second apart, waiting at most 10 s. Advisory locks on the
-- username, then the address, make the count and the record one step.
-- +goose StatementBegin
CREATE FUNCTION sign_in_reserve(p_username text, p_address text, OUT attempt bigint, OUT retry_after int, OUT wait_ms int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    win       constant interval := interval '15 minutes';
    pair_key  text := 'pair:' || p_username || '|' || p_address;
    user_key  text := 'user:' || p_username;
    addr_key  text := 'addr:' || p_address;
    pair_n    int;
    pair_last timestamptz;
    backoff   interval;
    slot      timestamptz;
BEGIN
    retry_after := 0;
    wait_ms := 0;
    PERFORM pg_advisory_xact_lock(1, hashtext(user_key));
    PERFORM pg_advisory_xact_lock(2, hashtext(addr_key));

    SELECT count(*), max(f.failed_at) INTO pair_n, pair_last
    FROM sign_in_failures f WHERE f.key = pair_key AND f.failed_at > now() - win;
    IF pair_n >= 5 THEN
        backoff := least(interval '30 seconds' * power(2, least(pair_n - 5, 10)), win);
        IF pair_last + backoff > clock_timestamp() THEN
            retry_after := greatest(1, ceil(extract(epoch FROM pair_last + backoff - clock_timestamp())))::int;
            RETURN;
        END IF;
    END IF;

    IF (SELECT count(*) FROM sign_in_failures f WHERE f.key = addr_key AND f.failed_at > now() - win) >= 100 THEN
        retry_after := 60;
        RETURN;
    END IF;

    IF (SELECT count(*) FROM sign_in_failures f WHERE f.key = user_key AND f.failed_at > now() - win) >= 20 THEN
        SELECT greatest(t.next_at, clock_timestamp()) INTO slot FROM sign_in_throttle t WHERE t.username = p_username;
        slot := coalesce(slot, clock_timestamp());
        IF slot > clock_timestamp() + interval '10 seconds' THEN
            retry_after := ceil(extract(epoch FROM slot - clock_timestamp()))::int;
            RETURN;
        END IF;
        INSERT INTO sign_in_throttle (username, next_at) VALUES (p_username, slot + interval '1 second')
        ON CONFLICT (username) DO UPDATE SET next_at = excluded.next_at;
        wait_ms := greatest(0, ceil(extract(epoch FROM slot - clock_timestamp()) * 1000))::int;
    END IF;

    attempt := nextval('sign_in_attempts');
    INSERT INTO sign_in_failures (key, attempt, failed_at)
    VALUES (pair_key, attempt, clock_timestamp()), (user_key, attempt, clock_timestamp()), (addr_key, attempt, clock_timestamp());
    IF attempt % 100 = 0 THEN
        DELETE FROM sign_in_failures WHERE failed_at < now() - interval '1 day';
        DELETE FROM sign_in_throttle WHERE next_at < now() - interval '1 hour';
    END IF;
END
$$;
-- +goose StatementEnd

-- sign_in_complete opens a session for the user of a reserved attempt
-- whose password matched: it forgets the attempt and the failures of the
-- (username, address) pair. Without a fresh attempt for that user it
-- refuses, so the serving role cannot mint sessions at will.
-- +goose StatementBegin
CREATE FUNCTION sign_in_complete(p_attempt bigint, p_user_id bigint, p_token_sha256 bytea, p_expires timestamptz, p_address text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    name text;
BEGIN
    SELECT u.username INTO name FROM users u WHERE u.id = p_user_id;
    DELETE FROM sign_in_failures f
    WHERE f.attempt = p_attempt AND f.key = 'user:' || name AND f.failed_at > now() - interval '5 minutes';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in attempt % for user %', p_attempt, p_user_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM sign_in_failures f WHERE f.attempt = p_attempt OR f.key = 'pair:' || name || '|' || p_address;
    INSERT INTO sessions (token_sha256, user_id, expires_at, address) VALUES (p_token_sha256, p_user_id, p_expires, p_address);
END
$$;
-- +goose StatementEnd

-- sign_in_release forgets an attempt whose password matched for another
-- purpose than a session (changing the password).
CREATE FUNCTION sign_in_release(p_attempt bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    DELETE FROM sign_in_failures WHERE attempt = p_attempt AND failed_at > now() - interval '5 minutes'
$$;

-- session_user_of returns the user of a live session.
CREATE FUNCTION session_user_of(p_token_sha256 bytea)
RETURNS TABLE (id bigint, username text, display_name text, created_at timestamptz, password_must_change boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT u.id, u.username, u.display_name, u.created_at, u.password_must_change
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_sha256 = p_token_sha256 AND s.revoked_at IS NULL AND s.expires_at > now()
$$;

-- session_revoke ends the session whose token the caller holds.
CREATE FUNCTION session_revoke(p_token_sha256 bytea) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    UPDATE sessions SET revoked_at = now() WHERE token_sha256 = p_token_sha256 AND revoked_at IS NULL
$$;

-- may_manage_user: the transaction's user is an admin of the transaction's
-- bureau, and the user is a member of it and of no other bureau (an admin
-- must not take over an account that other bureaus rely on).
CREATE FUNCTION may_manage_user(p_user_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT FROM members WHERE bureau_id = app_bureau() AND user_id = app_user() AND role = 'admin')
       AND EXISTS (SELECT FROM members WHERE bureau_id = app_bureau() AND user_id = p_user_id)
       AND NOT EXISTS (SELECT FROM members WHERE user_id = p_user_id AND bureau_id <> app_bureau())
$$;

-- set_password replaces a password and ends every session of the user but
-- p_keep (the one changing it). A user changes their own; an admin may set
-- a temporary one (p_must_change) for a user only their bureau holds.
-- +goose StatementBegin
CREATE FUNCTION set_password(p_user_id bigint, p_hash text, p_must_change boolean, p_keep bytea)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF NOT (p_user_id = app_user() AND NOT p_must_change OR p_must_change AND may_manage_user(p_user_id)) THEN
        RAISE EXCEPTION 'may not set the password of user %', p_user_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE users SET password_hash = p_hash, password_must_change = p_must_change, password_changed_at = now()
    WHERE id = p_user_id;
    UPDATE sessions SET revoked_at = now()
    WHERE user_id = p_user_id AND revoked_at IS NULL AND token_sha256 IS DISTINCT FROM p_keep;
END
$$;
-- +goose StatementEnd

-- create_user makes a new user with a temporary password, for an admin of
-- the transaction's bureau; the user must change it when first signing in.
-- +goose StatementBegin
CREATE FUNCTION create_user(p_username text, p_display_name text, p_hash text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    new_id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM members WHERE bureau_id = app_bureau() AND user_id = app_user() AND role = 'admin') THEN
        RAISE EXCEPTION 'only an admin may create users' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO users (username, display_name, password_hash, password_must_change)
    VALUES (p_username, p_display_name, p_hash, true) RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION sign_in_user(text), sign_in_reserve(text, text), sign_in_complete(bigint, bigint, bytea, timestamptz, text),
    sign_in_release(bigint), session_user_of(bytea), session_revoke(bytea), may_manage_user(bigint),
    set_password(bigint, text, boolean, bytea), create_user(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sign_in_user(text), sign_in_reserve(text, text), sign_in_complete(bigint, bigint, bytea, timestamptz, text),
    sign_in_release(bigint), session_user_of(bytea), session_revoke(bytea), may_manage_user(bigint),
    set_password(bigint, text, boolean, bytea), create_user(text, text, text) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION create_user(text, text, text), set_password(bigint, text, boolean, bytea), may_manage_user(bigint),
    session_revoke(bytea), session_user_of(bytea), sign_in_release(bigint),
    sign_in_complete(bigint, bigint, bytea, timestamptz, text), sign_in_reserve(text, text), sign_in_user(text);
DROP TABLE sign_in_throttle;
DROP SEQUENCE sign_in_attempts;
ALTER TABLE sign_in_failures DROP COLUMN attempt;
ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN password_must_change;
GRANT SELECT, INSERT, UPDATE (display_name, password_hash) ON users TO shuangsuiji_app;
GRANT SELECT, INSERT, UPDATE (revoked_at) ON sessions TO shuangsuiji_app;
GRANT SELECT, INSERT, DELETE ON sign_in_failures TO shuangsuiji_app;
