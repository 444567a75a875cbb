-- trustgate schema, version 1 (PostgreSQL 13 or later).
--
-- Exact decimals are numeric; times are timestamptz (microseconds, what the
-- store writes). Objects are created in the first schema of search_path.

CREATE TABLE risk_model_versions (
    version             text        NOT NULL PRIMARY KEY,
    mode                text        NOT NULL,
    effective_at        timestamptz NOT NULL,
    review_at           timestamptz NOT NULL,
    exception_threshold numeric     NOT NULL,
    approved            boolean     NOT NULL,
    approved_by         text        NOT NULL,
    approved_at         timestamptz,
    calibration         text,
    created_at          timestamptz NOT NULL,
    active              boolean     NOT NULL DEFAULT false,
    CHECK (NOT active OR approved)
);

-- At most one version is active: the database enforces it.
CREATE UNIQUE INDEX risk_model_versions_one_active ON risk_model_versions ((true)) WHERE active;
CREATE INDEX risk_model_versions_by_creation ON risk_model_versions (created_at, version);

CREATE TABLE risk_model_thresholds (
    version   text    NOT NULL REFERENCES risk_model_versions (version),
    class     text    NOT NULL,
    threshold numeric NOT NULL,
    PRIMARY KEY (version, class)
);

CREATE TABLE risk_model_weights (
    version text    NOT NULL REFERENCES risk_model_versions (version),
    factor  text    NOT NULL,
    weight  numeric NOT NULL,
    PRIMARY KEY (version, factor)
);

-- trustgate_forbid rejects the change that fires it; TG_ARGV[0] says why.
CREATE FUNCTION trustgate_forbid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: % is not allowed: %', TG_TABLE_NAME, TG_OP, TG_ARGV[0]
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

-- A version is immutable except for its approval (final once given) and
-- its activation; versions and their parameters are never deleted.
CREATE FUNCTION risk_model_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.version, NEW.mode, NEW.effective_at, NEW.review_at, NEW.exception_threshold, NEW.calibration, NEW.created_at)
       IS DISTINCT FROM
       (OLD.version, OLD.mode, OLD.effective_at, OLD.review_at, OLD.exception_threshold, OLD.calibration, OLD.created_at) THEN
        RAISE EXCEPTION 'risk_model_versions: a version is immutable except for its approval and activation'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.approved AND (NEW.approved, NEW.approved_by, NEW.approved_at)
       IS DISTINCT FROM (OLD.approved, OLD.approved_by, OLD.approved_at) THEN
        RAISE EXCEPTION 'risk_model_versions: an approval is final'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER risk_model_versions_immutable BEFORE UPDATE ON risk_model_versions
    FOR EACH ROW EXECUTE FUNCTION risk_model_versions_guard();
CREATE TRIGGER risk_model_versions_no_delete BEFORE DELETE ON risk_model_versions
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('versions are never deleted');
CREATE TRIGGER risk_model_versions_no_truncate BEFORE TRUNCATE ON risk_model_versions
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('versions are never deleted');
CREATE TRIGGER risk_model_thresholds_immutable BEFORE UPDATE OR DELETE ON risk_model_thresholds
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('a version''s thresholds are immutable');
CREATE TRIGGER risk_model_thresholds_no_truncate BEFORE TRUNCATE ON risk_model_thresholds
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('a version''s thresholds are immutable');
CREATE TRIGGER risk_model_weights_immutable BEFORE UPDATE OR DELETE ON risk_model_weights
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('a version''s weights are immutable');
CREATE TRIGGER risk_model_weights_no_truncate BEFORE TRUNCATE ON risk_model_weights
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('a version''s weights are immutable');

CREATE TABLE class_definitions (
    class                text    NOT NULL PRIMARY KEY,
    description          text    NOT NULL,
    quorum               integer NOT NULL CHECK (quorum > 0),
    auto_approve_allowed boolean NOT NULL,
    examples             text    NOT NULL -- a JSON array of strings, or null
);

CREATE TABLE maturity_state (
    id            integer     NOT NULL PRIMARY KEY CHECK (id = 1), -- one row
    level         integer     NOT NULL CHECK (level BETWEEN 0 AND 4),
    since         timestamptz NOT NULL,
    model_version text        NOT NULL,
    reason        text        NOT NULL
);

-- The audit log. data holds the canonical JSON bytes the hash covers, as
-- text (not jsonb, which would reformat them), so they read back byte for
-- byte.
CREATE TABLE audit_events (
    seq            bigint      NOT NULL PRIMARY KEY CHECK (seq > 0),
    id             uuid        NOT NULL UNIQUE,
    type           text        NOT NULL,
    actor          text        NOT NULL,
    subject        text        NOT NULL,
    correlation_id text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    data           text        NOT NULL,
    prev_hash      text        NOT NULL CHECK (length(prev_hash) = 64),
    hash           text        NOT NULL CHECK (length(hash) = 64)
);

-- Append-only: events are never changed or removed, and each new one
-- follows the head of the chain.
CREATE FUNCTION audit_events_follow_head() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    last_seq  bigint := 0;
    last_hash text   := repeat('0', 64);
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    END IF;
    IF NEW.seq IS DISTINCT FROM last_seq + 1 OR NEW.prev_hash IS DISTINCT FROM last_hash THEN
        RAISE EXCEPTION 'audit_events: a new event must follow the head of the chain'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_follow_head BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_follow_head();
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('the audit log is append-only');
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('the audit log is append-only');
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('the audit log is append-only');

-- Signed checkpoints. signed_at keeps nanoseconds as text
-- (2006-01-02T15:04:05.000000000Z) because the signature covers them;
-- signature is base64.
CREATE TABLE audit_checkpoints (
    size      bigint NOT NULL CHECK (size >= 0),
    key_id    text   NOT NULL,
    head      text   NOT NULL CHECK (length(head) = 64),
    signed_at text   NOT NULL,
    signature text   NOT NULL,
    PRIMARY KEY (size, key_id)
);

-- LatestCheckpoint reads the last entry of this index.
CREATE INDEX audit_checkpoints_latest ON audit_checkpoints (size, signed_at, key_id);

CREATE TRIGGER audit_checkpoints_immutable BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('checkpoints are append-only');
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('checkpoints are append-only');
