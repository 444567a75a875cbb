package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// IncidentCounts implements [store.Incidents]. The bounds are normalised as
// stored times are (UTC, truncated to microseconds); an empty or reversed
// period counts nothing. The maps hold only non-zero counts.
//
// Deployments are those that finished in the period, incidents those that
// occurred in it. IncidentsByClass counts incidents by their blast radius
// (an unlinked incident reported without one is in no class);
// IncidentsByBand counts the period's incidents linked to a deployment, by
// that deployment's risk-score band, wherever the deployment finished.
// AutoApprovedWithIncidents counts the auto-approved deployments that
// finished in the period and are linked to at least one incident that
// occurred in it.
func (t *tx) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return incident.Counts{}, err
	}
	defer t.mu.Unlock()
	from, to = normTime(from), normTime(to)
	inPeriod := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }
	c := incident.Counts{
		From: from, To: to,
		BySeverity:         make(map[incident.Severity]int64),
		DeploymentsByClass: make(map[blastradius.Class]int64),
		IncidentsByClass:   make(map[blastradius.Class]int64),
	}
	for _, d := range st.deployments {
		if !inPeriod(d.FinishedAt) {
			continue
		}
		c.Deployments++
		c.DeploymentsByClass[d.Class]++
		c.DeploymentsByBand[incident.Band(d.RiskScore)]++
	}
	autoWithIncidents := make(map[uuid.UUID]struct{})
	for _, s := range st.incidents {
		x := &s.in
		if !inPeriod(x.OccurredAt) {
			continue
		}
		c.Incidents++
		c.BySeverity[x.Severity]++
		if x.BlastRadius != "" {
			c.IncidentsByClass[x.BlastRadius]++
		}
		if x.WasPreventable != nil && *x.WasPreventable {
			c.Preventable++
		}
		d, ok := st.deployments[x.DeploymentID]
		if x.DeploymentID == uuid.Nil || !ok {
			continue
		}
		c.IncidentsByBand[incident.Band(d.RiskScore)]++
		if d.AutoApproved && inPeriod(d.FinishedAt) {
			autoWithIncidents[d.ID] = struct{}{}
		}
	}
	c.AutoApprovedWithIncidents = int64(len(autoWithIncidents))
	return c, nil
}

// LatestIncidentAt implements [store.Incidents]. before is normalised as
// stored times are.
func (t *tx) LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return time.Time{}, err
	}
	defer t.mu.Unlock()
	before = normTime(before)
	var latest time.Time
	found := false
	for _, s := range st.incidents {
		at := s.in.OccurredAt
		if at.Before(before) && slices.Contains(severities, s.in.Severity) && (!found || at.After(latest)) {
			latest, found = at, true
		}
	}
	if !found {
		return time.Time{}, fmt.Errorf("%w: no incident of severity %v before %s", store.ErrNotFound, severities, before.Format(time.RFC3339Nano))
	}
	return latest, nil
}

// EarliestDeploymentAt implements [store.Incidents].
func (t *tx) EarliestDeploymentAt(ctx context.Context) (time.Time, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return time.Time{}, err
	}
	defer t.mu.Unlock()
	var earliest time.Time
	found := false
	for _, d := range st.deployments {
		if !found || d.FinishedAt.Before(earliest) {
			earliest, found = d.FinishedAt, true
		}
	}
	if !found {
		return time.Time{}, fmt.Errorf("%w: no deployment is recorded", store.ErrNotFound)
	}
	return earliest, nil
}

// IncidentCounts implements [store.Incidents].
func (s *Store) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	return do(ctx, s, false, func(t *tx) (incident.Counts, error) { return t.IncidentCounts(ctx, from, to) })
}

// LatestIncidentAt implements [store.Incidents].
func (s *Store) LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error) {
	return do(ctx, s, false, func(t *tx) (time.Time, error) { return t.LatestIncidentAt(ctx, severities, before) })
}

// EarliestDeploymentAt implements [store.Incidents].
func (s *Store) EarliestDeploymentAt(ctx context.Context) (time.Time, error) {
	return do(ctx, s, false, func(t *tx) (time.Time, error) { return t.EarliestDeploymentAt(ctx) })
}
