-- +goose Up

-- 一公开: what anyone may read, without signing in, as views. A view runs
-- with its owner's rights (the schema owner, whose policies admit every
-- row), so these views are the one door through row-level security for
-- public reads, and their column lists are the whole of what is public:
-- never a risk class or stratum, an exclusion or its reason, a conflict, a
-- reviewer's note, a draft. The serving role reads the views and nothing
-- more of the tables beneath them.

-- Bureaus and regions are reference data already readable by everyone.

-- 年度抽查计划: what a bureau's saved plan commits to publicly; the ratios
-- per stratum stay inside (they would reveal how risk classes are drawn).
CREATE VIEW public_plans AS
SELECT p.bureau_id, p.year, p.draws_per_year, p.min_draw_ratio_bp, p.min_coverage_bp, p.updated_at
FROM plans p;

-- 抽查事项清单: each bureau's inspection items, every version (draws name the version they check).
CREATE VIEW public_items AS
SELECT i.bureau_id, i.code, i.version, i.name, i.legal_basis, i.methods, i.valid_to IS NULL AS current
FROM inspection_items i;

-- Draws once frozen (a draft is nobody's business yet).
CREATE VIEW public_draws AS
SELECT d.id, d.bureau_id AS lead_id, d.region_code, d.year, d.quarter, d.title, d.joint,
       d.window_start, d.window_end, d.status, d.frame_size, d.frozen_at, d.executed_at,
       d.redraw_of, d.redraw_reason
FROM draws d
WHERE d.status <> 'draft';

-- Who takes part in a public draw, with the items each checks.
CREATE VIEW public_draw_participants AS
SELECT p.draw_id, p.bureau_id, p.items
FROM draw_participants p JOIN draws d ON d.id = p.draw_id
WHERE d.status <> 'draft';

-- 抽查名单: the entities an executed draw selected, by code and current
-- name. No stratum, no ticket.
CREATE VIEW public_draw_entities AS
SELECT t.draw_id, t.seq, t.entity_code, coalesce(e.name, '') AS entity_name
FROM draw_tasks t
JOIN draws d ON d.id = t.draw_id AND d.status = 'executed'
LEFT JOIN entities e ON e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL;

CREATE INDEX draws_public ON draws (bureau_id, year, quarter) WHERE status <> 'draft';

GRANT SELECT ON public_plans, public_items, public_draws, public_draw_participants, public_draw_entities
    TO shuangsuiji_app;

-- +goose Down
DROP INDEX draws_public;
DROP VIEW public_draw_entities, public_draw_participants, public_draws, public_items, public_plans;
