-- +goose Up

-- request_identity is what a request needs to know before anything else,
-- in one statement at the start of the request's one transaction: the
-- user of a live session, and the bureau they act in with their roles
-- there (p_bureau, the X-Bureau header, or '' for the user's only
-- bureau). It sets app.user_id and, when the user is a member of the
-- bureau, app.bureau_id for the rest of the transaction, so the request
-- reads under row-level security without another statement. No row: the
-- session is unknown, expired or signed out. A user who must change their
-- password gets no bureau; a bureau they are not a member of gives no
-- bureau and no roles (the caller refuses it). Roles are read here, not
-- from a cache, so a role change or a revoked session applies on the next
-- request of every instance.
-- +goose StatementBegin
CREATE FUNCTION request_identity(p_token_sha256 bytea, p_bureau text)
RETURNS TABLE (user_id bigint, username text, display_name text, created_at timestamptz, password_must_change boolean,
    bureau_id bigint, bureau_code text, region_code text, bureau_kind text, roles text[], bureaus bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
#variable_conflict use_variable
BEGIN
    SELECT u.id, u.username, u.display_name, u.created_at, u.password_must_change
      INTO user_id, username, display_name, created_at, password_must_change
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_sha256 = p_token_sha256 AND s.revoked_at IS NULL AND s.expires_at > now();
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', user_id::text, true);
    IF password_must_change THEN
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT count(DISTINCT m.bureau_id) INTO bureaus FROM members m WHERE m.user_id = user_id;
    SELECT b.id, b.code, b.region_code, b.kind, array_agg(m.role ORDER BY m.role)
      INTO bureau_id, bureau_code, region_code, bureau_kind, roles
      FROM bureaus b JOIN members m ON m.bureau_id = b.id AND m.user_id = user_id
     WHERE CASE WHEN p_bureau = '' THEN bureaus = 1 ELSE b.code = p_bureau END
     GROUP BY b.id;
    IF bureau_id IS NOT NULL THEN
        PERFORM set_config('app.bureau_id', bureau_id::text, true);
    END IF;
    RETURN NEXT;
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION request_identity(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION request_identity(bytea, text) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION request_identity(bytea, text);
