package incident

import (
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/shopspring/decimal"
)

// RatePlaces is the number of decimal places rates are rounded to.
const RatePlaces = 6

// Rate returns incidents / deployments rounded half-up to [RatePlaces], and
// 0 when there were no deployments (no rate can be measured; callers that
// gate on rates also require a minimum number of deployments).
func Rate(incidents, deployments int64) decimal.Decimal {
	if deployments <= 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(incidents).DivRound(decimal.NewFromInt(deployments), RatePlaces)
}

// Counts are the aggregates a store computes over a period, with SQL
// aggregate queries (never by loading every row). [NewReport] turns them
// into rates.
type Counts struct {
	From, To    time.Time // the period: [From, To)
	Deployments int64     // deployments that finished in the period
	Incidents   int64     // incidents that occurred in the period
	BySeverity  map[Severity]int64
	// DeploymentsByClass and IncidentsByClass count by blast radius class.
	DeploymentsByClass, IncidentsByClass map[blastradius.Class]int64
	// DeploymentsByBand counts deployments by risk-score band;
	// IncidentsByBand counts the period's incidents linked to a deployment
	// by that deployment's band.
	DeploymentsByBand, IncidentsByBand [Bands]int64
	// AutoApprovedWithIncidents counts auto-approved deployments of the
	// period linked to at least one incident: the false negatives of
	// auto-approval.
	AutoApprovedWithIncidents int64
	// Preventable counts the period's incidents marked preventable.
	Preventable int64
}

// ClassRate is the incident rate of one class.
type ClassRate struct {
	Class                  blastradius.Class
	Deployments, Incidents int64
	Rate                   decimal.Decimal
}

// BandRate is the incident rate of one risk-score band [Low, High).
type BandRate struct {
	Band                   int
	Low, High              int // the top band includes 100
	Deployments, Incidents int64
	Rate                   decimal.Decimal
}

// Report is the calibration report over a period: what the CAB reads before
// it trusts a risk model with more automation.
type Report struct {
	Counts
	IncidentRate decimal.Decimal
	ByClass      []ClassRate // most severe class first
	ByBand       []BandRate  // lowest band first
}

// NewReport computes the rates of c.
func NewReport(c Counts) Report {
	r := Report{Counts: c, IncidentRate: Rate(c.Incidents, c.Deployments)}
	for _, cl := range blastradius.Classes() {
		d, i := c.DeploymentsByClass[cl], c.IncidentsByClass[cl]
		r.ByClass = append(r.ByClass, ClassRate{Class: cl, Deployments: d, Incidents: i, Rate: Rate(i, d)})
	}
	for b := range Bands {
		d, i := c.DeploymentsByBand[b], c.IncidentsByBand[b]
		r.ByBand = append(r.ByBand, BandRate{Band: b, Low: b * 10, High: b*10 + 10, Deployments: d, Incidents: i, Rate: Rate(i, d)})
	}
	return r
}
