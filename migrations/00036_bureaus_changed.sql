-- +goose Up

-- Bureaus are reference data every dashboard shows (a draw's lead bureau):
-- each instance keeps them in memory, and forgets them as soon as any
-- change to the table is announced on this channel, whoever makes it
-- (the service, a migration, an operator at psql).

-- +goose StatementBegin
CREATE FUNCTION notify_bureaus_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bureaus_changed', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER bureaus_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bureaus
    FOR EACH STATEMENT EXECUTE FUNCTION notify_bureaus_changed();

-- +goose Down
DROP TRIGGER bureaus_changed ON bureaus;
DROP FUNCTION notify_bureaus_changed();
