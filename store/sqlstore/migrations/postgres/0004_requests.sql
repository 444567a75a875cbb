-- CAB requests (PostgreSQL). Types as in 0001_init.sql; digests are 64
-- lower-case hex digits. The submission (every column but status,
-- approvals, rejection, exception and updated_at) never changes.
--
-- approvals is a JSON array of {"by", "at", "comment"}; rejection a JSON
-- object {"by", "at", "reason"} or NULL; exception a JSON object
-- {"justification", "requested_by", "requested_at", "expires_at",
-- "artifact_digest", "approvals"} or NULL. They are text, as the store
-- wrote them; times inside them are in the fixed-width layout
-- 2006-01-02T15:04:05.000000Z. The decision's reason is stored as its code:
-- the text is the code's (cab.ReasonCode.Text).
CREATE TABLE cab_requests (
    id                   uuid        NOT NULL PRIMARY KEY,
    correlation_id       text        NOT NULL UNIQUE,
    evidence_id          uuid        NOT NULL,
    deployment_intent_id uuid        NOT NULL,
    application          text        NOT NULL,
    artifact_digest      text        NOT NULL CHECK (length(artifact_digest) = 64),
    submitter            text        NOT NULL,
    submission_hash      text        NOT NULL CHECK (length(submission_hash) = 64),
    outcome              text        NOT NULL,
    reason_code          text        NOT NULL,
    score                numeric     NOT NULL,
    class                text        NOT NULL CHECK (class IN
                                     ('CRITICAL_INFRASTRUCTURE', 'BUSINESS_CRITICAL', 'PRODUCTIVITY_TOOLS', 'NON_CRITICAL')),
    threshold            numeric     NOT NULL,
    exception_threshold  numeric     NOT NULL,
    model_version        text        NOT NULL,
    quorum               integer     NOT NULL,
    status               text        NOT NULL CHECK (status IN ('auto_approved', 'pending_review', 'approved', 'rejected',
                                     'exception_required', 'exception_pending', 'exception_approved')),
    approvals            text        NOT NULL CHECK (jsonb_typeof(approvals::jsonb) = 'array'),
    rejection            text CHECK (rejection IS NULL OR jsonb_typeof(rejection::jsonb) = 'object'),
    exception            text CHECK (exception IS NULL OR jsonb_typeof(exception::jsonb) = 'object'),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- ListRequests walks (created_at, id) from its cursor.
CREATE INDEX cab_requests_by_creation ON cab_requests (created_at, id);

CREATE FUNCTION cab_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.correlation_id, NEW.evidence_id, NEW.deployment_intent_id, NEW.application, NEW.artifact_digest,
        NEW.submitter, NEW.submission_hash, NEW.outcome, NEW.reason_code, NEW.score, NEW.class, NEW.threshold,
        NEW.exception_threshold, NEW.model_version, NEW.quorum, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.correlation_id, OLD.evidence_id, OLD.deployment_intent_id, OLD.application, OLD.artifact_digest,
        OLD.submitter, OLD.submission_hash, OLD.outcome, OLD.reason_code, OLD.score, OLD.class, OLD.threshold,
        OLD.exception_threshold, OLD.model_version, OLD.quorum, OLD.created_at) THEN
        RAISE EXCEPTION 'cab_requests: a submission is immutable; only its status, approvals, rejection and exception change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER cab_requests_submission_immutable BEFORE UPDATE ON cab_requests
    FOR EACH ROW EXECUTE FUNCTION cab_requests_guard();
CREATE TRIGGER cab_requests_no_delete BEFORE DELETE ON cab_requests
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('requests are never deleted');
CREATE TRIGGER cab_requests_no_truncate BEFORE TRUNCATE ON cab_requests
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('requests are never deleted');
