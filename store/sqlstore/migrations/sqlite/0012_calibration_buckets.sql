-- The calibration buckets (SQLite): what IncidentCounts reads instead of
-- the rows of deployments and incidents, so that a report over any period
-- costs time with the days in it, not the rows (the store package's
-- documentation, "Calibration buckets"). The store writes them in the
-- transaction of every deployment and incident write; this migration
-- builds them from the rows a database already holds.
--
-- calibration_days: one row per UTC day with a deployment that finished
-- or an incident that occurred on it (day is its midnight), with the day's
-- counts: deployments in all, by class and by risk band; incidents in all,
-- by severity, by class (none for an unlinked incident reported without
-- one), by the risk band of the deployment linked to it (none when
-- unlinked), the preventable ones; and auto_approved_local, the
-- auto-approved deployments that finished on the day with an incident on
-- the same day just before or after (see calibration_auto_approved).
CREATE TABLE calibration_days (
    day                                 TEXT NOT NULL PRIMARY KEY,
    deployments                         INTEGER NOT NULL,
    deployments_critical_infrastructure INTEGER NOT NULL,
    deployments_business_critical       INTEGER NOT NULL,
    deployments_productivity_tools      INTEGER NOT NULL,
    deployments_non_critical            INTEGER NOT NULL,
    deployments_band_0                  INTEGER NOT NULL,
    deployments_band_1                  INTEGER NOT NULL,
    deployments_band_2                  INTEGER NOT NULL,
    deployments_band_3                  INTEGER NOT NULL,
    deployments_band_4                  INTEGER NOT NULL,
    deployments_band_5                  INTEGER NOT NULL,
    deployments_band_6                  INTEGER NOT NULL,
    deployments_band_7                  INTEGER NOT NULL,
    deployments_band_8                  INTEGER NOT NULL,
    deployments_band_9                  INTEGER NOT NULL,
    incidents                           INTEGER NOT NULL,
    incidents_p1                        INTEGER NOT NULL,
    incidents_p2                        INTEGER NOT NULL,
    incidents_p3                        INTEGER NOT NULL,
    incidents_p4                        INTEGER NOT NULL,
    incidents_critical_infrastructure   INTEGER NOT NULL,
    incidents_business_critical         INTEGER NOT NULL,
    incidents_productivity_tools        INTEGER NOT NULL,
    incidents_non_critical              INTEGER NOT NULL,
    incidents_band_0                    INTEGER NOT NULL,
    incidents_band_1                    INTEGER NOT NULL,
    incidents_band_2                    INTEGER NOT NULL,
    incidents_band_3                    INTEGER NOT NULL,
    incidents_band_4                    INTEGER NOT NULL,
    incidents_band_5                    INTEGER NOT NULL,
    incidents_band_6                    INTEGER NOT NULL,
    incidents_band_7                    INTEGER NOT NULL,
    incidents_band_8                    INTEGER NOT NULL,
    incidents_band_9                    INTEGER NOT NULL,
    incidents_preventable               INTEGER NOT NULL,
    auto_approved_local                 INTEGER NOT NULL
) STRICT;

-- calibration_auto_approved: one row per auto-approved deployment linked
-- to at least one incident, so no more rows than incidents: when it
-- finished, the latest of its incidents that occurred at or before then,
-- the earliest that occurred after, and whether either is on the day it
-- finished (local). An auto-approved deployment that finished in a period
-- has an incident in it exactly when previous_incident is in the period or
-- next_incident is: IncidentCounts counts the local ones of whole days
-- from calibration_days, and checks the others' rows.
CREATE TABLE calibration_auto_approved (
    deployment_id     TEXT NOT NULL PRIMARY KEY REFERENCES deployments (id),
    finished_at       TEXT NOT NULL,
    previous_incident TEXT,
    next_incident     TEXT,
    local             INTEGER NOT NULL CHECK (local IN (0, 1))
) STRICT;

CREATE INDEX calibration_auto_approved_by_finish ON calibration_auto_approved (local, finished_at);

-- Backfill: the rows of every existing auto-approved deployment with an
-- incident, then every day's counts (the benchmarks' fixtures run these
-- two statements after loading rows by SQL, as a migrating database does).
INSERT INTO calibration_auto_approved (deployment_id, finished_at, previous_incident, next_incident, local)
SELECT id, finished_at, previous_incident, next_incident,
       coalesce(substr(previous_incident, 1, 10) = substr(finished_at, 1, 10), 0) OR coalesce(substr(next_incident, 1, 10) = substr(finished_at, 1, 10), 0)
  FROM (SELECT d.id, d.finished_at,
               (SELECT max(i.occurred_at) FROM incidents i WHERE i.deployment_id = d.id AND i.occurred_at <= d.finished_at) AS previous_incident,
               (SELECT min(i.occurred_at) FROM incidents i WHERE i.deployment_id = d.id AND i.occurred_at > d.finished_at) AS next_incident
          FROM deployments d
         WHERE d.auto_approved AND EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = d.id)) AS a;
INSERT INTO calibration_days (day, deployments, deployments_critical_infrastructure, deployments_business_critical, deployments_productivity_tools, deployments_non_critical, deployments_band_0, deployments_band_1, deployments_band_2, deployments_band_3, deployments_band_4, deployments_band_5, deployments_band_6, deployments_band_7, deployments_band_8, deployments_band_9, incidents, incidents_p1, incidents_p2, incidents_p3, incidents_p4, incidents_critical_infrastructure, incidents_business_critical, incidents_productivity_tools, incidents_non_critical, incidents_band_0, incidents_band_1, incidents_band_2, incidents_band_3, incidents_band_4, incidents_band_5, incidents_band_6, incidents_band_7, incidents_band_8, incidents_band_9, incidents_preventable, auto_approved_local)
SELECT day, sum(deployments), sum(deployments_critical_infrastructure), sum(deployments_business_critical), sum(deployments_productivity_tools), sum(deployments_non_critical), sum(deployments_band_0), sum(deployments_band_1), sum(deployments_band_2), sum(deployments_band_3), sum(deployments_band_4), sum(deployments_band_5), sum(deployments_band_6), sum(deployments_band_7), sum(deployments_band_8), sum(deployments_band_9), sum(incidents), sum(incidents_p1), sum(incidents_p2), sum(incidents_p3), sum(incidents_p4), sum(incidents_critical_infrastructure), sum(incidents_business_critical), sum(incidents_productivity_tools), sum(incidents_non_critical), sum(incidents_band_0), sum(incidents_band_1), sum(incidents_band_2), sum(incidents_band_3), sum(incidents_band_4), sum(incidents_band_5), sum(incidents_band_6), sum(incidents_band_7), sum(incidents_band_8), sum(incidents_band_9), sum(incidents_preventable), sum(auto_approved_local)
  FROM (SELECT substr(finished_at, 1, 10) || 'T00:00:00.000000Z' AS day, 1 AS deployments, (class = 'CRITICAL_INFRASTRUCTURE') AS deployments_critical_infrastructure, (class = 'BUSINESS_CRITICAL') AS deployments_business_critical, (class = 'PRODUCTIVITY_TOOLS') AS deployments_productivity_tools, (class = 'NON_CRITICAL') AS deployments_non_critical, (risk_band = 0) AS deployments_band_0, (risk_band = 1) AS deployments_band_1, (risk_band = 2) AS deployments_band_2, (risk_band = 3) AS deployments_band_3, (risk_band = 4) AS deployments_band_4, (risk_band = 5) AS deployments_band_5, (risk_band = 6) AS deployments_band_6, (risk_band = 7) AS deployments_band_7, (risk_band = 8) AS deployments_band_8, (risk_band = 9) AS deployments_band_9, 0 AS incidents, 0 AS incidents_p1, 0 AS incidents_p2, 0 AS incidents_p3, 0 AS incidents_p4, 0 AS incidents_critical_infrastructure, 0 AS incidents_business_critical, 0 AS incidents_productivity_tools, 0 AS incidents_non_critical, 0 AS incidents_band_0, 0 AS incidents_band_1, 0 AS incidents_band_2, 0 AS incidents_band_3, 0 AS incidents_band_4, 0 AS incidents_band_5, 0 AS incidents_band_6, 0 AS incidents_band_7, 0 AS incidents_band_8, 0 AS incidents_band_9, 0 AS incidents_preventable, 0 AS auto_approved_local
          FROM deployments
        UNION ALL
        SELECT substr(i.occurred_at, 1, 10) || 'T00:00:00.000000Z' AS day, 0 AS deployments, 0 AS deployments_critical_infrastructure, 0 AS deployments_business_critical, 0 AS deployments_productivity_tools, 0 AS deployments_non_critical, 0 AS deployments_band_0, 0 AS deployments_band_1, 0 AS deployments_band_2, 0 AS deployments_band_3, 0 AS deployments_band_4, 0 AS deployments_band_5, 0 AS deployments_band_6, 0 AS deployments_band_7, 0 AS deployments_band_8, 0 AS deployments_band_9, 1 AS incidents, (i.severity = 'P1') AS incidents_p1, (i.severity = 'P2') AS incidents_p2, (i.severity = 'P3') AS incidents_p3, (i.severity = 'P4') AS incidents_p4, (i.blast_radius = 'CRITICAL_INFRASTRUCTURE') AS incidents_critical_infrastructure, (i.blast_radius = 'BUSINESS_CRITICAL') AS incidents_business_critical, (i.blast_radius = 'PRODUCTIVITY_TOOLS') AS incidents_productivity_tools, (i.blast_radius = 'NON_CRITICAL') AS incidents_non_critical, (d.risk_band IS 0) AS incidents_band_0, (d.risk_band IS 1) AS incidents_band_1, (d.risk_band IS 2) AS incidents_band_2, (d.risk_band IS 3) AS incidents_band_3, (d.risk_band IS 4) AS incidents_band_4, (d.risk_band IS 5) AS incidents_band_5, (d.risk_band IS 6) AS incidents_band_6, (d.risk_band IS 7) AS incidents_band_7, (d.risk_band IS 8) AS incidents_band_8, (d.risk_band IS 9) AS incidents_band_9, (i.was_preventable IS 1) AS incidents_preventable, 0 AS auto_approved_local
          FROM incidents i LEFT JOIN deployments d ON d.id = i.deployment_id
        UNION ALL
        SELECT substr(finished_at, 1, 10) || 'T00:00:00.000000Z' AS day, 0 AS deployments, 0 AS deployments_critical_infrastructure, 0 AS deployments_business_critical, 0 AS deployments_productivity_tools, 0 AS deployments_non_critical, 0 AS deployments_band_0, 0 AS deployments_band_1, 0 AS deployments_band_2, 0 AS deployments_band_3, 0 AS deployments_band_4, 0 AS deployments_band_5, 0 AS deployments_band_6, 0 AS deployments_band_7, 0 AS deployments_band_8, 0 AS deployments_band_9, 0 AS incidents, 0 AS incidents_p1, 0 AS incidents_p2, 0 AS incidents_p3, 0 AS incidents_p4, 0 AS incidents_critical_infrastructure, 0 AS incidents_business_critical, 0 AS incidents_productivity_tools, 0 AS incidents_non_critical, 0 AS incidents_band_0, 0 AS incidents_band_1, 0 AS incidents_band_2, 0 AS incidents_band_3, 0 AS incidents_band_4, 0 AS incidents_band_5, 0 AS incidents_band_6, 0 AS incidents_band_7, 0 AS incidents_band_8, 0 AS incidents_band_9, 0 AS incidents_preventable, 1 AS auto_approved_local
          FROM calibration_auto_approved WHERE local) AS r
 GROUP BY day;
