-- +goose Up

-- Executing a 1,000,000-entity draw writes 53,000 rows of task_progress
-- (one a task and participant, from recount_task_progress), and each had
-- its bureau checked by the foreign key, a query and a KEY SHARE lock a
-- row: 0.27-0.49 s of the 1.4-2.0 s that INSERT took under load (EXPLAIN
-- ANALYZE, BENCHMARKS.md, issue 9, fifth pass). The check guards nothing
-- the tables do not hold already: only recount_task_progress writes the
-- table (the serving role may only read it), and every row it writes
-- takes its bureau from a draw_participants row (joined to the new team
-- members, or in task_progress_of), whose own foreign key keeps that
-- bureau's key while the participation lasts; a participation deleted is
-- recounted away, and the bureau's team members keep its key too (00035).
ALTER TABLE task_progress DROP CONSTRAINT task_progress_bureau_id_fkey;

-- +goose Down
ALTER TABLE task_progress ADD CONSTRAINT task_progress_bureau_id_fkey FOREIGN KEY (bureau_id) REFERENCES bureaus;
