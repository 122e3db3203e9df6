-- +goose Up

-- 抽查检查结果公示: published inspection results, as the national enterprise
-- credit publicity system shows them: entity, inspecting bureau, task,
-- item, date, result. A record corrected by a published correction gives
-- way to it. Only published records pass; findings, disposal, reviewers'
-- reasons and evidence stay inside. Like the other public_* views (00009),
-- it runs with its owner's rights: the one door for reads without sign-in.
CREATE VIEW public_results AS
SELECT r.id, r.region_code, r.bureau_id, r.entity_code, e.name AS entity_name,
       r.draw_id, d.title AS task_name, r.item_code, r.item_name, r.inspected_on, r.published_at,
       r.corrects IS NOT NULL AS correction,
       ARRAY(SELECT c.label FROM result_codes c
             WHERE c.version = r.code_version AND c.code = ANY (r.result_codes) ORDER BY c.position) AS results
FROM inspection_records r
JOIN draws d ON d.id = r.draw_id
JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code AND e.valid_to IS NULL
WHERE r.state = 'published'
  AND NOT EXISTS (SELECT FROM inspection_records c WHERE c.corrects = r.id AND c.state = 'published');

-- name_grams: the characters and character pairs of a name, lower-cased.
-- An entity name contains a query only if its grams contain the query's,
-- so a GIN index over them finds names by any part, Chinese included,
-- without an extension (pg_trgm splits words on what the locale calls
-- letters, and a C locale calls no Chinese character one).
-- +goose StatementBegin
CREATE FUNCTION name_grams(s text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(lower(s), i, 1) AS g FROM generate_series(1, char_length(s)) AS i
        UNION ALL
        SELECT substr(lower(s), i, 2) FROM generate_series(1, char_length(s) - 1) AS i) grams
$$;
-- +goose StatementEnd
CREATE INDEX entities_name_grams ON entities USING gin (name_grams(name)) WHERE valid_to IS NULL;

-- The result search reads the newest first, by region, bureau or item.
CREATE INDEX inspection_records_published_region ON inspection_records (region_code, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_bureau ON inspection_records (bureau_id, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_item ON inspection_records (item_code, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_corrects ON inspection_records (corrects) WHERE corrects IS NOT NULL;

GRANT SELECT ON public_results TO shuangsuiji_app;
GRANT EXECUTE ON FUNCTION name_grams(text) TO shuangsuiji_app;

-- +goose Down
DROP INDEX inspection_records_corrects, inspection_records_published_item, inspection_records_published_bureau,
    inspection_records_published_region, entities_name_grams;
DROP FUNCTION name_grams(text);
DROP VIEW public_results;
