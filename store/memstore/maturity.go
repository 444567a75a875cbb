package memstore

import (
	"context"
	"fmt"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
)

// MaturityState implements [store.Maturity].
func (t *tx) MaturityState(ctx context.Context) (maturity.State, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return maturity.State{}, err
	}
	defer t.mu.Unlock()
	if st.maturity == nil {
		return maturity.State{}, fmt.Errorf("%w: no maturity state: the store is not seeded", store.ErrNotFound)
	}
	return *st.maturity, nil
}

// InitMaturityState implements [store.Maturity]. Since is stored in UTC
// with microsecond precision.
func (t *tx) InitMaturityState(ctx context.Context, s maturity.State) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	if !s.Level.Valid() {
		return fmt.Errorf("%w: %v is not a maturity level", store.ErrInvalid, s.Level)
	}
	if st.maturity != nil {
		return fmt.Errorf("%w: the maturity state is set (%v); levels change only through audited transitions", store.ErrConflict, st.maturity.Level)
	}
	s.Since = normTime(s.Since)
	st.maturity = &s
	t.onRollback(func() { st.maturity = nil })
	return nil
}

// MaturityState implements [store.Maturity].
func (s *Store) MaturityState(ctx context.Context) (maturity.State, error) {
	return do(ctx, s, false, func(t *tx) (maturity.State, error) { return t.MaturityState(ctx) })
}

// InitMaturityState implements [store.Maturity].
func (s *Store) InitMaturityState(ctx context.Context, st maturity.State) error {
	return s.run(ctx, true, func(t *tx) error { return t.InitMaturityState(ctx, st) })
}
