-- +goose Up

-- A draw's sealed input (input_gz; the binary form since 00024's time, a
-- dozen MB for a 1,000,000-entity frame) was compressed by TOAST with
-- pglz, the default, at tens of MB a second when the draw is frozen and
-- decompressed as slowly at the ceremony and whenever an auditor reads a
-- manifest. lz4 does either at many times the speed (as 00025 did for the
-- public documents). Only values written from now on change.
ALTER TABLE draws ALTER COLUMN input_gz SET COMPRESSION lz4;

-- +goose Down
ALTER TABLE draws ALTER COLUMN input_gz SET COMPRESSION pglz;
