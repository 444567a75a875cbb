-- Signed incident reports (SQLite). attestation is the report's statement
-- (severity, occurrence, linkage, facts at approval) signed by the service
-- key of the store that created it, a DSSE envelope in JSON; NULL when that
-- store had no service key, which verification reports. Like the rest of
-- the report, it never changes.
ALTER TABLE incidents ADD COLUMN attestation TEXT CHECK (attestation IS NULL OR json_type(attestation) = 'object');

CREATE TRIGGER incidents_attestation_immutable BEFORE UPDATE OF attestation ON incidents
BEGIN
    SELECT RAISE(ABORT, 'incidents: linkage and severity are never rewritten');
END;
