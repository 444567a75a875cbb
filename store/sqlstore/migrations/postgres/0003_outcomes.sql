-- Outcomes: deployment records, incidents and maturity evaluations
-- (PostgreSQL). Types as in 0001_init.sql.

-- Deployments are the denominator of every incident rate. risk_band is
-- incident.Band(risk_score), computed at insert (and checked here) so that
-- the calibration aggregates group by an indexed integer.
CREATE TABLE deployments (
    id            uuid        NOT NULL PRIMARY KEY,
    application   text        NOT NULL,
    evidence_id   uuid,
    request_id    uuid,
    class         text        NOT NULL CHECK (class IN
                              ('CRITICAL_INFRASTRUCTURE', 'BUSINESS_CRITICAL', 'PRODUCTIVITY_TOOLS', 'NON_CRITICAL')),
    auto_approved boolean     NOT NULL,
    risk_score    numeric     NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    risk_band     integer     NOT NULL CHECK (risk_band = LEAST(trunc(risk_score / 10), 9)),
    model_version text        NOT NULL,
    finished_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL
);

-- IncidentCounts counts each (class, band) cell of a period, and
-- EarliestDeploymentAt finds each cell's first finish time, with one probe
-- of this index per cell: an equality-prefixed range over index entries
-- only, which needs no sort and leaves the planner no other choice.
CREATE INDEX deployments_by_class_band ON deployments (class, risk_band, finished_at);
-- Attribution: the latest deployment of an application before a time (ties
-- by id).
CREATE INDEX deployments_by_application ON deployments (application, finished_at, id);

CREATE TRIGGER deployments_immutable BEFORE UPDATE OR DELETE ON deployments
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('deployment records are never changed or deleted');
CREATE TRIGGER deployments_no_truncate BEFORE TRUNCATE ON deployments
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('deployment records are never deleted');

-- Incidents. fingerprint is the SHA-256 (hex) of the report as submitted,
-- which makes reports idempotent on correlation_id. blast_radius is '' when
-- unknown. Only the resolution columns and updated_at ever change.
CREATE TABLE incidents (
    id                     uuid        NOT NULL PRIMARY KEY,
    correlation_id         text        NOT NULL UNIQUE,
    fingerprint            text        NOT NULL CHECK (length(fingerprint) = 64),
    severity               text        NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
    occurred_at            timestamptz NOT NULL,
    application            text        NOT NULL,
    deployment_id          uuid REFERENCES deployments (id),
    evidence_id            uuid,
    cab_approval_id        uuid,
    attribution            text        NOT NULL CHECK (attribution IN ('none', 'reported', 'inferred')),
    was_auto_approved      boolean     NOT NULL,
    risk_score_at_approval numeric     NOT NULL,
    blast_radius           text        NOT NULL,
    affected_users         bigint      NOT NULL CHECK (affected_users >= 0),
    downtime_minutes       bigint      NOT NULL CHECK (downtime_minutes >= 0),
    business_impact_usd    numeric     NOT NULL CHECK (business_impact_usd >= 0),
    root_cause             text        NOT NULL,
    resolution             text        NOT NULL,
    resolved_at            timestamptz,
    was_preventable        boolean,
    preventability_notes   text        NOT NULL,
    control_improvements   text,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK ((attribution = 'none') = (deployment_id IS NULL))
);

-- Newest-first listing walks (occurred_at, id); the trailing columns make
-- it covering for IncidentCounts over a range of occurrence times.
CREATE INDEX incidents_by_occurrence
    ON incidents (occurred_at, id, severity, blast_radius, was_preventable, deployment_id);
-- LatestIncidentAt: one index probe per severity. With the id, it also
-- lists one severity in order, as the next index does one deployment.
CREATE INDEX incidents_by_severity ON incidents (severity, occurred_at, id);
-- Filtering by deployment, and the foreign key.
CREATE INDEX incidents_by_deployment ON incidents (deployment_id, occurred_at, id);

-- Linkage, severity, facts at approval and impact are fixed at report time.
CREATE FUNCTION incidents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.correlation_id, NEW.fingerprint, NEW.severity, NEW.occurred_at, NEW.application,
        NEW.deployment_id, NEW.evidence_id, NEW.cab_approval_id, NEW.attribution, NEW.was_auto_approved,
        NEW.risk_score_at_approval, NEW.blast_radius, NEW.affected_users, NEW.downtime_minutes,
        NEW.business_impact_usd, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.correlation_id, OLD.fingerprint, OLD.severity, OLD.occurred_at, OLD.application,
        OLD.deployment_id, OLD.evidence_id, OLD.cab_approval_id, OLD.attribution, OLD.was_auto_approved,
        OLD.risk_score_at_approval, OLD.blast_radius, OLD.affected_users, OLD.downtime_minutes,
        OLD.business_impact_usd, OLD.created_at) THEN
        RAISE EXCEPTION 'incidents: only the resolution fields of an incident change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER incidents_report_immutable BEFORE UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_guard();
CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('incidents are never deleted');
CREATE TRIGGER incidents_no_truncate BEFORE TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('incidents are never deleted');

-- Maturity evaluations (progress records) and their criteria. Only the
-- decision columns change, once, when a transition applies the evaluation.
CREATE TABLE maturity_evaluations (
    id                     uuid        NOT NULL PRIMARY KEY,
    kind                   text        NOT NULL CHECK (kind IN ('progression', 'regression', 'hold')),
    level                  integer     NOT NULL CHECK (level BETWEEN 0 AND 4),
    target                 integer     NOT NULL CHECK (target BETWEEN 0 AND 4),
    period_from            timestamptz NOT NULL,
    period_to              timestamptz NOT NULL,
    deployments            bigint      NOT NULL,
    incidents              bigint      NOT NULL,
    p1                     bigint      NOT NULL,
    p2                     bigint      NOT NULL,
    incident_rate          numeric     NOT NULL,
    ready                  boolean     NOT NULL,
    reason                 text        NOT NULL,
    created_at             timestamptz NOT NULL,
    approved               boolean     NOT NULL DEFAULT false,
    decided_by             text        NOT NULL DEFAULT '',
    decided_at             timestamptz,
    decision_model_version text REFERENCES risk_model_versions (version),
    CHECK ((NOT approved AND decided_by = '' AND decided_at IS NULL AND decision_model_version IS NULL)
        OR (approved AND decided_by <> '' AND decided_at IS NOT NULL AND decision_model_version IS NOT NULL))
);

CREATE INDEX maturity_evaluations_newest ON maturity_evaluations (created_at, id);

CREATE TABLE evaluation_criteria (
    evaluation_id uuid    NOT NULL REFERENCES maturity_evaluations (id),
    position      integer NOT NULL CHECK (position >= 0),
    name          text    NOT NULL,
    at_least      boolean NOT NULL,
    required      numeric NOT NULL,
    unlimited     boolean NOT NULL,
    actual        numeric NOT NULL,
    passed        boolean NOT NULL,
    PRIMARY KEY (evaluation_id, position)
);

CREATE FUNCTION maturity_evaluations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.kind, NEW.level, NEW.target, NEW.period_from, NEW.period_to, NEW.deployments, NEW.incidents,
        NEW.p1, NEW.p2, NEW.incident_rate, NEW.ready, NEW.reason, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.level, OLD.target, OLD.period_from, OLD.period_to, OLD.deployments, OLD.incidents,
        OLD.p1, OLD.p2, OLD.incident_rate, OLD.ready, OLD.reason, OLD.created_at) THEN
        RAISE EXCEPTION 'maturity_evaluations: an evaluation is immutable except for its decision'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.approved AND (NEW.approved, NEW.decided_by, NEW.decided_at, NEW.decision_model_version)
       IS DISTINCT FROM (OLD.approved, OLD.decided_by, OLD.decided_at, OLD.decision_model_version) THEN
        RAISE EXCEPTION 'maturity_evaluations: a decision is final'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER maturity_evaluations_immutable BEFORE UPDATE ON maturity_evaluations
    FOR EACH ROW EXECUTE FUNCTION maturity_evaluations_guard();
CREATE TRIGGER maturity_evaluations_no_delete BEFORE DELETE ON maturity_evaluations
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('evaluations are never deleted');
CREATE TRIGGER maturity_evaluations_no_truncate BEFORE TRUNCATE ON maturity_evaluations
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('evaluations are never deleted');
CREATE TRIGGER evaluation_criteria_immutable BEFORE UPDATE OR DELETE ON evaluation_criteria
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('criteria are immutable');
CREATE TRIGGER evaluation_criteria_no_truncate BEFORE TRUNCATE ON evaluation_criteria
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('criteria are immutable');

-- The level moves one step at a time, and only ApplyTransition moves it.
CREATE FUNCTION maturity_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR abs(NEW.level - OLD.level) <> 1 THEN
        RAISE EXCEPTION 'maturity_state: the level changes one step at a time'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER maturity_state_one_step BEFORE UPDATE ON maturity_state
    FOR EACH ROW EXECUTE FUNCTION maturity_state_guard();
CREATE TRIGGER maturity_state_no_delete BEFORE DELETE ON maturity_state
    FOR EACH ROW EXECUTE FUNCTION trustgate_forbid('the maturity state is never deleted');
