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
// A driver whose transactions implement [driver.IncidentCounter] computes
// them in its database; otherwise the store counts the period's rows
// itself. The conformance suite checks that the two agree.
func (h *ops) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	return read(ctx, h, func(o *op) (incident.Counts, error) {
		f, t := o.bound(from), o.bound(to)
		var c incident.Counts
		switch ic, ok := o.dtx.(driver.IncidentCounter); {
		case !f.Before(t):
			c = emptyCounts()
		case ok:
			var err error
			if c, err = ic.IncidentCounts(o.ctx, f, t); err != nil {
				return incident.Counts{}, o.dbErr("count incidents", err)
			}
		default:
			var err error
			if c, err = o.countRows(f, t); err != nil {
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
