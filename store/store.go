package store

import (
	"context"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// RiskModels stores risk model versions. A version, once created, is
// immutable except for its approval and activation state. At most one version
// is active at any time, and the database itself enforces it where there is
// one.
type RiskModels interface {
	// CreateRiskModel stores a new, inactive version and appends a
	// riskmodel.created audit event. The version must pass
	// riskmodel.Version.Validate (its typed errors are returned as they are)
	// and must not be Active ([ErrInvalid]: activation is a separate,
	// audited step). A version string that exists is [ErrConflict].
	CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error

	// RiskModel returns the version with the given version string, or
	// [ErrNotFound].
	RiskModel(ctx context.Context, version string) (riskmodel.Version, error)

	// ListRiskModels returns every version, oldest first (by creation time,
	// then version string).
	ListRiskModels(ctx context.Context) ([]riskmodel.Version, error)

	// ActiveRiskModel returns the active version, or [ErrNotFound] if none is.
	ActiveRiskModel(ctx context.Context) (riskmodel.Version, error)

	// ApproveRiskModel records the CAB's approval of a version by approver
	// at the store's current time, and appends a riskmodel.approved audit
	// event. [ErrNotFound] if there is no such version, [ErrConflict] if it
	// is already approved, [ErrInvalid] for an empty approver.
	ApproveRiskModel(ctx context.Context, version, approver string) error

	// ActivateRiskModel makes version the one active version, deactivating
	// any other, atomically, and appends a riskmodel.activated audit event
	// naming actor and the version it replaced. The version must be
	// CAB-approved (an error wrapping riskmodel.ErrNotApproved otherwise).
	// Activating the active version again changes nothing and writes no
	// event. [ErrNotFound] if there is no such version.
	ActivateRiskModel(ctx context.Context, version, actor string) error
}

// Classes stores the blast radius class definitions.
type Classes interface {
	// CreateClassDefinition stores the definition of a class that has none
	// yet; [ErrConflict] if it has one. The class must be valid and the
	// quorum and auto-approve flag must be those the class fixes
	// ([ErrInvalid] otherwise): storage describes the classes, it does not
	// redefine them.
	CreateClassDefinition(ctx context.Context, d blastradius.Definition) error

	// ClassDefinition returns the definition of class c, or [ErrNotFound].
	ClassDefinition(ctx context.Context, c blastradius.Class) (blastradius.Definition, error)

	// ListClassDefinitions returns every stored definition, most severe
	// class first.
	ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error)
}

// Maturity stores the installation's current trust maturity level.
type Maturity interface {
	// MaturityState returns the current state, or [ErrNotFound] before the
	// store is seeded.
	MaturityState(ctx context.Context) (maturity.State, error)

	// InitMaturityState sets the first state; [ErrConflict] if there is
	// one already (a level changes only through the maturity engine's
	// audited transitions). The level must be valid ([ErrInvalid]).
	InitMaturityState(ctx context.Context, s maturity.State) error
}

// Audit is the append-only, hash-chained audit log.
type Audit interface {
	// AppendAudit appends an event after the current head, with a new id and
	// the store's current time, and returns it with its hash. Appends are
	// serialised: the chain never forks, whatever the number of writers.
	// Invalid input is the security package's typed error.
	AppendAudit(ctx context.Context, in security.EventInput) (security.Event, error)

	// ListAuditEvents returns up to limit events with Seq > after, in
	// ascending order. A limit ≤ 0 or above 10,000 is [ErrInvalid].
	ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error)

	// AuditHead returns the number of events and the last event's hash.
	AuditHead(ctx context.Context) (security.Head, error)

	// SaveCheckpoint stores a signed checkpoint. [ErrConflict] if one for
	// the same size and key is stored with different content; storing the
	// same one again is a no-op. The store does not check the signature (it
	// has no keys); VerifyChain does.
	SaveCheckpoint(ctx context.Context, c security.Checkpoint) error

	// LatestCheckpoint returns the checkpoint with the largest size, or
	// [ErrNotFound].
	LatestCheckpoint(ctx context.Context) (security.Checkpoint, error)
}

// Evidence stores evidence packages. Packages are never updated or deleted.
type Evidence interface {
	// CreateEvidence stores a package built by security.NewEvidence and
	// appends an evidence.created audit event naming actor. Uploads are
	// idempotent on the correlation id: when a package with the same
	// correlation id is stored with the same content hash, CreateEvidence
	// returns the stored package (its id and creation time) and writes
	// nothing; with a different content hash it is [ErrConflict]. A package
	// that is not intact (its data does not hash to its content hash), or
	// has a nil id or a blank correlation id, is [ErrInvalid]; an id that is
	// taken by another package is [ErrConflict]. CreatedAt defaults to the
	// store's clock.
	CreateEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error)

	// EvidenceByID returns the package with the given id, exactly as
	// stored (the validator checks its integrity), or [ErrNotFound].
	EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error)

	// EvidenceByCorrelationID returns the package uploaded under the given
	// correlation id, or [ErrNotFound].
	EvidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error)
}

// Tx is every record operation, run inside one transaction. Its methods
// behave as the [Store]'s, except that their effects become visible to
// others only when the transaction commits, and that after the transaction
// ends they return [ErrTxDone].
type Tx interface {
	RiskModels
	Classes
	Maturity
	Audit
	Evidence
	Deployments
	Incidents
	Evaluations
	Requests
}

// Store is the storage contract every adapter satisfies: every record
// operation, plus atomic multi-record work. Implementations are safe for
// concurrent use by many goroutines; SQL adapters also by many processes
// sharing one database.
type Store interface {
	Tx

	// WithTx runs fn in one transaction: it commits if fn returns nil and
	// rolls back if fn returns an error or panics (the panic is re-raised
	// after rollback; it is the caller's). Write transactions are
	// serialised. fn must use only tx, never the Store itself, which may
	// block until the transaction ends. ctx cancellation aborts the
	// transaction.
	WithTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}
