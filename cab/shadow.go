package cab

import (
	"context"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// ShadowChange is one stored request whose decision the candidate model
// would change.
type ShadowChange struct {
	RequestID uuid.UUID
	Request   Request
	Was       Outcome // the outcome the request got
	Would     Outcome // the outcome under the candidate
	// WouldScore is the score under the candidate: its weights applied to
	// the recorded factor values, or the stored score when the score was
	// supplied.
	WouldScore decimal.Decimal
	// Incidents counts incidents linked to the request's deployment (up to
	// one page), so a CAB sees how the deployments it would now wave
	// through actually fared.
	Incidents int
}

// ShadowReport is what replaying a period's submissions through a
// candidate model shows.
type ShadowReport struct {
	Candidate string
	From, To  time.Time
	Requests  int // submissions replayed
	Changed   int // decisions the candidate would change
	// Rescored counts the submissions rescored from their recorded factor
	// values under the candidate's weights; the others (a supplied score,
	// or factors the candidate does not weigh) were replayed with the
	// score they were decided with.
	Rescored int
	// NewlyAutoApproved counts requests that were not auto-approved but
	// would be; NewlyAutoApprovedWithIncidents those of them whose
	// deployment had incidents: the risk the CAB is asked to accept.
	NewlyAutoApproved, NewlyAutoApprovedWithIncidents int
	// NoLongerAutoApproved counts requests the candidate would send to
	// review or exception.
	NoLongerAutoApproved int
	Changes              []ShadowChange
}

// Shadow replays the submissions of [from, to) through candidate (which
// need not be active, or even stored, or approved): each is rescored from
// its recorded factor values under the candidate's weights (the stored
// score where the score was supplied or the candidate weighs other
// factors) and decided with its class under the candidate's thresholds.
// It reports which decisions would change and how the affected deployments
// fared, so a change of weights can be judged before the CAB approves it.
// It writes nothing.
func (w *Workflow) Shadow(ctx context.Context, candidate *riskmodel.Version, from, to time.Time) (ShadowReport, error) {
	if candidate == nil {
		return ShadowReport{}, inputErr("candidate", "required", nil)
	}
	if err := candidate.Validate(); err != nil {
		return ShadowReport{}, inputErr("candidate", err.Error(), err)
	}
	if !from.Before(to) {
		return ShadowReport{}, inputErr("to", "must be after from", nil)
	}
	rep := ShadowReport{Candidate: candidate.Version, From: from.UTC(), To: to.UTC()}
	f := RequestFilter{From: from, To: to, Limit: 500}
	for {
		page, err := w.store.ListRequests(ctx, f)
		if err != nil {
			return ShadowReport{}, fmt.Errorf("cab: listing requests: %w", err)
		}
		for _, r := range page {
			if err := w.replay(ctx, candidate, r, &rep); err != nil {
				return ShadowReport{}, err
			}
		}
		if len(page) < f.Limit {
			return rep, nil
		}
		f.After = page[len(page)-1].ID
	}
}

func (w *Workflow) replay(ctx context.Context, candidate *riskmodel.Version, r Request, rep *ShadowReport) error {
	rep.Requests++
	score := r.Decision.Score
	if r.Factors != nil && !r.ScoreSupplied {
		if sc, err := candidate.Score(r.Factors); err == nil {
			score = sc.Value
			rep.Rescored++
		}
	}
	d, err := Decide(score, r.Decision.Class, candidate)
	if err != nil {
		return fmt.Errorf("cab: replaying request %s: %w", r.ID, err)
	}
	if d.Outcome == r.Decision.Outcome {
		return nil
	}
	rep.Changed++
	ch := ShadowChange{RequestID: r.ID, Request: r, Was: r.Decision.Outcome, Would: d.Outcome, WouldScore: score}
	switch {
	case d.Outcome == AutoApproved:
		rep.NewlyAutoApproved++
		page, err := w.store.ListIncidents(ctx, incident.Filter{DeploymentID: &r.DeploymentIntentID, Limit: incident.MaxPageSize})
		if err != nil {
			return fmt.Errorf("cab: incidents of deployment %s: %w", r.DeploymentIntentID, err)
		}
		ch.Incidents = len(page.Incidents)
		if ch.Incidents > 0 {
			rep.NewlyAutoApprovedWithIncidents++
		}
	case r.Decision.Outcome == AutoApproved:
		rep.NoLongerAutoApproved++
	}
	rep.Changes = append(rep.Changes, ch)
	return nil
}
