package memstore

import (
	"context"
	"fmt"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// recordsActor is the actor of the audit events of deployment and incident
// records, whose operations name no actor: the store records them on behalf
// of trustgate.
const recordsActor = store.SystemActor

// normDeployment returns d with its times normalised. A Deployment holds no
// references (its decimal is immutable), so the copy is deep.
func normDeployment(d incident.Deployment) incident.Deployment {
	d.FinishedAt = normTime(d.FinishedAt)
	d.CreatedAt = normTime(d.CreatedAt)
	return d
}

// sameDeployment reports whether a and b, both normalised, record the same
// deployment: every field but CreatedAt (which the store fills in) is
// equal.
func sameDeployment(a, b incident.Deployment) bool {
	return a.ID == b.ID && a.Application == b.Application && a.EvidenceID == b.EvidenceID &&
		a.RequestID == b.RequestID && a.Class == b.Class && a.AutoApproved == b.AutoApproved &&
		a.RiskScore.Equal(b.RiskScore) && a.ModelVersion == b.ModelVersion && a.FinishedAt.Equal(b.FinishedAt)
}

// RecordDeployment implements [store.Deployments]. The record is validated
// as stored, with its times in UTC truncated to microseconds; recording it
// again compares every field but CreatedAt.
func (t *tx) RecordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return incident.Deployment{}, err
	}
	defer t.mu.Unlock()
	now := t.clock()
	d = normDeployment(d)
	if err := d.Validate(now); err != nil {
		return incident.Deployment{}, err
	}
	if old, ok := st.deployments[d.ID]; ok {
		if !sameDeployment(old, d) {
			return incident.Deployment{}, fmt.Errorf("%w: a different deployment is recorded under id %s", store.ErrConflict, d.ID)
		}
		return old, nil
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	e, err := t.newEvent(st, security.EventInput{
		Type:    security.EventDeploymentRecorded,
		Actor:   recordsActor,
		Subject: "deployment:" + d.ID.String(),
		Data: auditJSON(map[string]any{
			"deployment_id": d.ID.String(),
			"application":   d.Application,
			"class":         string(d.Class),
			"auto_approved": d.AutoApproved,
			"risk_score":    d.RiskScore.String(),
			"model_version": d.ModelVersion,
		}),
	}, now)
	if err != nil {
		return incident.Deployment{}, err
	}
	st.deployments[d.ID] = d
	t.onRollback(func() { delete(st.deployments, d.ID) })
	t.pushEvent(st, e)
	return d, nil
}

// Deployment implements [store.Deployments].
func (t *tx) Deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return incident.Deployment{}, err
	}
	defer t.mu.Unlock()
	d, ok := st.deployments[id]
	if !ok {
		return incident.Deployment{}, fmt.Errorf("%w: deployment %s", store.ErrNotFound, id)
	}
	return d, nil
}

// RecordDeployment implements [store.Deployments].
func (s *Store) RecordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error) {
	return do(ctx, s, true, func(t *tx) (incident.Deployment, error) { return t.RecordDeployment(ctx, d) })
}

// Deployment implements [store.Deployments].
func (s *Store) Deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error) {
	return do(ctx, s, false, func(t *tx) (incident.Deployment, error) { return t.Deployment(ctx, id) })
}
