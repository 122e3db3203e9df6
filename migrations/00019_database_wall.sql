-- +goose Up

-- The database wall, closed where the serving role could step through it.

-- draw_participants: a bureau reads its own rows and answers its own
-- invitation while the draw is a draft, but never adds itself to a draw:
-- only the lead adds participants, to its own draft, and invites them (it
-- cannot accept for them; an accepted participant's roster enters the
-- frame). The old FOR ALL policy on the bureau's own rows let any bureau
-- insert itself into another bureau's draw.
DROP POLICY draw_participants_of_bureau ON draw_participants;
DROP POLICY draw_participants_lead ON draw_participants;
CREATE POLICY draw_participants_own_read ON draw_participants FOR SELECT TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()));
CREATE POLICY draw_participants_own_answer ON draw_participants FOR UPDATE TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau()) AND draw_id IN (SELECT id FROM draws WHERE status = 'draft'))
    WITH CHECK (bureau_id = (SELECT app_bureau()));
CREATE POLICY draw_participants_lead_read ON draw_participants FOR SELECT TO shuangsuiji_app
    USING (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())));
CREATE POLICY draw_participants_lead_adds ON draw_participants FOR INSERT TO shuangsuiji_app
    WITH CHECK (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau()) AND status = 'draft')
        AND (bureau_id = (SELECT app_bureau()) OR answer = 'invited'));

-- draw_tasks: only the lead writes tasks, and only into its own draw (the
-- old policy checked lead_id alone, so any bureau could add tasks to
-- another bureau's draw by naming itself the lead).
DROP POLICY draw_tasks_lead ON draw_tasks;
CREATE POLICY draw_tasks_lead ON draw_tasks FOR INSERT TO shuangsuiji_app
    WITH CHECK (lead_id = (SELECT app_bureau())
        AND draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())));

-- Public documents are kept beside the draw when it is frozen (the
-- commitment) and executed (the public manifest); public_draw() returns
-- only them. It used to return the sealed input, nonce and row keys
-- included, to anyone, before the ceremony too.
ALTER TABLE draws ADD COLUMN commitment bytea, ADD COLUMN public_manifest bytea;
DROP FUNCTION public_draw(bigint);
CREATE FUNCTION public_draw(draw bigint) RETURNS TABLE (status text, commitment bytea, public_manifest bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT d.status, d.commitment, CASE WHEN d.status = 'executed' THEN d.public_manifest END
          FROM draws d WHERE d.id = draw AND d.commitment IS NOT NULL $$;
REVOKE ALL ON FUNCTION public_draw(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public_draw(bigint) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION public_draw(bigint);
CREATE FUNCTION public_draw(draw bigint) RETURNS TABLE (status text, input_gz bytea, ceremony text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT d.status, d.input_gz, d.ceremony FROM draws d WHERE d.id = draw AND d.status <> 'draft' $$;
REVOKE ALL ON FUNCTION public_draw(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public_draw(bigint) TO shuangsuiji_app;
ALTER TABLE draws DROP COLUMN public_manifest, DROP COLUMN commitment;
DROP POLICY draw_tasks_lead ON draw_tasks;
CREATE POLICY draw_tasks_lead ON draw_tasks FOR INSERT TO shuangsuiji_app WITH CHECK (lead_id = (SELECT app_bureau()));
DROP POLICY draw_participants_lead_adds ON draw_participants;
DROP POLICY draw_participants_lead_read ON draw_participants;
DROP POLICY draw_participants_own_answer ON draw_participants;
DROP POLICY draw_participants_own_read ON draw_participants;
CREATE POLICY draw_participants_lead ON draw_participants FOR ALL TO shuangsuiji_app
    USING (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())))
    WITH CHECK (draw_id IN (SELECT id FROM draws WHERE bureau_id = (SELECT app_bureau())));
CREATE POLICY draw_participants_of_bureau ON draw_participants FOR ALL TO shuangsuiji_app
    USING (bureau_id = (SELECT app_bureau())) WITH CHECK (bureau_id = (SELECT app_bureau()));
