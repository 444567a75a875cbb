package store

import (
	"context"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// IncidentCounts returns the calibration aggregates over [from, to),
// bounds compared exactly; an empty or inverted period counts nothing. The
// maps hold only non-zero counts.
//
// Deployments are those that finished in the period, incidents those that
// occurred in it. IncidentsByClass counts incidents by their blast radius
// (an unlinked incident reported without one is in no class);
// IncidentsByBand counts the period's incidents linked to a deployment, by
// that deployment's risk-score band, wherever the deployment finished.
// AutoApprovedWithIncidents counts the auto-approved deployments that
// finished in the period and are linked to at least one incident that
// occurred in it.
//
// It reads the calibration buckets (see the package documentation): the
// whole UTC days inside the period from their day rows, the parts of the
// days at its two ends from the rows of those days, so that its cost grows
// with the days of the period, not the rows. The result equals
// [Store.RecountIncidents]'s, which the conformance suite checks on random
// data. It is what the calibration report reads; nothing that authorises
// or caps a decision reads it (the maturity engine judges on
// RecountIncidents).
func (h *ops) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	return h.counts(ctx, from, to, (*op).bucketCounts)
}

// RecountIncidents returns what [Store.IncidentCounts] does, counted from
// the deployment and incident records themselves, never from the
// calibration buckets kept beside them: its cost grows with the rows in
// the period. The maturity engine judges every evaluation on it, so that
// a bucket edited under the store can neither raise the level nor keep it
// up. A driver whose transactions implement [driver.IncidentCounter]
// counts the rows in its database; otherwise the store counts them itself.
// The conformance suite checks that the two agree.
func (h *ops) RecountIncidents(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	return h.counts(ctx, from, to, (*op).recount)
}

// recount counts the rows of [f, t) in the database when the driver can,
// and otherwise with countRows.
func (o *op) recount(f, t time.Time) (incident.Counts, error) {
	ic, ok := o.dtx.(driver.IncidentCounter)
	if !ok {
		return o.countRows(f, t)
	}
	c, err := ic.IncidentCounts(o.ctx, f, t)
	if err != nil {
		return incident.Counts{}, o.dbErr("count incidents", err)
	}
	return c, nil
}

// counts runs count over [from, to) as the store compares it, in a write
// transaction: its several reads (a day's bucket, then rows of the same
// day) must see one state, which a driver guarantees only there (a
// read-only transaction may see each query's own). It writes nothing, and
// holds the write lock for the few reads it makes.
func (h *ops) counts(ctx context.Context, from, to time.Time, count func(o *op, f, t time.Time) (incident.Counts, error)) (incident.Counts, error) {
	return write(ctx, h, func(o *op) (incident.Counts, error) {
		f, t := o.bound(from), o.bound(to)
		c := emptyCounts()
		if f.Before(t) {
			var err error
			if c, err = count(o, f, t); err != nil {
				return incident.Counts{}, err
			}
		}
		c.From, c.To = from.UTC(), to.UTC()
		return c, nil
	})
}

func emptyCounts() incident.Counts {
	return incident.Counts{
		BySeverity:         map[incident.Severity]int64{},
		DeploymentsByClass: map[blastradius.Class]int64{},
		IncidentsByClass:   map[blastradius.Class]int64{},
	}
}

// countRows computes the aggregates of [f, t) from the rows: the
// definition of what they are, and what a driver's own computation must
// equal.
func (o *op) countRows(f, t time.Time) (incident.Counts, error) {
	c := emptyCounts()
	type facts struct {
		band int
		auto bool
		in   bool // finished in the period
	}
	deployments := map[uuid.UUID]facts{}
	during := func(col string) []driver.Cond {
		return []driver.Cond{driver.Where(col, driver.Ge, f), driver.Where(col, driver.Lt, t)}
	}
	err := o.query(&driver.Query{Table: o.t.deployments, Where: during("finished_at")}, func(row []any) error {
		d, err := decodeDeployment(o.t.deployments, row)
		if err != nil {
			return err
		}
		band := incident.Band(d.RiskScore)
		c.Deployments++
		c.DeploymentsByClass[d.Class]++
		c.DeploymentsByBand[band]++
		deployments[d.ID] = facts{band: band, auto: d.AutoApproved, in: true}
		return nil
	})
	if err != nil {
		return incident.Counts{}, err
	}
	var linked []incident.Incident
	err = o.query(&driver.Query{Table: o.t.incidents, Where: during("occurred_at")}, func(row []any) error {
		x, _, err := decodeIncident(o.t.incidents, row)
		if err != nil {
			return err
		}
		c.Incidents++
		c.BySeverity[x.Severity]++
		if x.BlastRadius != "" {
			c.IncidentsByClass[x.BlastRadius]++
		}
		if x.WasPreventable != nil && *x.WasPreventable {
			c.Preventable++
		}
		if x.DeploymentID != uuid.Nil {
			linked = append(linked, x)
		}
		return nil
	})
	if err != nil {
		return incident.Counts{}, err
	}
	auto := map[uuid.UUID]bool{}
	for _, x := range linked {
		d, ok := deployments[x.DeploymentID]
		if !ok { // finished outside the period: its band still counts
			rec, found, err := o.deployment(x.DeploymentID)
			if err != nil {
				return incident.Counts{}, err
			}
			if !found {
				continue
			}
			d = facts{band: incident.Band(rec.RiskScore), auto: rec.AutoApproved}
			deployments[x.DeploymentID] = d
		}
		c.IncidentsByBand[d.band]++
		if d.auto && d.in {
			auto[x.DeploymentID] = true
		}
	}
	c.AutoApprovedWithIncidents = int64(len(auto))
	return c, nil
}
