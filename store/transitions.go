package store

import (
	"context"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/google/uuid"
)

// ApplyTransition applies t in one transaction: it creates t.Model,
// activates it, sets the maturity state to t.State, records the decision on
// t.Evaluation, and appends the audit events of the model's creation and
// activation and then a maturity.progressed or maturity.regressed event
// naming t.Actor.
//
// It checks first, inside the transaction, that the installation is still
// at t.From and that the stored evaluation (not the caller's copy of it) is
// undecided, of t's kind, one level up for a progression (and ready) or
// down for a regression, from t.From to t.To; if not, it is [ErrConflict]
// ([ErrNotFound] for an unknown evaluation). A transition without an actor,
// of another kind, or whose new state is not t.To naming t.Model is
// [trustgate.Invalid]; the model must be valid, new and CAB-approved as for
// CreateRiskModel and ActivateRiskModel. Any of these writes nothing. The
// decision is recorded at t.At (the store's clock if zero), and the new
// state's Since defaults to it.
func (h *ops) ApplyTransition(ctx context.Context, t maturity.Transition) error {
	if err := requireActor("actor", t.Actor); err != nil {
		return err
	}
	var step maturity.Level
	switch t.Kind {
	case maturity.Progression:
		step = 1
	case maturity.Regression:
		step = -1
	default:
		return invalid("kind", "store: transition: %q is neither a progression nor a regression", t.Kind)
	}
	id := t.Evaluation.ID
	if id == uuid.Nil {
		return invalid("evaluation.id", "store: the transition names no evaluation")
	}
	return write0(ctx, h, func(o *op) error {
		cur, ok, err := o.state()
		switch {
		case err != nil:
			return err
		case !ok || cur.Level != t.From:
			return conflict("transition of evaluation %s: the installation is no longer at level %d", id, t.From)
		}
		e, ok, err := o.evaluation(id)
		switch {
		case err != nil:
			return err
		case !ok:
			return notFound("evaluation %s", id)
		case e.Decided():
			return conflict("evaluation %s is already decided by %s", id, e.Decision.By)
		case e.Kind != t.Kind:
			return conflict("evaluation %s is a %s, not a %s", id, e.Kind, t.Kind)
		case t.Kind == maturity.Progression && !e.Ready:
			return conflict("evaluation %s is not ready", id)
		case e.Level != t.From || e.Target != t.To || e.Target != e.Level+step:
			return conflict("evaluation %s judged a %s from level %d to %d, not from %d to %d",
				id, e.Kind, e.Level, e.Target, t.From, t.To)
		case t.State.Level != t.To || t.State.ModelVersion != t.Model.Version:
			return invalid("state", "store: transition of evaluation %s: the new state (level %d, model %q) is not level %d with model %q",
				id, t.State.Level, t.State.ModelVersion, t.To, t.Model.Version)
		}
		model := t.Model
		model.CreatedBy = attest.NormalizeName(t.Actor)
		cs, err := o.newModel(&model)
		if err != nil {
			return err
		}
		if !model.Approval.Approved {
			return notApproved(model.Version)
		}
		activate, previous, err := o.activation(model.Version, true)
		if err != nil {
			return err
		}
		at := o.norm(t.At)
		if at.IsZero() {
			at = o.clock()
		}
		next := t.State
		if next.Since = o.norm(next.Since); next.Since.IsZero() {
			next.Since = at
		}
		cs = append(cs, activate...)
		cs = append(cs,
			update(o.t.maturity, []any{stateID}, stateColumns(), stateValues(&next)...),
			update(o.t.evaluations, []any{id}, []string{"approved", "decided_by", "decided_at", "decision_model_version"},
				true, t.Actor, at, model.Version))
		_, err = o.apply(cs, riskModelCreated(&model, t.Actor), riskModelActivated(model.Version, previous, t.Actor),
			maturityChanged(&t))
		return err
	})
}
