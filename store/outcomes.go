package store

import (
	"context"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/google/uuid"
)

// SystemActor is the actor of the audit events written for records whose
// operations take no actor (deployments, incidents): the store itself.
const SystemActor = "trustgate"

// Deployments stores the record of every deployment that went ahead: the
// denominator of every incident rate.
type Deployments interface {
	// RecordDeployment stores d and appends a deployment.recorded audit
	// event. It is idempotent on d.ID: recording the same deployment again
	// returns the stored record and writes nothing; a different record
	// under the same id is [ErrConflict]. An invalid record is the
	// incident package's typed error (d.Validate against the store's
	// clock). CreatedAt defaults to the store's clock.
	RecordDeployment(ctx context.Context, d incident.Deployment) (incident.Deployment, error)

	// Deployment returns the record with the given id, or [ErrNotFound].
	Deployment(ctx context.Context, id uuid.UUID) (incident.Deployment, error)
}

// Incidents stores deployment incidents and computes the calibration
// aggregates over them.
type Incidents interface {
	// CreateIncident stores a reported incident and appends an
	// incident.reported audit event. It is idempotent on the correlation
	// id: the same report again returns the stored incident and writes
	// nothing; a different report under the same id is [ErrConflict].
	// The id is assigned when nil. An invalid report is the incident
	// package's typed error (Validate against the store's clock).
	//
	// Linkage: when the report names a deployment it must be recorded
	// ([ErrNotFound] otherwise) and the incident's application, class,
	// auto-approval and risk score are taken from the record (Attribution
	// "reported"). When it names none, the incident is attributed to the
	// latest deployment of the same application that finished before the
	// incident was reported (the rule DORA tooling such as Apache DevLake
	// uses), with Attribution "inferred"; with no such deployment,
	// "none".
	CreateIncident(ctx context.Context, in incident.Incident) (incident.Incident, error)

	// Incident returns the incident with the given id, or [ErrNotFound].
	Incident(ctx context.Context, id uuid.UUID) (incident.Incident, error)

	// ListIncidents returns a page of incidents matching f, newest first
	// (occurrence time, then id), with a keyset cursor to the next page.
	// An invalid filter is the incident package's typed error.
	ListIncidents(ctx context.Context, f incident.Filter) (incident.Page, error)

	// UpdateIncident changes only the resolution fields, sets UpdatedAt,
	// appends an incident.updated audit event and returns the incident.
	// [ErrNotFound] if there is no such incident; invalid resolution fields
	// are the incident package's typed error.
	UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error)

	// IncidentCounts returns the calibration aggregates over [from, to),
	// computed with aggregate queries, never by loading every row.
	IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error)

	// LatestIncidentAt returns the occurrence time of the latest incident
	// of one of the given severities that occurred before before, or
	// [ErrNotFound].
	LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error)

	// EarliestDeploymentAt returns the finish time of the first recorded
	// deployment, or [ErrNotFound].
	EarliestDeploymentAt(ctx context.Context) (time.Time, error)
}

// Evaluations stores maturity evaluations (progress records) and applies
// level transitions.
type Evaluations interface {
	// CreateEvaluation stores an evaluation with its criteria. The id must
	// be set and unused ([ErrInvalid], [ErrConflict]).
	CreateEvaluation(ctx context.Context, e maturity.Evaluation) error

	// Evaluation returns the evaluation with the given id, or [ErrNotFound].
	Evaluation(ctx context.Context, id uuid.UUID) (maturity.Evaluation, error)

	// ListEvaluations returns up to limit evaluations, newest first. A limit
	// ≤ 0 or above 1,000 is [ErrInvalid].
	ListEvaluations(ctx context.Context, limit int) ([]maturity.Evaluation, error)

	// ApplyTransition applies t in one transaction: it creates t.Model,
	// activates it, sets the maturity state to t.State, records the
	// decision on t.Evaluation, and appends a maturity.progressed or
	// maturity.regressed audit event naming t.Actor. It checks, inside the
	// transaction, that the installation is still at t.From and that the
	// stored evaluation is undecided (and, for a progression, ready); if
	// not, it is [ErrConflict] and nothing is written.
	ApplyTransition(ctx context.Context, t maturity.Transition) error
}
