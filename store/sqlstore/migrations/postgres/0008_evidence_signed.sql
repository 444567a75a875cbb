-- Signed evidence (PostgreSQL). attestation is the service key's statement
-- of the package (id, correlation id, content hash, creation time,
-- producer, artifacts) and producer a trusted producer's statement of its
-- data, each a DSSE envelope in JSON; NULL when empty: a package stored
-- before trustgate signed evidence, which verification then reports
-- unsigned, or one uploaded while no producer was trusted.
ALTER TABLE evidence_packages
    ADD COLUMN attestation text CHECK (attestation IS NULL OR jsonb_typeof(attestation::jsonb) = 'object'),
    ADD COLUMN producer text CHECK (producer IS NULL OR jsonb_typeof(producer::jsonb) = 'object');

-- evidence_packages_immutable (0002) already refuses every update; this
-- guard names the signatures, so that they stay immutable whatever becomes
-- of the guard on the whole row.
CREATE FUNCTION evidence_packages_signed_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.attestation, NEW.producer) IS DISTINCT FROM (OLD.attestation, OLD.producer) THEN
        RAISE EXCEPTION 'evidence_packages: evidence is never changed, nor its attestation or producer signature'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER evidence_packages_signed_immutable BEFORE UPDATE ON evidence_packages
    FOR EACH ROW EXECUTE FUNCTION evidence_packages_signed_guard();
