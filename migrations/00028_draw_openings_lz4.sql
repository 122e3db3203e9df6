-- +goose Up

-- A joint draw's participants' openings are some 200 bytes a row they
-- supervise: tens of MB at a million entities. The ceremony gzip'd them in
-- Go, which took seconds of its time; they are now stored as their JSON
-- and compressed by TOAST with lz4 (as 00025 did for the draw's public
-- documents). Lists stored gzip'd before still read.
ALTER TABLE draw_openings ALTER COLUMN openings SET COMPRESSION lz4;

-- +goose Down
ALTER TABLE draw_openings ALTER COLUMN openings SET COMPRESSION pglz;
