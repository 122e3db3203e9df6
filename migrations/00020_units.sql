-- +goose Up

-- Units (所/中队): a per-bureau code table. Roster entries and inspectors
-- name their unit by its code, so that one unit cannot be spelled two ways
-- (凤城镇文化市场执法中队 on an entity, 凤城镇执法中队 on an inspector) and
-- silently switch the own-unit rule (所所交叉) off. Imports and forms take a
-- unit's code, name or one of its aliases and store the code.
CREATE TABLE units (
    bureau_id  bigint NOT NULL REFERENCES bureaus,
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name       text NOT NULL CHECK (name <> ''),
    aliases    text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint REFERENCES users,
    PRIMARY KEY (bureau_id, code),
    UNIQUE (bureau_id, name)
);
SELECT secure_tenant_table('units');
GRANT SELECT, INSERT, UPDATE (name, aliases) ON units TO shuangsuiji_app;

-- The unit codes of a draw's accepted participants, for the lead to check
-- its frame and inspectors against at freeze (it may not read another
-- bureau's table itself).
-- +goose StatementBegin
CREATE FUNCTION draw_units(draw bigint) RETURNS TABLE (bureau_code text, code text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT b.code, u.code
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id AND p.answer = 'accepted'
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN units u ON u.bureau_id = p.bureau_id
          WHERE d.id = draw AND d.bureau_id = app_bureau() $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION draw_units(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_units(bigint) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION draw_units(bigint);
DROP TABLE units;
