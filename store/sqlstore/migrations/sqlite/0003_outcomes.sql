-- Outcomes: deployment records, incidents and maturity evaluations
-- (SQLite). Times, decimals and booleans as in 0001_init.sql; ids are
-- lower-case canonical uuid text, which sorts as the uuid's bytes do.

-- Deployments are the denominator of every incident rate. risk_band is
-- incident.Band(risk_score), computed at insert (and checked here) so that
-- the calibration aggregates group by an indexed integer.
CREATE TABLE deployments (
    id            TEXT    NOT NULL PRIMARY KEY,
    application   TEXT    NOT NULL,
    evidence_id   TEXT,
    request_id    TEXT,
    class         TEXT    NOT NULL CHECK (class IN
                          ('CRITICAL_INFRASTRUCTURE', 'BUSINESS_CRITICAL', 'PRODUCTIVITY_TOOLS', 'NON_CRITICAL')),
    auto_approved INTEGER NOT NULL CHECK (auto_approved IN (0, 1)),
    risk_score    TEXT    NOT NULL,
    risk_band     INTEGER NOT NULL CHECK (risk_band = min(CAST(risk_score AS INTEGER) / 10, 9)),
    model_version TEXT    NOT NULL,
    finished_at   TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
) STRICT;

-- IncidentCounts counts each (class, band) cell of a period, and
-- EarliestDeploymentAt finds each cell's first finish time, with one probe
-- of this index per cell: an equality-prefixed range over index entries
-- only, which needs no sort and leaves the planner no other choice.
CREATE INDEX deployments_by_class_band ON deployments (class, risk_band, finished_at);
-- Attribution: the latest deployment of an application before a time (ties
-- by id).
CREATE INDEX deployments_by_application ON deployments (application, finished_at, id);

CREATE TRIGGER deployments_no_update BEFORE UPDATE ON deployments
BEGIN
    SELECT RAISE(ABORT, 'deployments: deployment records are never changed');
END;

CREATE TRIGGER deployments_no_delete BEFORE DELETE ON deployments
BEGIN
    SELECT RAISE(ABORT, 'deployments: deployment records are never deleted');
END;

-- Incidents. fingerprint is the SHA-256 (hex) of the report as submitted,
-- which makes reports idempotent on correlation_id. blast_radius is '' when
-- unknown. Only the resolution columns and updated_at ever change.
CREATE TABLE incidents (
    id                     TEXT    NOT NULL PRIMARY KEY,
    correlation_id         TEXT    NOT NULL UNIQUE,
    fingerprint            TEXT    NOT NULL CHECK (length(fingerprint) = 64),
    severity               TEXT    NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
    occurred_at            TEXT    NOT NULL,
    application            TEXT    NOT NULL,
    deployment_id          TEXT REFERENCES deployments (id),
    evidence_id            TEXT,
    cab_approval_id        TEXT,
    attribution            TEXT    NOT NULL CHECK (attribution IN ('none', 'reported', 'inferred')),
    was_auto_approved      INTEGER NOT NULL CHECK (was_auto_approved IN (0, 1)),
    risk_score_at_approval TEXT    NOT NULL,
    blast_radius           TEXT    NOT NULL,
    affected_users         INTEGER NOT NULL CHECK (affected_users >= 0),
    downtime_minutes       INTEGER NOT NULL CHECK (downtime_minutes >= 0),
    business_impact_usd    TEXT    NOT NULL,
    root_cause             TEXT    NOT NULL,
    resolution             TEXT    NOT NULL,
    resolved_at            TEXT,
    was_preventable        INTEGER CHECK (was_preventable IN (0, 1)),
    preventability_notes   TEXT    NOT NULL,
    control_improvements   TEXT,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    CHECK ((attribution = 'none') = (deployment_id IS NULL))
) STRICT;

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
CREATE TRIGGER incidents_report_immutable
BEFORE UPDATE OF id, correlation_id, fingerprint, severity, occurred_at, application, deployment_id,
    evidence_id, cab_approval_id, attribution, was_auto_approved, risk_score_at_approval, blast_radius,
    affected_users, downtime_minutes, business_impact_usd, created_at
ON incidents
BEGIN
    SELECT RAISE(ABORT, 'incidents: only the resolution fields of an incident change');
END;

CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
BEGIN
    SELECT RAISE(ABORT, 'incidents: incidents are never deleted');
END;

-- Maturity evaluations (progress records) and their criteria. Only the
-- decision columns change, once, when a transition applies the evaluation.
CREATE TABLE maturity_evaluations (
    id                     TEXT    NOT NULL PRIMARY KEY,
    kind                   TEXT    NOT NULL CHECK (kind IN ('progression', 'regression', 'hold')),
    level                  INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    target                 INTEGER NOT NULL CHECK (target BETWEEN 0 AND 4),
    period_from            TEXT    NOT NULL,
    period_to              TEXT    NOT NULL,
    deployments            INTEGER NOT NULL,
    incidents              INTEGER NOT NULL,
    p1                     INTEGER NOT NULL,
    p2                     INTEGER NOT NULL,
    incident_rate          TEXT    NOT NULL,
    ready                  INTEGER NOT NULL CHECK (ready IN (0, 1)),
    reason                 TEXT    NOT NULL,
    created_at             TEXT    NOT NULL,
    approved               INTEGER NOT NULL DEFAULT 0 CHECK (approved IN (0, 1)),
    decided_by             TEXT    NOT NULL DEFAULT '',
    decided_at             TEXT,
    decision_model_version TEXT REFERENCES risk_model_versions (version),
    CHECK ((approved = 0 AND decided_by = '' AND decided_at IS NULL AND decision_model_version IS NULL)
        OR (approved = 1 AND decided_by <> '' AND decided_at IS NOT NULL AND decision_model_version IS NOT NULL))
) STRICT;

CREATE INDEX maturity_evaluations_newest ON maturity_evaluations (created_at, id);

CREATE TABLE evaluation_criteria (
    evaluation_id TEXT    NOT NULL REFERENCES maturity_evaluations (id),
    position      INTEGER NOT NULL CHECK (position >= 0),
    name          TEXT    NOT NULL,
    at_least      INTEGER NOT NULL CHECK (at_least IN (0, 1)),
    required      TEXT    NOT NULL,
    unlimited     INTEGER NOT NULL CHECK (unlimited IN (0, 1)),
    actual        TEXT    NOT NULL,
    passed        INTEGER NOT NULL CHECK (passed IN (0, 1)),
    PRIMARY KEY (evaluation_id, position)
) STRICT;

CREATE TRIGGER maturity_evaluations_immutable
BEFORE UPDATE OF id, kind, level, target, period_from, period_to, deployments, incidents, p1, p2,
    incident_rate, ready, reason, created_at
ON maturity_evaluations
BEGIN
    SELECT RAISE(ABORT, 'maturity_evaluations: an evaluation is immutable except for its decision');
END;

CREATE TRIGGER maturity_evaluations_decision_final
BEFORE UPDATE OF approved, decided_by, decided_at, decision_model_version ON maturity_evaluations
WHEN OLD.approved = 1
BEGIN
    SELECT RAISE(ABORT, 'maturity_evaluations: a decision is final');
END;

CREATE TRIGGER maturity_evaluations_no_delete BEFORE DELETE ON maturity_evaluations
BEGIN
    SELECT RAISE(ABORT, 'maturity_evaluations: evaluations are never deleted');
END;

CREATE TRIGGER evaluation_criteria_no_update BEFORE UPDATE ON evaluation_criteria
BEGIN
    SELECT RAISE(ABORT, 'evaluation_criteria: criteria are immutable');
END;

CREATE TRIGGER evaluation_criteria_no_delete BEFORE DELETE ON evaluation_criteria
BEGIN
    SELECT RAISE(ABORT, 'evaluation_criteria: criteria are immutable');
END;

-- The level moves one step at a time, and only ApplyTransition moves it.
CREATE TRIGGER maturity_state_one_step BEFORE UPDATE OF level ON maturity_state
WHEN abs(NEW.level - OLD.level) <> 1
BEGIN
    SELECT RAISE(ABORT, 'maturity_state: the level changes one step at a time');
END;

CREATE TRIGGER maturity_state_no_delete BEFORE DELETE ON maturity_state
BEGIN
    SELECT RAISE(ABORT, 'maturity_state: the state is never deleted');
END;
