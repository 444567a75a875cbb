-- CAB requests (SQLite). Times, decimals and ids as in 0003_outcomes.sql;
-- digests are 64 lower-case hex digits. The submission (every column but
-- status, approvals, rejection, exception and updated_at) never changes.
--
-- approvals is a JSON array of {"by", "at", "comment"}; rejection a JSON
-- object {"by", "at", "reason"} or NULL; exception a JSON object
-- {"justification", "requested_by", "requested_at", "expires_at",
-- "artifact_digest", "approvals"} or NULL. Times inside them use the same
-- fixed-width layout as the time columns. The decision's reason is stored
-- as its code: the text is the code's (cab.ReasonCode.Text).
CREATE TABLE cab_requests (
    id                   TEXT    NOT NULL PRIMARY KEY,
    correlation_id       TEXT    NOT NULL UNIQUE,
    evidence_id          TEXT    NOT NULL,
    deployment_intent_id TEXT    NOT NULL,
    application          TEXT    NOT NULL,
    artifact_digest      TEXT    NOT NULL CHECK (length(artifact_digest) = 64),
    submitter            TEXT    NOT NULL,
    submission_hash      TEXT    NOT NULL CHECK (length(submission_hash) = 64),
    outcome              TEXT    NOT NULL,
    reason_code          TEXT    NOT NULL,
    score                TEXT    NOT NULL,
    class                TEXT    NOT NULL CHECK (class IN
                                 ('CRITICAL_INFRASTRUCTURE', 'BUSINESS_CRITICAL', 'PRODUCTIVITY_TOOLS', 'NON_CRITICAL')),
    threshold            TEXT    NOT NULL,
    exception_threshold  TEXT    NOT NULL,
    model_version        TEXT    NOT NULL,
    quorum               INTEGER NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('auto_approved', 'pending_review', 'approved', 'rejected',
                                 'exception_required', 'exception_pending', 'exception_approved')),
    approvals            TEXT    NOT NULL CHECK (json_type(approvals) = 'array'),
    rejection            TEXT CHECK (rejection IS NULL OR json_type(rejection) = 'object'),
    exception            TEXT CHECK (exception IS NULL OR json_type(exception) = 'object'),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
) STRICT;

-- ListRequests walks (created_at, id) from its cursor.
CREATE INDEX cab_requests_by_creation ON cab_requests (created_at, id);

CREATE TRIGGER cab_requests_submission_immutable
BEFORE UPDATE OF id, correlation_id, evidence_id, deployment_intent_id, application, artifact_digest, submitter,
    submission_hash, outcome, reason_code, score, class, threshold, exception_threshold, model_version, quorum,
    created_at
ON cab_requests
BEGIN
    SELECT RAISE(ABORT, 'cab_requests: a submission is immutable; only its status, approvals, rejection and exception change');
END;

CREATE TRIGGER cab_requests_no_delete BEFORE DELETE ON cab_requests
BEGIN
    SELECT RAISE(ABORT, 'cab_requests: requests are never deleted');
END;
