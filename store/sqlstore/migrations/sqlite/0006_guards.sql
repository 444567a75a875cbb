-- REPLACE closes a gap in the guards of 0001–0004 (SQLite). INSERT OR
-- REPLACE (and REPLACE INTO, and UPDATE OR REPLACE) deletes the rows its
-- new row conflicts with without firing their delete triggers, unless the
-- connection has turned recursive_triggers on, which no connection does by
-- default: any client could rewrite or remove a record the triggers keep.
--
-- So an insert whose primary or unique key is taken is ignored on every
-- guarded table: RAISE(IGNORE) drops the row, which is exactly what the
-- driver's INSERT … ON CONFLICT DO NOTHING does with it, so the store still
-- sees a duplicate key as no row inserted. And a second active risk model
-- version is refused at the update, before UPDATE OR REPLACE could delete
-- the active one to make room for it under the one-active index (the store
-- deactivates the old version first).

CREATE TRIGGER risk_model_versions_no_replace BEFORE INSERT ON risk_model_versions
WHEN EXISTS (SELECT 1 FROM risk_model_versions WHERE version = NEW.version OR (active AND NEW.active))
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER risk_model_versions_single_active BEFORE UPDATE OF active ON risk_model_versions
WHEN NEW.active AND EXISTS (SELECT 1 FROM risk_model_versions WHERE active AND version <> NEW.version)
BEGIN
    SELECT RAISE(ABORT, 'risk_model_versions: at most one version is active');
END;

CREATE TRIGGER risk_model_thresholds_no_replace BEFORE INSERT ON risk_model_thresholds
WHEN EXISTS (SELECT 1 FROM risk_model_thresholds WHERE version = NEW.version AND class = NEW.class)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER risk_model_weights_no_replace BEFORE INSERT ON risk_model_weights
WHEN EXISTS (SELECT 1 FROM risk_model_weights WHERE version = NEW.version AND factor = NEW.factor)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER maturity_state_no_replace BEFORE INSERT ON maturity_state
WHEN EXISTS (SELECT 1 FROM maturity_state WHERE id = NEW.id)
BEGIN
    SELECT RAISE(IGNORE);
END;

-- audit_events_follow_head already refuses a taken seq; this covers the id.
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq OR id = NEW.id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE size = NEW.size AND key_id = NEW.key_id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER evidence_packages_no_replace BEFORE INSERT ON evidence_packages
WHEN EXISTS (SELECT 1 FROM evidence_packages WHERE id = NEW.id OR correlation_id = NEW.correlation_id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER deployments_no_replace BEFORE INSERT ON deployments
WHEN EXISTS (SELECT 1 FROM deployments WHERE id = NEW.id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER incidents_no_replace BEFORE INSERT ON incidents
WHEN EXISTS (SELECT 1 FROM incidents WHERE id = NEW.id OR correlation_id = NEW.correlation_id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER maturity_evaluations_no_replace BEFORE INSERT ON maturity_evaluations
WHEN EXISTS (SELECT 1 FROM maturity_evaluations WHERE id = NEW.id)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER evaluation_criteria_no_replace BEFORE INSERT ON evaluation_criteria
WHEN EXISTS (SELECT 1 FROM evaluation_criteria WHERE evaluation_id = NEW.evaluation_id AND position = NEW.position)
BEGIN
    SELECT RAISE(IGNORE);
END;

CREATE TRIGGER cab_requests_no_replace BEFORE INSERT ON cab_requests
WHEN EXISTS (SELECT 1 FROM cab_requests WHERE id = NEW.id OR correlation_id = NEW.correlation_id)
BEGIN
    SELECT RAISE(IGNORE);
END;
