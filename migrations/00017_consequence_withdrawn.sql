-- +goose Up

-- A published correction withdraws the consequences of the record it
-- corrects that its own results no longer carry (a mistaken 发现问题 no
-- longer makes the entity focus next year).
ALTER TABLE record_consequences DROP CONSTRAINT record_consequences_state_check,
    ADD CONSTRAINT record_consequences_state_check
    CHECK (state IN ('applied', 'proposed', 'confirmed', 'rejected', 'skipped', 'withdrawn'));

-- +goose Down
UPDATE record_consequences SET state = 'rejected' WHERE state = 'withdrawn';
ALTER TABLE record_consequences DROP CONSTRAINT record_consequences_state_check,
    ADD CONSTRAINT record_consequences_state_check
    CHECK (state IN ('applied', 'proposed', 'confirmed', 'rejected', 'skipped'));
