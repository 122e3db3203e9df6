-- +goose Up

-- A 100,000-row import writes 200,000 rows: every per-row trigger and index
-- shows. "Changed by" columns name who made a version for people to read;
-- users are never deleted, so a foreign key there buys nothing but a
-- lookup per row. Names are searched with ILIKE '%…%', which a btree index
-- cannot serve, and as-of reads go by the primary key's bureau prefix.
ALTER TABLE entities DROP CONSTRAINT entities_changed_by_fkey;
ALTER TABLE entities DROP CONSTRAINT entities_changed_in_fkey;
ALTER TABLE roster_entries DROP CONSTRAINT roster_entries_changed_by_fkey;
ALTER TABLE roster_entries DROP CONSTRAINT roster_entries_region_code_fkey;
DROP INDEX entities_name;
DROP INDEX roster_entries_as_of;

-- +goose Down
CREATE INDEX roster_entries_as_of ON roster_entries (bureau_id, valid_from, valid_to);
CREATE INDEX entities_name ON entities (region_code, name) WHERE valid_to IS NULL;
ALTER TABLE roster_entries ADD FOREIGN KEY (region_code) REFERENCES regions;
ALTER TABLE roster_entries ADD FOREIGN KEY (changed_by) REFERENCES users;
ALTER TABLE entities ADD FOREIGN KEY (changed_in) REFERENCES bureaus;
ALTER TABLE entities ADD FOREIGN KEY (changed_by) REFERENCES users;
