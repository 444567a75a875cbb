package htmlreport

import (
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/google/uuid"
)

var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// fixture is twelve weeks of a fleet: level 1 approved by alice and bob
// after four weeks, level 2 by bob and carol four weeks later, a P1 that
// stepped it down in the last week, and a progression still waiting.
func fixture() Input {
	c := incident.Counts{From: epoch, To: epoch.Add(12 * maturity.Week), Deployments: 1200, Incidents: 14,
		BySeverity:                map[incident.Severity]int64{incident.P1: 1, incident.P3: 5, incident.P4: 8},
		DeploymentsByClass:        map[blastradius.Class]int64{blastradius.CriticalInfrastructure: 40, blastradius.BusinessCritical: 260, blastradius.ProductivityTools: 500, blastradius.NonCritical: 400},
		IncidentsByClass:          map[blastradius.Class]int64{blastradius.CriticalInfrastructure: 2, blastradius.BusinessCritical: 5, blastradius.ProductivityTools: 4, blastradius.NonCritical: 3},
		AutoApprovedWithIncidents: 3, Preventable: 2,
	}
	for b := range incident.Bands {
		if b == 9 {
			continue // no deployment scored 90 or more
		}
		c.DeploymentsByBand[b] = int64(300 - 30*b)
		c.IncidentsByBand[b] = int64(b / 2)
	}
	at := func(w int) time.Time { return epoch.Add(time.Duration(w) * maturity.Week) }
	approvals := func(w int, by ...string) []maturity.Approval {
		var as []maturity.Approval
		for _, b := range by {
			as = append(as, maturity.Approval{By: b, At: at(w)})
		}
		return as
	}
	return Input{
		Report: incident.NewReport(c), Since: epoch,
		Evaluations: []maturity.Evaluation{
			{ID: uuid.New(), Kind: maturity.Progression, Level: 2, Target: 3, Ready: false, CreatedAt: at(12)},
			{ID: uuid.New(), Kind: maturity.Regression, Level: 2, Target: 1, Ready: true, Reason: "level Moderate's own limits were breached",
				Decision: maturity.Decision{Approved: true, By: maturity.EngineActor, At: at(11), ModelVersion: "L1-0c0ffee0"}},
			{ID: uuid.New(), Kind: maturity.Progression, Level: 0, Target: 1, Ready: true, Reason: "every criterion for Cautious passed",
				Approvals: approvals(4, "alice", "bob"), Decision: maturity.Decision{Approved: true, By: "bob", At: at(4), ModelVersion: "L1-01a23ac0"}},
			{ID: uuid.New(), Kind: maturity.Progression, Level: 1, Target: 2, Ready: true, Reason: "every criterion for Moderate passed",
				Approvals: approvals(8, "bob", "carol"), Decision: maturity.Decision{Approved: true, By: "carol", At: at(8), ModelVersion: "L2-02b34bd1"}},
		},
	}
}
