package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// applyTransition applies t under a savepoint, so that a failure part way
// leaves nothing behind even inside a WithTx whose function goes on after
// the error (and, on PostgreSQL, leaves that transaction usable).
func (c conn) applyTransition(ctx context.Context, t maturity.Transition) error {
	return c.savepoint(ctx, "apply_transition", func() error { return c.transition(ctx, t) })
}

func (c conn) transition(ctx context.Context, t maturity.Transition) error {
	const op = "apply transition"
	var event security.EventType
	switch t.Kind {
	case maturity.Progression:
		event = security.EventMaturityProgressed
	case maturity.Regression:
		event = security.EventMaturityRegressed
	default:
		return invalid("%s: kind %q is neither a progression nor a regression", op, t.Kind)
	}
	if t.Evaluation.ID == uuid.Nil {
		return invalid("%s: the transition names no evaluation", op)
	}

	// Writes are serialised: what these checks read stays true until the
	// transaction ends. The stored evaluation is judged, not the caller's
	// copy of it.
	st, err := c.maturityState(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return conflict("%s: the store is not seeded, so it is not at %v", op, t.From)
	case err != nil:
		return err
	case st.Level != t.From:
		return conflict("%s: the installation is at %v, not %v", op, st.Level, t.From)
	}
	ev, err := c.evaluation(ctx, t.Evaluation.ID)
	if err != nil {
		return err
	}
	switch {
	case ev.Decided():
		return conflict("%s: evaluation %s was already decided by %s", op, ev.ID, ev.Decision.By)
	case ev.Kind != t.Kind:
		return conflict("%s: evaluation %s is a %s, not a %s", op, ev.ID, ev.Kind, t.Kind)
	case t.Kind == maturity.Progression && !ev.Ready:
		return conflict("%s: evaluation %s is not ready", op, ev.ID)
	case ev.Level != t.From || ev.Target != t.To:
		return conflict("%s: evaluation %s judged %v towards %v, not %v towards %v", op, ev.ID, ev.Level, ev.Target, t.From, t.To)
	}
	switch {
	case t.State.Level != t.To:
		return invalid("%s: the new state is at %v, not %v", op, t.State.Level, t.To)
	case t.State.ModelVersion != t.Model.Version:
		return invalid("%s: the new state names model %q, not the transition's %q", op, t.State.ModelVersion, t.Model.Version)
	}
	at := normTime(t.At)
	if at.IsZero() {
		at = normTime(c.s.now())
	}
	since := t.State.Since
	if since.IsZero() {
		since = at
	}

	if err := c.createRiskModel(ctx, t.Model, t.Actor); err != nil {
		return err
	}
	if err := c.activateRiskModel(ctx, t.Model.Version, t.Actor); err != nil {
		return err
	}
	if err := c.updateOne(ctx, op+": maturity state", `UPDATE maturity_state
		SET level = ?, since = ?, model_version = ?, reason = ? WHERE id = 1 AND level = ?`,
		int(t.To), c.s.timeArg(since), t.State.ModelVersion, t.State.Reason, int(t.From)); err != nil {
		return err
	}
	if err := c.updateOne(ctx, op+": decision", `UPDATE maturity_evaluations
		SET approved = TRUE, decided_by = ?, decided_at = ?, decision_model_version = ? WHERE id = ? AND approved = FALSE`,
		t.Actor, c.s.timeArg(at), t.Model.Version, ev.ID.String()); err != nil {
		return err
	}
	// Levels as strings, as in the in-memory adapter's events.
	data, err := json.Marshal(map[string]string{"evaluation_id": ev.ID.String(), "from": strconv.Itoa(int(t.From)),
		"to": strconv.Itoa(int(t.To)), "model_version": t.Model.Version})
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{Type: event, Actor: t.Actor,
		Subject: fmt.Sprintf("maturity:level-%d", int(t.To)), Data: data})
	return err
}

// updateOne runs an UPDATE that must change exactly one row; any other
// count means the row changed under the checks, which serialised writes
// rule out, and is [store.ErrConflict].
func (c conn) updateOne(ctx context.Context, op, query string, args ...any) error {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return c.s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return c.s.fail(ctx, op, err)
	}
	if n != 1 {
		return conflict("%s: %d rows changed, not 1", op, n)
	}
	return nil
}

// savepoint runs fn inside a savepoint of the current transaction, rolling
// back to it if fn fails. name must be a plain identifier.
func (c conn) savepoint(ctx context.Context, name string, fn func() error) error {
	if _, err := c.exec(ctx, `SAVEPOINT `+name); err != nil {
		return c.s.fail(ctx, "savepoint", err)
	}
	if err := fn(); err != nil {
		// Also when ctx is done: the transaction itself is still open.
		ctx := context.WithoutCancel(ctx)
		if _, rerr := c.exec(ctx, `ROLLBACK TO SAVEPOINT `+name); rerr == nil {
			_, _ = c.exec(ctx, `RELEASE SAVEPOINT `+name)
		}
		return err
	}
	if _, err := c.exec(ctx, `RELEASE SAVEPOINT `+name); err != nil {
		return c.s.fail(ctx, "release savepoint", err)
	}
	return nil
}
