package maturity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/errs"
)

// Records is what [ReadInputs] reads: the current level and the records
// the evaluation counts. Every [Store] is one; a read-only store is enough.
type Records interface {
	MaturityState(ctx context.Context) (State, error)
	RecountIncidents(ctx context.Context, from, to time.Time) (incident.Counts, error)
	LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error)
	EarliestDeploymentAt(ctx context.Context) (time.Time, error)
}

// ReadInputs gathers what [Evaluate] judges at now, as [Engine.Evaluate]
// gathers it: the current state; the period's counts (policy.Period) and
// those of its part since the level was entered, both recounted from the
// records (RecountIncidents, never an aggregate kept beside them); and the
// whole weeks before now without a P1 or P2 incident, from the first
// recorded deployment when there has been none. With it a caller can
// preview an evaluation without an engine, a signing key or a write:
//
//	in, err := maturity.ReadInputs(ctx, s, maturity.Policy{}, time.Now())
//	ev := maturity.Evaluate(maturity.Levels(), maturity.Policy{}, in)
func ReadInputs(ctx context.Context, r Records, policy Policy, now time.Time) (Inputs, error) {
	now = now.UTC()
	state, err := r.MaturityState(ctx)
	if err != nil {
		return Inputs{}, fmt.Errorf("maturity: reading the current level: %w", err)
	}
	in := Inputs{State: state, Now: now}
	if in.CleanWeeks, err = cleanWeeks(ctx, r, now); err != nil {
		return Inputs{}, err
	}
	from, to := policy.Period(now)
	if in.Counts, err = r.RecountIncidents(ctx, from, to); err != nil {
		return Inputs{}, err
	}
	in.SinceEntry = in.Counts
	if state.Since.After(from) {
		if in.SinceEntry, err = r.RecountIncidents(ctx, state.Since, to); err != nil {
			return Inputs{}, err
		}
	}
	return in, nil
}

// cleanWeeks counts whole weeks before now without a P1 or P2 incident,
// from the first recorded deployment when there has been none.
func cleanWeeks(ctx context.Context, r Records, now time.Time) (int, error) {
	last, err := r.LatestIncidentAt(ctx, []incident.Severity{incident.P1, incident.P2}, now)
	if errors.Is(err, errs.ErrNotFound) {
		last, err = r.EarliestDeploymentAt(ctx)
		if errors.Is(err, errs.ErrNotFound) {
			return 0, nil
		}
	}
	if err != nil {
		return 0, err
	}
	return max(0, int(now.Sub(last)/Week)), nil
}
