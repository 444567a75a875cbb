-- Signed governance (PostgreSQL). A CAB request records what its decision
-- was made from (the factor values, whether the score was supplied, the
-- class the submitter declared and the classifier rule that decided) and
-- the decision's statement signed by the service key (attestation: a DSSE
-- envelope in JSON, NULL for a request stored before trustgate signed
-- decisions, which then authorises nothing). The envelopes of approvals,
-- rejections and exceptions live inside the approvals, rejection and
-- exception JSON. A risk model version records who created it: part of its
-- content hash, and the one member whose approval of it never counts.
ALTER TABLE cab_requests
    ADD COLUMN factors text CHECK (factors IS NULL OR jsonb_typeof(factors::jsonb) = 'object'),
    ADD COLUMN score_supplied boolean NOT NULL DEFAULT false,
    ADD COLUMN declared_class text NOT NULL DEFAULT '',
    ADD COLUMN class_rule text NOT NULL DEFAULT '',
    ADD COLUMN model_hash text NOT NULL
        DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' CHECK (length(model_hash) = 64),
    ADD COLUMN attestation text CHECK (attestation IS NULL OR jsonb_typeof(attestation::jsonb) = 'object');

CREATE FUNCTION cab_requests_signed_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.factors, NEW.score_supplied, NEW.declared_class, NEW.class_rule, NEW.model_hash, NEW.attestation)
       IS DISTINCT FROM
       (OLD.factors, OLD.score_supplied, OLD.declared_class, OLD.class_rule, OLD.model_hash, OLD.attestation) THEN
        RAISE EXCEPTION 'cab_requests: a submission is immutable; only its status, approvals, rejection and exception change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER cab_requests_signed_immutable BEFORE UPDATE ON cab_requests
    FOR EACH ROW EXECUTE FUNCTION cab_requests_signed_guard();

ALTER TABLE risk_model_versions ADD COLUMN created_by text NOT NULL DEFAULT '';

CREATE FUNCTION risk_model_versions_creator_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_by IS DISTINCT FROM OLD.created_by THEN
        RAISE EXCEPTION 'risk_model_versions: a version is immutable except for its approval and activation'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER risk_model_versions_creator_immutable BEFORE UPDATE ON risk_model_versions
    FOR EACH ROW EXECUTE FUNCTION risk_model_versions_creator_guard();

-- signoffs is a JSON array of {"by", "at", "envelope"}: the members'
-- signed approvals of the version's content hash, or the service key's
-- ladder statement. A version decides only when they verify.
ALTER TABLE risk_model_versions ADD COLUMN signoffs text NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(signoffs::jsonb) = 'array');

-- The level in force is signed: how it was entered (kind: progression,
-- regression, or '' for the seed), the evaluation behind it (its id and
-- content hash), the CAB members' signed approvals of a progression
-- (approvals, as on the evaluation) and the state's statement signed by
-- the service key (attestation, NULL for a state from before signing,
-- which then caps nothing: it decides nothing). An evaluation gathers its
-- progression approvals until they reach the quorum; they are appended,
-- never removed, and never after the decision.
ALTER TABLE maturity_state
    ADD COLUMN kind text NOT NULL DEFAULT '' CHECK (kind IN ('', 'progression', 'regression')),
    ADD COLUMN evaluation_id uuid,
    ADD COLUMN evaluation_hash text NOT NULL
        DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' CHECK (length(evaluation_hash) = 64),
    ADD COLUMN approvals text NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approvals::jsonb) = 'array'),
    ADD COLUMN attestation text CHECK (attestation IS NULL OR jsonb_typeof(attestation::jsonb) = 'object');

ALTER TABLE maturity_evaluations
    ADD COLUMN approvals text NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approvals::jsonb) = 'array');

CREATE FUNCTION maturity_evaluations_approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.approvals IS DISTINCT FROM OLD.approvals
       AND (OLD.approved
            OR length(NEW.approvals) <= length(OLD.approvals)
            OR left(NEW.approvals, length(OLD.approvals) - 1) IS DISTINCT FROM left(OLD.approvals, length(OLD.approvals) - 1)) THEN
        RAISE EXCEPTION 'maturity_evaluations: approvals are appended, and a decision is final'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER maturity_evaluations_approvals_final BEFORE UPDATE ON maturity_evaluations
    FOR EACH ROW EXECUTE FUNCTION maturity_evaluations_approvals_guard();

-- A version's signoffs are appended, never changed or removed, and final
-- once it is approved: the new array begins with the old one, up to its
-- closing bracket.
CREATE FUNCTION risk_model_versions_signoffs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.signoffs IS DISTINCT FROM OLD.signoffs
       AND (OLD.approved
            OR length(NEW.signoffs) <= length(OLD.signoffs)
            OR left(NEW.signoffs, length(OLD.signoffs) - 1) IS DISTINCT FROM left(OLD.signoffs, length(OLD.signoffs) - 1)) THEN
        RAISE EXCEPTION 'risk_model_versions: signoffs are appended, and final once the version is approved'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER risk_model_versions_signoffs_appended BEFORE UPDATE ON risk_model_versions
    FOR EACH ROW EXECUTE FUNCTION risk_model_versions_signoffs_guard();
