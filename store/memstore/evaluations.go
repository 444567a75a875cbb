package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// maxEvaluationPage is the largest limit ListEvaluations accepts.
const maxEvaluationPage = 1000

// cloneEvaluation returns a deep copy of e.
func cloneEvaluation(e maturity.Evaluation) maturity.Evaluation {
	e.Criteria = slices.Clone(e.Criteria)
	return e
}

// normEvaluation returns a deep copy of e with its times normalised.
func normEvaluation(e maturity.Evaluation) maturity.Evaluation {
	e = cloneEvaluation(e)
	e.PeriodFrom = normTime(e.PeriodFrom)
	e.PeriodTo = normTime(e.PeriodTo)
	e.CreatedAt = normTime(e.CreatedAt)
	e.Decision.At = normTime(e.Decision.At)
	return e
}

// CreateEvaluation implements [store.Evaluations]. Besides an id, the
// evaluation needs a known kind and valid levels ([store.ErrInvalid]), as a
// database's constraints would. Times are stored in UTC with microsecond
// precision; CreatedAt defaults to the store's clock.
func (t *tx) CreateEvaluation(ctx context.Context, e maturity.Evaluation) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	switch {
	case e.ID == uuid.Nil:
		return fmt.Errorf("%w: an evaluation needs an id", store.ErrInvalid)
	case e.Kind != maturity.Progression && e.Kind != maturity.Regression && e.Kind != maturity.Hold:
		return fmt.Errorf("%w: evaluation %s: %q is not a kind of evaluation", store.ErrInvalid, e.ID, e.Kind)
	case !e.Level.Valid() || !e.Target.Valid():
		return fmt.Errorf("%w: evaluation %s: levels %d to %d are not both valid", store.ErrInvalid, e.ID, e.Level, e.Target)
	}
	if _, ok := st.evaluations[e.ID]; ok {
		return fmt.Errorf("%w: evaluation id %s is taken", store.ErrConflict, e.ID)
	}
	e = normEvaluation(e)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = t.clock()
	}
	st.evaluations[e.ID] = e
	t.onRollback(func() { delete(st.evaluations, e.ID) })
	return nil
}

// Evaluation implements [store.Evaluations].
func (t *tx) Evaluation(ctx context.Context, id uuid.UUID) (maturity.Evaluation, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return maturity.Evaluation{}, err
	}
	defer t.mu.Unlock()
	e, ok := st.evaluations[id]
	if !ok {
		return maturity.Evaluation{}, fmt.Errorf("%w: evaluation %s", store.ErrNotFound, id)
	}
	return cloneEvaluation(e), nil
}

// ListEvaluations implements [store.Evaluations]: newest first by creation
// time, then by id descending.
func (t *tx) ListEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if limit <= 0 || limit > maxEvaluationPage {
		return nil, fmt.Errorf("%w: evaluation page limit %d is outside [1, %d]", store.ErrInvalid, limit, maxEvaluationPage)
	}
	all := make([]maturity.Evaluation, 0, len(st.evaluations)) // shallow copies, cloned below
	for _, e := range st.evaluations {
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b maturity.Evaluation) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
	out := make([]maturity.Evaluation, min(limit, len(all)))
	for i := range out {
		out[i] = cloneEvaluation(all[i])
	}
	return out, nil
}

// CreateEvaluation implements [store.Evaluations].
func (s *Store) CreateEvaluation(ctx context.Context, e maturity.Evaluation) error {
	return s.run(ctx, true, func(t *tx) error { return t.CreateEvaluation(ctx, e) })
}

// Evaluation implements [store.Evaluations].
func (s *Store) Evaluation(ctx context.Context, id uuid.UUID) (maturity.Evaluation, error) {
	return do(ctx, s, false, func(t *tx) (maturity.Evaluation, error) { return t.Evaluation(ctx, id) })
}

// ListEvaluations implements [store.Evaluations].
func (s *Store) ListEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error) {
	return do(ctx, s, false, func(t *tx) ([]maturity.Evaluation, error) { return t.ListEvaluations(ctx, limit) })
}
