-- +goose Up

-- One guard per table: PL/pgSQL plans a whole condition, so a shared
-- function naming OLD.record_id failed on inspection_records rows.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refuse_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'published' THEN
        RAISE EXCEPTION 'inspection record % is published and cannot change', OLD.id USING ERRCODE = '55000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE FUNCTION refuse_approved_evidence_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM inspection_records r WHERE r.id = OLD.record_id AND r.state IN ('approved', 'published')) THEN
        RAISE EXCEPTION 'evidence of approved record % cannot change', OLD.record_id USING ERRCODE = '55000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
DROP TRIGGER record_evidence_published ON record_evidence;
CREATE TRIGGER record_evidence_published BEFORE UPDATE OR DELETE ON record_evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_approved_evidence_change();

-- +goose Down
DROP TRIGGER record_evidence_published ON record_evidence;
CREATE TRIGGER record_evidence_published BEFORE UPDATE OR DELETE ON record_evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();
DROP FUNCTION refuse_approved_evidence_change();
