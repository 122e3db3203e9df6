-- +goose Up

-- The dashboard's roster by stratum (internal/postgres/dashboard.go) read
-- each bureau's whole active roster on every count, 100,000 entries and a
-- CASE each. The stratum of an entry depends only on a few of its facts,
-- its plan's focus rules and the day (penalties and problems found count
-- for a while), so the roster is kept counted here by those facts, and the
-- dashboard applies the rules to the groups: tens of rows, not 100,000.
-- The triggers below keep the counts in the transaction that writes the
-- entries, so the counts are always those of the committed roster.
CREATE TABLE roster_tallies (
    bureau_id           bigint NOT NULL REFERENCES bureaus,
    region_code         text NOT NULL,
    risk_class          text NOT NULL,
    abnormal_operations boolean NOT NULL,
    serious_violation   boolean NOT NULL,
    complaints          int NOT NULL,
    last_penalty_date   date,
    focus_found_on      date,
    n                   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (bureau_id, risk_class, abnormal_operations, serious_violation, complaints,
        last_penalty_date, focus_found_on)
);
-- Read as the roster is: the bureau's own, and the joint office its region's.
SELECT secure_tenant_table('roster_tallies',
    'region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())');
GRANT SELECT ON roster_tallies TO shuangsuiji_app;

-- tally_roster_rows adds, per group of facts, the current active entries
-- of one statement's new rows and takes away those of its old rows (an
-- entry closed by a new version, or deleted). Groups are written in key
-- order, so that two transactions lock them in the same order. Runs as
-- the owner: the serving role writes entries but not their counts.
-- +goose StatementBegin
CREATE FUNCTION tally_roster_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    source record;
BEGIN
    FOR source IN SELECT * FROM (VALUES ('new_entries', 1, TG_OP <> 'DELETE'), ('old_entries', -1, TG_OP <> 'INSERT')) s(rows, sign, present)
                  WHERE present LOOP
        EXECUTE format($q$
            INSERT INTO roster_tallies AS t (bureau_id, region_code, risk_class, abnormal_operations, serious_violation,
                                             complaints, last_penalty_date, focus_found_on, n)
            SELECT bureau_id, region_code, risk_class, abnormal_operations, serious_violation, complaints,
                   last_penalty_date, focus_found_on, %s * count(*)
            FROM %I WHERE valid_to IS NULL AND status = 'active'
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
            ORDER BY 1, 3, 4, 5, 6, 7, 8
            ON CONFLICT (bureau_id, risk_class, abnormal_operations, serious_violation, complaints, last_penalty_date, focus_found_on)
            DO UPDATE SET n = t.n + excluded.n$q$, source.sign, source.rows);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger.
CREATE TRIGGER roster_tallies_insert AFTER INSERT ON roster_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION tally_roster_rows();
CREATE TRIGGER roster_tallies_update AFTER UPDATE ON roster_entries
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION tally_roster_rows();
CREATE TRIGGER roster_tallies_delete AFTER DELETE ON roster_entries
    REFERENCING OLD TABLE AS old_entries FOR EACH STATEMENT EXECUTE FUNCTION tally_roster_rows();

INSERT INTO roster_tallies
SELECT bureau_id, region_code, risk_class, abnormal_operations, serious_violation, complaints,
       last_penalty_date, focus_found_on, count(*)
FROM roster_entries WHERE valid_to IS NULL AND status = 'active' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- +goose Down
DROP TRIGGER roster_tallies_delete ON roster_entries;
DROP TRIGGER roster_tallies_update ON roster_entries;
DROP TRIGGER roster_tallies_insert ON roster_entries;
DROP FUNCTION tally_roster_rows();
DROP TABLE roster_tallies;
