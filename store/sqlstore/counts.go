package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
)

// IncidentCounts implements [driver.IncidentCounter]: every calibration
// aggregate in one statement, so it reads one snapshot, over covering
// indexes. It counts the period's deployments with one index-only probe per
// class and risk band of the index (class, risk_band, finished_at), an
// equality-prefixed range that needs no sort whatever the planner's
// statistics say, and the period's incidents from a range of
// (occurred_at, …), joined once to their deployments. Its cost grows with
// the rows in the period, not with the history: see BENCHMARKS.md.
func (t *tx) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	const op = "count incidents"
	if err := t.begin(false); err != nil {
		return incident.Counts{}, err
	}
	counts := incident.Counts{
		BySeverity:         map[incident.Severity]int64{},
		DeploymentsByClass: map[blastradius.Class]int64{},
		IncidentsByClass:   map[blastradius.Class]int64{},
	}
	f, to2 := t.d.arg(from), t.d.arg(to)
	query := countsQuery()
	if t.d.dialect == PostgreSQL {
		query = rebind(query)
	}
	rows, err := t.q.QueryContext(ctx, query, f, to2, f, to2, f, to2)
	if err != nil {
		return incident.Counts{}, t.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var (
			kind           int
			class, sev     string
			band           *int64
			n, preventable int64
		)
		if err := rows.Scan(&kind, &class, &band, &sev, &n, &preventable); err != nil {
			return incident.Counts{}, t.fail(ctx, op, err)
		}
		inBand := band != nil && *band >= 0 && *band < incident.Bands
		switch kind {
		case 0:
			if n == 0 {
				continue
			}
			counts.Deployments += n
			counts.DeploymentsByClass[blastradius.Class(class)] += n
			if inBand {
				counts.DeploymentsByBand[*band] += n
			}
		case 1:
			counts.Incidents += n
			counts.BySeverity[incident.Severity(sev)] += n
			if class != "" {
				counts.IncidentsByClass[blastradius.Class(class)] += n
			}
			if inBand {
				counts.IncidentsByBand[*band] += n
			}
			counts.Preventable += preventable
		case 2:
			counts.AutoApprovedWithIncidents = n
		}
	}
	if err := rows.Err(); err != nil {
		return incident.Counts{}, t.fail(ctx, op, err)
	}
	return counts, nil
}

// countsQuery computes every aggregate of IncidentCounts in one statement,
// as rows (kind, class, band, severity, n, preventable):
//
//   - kind 0: the period's deployments in each class and band, counted by
//     an index-only probe of deployments_by_class_band per cell of the
//     grid, every class by every band;
//   - kind 1: the period's incidents (a range of incidents_by_occurrence,
//     joined to their deployments once, in the period CTE) per class (the
//     incident's), band (its deployment's, NULL when unlinked) and severity,
//     with how many of them were preventable;
//   - kind 2: the auto-approved deployments of the period with an incident
//     in the period, from the same joined rows.
//
// Every pair of arguments is the period's from and to; placeholders are ?.
func countsQuery() string {
	classes := make([]string, 0, 4)
	for _, cl := range blastradius.Classes() {
		classes = append(classes, "('"+string(cl)+"')")
	}
	bands := make([]string, 0, incident.Bands)
	for b := range incident.Bands {
		bands = append(bands, "("+strconv.Itoa(b)+")")
	}
	return `
WITH classes (class) AS (VALUES ` + strings.Join(classes, ", ") + `),
bands (band) AS (VALUES ` + strings.Join(bands, ", ") + `),
period AS MATERIALIZED (
	SELECT i.severity, i.blast_radius, i.was_preventable, d.id AS deployment, d.risk_band, d.auto_approved, d.finished_at
	  FROM incidents i LEFT JOIN deployments d ON d.id = i.deployment_id
	 WHERE i.occurred_at >= ? AND i.occurred_at < ?
)
SELECT 0, c.class, b.band, '', (SELECT COUNT(*) FROM deployments d
        WHERE d.class = c.class AND d.risk_band = b.band AND d.finished_at >= ? AND d.finished_at < ?), 0
  FROM classes c CROSS JOIN bands b
UNION ALL
SELECT 1, blast_radius, risk_band, severity, COUNT(*), SUM(CASE WHEN was_preventable THEN 1 ELSE 0 END)
  FROM period
 GROUP BY blast_radius, risk_band, severity
UNION ALL
SELECT 2, '', NULL, '', COUNT(DISTINCT deployment), 0
  FROM period
 WHERE auto_approved AND finished_at >= ? AND finished_at < ?`
}

// rebind turns the ? placeholders of query into PostgreSQL's $1, $2, ….
// The query contains no other question marks.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
