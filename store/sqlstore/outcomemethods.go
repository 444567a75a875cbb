package sqlstore

import (
	"context"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/google/uuid"
)

// The Store's and txn's outcome methods: deployments, incidents and
// maturity evaluations. As in methods.go, each operation is a method of
// conn, shared by both.

// RecordDeployment implements [store.Deployments].
func (s *Store) RecordDeployment(ctx context.Context, d incident.Deployment) (out incident.Deployment, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.recordDeployment(ctx, d); return err })
	return out, err
}

// Deployment implements [store.Deployments].
func (s *Store) Deployment(ctx context.Context, id uuid.UUID) (d incident.Deployment, err error) {
	err = s.read(func(c conn) error { d, err = c.deployment(ctx, id); return err })
	return d, err
}

// CreateIncident implements [store.Incidents].
func (s *Store) CreateIncident(ctx context.Context, in incident.Incident) (out incident.Incident, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.createIncident(ctx, in); return err })
	return out, err
}

// Incident implements [store.Incidents].
func (s *Store) Incident(ctx context.Context, id uuid.UUID) (in incident.Incident, err error) {
	err = s.read(func(c conn) error { in, err = c.incident(ctx, id); return err })
	return in, err
}

// ListIncidents implements [store.Incidents].
func (s *Store) ListIncidents(ctx context.Context, f incident.Filter) (p incident.Page, err error) {
	err = s.read(func(c conn) error { p, err = c.listIncidents(ctx, f); return err })
	return p, err
}

// UpdateIncident implements [store.Incidents].
func (s *Store) UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (out incident.Incident, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.updateIncident(ctx, id, u); return err })
	return out, err
}

// IncidentCounts implements [store.Incidents]. It is one statement of
// aggregate queries over covering indexes, so its counts come from one
// snapshot.
func (s *Store) IncidentCounts(ctx context.Context, from, to time.Time) (n incident.Counts, err error) {
	err = s.read(func(c conn) error { n, err = c.incidentCounts(ctx, from, to); return err })
	return n, err
}

// LatestIncidentAt implements [store.Incidents].
func (s *Store) LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (at time.Time, err error) {
	err = s.read(func(c conn) error { at, err = c.latestIncidentAt(ctx, severities, before); return err })
	return at, err
}

// EarliestDeploymentAt implements [store.Incidents].
func (s *Store) EarliestDeploymentAt(ctx context.Context) (at time.Time, err error) {
	err = s.read(func(c conn) error { at, err = c.earliestDeploymentAt(ctx); return err })
	return at, err
}

// CreateEvaluation implements [store.Evaluations].
func (s *Store) CreateEvaluation(ctx context.Context, e maturity.Evaluation) error {
	return s.write(ctx, func(c conn) error { return c.createEvaluation(ctx, e) })
}

// Evaluation implements [store.Evaluations].
func (s *Store) Evaluation(ctx context.Context, id uuid.UUID) (e maturity.Evaluation, err error) {
	err = s.read(func(c conn) error { e, err = c.evaluation(ctx, id); return err })
	return e, err
}

// ListEvaluations implements [store.Evaluations].
func (s *Store) ListEvaluations(ctx context.Context, limit int) (es []maturity.Evaluation, err error) {
	err = s.read(func(c conn) error { es, err = c.listEvaluations(ctx, limit); return err })
	return es, err
}

// ApplyTransition implements [store.Evaluations]: every check and write in
// one serialised write transaction.
func (s *Store) ApplyTransition(ctx context.Context, t maturity.Transition) error {
	return s.write(ctx, func(c conn) error { return c.applyTransition(ctx, t) })
}

func (t *txn) RecordDeployment(ctx context.Context, d incident.Deployment) (out incident.Deployment, err error) {
	err = t.do(func(c conn) error { out, err = c.recordDeployment(ctx, d); return err })
	return out, err
}

func (t *txn) Deployment(ctx context.Context, id uuid.UUID) (d incident.Deployment, err error) {
	err = t.do(func(c conn) error { d, err = c.deployment(ctx, id); return err })
	return d, err
}

func (t *txn) CreateIncident(ctx context.Context, in incident.Incident) (out incident.Incident, err error) {
	err = t.do(func(c conn) error { out, err = c.createIncident(ctx, in); return err })
	return out, err
}

func (t *txn) Incident(ctx context.Context, id uuid.UUID) (in incident.Incident, err error) {
	err = t.do(func(c conn) error { in, err = c.incident(ctx, id); return err })
	return in, err
}

func (t *txn) ListIncidents(ctx context.Context, f incident.Filter) (p incident.Page, err error) {
	err = t.do(func(c conn) error { p, err = c.listIncidents(ctx, f); return err })
	return p, err
}

func (t *txn) UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (out incident.Incident, err error) {
	err = t.do(func(c conn) error { out, err = c.updateIncident(ctx, id, u); return err })
	return out, err
}

func (t *txn) IncidentCounts(ctx context.Context, from, to time.Time) (n incident.Counts, err error) {
	err = t.do(func(c conn) error { n, err = c.incidentCounts(ctx, from, to); return err })
	return n, err
}

func (t *txn) LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (at time.Time, err error) {
	err = t.do(func(c conn) error { at, err = c.latestIncidentAt(ctx, severities, before); return err })
	return at, err
}

func (t *txn) EarliestDeploymentAt(ctx context.Context) (at time.Time, err error) {
	err = t.do(func(c conn) error { at, err = c.earliestDeploymentAt(ctx); return err })
	return at, err
}

func (t *txn) CreateEvaluation(ctx context.Context, e maturity.Evaluation) error {
	return t.do(func(c conn) error { return c.createEvaluation(ctx, e) })
}

func (t *txn) Evaluation(ctx context.Context, id uuid.UUID) (e maturity.Evaluation, err error) {
	err = t.do(func(c conn) error { e, err = c.evaluation(ctx, id); return err })
	return e, err
}

func (t *txn) ListEvaluations(ctx context.Context, limit int) (es []maturity.Evaluation, err error) {
	err = t.do(func(c conn) error { es, err = c.listEvaluations(ctx, limit); return err })
	return es, err
}

func (t *txn) ApplyTransition(ctx context.Context, tr maturity.Transition) error {
	return t.do(func(c conn) error { return c.applyTransition(ctx, tr) })
}
