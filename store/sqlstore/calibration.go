package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/google/uuid"
)

// Listing and the calibration aggregates. Each of these reads is a single
// statement, so it sees one snapshot of the database without a
// transaction.

func (c conn) listIncidents(ctx context.Context, f incident.Filter) (incident.Page, error) {
	if err := f.Validate(); err != nil {
		return incident.Page{}, err
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Severity != nil {
		add(`severity = ?`, string(*f.Severity))
	}
	if f.Class != nil {
		add(`blast_radius = ?`, string(*f.Class))
	}
	if f.From != nil {
		add(`occurred_at >= ?`, c.s.ceilArg(*f.From))
	}
	if f.To != nil {
		add(`occurred_at < ?`, c.s.ceilArg(*f.To))
	}
	if f.AutoApproved != nil {
		add(`was_auto_approved = ?`, *f.AutoApproved)
	}
	switch {
	case f.DeploymentID != nil && *f.DeploymentID == uuid.Nil:
		add(`deployment_id IS NULL`) // the unattributed incidents
	case f.DeploymentID != nil:
		add(`deployment_id = ?`, f.DeploymentID.String())
	}
	if f.After != nil {
		// Keyset: after the cursor in newest-first order. Both dialects
		// compare row values, and both seek incidents_by_occurrence to the
		// cursor with it (SQLite would scan from the newest entry for the
		// equivalent "occurred_at < ? OR (occurred_at = ? AND id < ?)").
		at, id := f.After.OccurredAt, f.After.ID.String()
		if normTime(at).Equal(at.UTC()) {
			add(`(occurred_at, id) < (?, ?)`, c.s.timeArg(at), id)
		} else { // finer than any stored time: nothing ties with it
			add(`occurred_at < ?`, c.s.ceilArg(at))
		}
	}
	tail := ``
	if len(where) > 0 {
		tail = `WHERE ` + strings.Join(where, ` AND `)
	}
	size := f.PageSize()
	// One more than the page, to know whether another page follows.
	ins, err := c.selectIncidents(ctx, tail+` ORDER BY occurred_at DESC, id DESC LIMIT ?`, append(args, size+1)...)
	if err != nil {
		return incident.Page{}, err
	}
	page := incident.Page{Incidents: ins}
	if len(ins) > size {
		page.Incidents = ins[:size]
		last := ins[size-1]
		page.Next = &incident.Cursor{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	return page, nil
}

// cellsCTE names the cells of the calibration grid, every class by every
// risk band, for queries that probe deployments_by_class_band once per cell.
var cellsCTE = func() string {
	classes := make([]string, 0, 4)
	for _, cl := range blastradius.Classes() {
		classes = append(classes, "('"+string(cl)+"')")
	}
	bands := make([]string, 0, incident.Bands)
	for b := range incident.Bands {
		bands = append(bands, "("+strconv.Itoa(b)+")")
	}
	return `classes (class) AS (VALUES ` + strings.Join(classes, ", ") + `),
	bands (band) AS (VALUES ` + strings.Join(bands, ", ") + `)`
}()

// countsQuery computes every aggregate of IncidentCounts in one statement,
// as rows (kind, class, band, severity, n, preventable):
//
//   - kind 0: the period's deployments in each class and band, counted by
//     an index-only probe of deployments_by_class_band per cell;
//   - kind 1: the period's incidents (a range of incidents_by_occurrence,
//     joined to their deployments once, in the period CTE) per class (the
//     incident's), band (its deployment's, NULL when unlinked) and severity,
//     with how many of them were preventable;
//   - kind 2: the auto-approved deployments of the period with an incident
//     in the period, from the same joined rows.
//
// Every pair of arguments is the period's from and to.
var countsQuery = `
WITH ` + cellsCTE + `,
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

func (c conn) incidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	const op = "count incidents" // an empty or inverted period counts nothing
	counts := incident.Counts{
		From: from.UTC(), To: to.UTC(),
		BySeverity:         map[incident.Severity]int64{},
		DeploymentsByClass: map[blastradius.Class]int64{},
		IncidentsByClass:   map[blastradius.Class]int64{},
	}
	f, t := c.s.ceilArg(from), c.s.ceilArg(to)
	rows, err := c.query(ctx, countsQuery, f, t, f, t, f, t)
	if err != nil {
		return incident.Counts{}, c.s.fail(ctx, op, err)
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
			return incident.Counts{}, c.s.fail(ctx, op, err)
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
		return incident.Counts{}, c.s.fail(ctx, op, err)
	}
	return counts, nil
}

func (c conn) latestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error) {
	const op = "read latest incident"
	// One index probe per severity (incidents_by_severity), then the
	// greatest of them.
	var parts []string
	var args []any
	seen := map[incident.Severity]bool{}
	for _, s := range severities {
		if s.Valid() && !seen[s] { // an unknown severity matches no incident
			seen[s] = true
			parts = append(parts, `SELECT MAX(occurred_at) AS latest_at FROM incidents WHERE severity = ? AND occurred_at < ?`)
			args = append(args, string(s), c.s.ceilArg(before))
		}
	}
	var at time.Time
	if len(parts) > 0 {
		err := c.queryRow(ctx, `SELECT MAX(latest_at) FROM (`+strings.Join(parts, ` UNION ALL `)+`) AS latest`, args...).
			Scan(timeCol{&at})
		if err != nil {
			return time.Time{}, c.s.fail(ctx, op, err)
		}
	}
	if at.IsZero() {
		return time.Time{}, notFound("no incident of severity %v before %s", severities, before.UTC().Format(time.RFC3339Nano))
	}
	return at, nil
}
