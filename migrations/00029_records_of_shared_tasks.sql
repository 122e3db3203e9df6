-- +goose Up

-- 00008 meant the other participants of a joint visit to read a bureau's
-- records of the tasks they share (the record form shows the whole visit),
-- but its policy let every participant of a joint draw read every record
-- of the draw: another bureau's unpublished findings on entities it never
-- visits. A bureau now reads, besides its own, the records of the tasks it
-- sends a team to; the region's joint office still reads published ones.
ALTER POLICY inspection_records_extra_read ON inspection_records USING (
    (draw_id, seq) IN (SELECT m.draw_id, m.seq FROM draw_task_members m WHERE m.bureau_id = (SELECT app_bureau()))
    OR (state = 'published' AND region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())));

-- +goose Down
ALTER POLICY inspection_records_extra_read ON inspection_records USING (
    draw_id IN (SELECT app_draws())
    OR (state = 'published' AND region_code = (SELECT app_region()) AND (SELECT app_is_joint_office())));
