-- +goose Up

-- Whoever may see a draw may see who takes part in it: the region's joint
-- office coordinates draws it does not lead and takes no part in.
CREATE POLICY draw_participants_with_draw ON draw_participants FOR SELECT TO shuangsuiji_app
    USING (draw_id IN (SELECT id FROM draws));

-- +goose Down
DROP POLICY draw_participants_with_draw ON draw_participants;
