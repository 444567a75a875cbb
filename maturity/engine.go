package maturity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/errs"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
)

// Store is what the engine needs from storage; every trustgate store
// satisfies it. Lookups that find nothing return an error matching
// store.ErrNotFound.
type Store interface {
	MaturityState(ctx context.Context) (State, error)
	ActiveRiskModel(ctx context.Context) (riskmodel.Version, error)
	IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error)
	LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error)
	EarliestDeploymentAt(ctx context.Context) (time.Time, error)
	CreateEvaluation(ctx context.Context, e Evaluation) error
	Evaluation(ctx context.Context, id uuid.UUID) (Evaluation, error)
	ApplyTransition(ctx context.Context, t Transition) error
}

// Options configures an [Engine]. The zero value means the seed levels, the
// default policy, the system clock, random v7 ids and no logging.
type Options struct {
	Levels []Definition
	Policy Policy
	Now    func() time.Time
	NewID  func() uuid.UUID
	Logger *slog.Logger
}

// Engine evaluates maturity against stored records, stores every
// evaluation, steps down at once on a breach, and applies CAB approvals of
// ready progressions. It is safe for concurrent use; the store serialises
// transitions.
type Engine struct {
	store  Store
	levels []Definition
	policy Policy
	now    func() time.Time
	newID  func() uuid.UUID
	log    *slog.Logger
}

// NewEngine returns an engine over s. Custom levels must pass
// [ValidateLevels].
func NewEngine(s Store, opts Options) (*Engine, error) {
	if s == nil {
		return nil, fieldErr("store", "required", nil)
	}
	e := &Engine{store: s, levels: opts.Levels, policy: opts.Policy, now: opts.Now, newID: opts.NewID, log: opts.Logger}
	if e.levels == nil {
		e.levels = Levels()
	}
	if err := ValidateLevels(e.levels); err != nil {
		return nil, err
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = func() uuid.UUID {
			if id, err := uuid.NewV7(); err == nil {
				return id
			}
			return uuid.New()
		}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// Evaluate judges the installation now, stores the evaluation and returns
// it as stored (its times at the store's precision). A [Regression] is
// applied at once (the returned evaluation then carries the decision); a
// ready [Progression] waits for [Engine.Approve].
func (e *Engine) Evaluate(ctx context.Context) (Evaluation, error) {
	now := e.now().UTC()
	state, err := e.store.MaturityState(ctx)
	if err != nil {
		return Evaluation{}, fmt.Errorf("maturity: reading the current level: %w", err)
	}
	active, err := e.store.ActiveRiskModel(ctx)
	if err != nil {
		return Evaluation{}, fmt.Errorf("maturity: reading the active model: %w", err)
	}
	from, to := e.policy.Period(now)
	period, err := e.store.IncidentCounts(ctx, from, to)
	if err != nil {
		return Evaluation{}, err
	}
	entryFrom := from
	if state.Since.After(entryFrom) {
		entryFrom = state.Since
	}
	sinceEntry := period
	if entryFrom.After(from) {
		if sinceEntry, err = e.store.IncidentCounts(ctx, entryFrom, to); err != nil {
			return Evaluation{}, err
		}
	}
	clean, err := e.cleanWeeks(ctx, now)
	if err != nil {
		return Evaluation{}, err
	}
	ev := Evaluate(e.levels, e.policy, Inputs{State: state, Now: now, Counts: period, SinceEntry: sinceEntry, CleanWeeks: clean})
	ev.ID, ev.CreatedAt = e.newID(), now
	if err := e.store.CreateEvaluation(ctx, ev); err != nil {
		return Evaluation{}, fmt.Errorf("maturity: storing the evaluation: %w", err)
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "maturity evaluated", slog.String("evaluation_id", ev.ID.String()),
		slog.String("kind", string(ev.Kind)), slog.Int("level", int(ev.Level)), slog.Int("target", int(ev.Target)), slog.Bool("ready", ev.Ready))
	if ev.Kind != Regression {
		return e.stored(ctx, ev)
	}
	tr, err := Regress(e.levels, ev, state, active, now)
	if err != nil {
		return ev, err
	}
	if err := e.store.ApplyTransition(ctx, tr); err != nil {
		return ev, fmt.Errorf("maturity: stepping down to level %d: %w", tr.To, err)
	}
	e.log.LogAttrs(ctx, slog.LevelWarn, "maturity regressed", slog.Int("from", int(tr.From)), slog.Int("to", int(tr.To)),
		slog.String("model_version", tr.Model.Version), slog.String("reason", ev.Reason))
	return e.stored(ctx, ev)
}

// stored reads ev back as the store keeps it.
func (e *Engine) stored(ctx context.Context, ev Evaluation) (Evaluation, error) {
	got, err := e.store.Evaluation(ctx, ev.ID)
	if err != nil {
		return ev, fmt.Errorf("maturity: reading evaluation %s back: %w", ev.ID, err)
	}
	return got, nil
}

// Approve applies the CAB's approval of a ready progression: the next level
// and a new risk model version carrying its thresholds become active, in
// one transaction, with an audit event. An evaluation that is not ready, is
// already decided or is stale is a [*TransitionError] and nothing is
// written; an unknown id matches store.ErrNotFound.
func (e *Engine) Approve(ctx context.Context, evaluationID uuid.UUID, approver string) (Transition, error) {
	now := e.now().UTC()
	ev, err := e.store.Evaluation(ctx, evaluationID)
	if err != nil {
		return Transition{}, fmt.Errorf("maturity: evaluation %s: %w", evaluationID, err)
	}
	state, err := e.store.MaturityState(ctx)
	if err != nil {
		return Transition{}, err
	}
	active, err := e.store.ActiveRiskModel(ctx)
	if err != nil {
		return Transition{}, err
	}
	tr, err := Progress(e.levels, ev, state, active, approver, now)
	if err != nil {
		return Transition{}, err
	}
	if err := e.store.ApplyTransition(ctx, tr); err != nil {
		return Transition{}, fmt.Errorf("maturity: applying the progression to level %d: %w", tr.To, err)
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "maturity progressed", slog.Int("from", int(tr.From)), slog.Int("to", int(tr.To)),
		slog.String("model_version", tr.Model.Version), slog.String("approver", approver))
	return tr, nil
}

// cleanWeeks counts whole weeks before now without a P1 or P2 incident,
// from the first recorded deployment when there has been none.
func (e *Engine) cleanWeeks(ctx context.Context, now time.Time) (int, error) {
	last, err := e.store.LatestIncidentAt(ctx, []incident.Severity{incident.P1, incident.P2}, now)
	if errors.Is(err, errs.ErrNotFound) {
		last, err = e.store.EarliestDeploymentAt(ctx)
		if errors.Is(err, errs.ErrNotFound) {
			return 0, nil
		}
	}
	if err != nil {
		return 0, err
	}
	return max(0, int(now.Sub(last)/Week)), nil
}
