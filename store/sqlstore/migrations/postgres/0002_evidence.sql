-- Evidence packages. data is the canonical evidence JSON exactly as
-- uploaded, kept as bytea so that every byte reads back; content_hash is
-- its SHA-256 in hex. Packages are never updated or deleted.

CREATE TABLE evidence_packages (
    id             uuid        NOT NULL PRIMARY KEY,
    correlation_id text        NOT NULL UNIQUE,
    data           bytea       NOT NULL,
    content_hash   text        NOT NULL CHECK (length(content_hash) = 64),
    created_at     timestamptz NOT NULL
);

CREATE TRIGGER evidence_packages_immutable BEFORE UPDATE OR DELETE ON evidence_packages
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('evidence is never changed or deleted');
CREATE TRIGGER evidence_packages_no_truncate BEFORE TRUNCATE ON evidence_packages
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('evidence is never deleted');
