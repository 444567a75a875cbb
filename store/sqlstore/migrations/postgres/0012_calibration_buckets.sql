-- The calibration buckets (PostgreSQL): what IncidentCounts reads instead of
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
    day                                 timestamptz NOT NULL PRIMARY KEY,
    deployments                         bigint NOT NULL,
    deployments_critical_infrastructure bigint NOT NULL,
    deployments_business_critical       bigint NOT NULL,
    deployments_productivity_tools      bigint NOT NULL,
    deployments_non_critical            bigint NOT NULL,
    deployments_band_0                  bigint NOT NULL,
    deployments_band_1                  bigint NOT NULL,
    deployments_band_2                  bigint NOT NULL,
    deployments_band_3                  bigint NOT NULL,
    deployments_band_4                  bigint NOT NULL,
    deployments_band_5                  bigint NOT NULL,
    deployments_band_6                  bigint NOT NULL,
    deployments_band_7                  bigint NOT NULL,
    deployments_band_8                  bigint NOT NULL,
    deployments_band_9                  bigint NOT NULL,
    incidents                           bigint NOT NULL,
    incidents_p1                        bigint NOT NULL,
    incidents_p2                        bigint NOT NULL,
    incidents_p3                        bigint NOT NULL,
    incidents_p4                        bigint NOT NULL,
    incidents_critical_infrastructure   bigint NOT NULL,
    incidents_business_critical         bigint NOT NULL,
    incidents_productivity_tools        bigint NOT NULL,
    incidents_non_critical              bigint NOT NULL,
    incidents_band_0                    bigint NOT NULL,
    incidents_band_1                    bigint NOT NULL,
    incidents_band_2                    bigint NOT NULL,
    incidents_band_3                    bigint NOT NULL,
    incidents_band_4                    bigint NOT NULL,
    incidents_band_5                    bigint NOT NULL,
    incidents_band_6                    bigint NOT NULL,
    incidents_band_7                    bigint NOT NULL,
    incidents_band_8                    bigint NOT NULL,
    incidents_band_9                    bigint NOT NULL,
    incidents_preventable               bigint NOT NULL,
    auto_approved_local                 bigint NOT NULL
);

-- calibration_auto_approved: one row per auto-approved deployment linked
-- to at least one incident, so no more rows than incidents: when it
-- finished, the latest of its incidents that occurred at or before then,
-- the earliest that occurred after, and whether either is on the day it
-- finished (local). An auto-approved deployment that finished in a period
-- has an incident in it exactly when previous_incident is in the period or
-- next_incident is: IncidentCounts counts the local ones of whole days
-- from calibration_days, and checks the others' rows.
CREATE TABLE calibration_auto_approved (
    deployment_id     uuid NOT NULL PRIMARY KEY REFERENCES deployments (id),
    finished_at       timestamptz NOT NULL,
    previous_incident timestamptz,
    next_incident     timestamptz,
    local             boolean NOT NULL
);

CREATE INDEX calibration_auto_approved_by_finish ON calibration_auto_approved (local, finished_at);

-- Backfill: the rows of every existing auto-approved deployment with an
-- incident, then every day's counts (the benchmarks' fixtures run these
-- two statements after loading rows by SQL, as a migrating database does).
INSERT INTO calibration_auto_approved (deployment_id, finished_at, previous_incident, next_incident, local)
SELECT id, finished_at, previous_incident, next_incident,
       coalesce(date_trunc('day', previous_incident AT TIME ZONE 'UTC') = date_trunc('day', finished_at AT TIME ZONE 'UTC'), false) OR coalesce(date_trunc('day', next_incident AT TIME ZONE 'UTC') = date_trunc('day', finished_at AT TIME ZONE 'UTC'), false)
  FROM (SELECT d.id, d.finished_at,
               (SELECT max(i.occurred_at) FROM incidents i WHERE i.deployment_id = d.id AND i.occurred_at <= d.finished_at) AS previous_incident,
               (SELECT min(i.occurred_at) FROM incidents i WHERE i.deployment_id = d.id AND i.occurred_at > d.finished_at) AS next_incident
          FROM deployments d
         WHERE d.auto_approved AND EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = d.id)) AS a;
INSERT INTO calibration_days (day, deployments, deployments_critical_infrastructure, deployments_business_critical, deployments_productivity_tools, deployments_non_critical, deployments_band_0, deployments_band_1, deployments_band_2, deployments_band_3, deployments_band_4, deployments_band_5, deployments_band_6, deployments_band_7, deployments_band_8, deployments_band_9, incidents, incidents_p1, incidents_p2, incidents_p3, incidents_p4, incidents_critical_infrastructure, incidents_business_critical, incidents_productivity_tools, incidents_non_critical, incidents_band_0, incidents_band_1, incidents_band_2, incidents_band_3, incidents_band_4, incidents_band_5, incidents_band_6, incidents_band_7, incidents_band_8, incidents_band_9, incidents_preventable, auto_approved_local)
SELECT day, sum(deployments), sum(deployments_critical_infrastructure), sum(deployments_business_critical), sum(deployments_productivity_tools), sum(deployments_non_critical), sum(deployments_band_0), sum(deployments_band_1), sum(deployments_band_2), sum(deployments_band_3), sum(deployments_band_4), sum(deployments_band_5), sum(deployments_band_6), sum(deployments_band_7), sum(deployments_band_8), sum(deployments_band_9), sum(incidents), sum(incidents_p1), sum(incidents_p2), sum(incidents_p3), sum(incidents_p4), sum(incidents_critical_infrastructure), sum(incidents_business_critical), sum(incidents_productivity_tools), sum(incidents_non_critical), sum(incidents_band_0), sum(incidents_band_1), sum(incidents_band_2), sum(incidents_band_3), sum(incidents_band_4), sum(incidents_band_5), sum(incidents_band_6), sum(incidents_band_7), sum(incidents_band_8), sum(incidents_band_9), sum(incidents_preventable), sum(auto_approved_local)
  FROM (SELECT date_trunc('day', finished_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, 1 AS deployments, (class = 'CRITICAL_INFRASTRUCTURE')::int AS deployments_critical_infrastructure, (class = 'BUSINESS_CRITICAL')::int AS deployments_business_critical, (class = 'PRODUCTIVITY_TOOLS')::int AS deployments_productivity_tools, (class = 'NON_CRITICAL')::int AS deployments_non_critical, (risk_band = 0)::int AS deployments_band_0, (risk_band = 1)::int AS deployments_band_1, (risk_band = 2)::int AS deployments_band_2, (risk_band = 3)::int AS deployments_band_3, (risk_band = 4)::int AS deployments_band_4, (risk_band = 5)::int AS deployments_band_5, (risk_band = 6)::int AS deployments_band_6, (risk_band = 7)::int AS deployments_band_7, (risk_band = 8)::int AS deployments_band_8, (risk_band = 9)::int AS deployments_band_9, 0 AS incidents, 0 AS incidents_p1, 0 AS incidents_p2, 0 AS incidents_p3, 0 AS incidents_p4, 0 AS incidents_critical_infrastructure, 0 AS incidents_business_critical, 0 AS incidents_productivity_tools, 0 AS incidents_non_critical, 0 AS incidents_band_0, 0 AS incidents_band_1, 0 AS incidents_band_2, 0 AS incidents_band_3, 0 AS incidents_band_4, 0 AS incidents_band_5, 0 AS incidents_band_6, 0 AS incidents_band_7, 0 AS incidents_band_8, 0 AS incidents_band_9, 0 AS incidents_preventable, 0 AS auto_approved_local
          FROM deployments
        UNION ALL
        SELECT date_trunc('day', i.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, 0 AS deployments, 0 AS deployments_critical_infrastructure, 0 AS deployments_business_critical, 0 AS deployments_productivity_tools, 0 AS deployments_non_critical, 0 AS deployments_band_0, 0 AS deployments_band_1, 0 AS deployments_band_2, 0 AS deployments_band_3, 0 AS deployments_band_4, 0 AS deployments_band_5, 0 AS deployments_band_6, 0 AS deployments_band_7, 0 AS deployments_band_8, 0 AS deployments_band_9, 1 AS incidents, (i.severity = 'P1')::int AS incidents_p1, (i.severity = 'P2')::int AS incidents_p2, (i.severity = 'P3')::int AS incidents_p3, (i.severity = 'P4')::int AS incidents_p4, (i.blast_radius = 'CRITICAL_INFRASTRUCTURE')::int AS incidents_critical_infrastructure, (i.blast_radius = 'BUSINESS_CRITICAL')::int AS incidents_business_critical, (i.blast_radius = 'PRODUCTIVITY_TOOLS')::int AS incidents_productivity_tools, (i.blast_radius = 'NON_CRITICAL')::int AS incidents_non_critical, coalesce((d.risk_band = 0)::int, 0) AS incidents_band_0, coalesce((d.risk_band = 1)::int, 0) AS incidents_band_1, coalesce((d.risk_band = 2)::int, 0) AS incidents_band_2, coalesce((d.risk_band = 3)::int, 0) AS incidents_band_3, coalesce((d.risk_band = 4)::int, 0) AS incidents_band_4, coalesce((d.risk_band = 5)::int, 0) AS incidents_band_5, coalesce((d.risk_band = 6)::int, 0) AS incidents_band_6, coalesce((d.risk_band = 7)::int, 0) AS incidents_band_7, coalesce((d.risk_band = 8)::int, 0) AS incidents_band_8, coalesce((d.risk_band = 9)::int, 0) AS incidents_band_9, (i.was_preventable IS TRUE)::int AS incidents_preventable, 0 AS auto_approved_local
          FROM incidents i LEFT JOIN deployments d ON d.id = i.deployment_id
        UNION ALL
        SELECT date_trunc('day', finished_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, 0 AS deployments, 0 AS deployments_critical_infrastructure, 0 AS deployments_business_critical, 0 AS deployments_productivity_tools, 0 AS deployments_non_critical, 0 AS deployments_band_0, 0 AS deployments_band_1, 0 AS deployments_band_2, 0 AS deployments_band_3, 0 AS deployments_band_4, 0 AS deployments_band_5, 0 AS deployments_band_6, 0 AS deployments_band_7, 0 AS deployments_band_8, 0 AS deployments_band_9, 0 AS incidents, 0 AS incidents_p1, 0 AS incidents_p2, 0 AS incidents_p3, 0 AS incidents_p4, 0 AS incidents_critical_infrastructure, 0 AS incidents_business_critical, 0 AS incidents_productivity_tools, 0 AS incidents_non_critical, 0 AS incidents_band_0, 0 AS incidents_band_1, 0 AS incidents_band_2, 0 AS incidents_band_3, 0 AS incidents_band_4, 0 AS incidents_band_5, 0 AS incidents_band_6, 0 AS incidents_band_7, 0 AS incidents_band_8, 0 AS incidents_band_9, 0 AS incidents_preventable, 1 AS auto_approved_local
          FROM calibration_auto_approved WHERE local) AS r
 GROUP BY day;
