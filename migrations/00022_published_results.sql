-- +goose Up

-- 抽查检查结果公示 as a table of its own: public_results (00010) was a view
-- joining every published record to its draw and its entity's current
-- name, so a search by part of a name found thousands of entities through
-- the grams index on the whole roster and joined and sorted all their
-- records before keeping the newest 20 (BenchmarkPublicResults1M: 534 ms
-- p95 over 1,000,000 results), and the export sorted the whole million
-- before its first row. Here each published result is one row, kept by
-- the triggers below in the transaction that publishes, corrects or
-- renames, so that a search reads one index of this table and nothing
-- else, and the roster keeps no grams index (the import paid some 30 GIN
-- keys a name for a search that returns only published entities).

-- name_pairs: the character pairs of a name, lower-cased. A name contains
-- a query of two characters or more only if its pairs contain the query's,
-- so a GIN index over them finds names by any part, Chinese included,
-- without an extension (pg_trgm splits words on what the locale calls
-- letters, and a C locale calls no Chinese character one). Single
-- characters are left out: each would be a posting list of a large part
-- of the table, and a search by one character walks the newest first.
-- +goose StatementBegin
CREATE FUNCTION name_pairs(s text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(s), i, 2)), '{}') FROM generate_series(1, char_length(s) - 1) AS i
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION name_pairs(text) TO shuangsuiji_app;

-- One row per published result that no published correction replaces,
-- with the columns public_results shows (id is the inspection record's).
-- Public by nature: the serving role reads every row and writes none.
CREATE TABLE published_results (
    id           bigint PRIMARY KEY,
    region_code  text NOT NULL,
    bureau_id    bigint NOT NULL,
    entity_code  text NOT NULL,
    entity_name  text NOT NULL,
    draw_id      bigint NOT NULL,
    task_name    text NOT NULL,
    item_code    text NOT NULL,
    item_name    text NOT NULL,
    inspected_on date NOT NULL,
    published_at timestamptz,
    correction   boolean NOT NULL,
    results      text[] NOT NULL
);
ALTER TABLE published_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE published_results FORCE ROW LEVEL SECURITY;
-- +goose StatementBegin
DO $$ BEGIN
    EXECUTE format('CREATE POLICY published_results_system ON published_results FOR ALL TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
-- +goose StatementEnd
CREATE POLICY published_results_public ON published_results FOR SELECT TO shuangsuiji_app USING (true);
GRANT SELECT ON published_results TO shuangsuiji_app;

-- The names of the entities with published results, one row an entity,
-- with their pairs: a search by part of a name finds entities here (a
-- common part, one name in 65, is some 3,000 of them), then their
-- results through published_results_entity without reading the results'
-- rows (an index-only scan), and reads only the page it keeps. A GIN
-- index over the results' own names read and sorted all 15,000 rows.
CREATE TABLE published_names (
    region_code text NOT NULL,
    entity_code text NOT NULL,
    name        text NOT NULL,
    name_pairs  text[] NOT NULL,
    PRIMARY KEY (region_code, entity_code)
);
GRANT SELECT ON published_names TO shuangsuiji_app;
CREATE INDEX published_names_pairs ON published_names USING gin (name_pairs);

-- +goose StatementBegin
-- Records inserted or updated into 'published' (a published record never
-- changes, 00008) enter the table; a published correction takes the place
-- of the record it corrects, and a newly published entity's name is
-- indexed. Statement-level, so that publishing 5,000 records is three
-- set-based statements. Runs as the owner: the serving role publishing
-- may not write the tables itself.
CREATE FUNCTION keep_published_results() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM published_results p USING new_records n WHERE n.state = 'published' AND p.id = n.corrects;
    INSERT INTO published_results
    SELECT r.id, r.region_code, r.bureau_id, r.entity_code, coalesce(e.name, ''),
           r.draw_id, d.title, r.item_code, r.item_name, r.inspected_on, r.published_at, r.corrects IS NOT NULL,
           ARRAY(SELECT c.label FROM result_codes c
                 WHERE c.version = r.code_version AND c.code = ANY (r.result_codes) ORDER BY c.position)
    FROM new_records r
    JOIN draws d ON d.id = r.draw_id
    LEFT JOIN entities e ON e.region_code = r.region_code AND e.code = r.entity_code AND e.valid_to IS NULL
    WHERE r.state = 'published'
      AND NOT EXISTS (SELECT FROM inspection_records c WHERE c.corrects = r.id AND c.state = 'published');
    INSERT INTO published_names
    SELECT DISTINCT n.region_code, n.entity_code, p.entity_name, name_pairs(p.entity_name)
    FROM new_records n JOIN published_results p ON p.id = n.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- A new version of an entity (a rename, through the roster or an import)
-- renames its published results. Only names that changed are written.
CREATE FUNCTION rename_published_results() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    UPDATE published_names p SET name = n.name, name_pairs = name_pairs(n.name)
    FROM new_entities n
    WHERE n.valid_to IS NULL AND p.entity_code = n.code AND p.region_code = n.region_code AND p.name <> n.name;
    UPDATE published_results p SET entity_name = n.name
    FROM new_entities n
    WHERE n.valid_to IS NULL AND p.entity_code = n.code AND p.region_code = n.region_code AND p.entity_name <> n.name;
    RETURN NULL;
END
$$;

-- An executed draw's title is its results' task name.
CREATE FUNCTION retitle_published_results() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    UPDATE published_results SET task_name = NEW.title WHERE draw_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- What is published already, as the view shows it.
INSERT INTO published_results
SELECT id, region_code, bureau_id, entity_code, entity_name, draw_id, task_name,
       item_code, item_name, inspected_on, published_at, correction, results
FROM public_results;
INSERT INTO published_names
SELECT DISTINCT region_code, entity_code, entity_name, name_pairs(entity_name) FROM published_results;

CREATE TRIGGER published_results_insert AFTER INSERT ON inspection_records
    REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION keep_published_results();
CREATE TRIGGER published_results_update AFTER UPDATE ON inspection_records
    REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION keep_published_results();
CREATE TRIGGER published_results_rename AFTER INSERT ON entities
    REFERENCING NEW TABLE AS new_entities FOR EACH STATEMENT EXECUTE FUNCTION rename_published_results();
CREATE TRIGGER published_results_retitle AFTER UPDATE OF title ON draws
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title AND NEW.status = 'executed')
    EXECUTE FUNCTION retitle_published_results();

-- The search and the export read newest first: everyone's, an entity's,
-- a region's, a bureau's, an item's, a bureau's item's. The entity's
-- index includes the other filters' columns, so that the results of the
-- entities a name finds are filtered and ordered from it alone.
CREATE INDEX published_results_newest ON published_results (inspected_on DESC, id DESC);
CREATE INDEX published_results_entity ON published_results (entity_code, inspected_on DESC, id DESC)
    INCLUDE (region_code, bureau_id, item_code);
CREATE INDEX published_results_region ON published_results (region_code, inspected_on DESC, id DESC);
CREATE INDEX published_results_bureau ON published_results (bureau_id, inspected_on DESC, id DESC);
CREATE INDEX published_results_item ON published_results (item_code, inspected_on DESC, id DESC);
CREATE INDEX published_results_bureau_item ON published_results (bureau_id, item_code, inspected_on DESC, id DESC);

-- The view keeps its columns for its readers (an entity's history).
CREATE OR REPLACE VIEW public_results AS
SELECT id, region_code, bureau_id, entity_code, entity_name, draw_id, task_name, item_code, item_name,
       inspected_on, published_at, correction, results
FROM published_results;

-- What the search read before: the grams of every roster name and the
-- published records newest first.
DROP INDEX entities_name_grams, inspection_records_published_newest, inspection_records_published_code,
    inspection_records_published_region, inspection_records_published_bureau, inspection_records_published_item;
DROP FUNCTION name_grams(text);

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION name_grams(s text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(lower(s), i, 1) AS g FROM generate_series(1, char_length(s)) AS i
        UNION ALL
        SELECT substr(lower(s), i, 2) FROM generate_series(1, char_length(s) - 1) AS i) grams
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION name_grams(text) TO shuangsuiji_app;
CREATE INDEX entities_name_grams ON entities USING gin (name_grams(name)) WHERE valid_to IS NULL;
CREATE INDEX inspection_records_published_region ON inspection_records (region_code, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_bureau ON inspection_records (bureau_id, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_item ON inspection_records (item_code, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_newest ON inspection_records (inspected_on DESC, id DESC) WHERE state = 'published';
CREATE INDEX inspection_records_published_code ON inspection_records (entity_code, inspected_on DESC, id DESC) WHERE state = 'published';
CREATE OR REPLACE VIEW public_results AS
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
DROP TRIGGER published_results_retitle ON draws;
DROP TRIGGER published_results_rename ON entities;
DROP TRIGGER published_results_update ON inspection_records;
DROP TRIGGER published_results_insert ON inspection_records;
DROP FUNCTION retitle_published_results(), rename_published_results(), keep_published_results();
DROP TABLE published_names, published_results;
DROP FUNCTION name_pairs(text);
