-- +goose Up

-- Invitations (成员邀请): a bureau's admin invites a username with roles;
-- the roles exist only once the user holding that name accepts. The row
-- names a username, not a user: an invitation to a name nobody holds is
-- stored and answered exactly like one to a name somebody holds, and just
-- never gets accepted, so the inviting bureau learns nothing of who
-- exists. Unanswered invitations expire (expires_at); state never says
-- 'expired', readers compare expires_at with now().
CREATE TABLE member_invitations (
    bureau_id   bigint NOT NULL REFERENCES bureaus,
    id          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    username    text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    roles       text[] NOT NULL CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['admin', 'planner', 'inspector', 'reviewer', 'leader', 'coordinator']),
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'declined', 'withdrawn')),
    invited_at  timestamptz NOT NULL DEFAULT now(),
    invited_by  bigint REFERENCES users,
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '14 days',
    answered_at timestamptz,
    answered_by bigint REFERENCES users,
    PRIMARY KEY (bureau_id, id)
);
CREATE INDEX member_invitations_to ON member_invitations (username, id) WHERE state = 'pending';

-- app_username is the transaction's user's username (names are readable
-- by the serving role; password hashes are not).
CREATE FUNCTION app_username() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT username FROM users WHERE id = app_user() $$;

ALTER TABLE member_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_invitations FORCE ROW LEVEL SECURITY;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY member_invitations_system ON member_invitations FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
-- +goose StatementEnd
-- The inviting bureau reads its invitations, issues them as the acting
-- user, and refreshes or withdraws those still pending; it never answers
-- them.
CREATE POLICY member_invitations_bureau_read ON member_invitations FOR SELECT TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()));
CREATE POLICY member_invitations_bureau_invites ON member_invitations FOR INSERT TO shuangsuiji_app
    WITH CHECK (bureau_id = (SELECT app_bureau()) AND state = 'pending' AND invited_by = (SELECT app_user()));
CREATE POLICY member_invitations_bureau_withdraws ON member_invitations FOR UPDATE TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()) AND state = 'pending')
    WITH CHECK (bureau_id = (SELECT app_bureau()) AND state IN ('pending', 'withdrawn') AND answered_by IS NULL);
-- The invited user reads the invitations to their name and answers the
-- pending ones, as themself.
CREATE POLICY member_invitations_invitee_read ON member_invitations FOR SELECT TO shuangsuiji_app
    USING (username = (SELECT app_username()));
CREATE POLICY member_invitations_invitee_answers ON member_invitations FOR UPDATE TO shuangsuiji_app
    USING (username = (SELECT app_username()) AND state = 'pending' AND expires_at > now())
    WITH CHECK (username = (SELECT app_username()) AND state IN ('accepted', 'declined') AND answered_by = (SELECT app_user()));
GRANT SELECT, INSERT, UPDATE (roles, state, invited_at, invited_by, expires_at, answered_at, answered_by)
    ON member_invitations TO shuangsuiji_app;

-- Roles are granted in a bureau only to its members (a change of roles)
-- or to the user who accepted an invitation of that bureau in this very
-- transaction: no admin makes anyone a member without their yes. Read
-- past row-level security (a policy on members cannot query members).
-- +goose StatementBegin
CREATE FUNCTION app_may_grant(p_bureau bigint, p_user bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT EXISTS (SELECT FROM members WHERE bureau_id = p_bureau AND user_id = p_user)
              OR (p_user = app_user() AND EXISTS (
                    SELECT FROM member_invitations i JOIN users u ON u.username = i.username
                    WHERE i.bureau_id = p_bureau AND u.id = p_user AND i.state = 'accepted'
                      AND i.answered_by = p_user AND i.answered_at = now())) $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app_may_grant(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_may_grant(bigint, bigint) TO shuangsuiji_app;

DROP POLICY members_of_bureau ON members;
CREATE POLICY members_of_bureau_read ON members FOR SELECT TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()));
CREATE POLICY members_of_bureau_remove ON members FOR DELETE TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()));
CREATE POLICY members_granted ON members FOR INSERT TO shuangsuiji_app
    WITH CHECK (bureau_id = (SELECT app_bureau()) AND app_may_grant(bureau_id, user_id));
-- (The serving role may not update members; were it granted, a row would
-- still stay in its bureau.)
CREATE POLICY members_of_bureau_stay ON members FOR UPDATE TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau())) WITH CHECK (bureau_id = (SELECT app_bureau()));

-- create_invited_user makes a user for an admin of the transaction's
-- bureau if the name is free, and does nothing if it is taken: the same
-- statement either way, and the caller is told neither.
-- +goose StatementBegin
CREATE FUNCTION create_invited_user(p_username text, p_display_name text, p_hash text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM members WHERE bureau_id = app_bureau() AND user_id = app_user() AND role = 'admin') THEN
        RAISE EXCEPTION 'only an admin may create users' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO users (username, display_name, password_hash, password_must_change)
    VALUES (p_username, p_display_name, p_hash, true) ON CONFLICT (username) DO NOTHING;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION create_invited_user(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION create_invited_user(text, text, text) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION create_invited_user(text, text, text);
DROP POLICY members_of_bureau_stay ON members;
DROP POLICY members_granted ON members;
DROP POLICY members_of_bureau_remove ON members;
DROP POLICY members_of_bureau_read ON members;
CREATE POLICY members_of_bureau ON members FOR ALL TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau())) WITH CHECK (bureau_id = (SELECT app_bureau()));
DROP FUNCTION app_may_grant(bigint, bigint);
DROP TABLE member_invitations;
DROP FUNCTION app_username();
