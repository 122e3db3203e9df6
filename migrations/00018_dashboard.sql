-- +goose Up

-- Dashboards (internal/dashboard): a bureau sees its own year; the joint
-- office of a region sees the same figures for every bureau of its region.
-- Two doors open for the joint office, and no more than the figures need.

-- Each bureau's plan of the year, for its progress against it. The joint
-- office coordinates the region's plans; the public sees part of them
-- anyway (public_plans).
CREATE POLICY plans_joint_office ON plans FOR SELECT TO shuangsuiji_app
    USING ((SELECT app_is_joint_office())
           AND bureau_id IN (SELECT id FROM bureaus WHERE region_code = (SELECT app_region())));

-- record_progress: where each inspection record is (state, inspection
-- date, whether it is an original or a correction), never what it found
-- (result codes, findings, disposal, evidence, reviewers' reasons). It
-- admits the rows inspection_records admits (the bureau's own, those of
-- draws it takes part in) and, for the region's joint office, every
-- record of the region, so that tasks by state, records awaiting review
-- and overdue publications can be counted for each bureau. Like the
-- public_* views it runs with its owner's rights: its WHERE is its wall.
CREATE VIEW record_progress AS
SELECT r.bureau_id, r.region_code, r.draw_id, r.seq, r.item_code, r.state, r.inspected_on,
       r.corrects IS NULL AS original
FROM inspection_records r
WHERE r.bureau_id = (SELECT app_bureau())
   OR r.draw_id IN (SELECT app_draws())
   OR (r.region_code = (SELECT app_region()) AND (SELECT app_is_joint_office()));

GRANT SELECT ON record_progress TO shuangsuiji_app;

-- An entity's inspection history reads its draws and its unpublished
-- records by its code (published ones have their index, 00008).
CREATE INDEX draw_tasks_entity_code ON draw_tasks (entity_code);
CREATE INDEX inspection_records_unpublished_entity ON inspection_records (region_code, entity_code) WHERE state <> 'published';

-- The public result search without a region (everyone's newest first)
-- and by an entity's code read these (BenchmarkPublicResults1M: the
-- unfiltered page took 15 s over 1,000,000 records without the first).
CREATE INDEX inspection_records_published_newest ON inspection_records (inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_code ON inspection_records (entity_code, inspected_on DESC, id DESC) WHERE state = 'published';

-- The version of a region's data: the sum of its bureaus' audit chain
-- lengths. Every change writes an audit entry in its own transaction, so
-- the sum grows with every committed change in the region and never
-- otherwise; figures counted at one version hold until it moves. Only the
-- number leaves the function.
CREATE FUNCTION region_version() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT coalesce(sum(h.seq), 0)::bigint FROM audit_heads h JOIN bureaus b ON b.id = h.bureau_id
          WHERE b.region_code = app_region() $$;
REVOKE ALL ON FUNCTION region_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION region_version() TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION region_version();
DROP INDEX inspection_records_published_code, inspection_records_published_newest;
DROP INDEX inspection_records_unpublished_entity, draw_tasks_entity_code;
DROP VIEW record_progress;
DROP POLICY plans_joint_office ON plans;
