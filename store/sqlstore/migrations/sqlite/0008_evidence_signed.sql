-- Signed evidence (SQLite). attestation is the service key's statement of
-- the package (id, correlation id, content hash, creation time, producer,
-- artifacts) and producer a trusted producer's statement of its data, each
-- a DSSE envelope in JSON; NULL when empty: a package stored before
-- trustgate signed evidence, which verification then reports unsigned, or
-- one uploaded while no producer was trusted.
ALTER TABLE evidence_packages ADD COLUMN attestation TEXT CHECK (attestation IS NULL OR json_type(attestation) = 'object');
ALTER TABLE evidence_packages ADD COLUMN producer TEXT CHECK (producer IS NULL OR json_type(producer) = 'object');

-- evidence_packages_no_update (0002) already refuses every update; this
-- guard names the signatures, so that they stay immutable whatever becomes
-- of the guard on the whole row.
CREATE TRIGGER evidence_packages_signed_immutable BEFORE UPDATE OF attestation, producer ON evidence_packages
BEGIN
    SELECT RAISE(ABORT, 'evidence_packages: evidence is never changed, nor its attestation or producer signature');
END;
