package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/store"
)

// CreateClassDefinition implements [store.Classes].
func (t *tx) CreateClassDefinition(ctx context.Context, d blastradius.Definition) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	switch {
	case !d.Class.Valid():
		return fmt.Errorf("%w: %q is not a blast radius class", store.ErrInvalid, d.Class)
	case d.Quorum != d.Class.Quorum():
		return fmt.Errorf("%w: class %s has a quorum of %d, not %d", store.ErrInvalid, d.Class, d.Class.Quorum(), d.Quorum)
	case d.AutoApproveAllowed != d.Class.AutoApproveAllowed():
		return fmt.Errorf("%w: class %s has auto-approve allowed %t, not %t", store.ErrInvalid, d.Class, d.Class.AutoApproveAllowed(), d.AutoApproveAllowed)
	}
	if _, ok := st.classes[d.Class]; ok {
		return fmt.Errorf("%w: class %s has a definition", store.ErrConflict, d.Class)
	}
	st.classes[d.Class] = cloneDefinition(d)
	t.onRollback(func() { delete(st.classes, d.Class) })
	return nil
}

// ClassDefinition implements [store.Classes]. A string that is not a class
// has no definition: [store.ErrNotFound].
func (t *tx) ClassDefinition(ctx context.Context, c blastradius.Class) (blastradius.Definition, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return blastradius.Definition{}, err
	}
	defer t.mu.Unlock()
	d, ok := st.classes[c]
	if !ok {
		return blastradius.Definition{}, fmt.Errorf("%w: no definition of class %q", store.ErrNotFound, c)
	}
	return cloneDefinition(d), nil
}

// ListClassDefinitions implements [store.Classes].
func (t *tx) ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	out := make([]blastradius.Definition, 0, len(st.classes))
	for _, d := range st.classes {
		out = append(out, cloneDefinition(d))
	}
	slices.SortFunc(out, func(a, b blastradius.Definition) int {
		return cmp.Compare(b.Class.Severity(), a.Class.Severity())
	})
	return out, nil
}

// CreateClassDefinition implements [store.Classes].
func (s *Store) CreateClassDefinition(ctx context.Context, d blastradius.Definition) error {
	return s.run(ctx, true, func(t *tx) error { return t.CreateClassDefinition(ctx, d) })
}

// ClassDefinition implements [store.Classes].
func (s *Store) ClassDefinition(ctx context.Context, c blastradius.Class) (blastradius.Definition, error) {
	return do(ctx, s, false, func(t *tx) (blastradius.Definition, error) { return t.ClassDefinition(ctx, c) })
}

// ListClassDefinitions implements [store.Classes].
func (s *Store) ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error) {
	return do(ctx, s, false, func(t *tx) ([]blastradius.Definition, error) { return t.ListClassDefinitions(ctx) })
}
