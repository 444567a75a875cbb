-- trustgate schema, version 1 (SQLite 3.37 or later).
--
-- Exact decimals are TEXT (decimal.String()); times are TEXT in UTC, in the
-- fixed-width layout 2006-01-02T15:04:05.000000Z, which sorts as time does;
-- booleans are INTEGER 0 or 1. STRICT tables refuse values of another type.

CREATE TABLE risk_model_versions (
    version             TEXT    NOT NULL PRIMARY KEY,
    mode                TEXT    NOT NULL,
    effective_at        TEXT    NOT NULL,
    review_at           TEXT    NOT NULL,
    exception_threshold TEXT    NOT NULL,
    approved            INTEGER NOT NULL CHECK (approved IN (0, 1)),
    approved_by         TEXT    NOT NULL,
    approved_at         TEXT,
    calibration         TEXT,
    created_at          TEXT    NOT NULL,
    active              INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    CHECK (active = 0 OR approved = 1)
) STRICT;

-- At most one version is active: the database enforces it.
CREATE UNIQUE INDEX risk_model_versions_one_active ON risk_model_versions (active) WHERE active = TRUE;
CREATE INDEX risk_model_versions_by_creation ON risk_model_versions (created_at, version);

CREATE TABLE risk_model_thresholds (
    version   TEXT NOT NULL REFERENCES risk_model_versions (version),
    class     TEXT NOT NULL,
    threshold TEXT NOT NULL,
    PRIMARY KEY (version, class)
) STRICT;

CREATE TABLE risk_model_weights (
    version TEXT NOT NULL REFERENCES risk_model_versions (version),
    factor  TEXT NOT NULL,
    weight  TEXT NOT NULL,
    PRIMARY KEY (version, factor)
) STRICT;

-- A version is immutable except for its approval (final once given) and
-- its activation; versions and their parameters are never deleted.
CREATE TRIGGER risk_model_versions_immutable
BEFORE UPDATE OF version, mode, effective_at, review_at, exception_threshold, calibration, created_at
ON risk_model_versions
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: a version is immutable except for its approval and activation');
END;

CREATE TRIGGER risk_model_versions_approval_final
BEFORE UPDATE OF approved, approved_by, approved_at ON risk_model_versions
WHEN OLD.approved = 1
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: an approval is final');
END;

CREATE TRIGGER risk_model_versions_no_delete BEFORE DELETE ON risk_model_versions
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: versions are never deleted');
END;

CREATE TRIGGER risk_model_thresholds_no_update BEFORE UPDATE ON risk_model_thresholds
BEGIN
    SELECT RAISE(ABORT, 'risk_model_thresholds: a version''s thresholds are immutable');
END;

CREATE TRIGGER risk_model_thresholds_no_delete BEFORE DELETE ON risk_model_thresholds
BEGIN
    SELECT RAISE(ABORT, 'risk_model_thresholds: a version''s thresholds are immutable');
END;

CREATE TRIGGER risk_model_weights_no_update BEFORE UPDATE ON risk_model_weights
BEGIN
    SELECT RAISE(ABORT, 'risk_model_weights: a version''s weights are immutable');
END;

CREATE TRIGGER risk_model_weights_no_delete BEFORE DELETE ON risk_model_weights
BEGIN
    SELECT RAISE(ABORT, 'risk_model_weights: a version''s weights are immutable');
END;

CREATE TABLE class_definitions (
    class                TEXT    NOT NULL PRIMARY KEY,
    description          TEXT    NOT NULL,
    quorum               INTEGER NOT NULL CHECK (quorum > 0),
    auto_approve_allowed INTEGER NOT NULL CHECK (auto_approve_allowed IN (0, 1)),
    examples             TEXT    NOT NULL -- a JSON array of strings, or null
) STRICT;

CREATE TABLE maturity_state (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), -- one row
    level         INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    since         TEXT    NOT NULL,
    model_version TEXT    NOT NULL,
    reason        TEXT    NOT NULL
) STRICT;

-- The audit log. data holds the canonical JSON bytes the hash covers, as
-- text, so they read back byte for byte.
CREATE TABLE audit_events (
    seq            INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
    id             TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    correlation_id TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash           TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Append-only: events are never changed or removed, and each new one
-- follows the head of the chain.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events: the audit log is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events: the audit log is append-only');
END;

CREATE TRIGGER audit_events_follow_head BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT coalesce((SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'audit_events: a new event must follow the head of the chain');
END;

-- Signed checkpoints. signed_at keeps nanoseconds (2006-01-02T15:04:05.000000000Z)
-- because the signature covers them; signature is base64.
CREATE TABLE audit_checkpoints (
    size      INTEGER NOT NULL CHECK (size >= 0),
    key_id    TEXT    NOT NULL,
    head      TEXT    NOT NULL CHECK (length(head) = 64),
    signed_at TEXT    NOT NULL,
    signature TEXT    NOT NULL,
    PRIMARY KEY (size, key_id)
) STRICT;

-- LatestCheckpoint reads the last entry of this index.
CREATE INDEX audit_checkpoints_latest ON audit_checkpoints (size, signed_at, key_id);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints: checkpoints are append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints: checkpoints are append-only');
END;
