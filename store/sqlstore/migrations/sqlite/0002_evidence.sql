-- Evidence packages. data is the canonical evidence JSON exactly as
-- uploaded, kept as a BLOB so that every byte reads back; content_hash is
-- its SHA-256 in hex. Packages are never updated or deleted.

CREATE TABLE evidence_packages (
    id             TEXT NOT NULL PRIMARY KEY,
    correlation_id TEXT NOT NULL UNIQUE,
    data           BLOB NOT NULL,
    content_hash   TEXT NOT NULL CHECK (length(content_hash) = 64),
    created_at     TEXT NOT NULL
) STRICT;

CREATE TRIGGER evidence_packages_no_update BEFORE UPDATE ON evidence_packages
BEGIN
    SELECT RAISE(ABORT, 'evidence_packages: evidence is never changed');
END;

CREATE TRIGGER evidence_packages_no_delete BEFORE DELETE ON evidence_packages
BEGIN
    SELECT RAISE(ABORT, 'evidence_packages: evidence is never deleted');
END;
