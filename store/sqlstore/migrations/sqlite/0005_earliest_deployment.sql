-- EarliestDeploymentAt reads the first entry of this index: since the
-- store builds every read from plain queries, the first finish time is
-- ORDER BY finished_at LIMIT 1, which needs an index of its own (the
-- per-cell probes of deployments_by_class_band were a query of the SQL
-- adapter's own).
CREATE INDEX deployments_by_finish ON deployments (finished_at);
