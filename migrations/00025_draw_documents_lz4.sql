-- +goose Up

-- A draw's commitment and public manifest are some 100 bytes a frame row:
-- 100 MB each for a 1,000,000-entity draw. TOAST compresses them with pglz
-- by default, at tens of MB a second, which made storing them most of the
-- time of freezing and executing such a draw. lz4 compresses the same JSON
-- (hex digests and codes) nearly as well at many times the speed.
ALTER TABLE draws ALTER COLUMN commitment SET COMPRESSION lz4,
    ALTER COLUMN public_manifest SET COMPRESSION lz4;

-- +goose Down
ALTER TABLE draws ALTER COLUMN commitment SET COMPRESSION pglz,
    ALTER COLUMN public_manifest SET COMPRESSION pglz;
