-- Signed governance (SQLite). A CAB request records what its decision was
-- made from (the factor values, whether the score was supplied, the class
-- the submitter declared and the classifier rule that decided) and the
-- decision's statement signed by the service key (attestation: a DSSE
-- envelope in JSON, NULL for a request stored before trustgate signed
-- decisions, which then authorises nothing). The envelopes of approvals,
-- rejections and exceptions live inside the approvals, rejection and
-- exception JSON. A risk model version records who created it: part of its
-- content hash, and the one member whose approval of it never counts.
ALTER TABLE cab_requests ADD COLUMN factors TEXT CHECK (factors IS NULL OR json_type(factors) = 'object');
ALTER TABLE cab_requests ADD COLUMN score_supplied INTEGER NOT NULL DEFAULT 0 CHECK (score_supplied IN (0, 1));
ALTER TABLE cab_requests ADD COLUMN declared_class TEXT NOT NULL DEFAULT '';
ALTER TABLE cab_requests ADD COLUMN class_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE cab_requests ADD COLUMN model_hash TEXT NOT NULL
    DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' CHECK (length(model_hash) = 64);
ALTER TABLE cab_requests ADD COLUMN attestation TEXT CHECK (attestation IS NULL OR json_type(attestation) = 'object');

CREATE TRIGGER cab_requests_signed_immutable
BEFORE UPDATE OF factors, score_supplied, declared_class, class_rule, model_hash, attestation
ON cab_requests
BEGIN
    SELECT RAISE(ABORT, 'cab_requests: a submission is immutable; only its status, approvals, rejection and exception change');
END;

ALTER TABLE risk_model_versions ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

CREATE TRIGGER risk_model_versions_creator_immutable BEFORE UPDATE OF created_by ON risk_model_versions
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: a version is immutable except for its approval and activation');
END;

-- signoffs is a JSON array of {"by", "at", "envelope"}: the members'
-- signed approvals of the version's content hash, or the service key's
-- ladder statement. A version decides only when they verify.
ALTER TABLE risk_model_versions ADD COLUMN signoffs TEXT NOT NULL DEFAULT '[]' CHECK (json_type(signoffs) = 'array');

-- The level in force is signed: how it was entered (kind: progression,
-- regression, or '' for the seed), the evaluation behind it (its id and
-- content hash), the CAB members' signed approvals of a progression
-- (approvals, as on the evaluation) and the state's statement signed by
-- the service key (attestation, NULL for a state from before signing,
-- which then caps nothing: it decides nothing). An evaluation gathers its
-- progression approvals until they reach the quorum; they are appended,
-- never removed, and never after the decision.
ALTER TABLE maturity_state ADD COLUMN kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'progression', 'regression'));
ALTER TABLE maturity_state ADD COLUMN evaluation_id TEXT;
ALTER TABLE maturity_state ADD COLUMN evaluation_hash TEXT NOT NULL
    DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' CHECK (length(evaluation_hash) = 64);
ALTER TABLE maturity_state ADD COLUMN approvals TEXT NOT NULL DEFAULT '[]' CHECK (json_type(approvals) = 'array');
ALTER TABLE maturity_state ADD COLUMN attestation TEXT CHECK (attestation IS NULL OR json_type(attestation) = 'object');

ALTER TABLE maturity_evaluations ADD COLUMN approvals TEXT NOT NULL DEFAULT '[]' CHECK (json_type(approvals) = 'array');

CREATE TRIGGER maturity_evaluations_approvals_before_decision BEFORE UPDATE OF approvals ON maturity_evaluations
WHEN NEW.approvals IS NOT OLD.approvals
    AND (OLD.approved
        OR length(NEW.approvals) <= length(OLD.approvals)
        OR substr(NEW.approvals, 1, length(OLD.approvals) - 1) IS NOT substr(OLD.approvals, 1, length(OLD.approvals) - 1))
BEGIN
    SELECT RAISE(ABORT, 'maturity_evaluations: approvals are appended, and a decision is final');
END;

-- A version's signoffs are appended, never changed or removed, and final
-- once it is approved: the new array begins with the old one, up to its
-- closing bracket.
CREATE TRIGGER risk_model_versions_signoffs_appended BEFORE UPDATE OF signoffs ON risk_model_versions
WHEN NEW.signoffs IS NOT OLD.signoffs
    AND (OLD.approved
        OR length(NEW.signoffs) <= length(OLD.signoffs)
        OR substr(NEW.signoffs, 1, length(OLD.signoffs) - 1) IS NOT substr(OLD.signoffs, 1, length(OLD.signoffs) - 1))
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: signoffs are appended, and final once the version is approved');
END;

-- The state changes only with its level, one step at a time (as on
-- PostgreSQL, whose guard covers the whole row): what was signed for a
-- level is not rewritten under it.
CREATE TRIGGER maturity_state_signed_one_step
BEFORE UPDATE OF since, model_version, reason, kind, evaluation_id, evaluation_hash, approvals, attestation ON maturity_state
WHEN abs(NEW.level - OLD.level) <> 1
BEGIN
    SELECT RAISE(ABORT, 'maturity_state: the level changes one step at a time');
END;
