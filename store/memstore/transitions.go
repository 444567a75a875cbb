package memstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
)

// checkTransition checks tr before anything is written: that it still
// applies to what is stored ([store.ErrConflict], or [store.ErrNotFound]
// for an unknown evaluation) and that it is well formed
// ([store.ErrInvalid]). The stored evaluation is judged, never the caller's
// copy of it.
func (st *state) checkTransition(tr *maturity.Transition) error {
	if err := requireActor("actor", tr.Actor); err != nil {
		return err
	}
	id := tr.Evaluation.ID
	var step maturity.Level
	switch tr.Kind {
	case maturity.Progression:
		step = 1
	case maturity.Regression:
		step = -1
	default:
		return fmt.Errorf("%w: transition of evaluation %s: %q is neither a progression nor a regression", store.ErrInvalid, id, tr.Kind)
	}
	if cur := st.maturity; cur == nil || cur.Level != tr.From {
		return fmt.Errorf("%w: transition of evaluation %s: the installation is no longer at level %d", store.ErrConflict, id, tr.From)
	}
	e, ok := st.evaluations[id]
	if !ok {
		return fmt.Errorf("%w: evaluation %s", store.ErrNotFound, id)
	}
	switch {
	case e.Decided():
		return fmt.Errorf("%w: evaluation %s is already decided by %s", store.ErrConflict, id, e.Decision.By)
	case e.Kind != tr.Kind:
		return fmt.Errorf("%w: evaluation %s is a %s, not a %s", store.ErrConflict, id, e.Kind, tr.Kind)
	case tr.Kind == maturity.Progression && !e.Ready:
		return fmt.Errorf("%w: evaluation %s is not ready", store.ErrConflict, id)
	case e.Level != tr.From || e.Target != tr.To || e.Target != e.Level+step:
		return fmt.Errorf("%w: evaluation %s judged a %s from level %d to %d, not from %d to %d",
			store.ErrConflict, id, e.Kind, e.Level, e.Target, tr.From, tr.To)
	}
	if tr.State.Level != tr.To || tr.State.ModelVersion != tr.Model.Version {
		return fmt.Errorf("%w: transition of evaluation %s: the new state (level %d, model %q) is not level %d with model %q",
			store.ErrInvalid, id, tr.State.Level, tr.State.ModelVersion, tr.To, tr.Model.Version)
	}
	return nil
}

// ApplyTransition implements [store.Evaluations]. Besides the contract's
// checks (which also reject a stored evaluation that is not one level up for
// a progression or down for a regression), the transition needs an actor and
// a new state at t.To naming t.Model ([store.ErrInvalid]). The events appended are those of
// creating and activating the model (as CreateRiskModel and
// ActivateRiskModel append them), then the maturity event. The decision is
// recorded at t.At (the store's clock if zero), and the new state's Since
// defaults to it too. Either every change is made or none is, even inside a
// transaction that goes on to commit.
func (t *tx) ApplyTransition(ctx context.Context, tr maturity.Transition) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	if err := st.checkTransition(&tr); err != nil {
		return err
	}
	mark := t.savepoint()
	if err := t.applyTransition(st, tr); err != nil {
		t.rollbackTo(mark)
		return err
	}
	return nil
}

// applyTransition makes the changes of tr, checked by checkTransition. On
// error it may have made some; the caller rolls them back.
func (t *tx) applyTransition(st *state, tr maturity.Transition) error {
	if err := t.createRiskModel(st, tr.Model, tr.Actor); err != nil {
		return err
	}
	if err := t.activateRiskModel(st, tr.Model.Version, tr.Actor); err != nil {
		return err
	}
	now := t.clock()
	at := normTime(tr.At)
	if at.IsZero() {
		at = now
	}
	next := tr.State
	next.Since = normTime(next.Since)
	if next.Since.IsZero() {
		next.Since = at
	}
	typ := security.EventMaturityProgressed
	if tr.Kind == maturity.Regression {
		typ = security.EventMaturityRegressed
	}
	id := tr.Evaluation.ID
	e, err := t.newEvent(st, security.EventInput{
		Type:    typ,
		Actor:   tr.Actor,
		Subject: "maturity:level-" + strconv.Itoa(int(tr.To)),
		Data: auditData(map[string]string{
			"evaluation_id": id.String(),
			"from":          strconv.Itoa(int(tr.From)),
			"to":            strconv.Itoa(int(tr.To)),
			"model_version": tr.Model.Version,
		}),
	}, now)
	if err != nil {
		return err
	}
	prev := st.maturity // replaced, never changed in place
	st.maturity = &next
	t.onRollback(func() { st.maturity = prev })
	undecided := st.evaluations[id]
	decided := undecided // criteria are shared, never changed in place
	decided.Decision = maturity.Decision{Approved: true, By: tr.Actor, At: at, ModelVersion: tr.Model.Version}
	st.evaluations[id] = decided
	t.onRollback(func() { st.evaluations[id] = undecided })
	t.pushEvent(st, e)
	return nil
}

// ApplyTransition implements [store.Evaluations].
func (s *Store) ApplyTransition(ctx context.Context, tr maturity.Transition) error {
	return s.run(ctx, true, func(t *tx) error { return t.ApplyTransition(ctx, tr) })
}
