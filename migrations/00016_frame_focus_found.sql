-- +goose Up

-- The frame of a draw also carries focus_found_on: problems found by a
-- published inspection (credit feedback) make an entity focus (stratum F)
-- in the year that follows.
DROP FUNCTION draw_frame(bigint);
-- +goose StatementBegin
CREATE FUNCTION draw_frame(draw bigint) RETURNS TABLE (
        entity_code text, bureau_code text, unit text, status text, entity_type text, risk_class text,
        abnormal_operations boolean, serious_violation boolean, complaints int, last_penalty_date date,
        focus_found_on date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT r.entity_code, b.code, r.unit, r.status, r.entity_type, r.risk_class,
                 r.abnormal_operations, r.serious_violation, r.complaints, r.last_penalty_date, r.focus_found_on
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id AND p.answer = 'accepted'
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN roster_entries r ON r.bureau_id = p.bureau_id AND r.valid_to IS NULL
          WHERE d.id = draw AND d.bureau_id = app_bureau() $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION draw_frame(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_frame(bigint) TO shuangsuiji_app;

-- +goose Down
DROP FUNCTION draw_frame(bigint);
-- +goose StatementBegin
CREATE FUNCTION draw_frame(draw bigint) RETURNS TABLE (
        entity_code text, bureau_code text, unit text, status text, entity_type text, risk_class text,
        abnormal_operations boolean, serious_violation boolean, complaints int, last_penalty_date date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT r.entity_code, b.code, r.unit, r.status, r.entity_type, r.risk_class,
                 r.abnormal_operations, r.serious_violation, r.complaints, r.last_penalty_date
          FROM draws d
          JOIN draw_participants p ON p.draw_id = d.id AND p.answer = 'accepted'
          JOIN bureaus b ON b.id = p.bureau_id
          JOIN roster_entries r ON r.bureau_id = p.bureau_id AND r.valid_to IS NULL
          WHERE d.id = draw AND d.bureau_id = app_bureau() $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION draw_frame(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION draw_frame(bigint) TO shuangsuiji_app;
