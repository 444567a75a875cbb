package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
)

// requireActor checks the actor (or approver) of a governance change: a
// blank one is [store.ErrInvalid]. Other problems with it (control
// characters, length) are the security package's errors, from the audit
// event it goes into.
func requireActor(field, actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fmt.Errorf("%w: %s is required", store.ErrInvalid, field)
	}
	return nil
}

// CreateRiskModel implements [store.RiskModels]. The version is validated
// as stored, with its times in UTC truncated to microseconds.
func (t *tx) CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	return t.createRiskModel(st, v, actor)
}

// createRiskModel is CreateRiskModel for a caller that holds t.mu.
func (t *tx) createRiskModel(st *state, v riskmodel.Version, actor string) error {
	if err := requireActor("actor", actor); err != nil {
		return err
	}
	now := t.clock()
	v = normVersion(v)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if err := v.Validate(); err != nil {
		return err
	}
	if v.Active {
		return fmt.Errorf("%w: risk model %s: a version is created inactive; activation is a separate, audited step", store.ErrInvalid, v.Version)
	}
	if _, ok := st.models[v.Version]; ok {
		return fmt.Errorf("%w: risk model %s exists", store.ErrConflict, v.Version)
	}
	e, err := t.newEvent(st, security.EventInput{
		Type:    security.EventRiskModelCreated,
		Actor:   actor,
		Subject: "riskmodel:" + v.Version,
		Data:    auditData(map[string]string{"version": v.Version, "mode": string(v.Mode)}),
	}, now)
	if err != nil {
		return err
	}
	st.models[v.Version] = v
	t.onRollback(func() { delete(st.models, v.Version) })
	t.pushEvent(st, e)
	return nil
}

// RiskModel implements [store.RiskModels].
func (t *tx) RiskModel(ctx context.Context, version string) (riskmodel.Version, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return riskmodel.Version{}, err
	}
	defer t.mu.Unlock()
	v, ok := st.models[version]
	if !ok {
		return riskmodel.Version{}, fmt.Errorf("%w: risk model %q", store.ErrNotFound, version)
	}
	return st.version(v), nil
}

// ListRiskModels implements [store.RiskModels].
func (t *tx) ListRiskModels(ctx context.Context) ([]riskmodel.Version, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	out := make([]riskmodel.Version, 0, len(st.models))
	for _, v := range st.models {
		out = append(out, st.version(v))
	}
	slices.SortFunc(out, func(a, b riskmodel.Version) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Version, b.Version)
	})
	return out, nil
}

// ActiveRiskModel implements [store.RiskModels].
func (t *tx) ActiveRiskModel(ctx context.Context) (riskmodel.Version, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return riskmodel.Version{}, err
	}
	defer t.mu.Unlock()
	v, ok := st.models[st.active]
	if st.active == "" || !ok {
		return riskmodel.Version{}, fmt.Errorf("%w: no risk model is active", store.ErrNotFound)
	}
	return st.version(v), nil
}

// ApproveRiskModel implements [store.RiskModels].
func (t *tx) ApproveRiskModel(ctx context.Context, version, approver string) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	if err := requireActor("approver", approver); err != nil {
		return err
	}
	old, ok := st.models[version]
	if !ok {
		return fmt.Errorf("%w: risk model %q", store.ErrNotFound, version)
	}
	if old.Approval.Approved {
		return fmt.Errorf("%w: risk model %s is already approved by %s", store.ErrConflict, version, old.Approval.By)
	}
	now := t.clock()
	e, err := t.newEvent(st, security.EventInput{
		Type:    security.EventRiskModelApproved,
		Actor:   approver,
		Subject: "riskmodel:" + version,
		Data:    auditData(map[string]string{"version": version}),
	}, now)
	if err != nil {
		return err
	}
	v := old // maps and calibration are shared, never changed in place
	v.Approval = riskmodel.Approval{Approved: true, By: approver, At: now}
	st.models[version] = v
	t.onRollback(func() { st.models[version] = old })
	t.pushEvent(st, e)
	return nil
}

// ActivateRiskModel implements [store.RiskModels].
func (t *tx) ActivateRiskModel(ctx context.Context, version, actor string) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	return t.activateRiskModel(st, version, actor)
}

// activateRiskModel is ActivateRiskModel for a caller that holds t.mu.
func (t *tx) activateRiskModel(st *state, version, actor string) error {
	if err := requireActor("actor", actor); err != nil {
		return err
	}
	v, ok := st.models[version]
	if !ok {
		return fmt.Errorf("%w: risk model %q", store.ErrNotFound, version)
	}
	if !v.Approval.Approved {
		return &trustgate.Error{
			Code: trustgate.Conflict, Reason: "MODEL_NOT_APPROVED", Field: "active",
			Message: fmt.Sprintf("riskmodel: active: risk model %s is not CAB-approved and cannot be activated", version),
			Err:     riskmodel.ErrNotApproved,
		}
	}
	previous := st.active
	if previous == version {
		return nil
	}
	e, err := t.newEvent(st, security.EventInput{
		Type:    security.EventRiskModelActivated,
		Actor:   actor,
		Subject: "riskmodel:" + version,
		Data:    auditData(map[string]string{"version": version, "previous": previous}),
	}, t.clock())
	if err != nil {
		return err
	}
	st.active = version
	t.onRollback(func() { st.active = previous })
	t.pushEvent(st, e)
	return nil
}

// CreateRiskModel implements [store.RiskModels].
func (s *Store) CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	return s.run(ctx, true, func(t *tx) error { return t.CreateRiskModel(ctx, v, actor) })
}

// RiskModel implements [store.RiskModels].
func (s *Store) RiskModel(ctx context.Context, version string) (riskmodel.Version, error) {
	return do(ctx, s, false, func(t *tx) (riskmodel.Version, error) { return t.RiskModel(ctx, version) })
}

// ListRiskModels implements [store.RiskModels].
func (s *Store) ListRiskModels(ctx context.Context) ([]riskmodel.Version, error) {
	return do(ctx, s, false, func(t *tx) ([]riskmodel.Version, error) { return t.ListRiskModels(ctx) })
}

// ActiveRiskModel implements [store.RiskModels].
func (s *Store) ActiveRiskModel(ctx context.Context) (riskmodel.Version, error) {
	return do(ctx, s, false, func(t *tx) (riskmodel.Version, error) { return t.ActiveRiskModel(ctx) })
}

// ApproveRiskModel implements [store.RiskModels].
func (s *Store) ApproveRiskModel(ctx context.Context, version, approver string) error {
	return s.run(ctx, true, func(t *tx) error { return t.ApproveRiskModel(ctx, version, approver) })
}

// ActivateRiskModel implements [store.RiskModels].
func (s *Store) ActivateRiskModel(ctx context.Context, version, actor string) error {
	return s.run(ctx, true, func(t *tx) error { return t.ActivateRiskModel(ctx, version, actor) })
}
