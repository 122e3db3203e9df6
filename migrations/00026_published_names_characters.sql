-- +goose Up

-- A search by one character (no pair to look up) walked the newest
-- results until enough names held it: quick for a common character, but
-- one no name holds read all 1,000,000 results (3.6 s under load). The
-- names' characters get an index too; published_names has one row an
-- entity, so it costs little at publication (it was the roster's 30 keys a
-- name that slowed imports). Generated, so the triggers of 00022 need no
-- change.
ALTER TABLE published_names ADD COLUMN name_characters text[]
    GENERATED ALWAYS AS (regexp_split_to_array(lower(name), '')) STORED;
CREATE INDEX published_names_characters ON published_names USING gin (name_characters);

-- +goose Down
ALTER TABLE published_names DROP COLUMN name_characters;
