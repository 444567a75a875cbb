-- Signed incident reports (PostgreSQL). attestation is the report's
-- statement (severity, occurrence, linkage, facts at approval) signed by
-- the service key of the store that created it, a DSSE envelope in JSON;
-- NULL when that store had no service key, which verification reports.
-- Like the rest of the report, it never changes.
ALTER TABLE incidents ADD COLUMN attestation text
    CHECK (attestation IS NULL OR jsonb_typeof(attestation::jsonb) = 'object');

CREATE FUNCTION incidents_attestation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.attestation IS DISTINCT FROM OLD.attestation THEN
        RAISE EXCEPTION 'incidents: linkage and severity are never rewritten'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER incidents_attestation_immutable BEFORE UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_attestation_guard();
