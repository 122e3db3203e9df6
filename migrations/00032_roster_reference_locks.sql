-- +goose Up

-- 00031 checks the roster's references once a statement, but a foreign key
-- also locks the rows it relies on (FOR KEY SHARE): without the lock an
-- import and a concurrent deletion of its bureau or region could both
-- commit, each having checked before the other's change. The checks now
-- take that lock too, over the statement's distinct values: the deletion
-- waits for the import and then finds its rows, or the import waits for
-- the deletion and then finds the key gone.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION check_entity_regions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing text;
BEGIN
    PERFORM FROM regions r WHERE r.code IN (SELECT DISTINCT region_code FROM new_rows) FOR KEY SHARE;
    SELECT n.region_code INTO missing FROM (SELECT DISTINCT region_code FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM regions r WHERE r.code = n.region_code) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('entities name region %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION check_entry_bureaus() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM FROM bureaus b WHERE b.id IN (SELECT DISTINCT bureau_id FROM new_rows) FOR KEY SHARE;
    SELECT n.bureau_id INTO missing FROM (SELECT DISTINCT bureau_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM bureaus b WHERE b.id = n.bureau_id) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('roster entries name bureau %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION check_entity_regions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing text;
BEGIN
    SELECT n.region_code INTO missing FROM (SELECT DISTINCT region_code FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM regions r WHERE r.code = n.region_code) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('entities name region %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION check_entry_bureaus() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.bureau_id INTO missing FROM (SELECT DISTINCT bureau_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT FROM bureaus b WHERE b.id = n.bureau_id) LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('roster entries name bureau %s, which does not exist', missing);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
