package store

import (
	"context"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// Requests stores CAB requests. A request's submission (its ids, digest,
// decision, submitter) never changes; its status, approvals, rejection and
// exception change only through UpdateRequest, one serialised
// read-modify-write at a time.
type Requests interface {
	// CreateRequest stores a new request and appends a cab.submitted audit
	// event carrying its decision. It is idempotent on the correlation id:
	// a request with the same correlation id and submission hash returns the
	// stored request and writes nothing; a different submission hash is
	// [ErrConflict], as is an id already taken. A request without an id,
	// correlation id or submitter, with an invalid class or status, is
	// [ErrInvalid]. CreatedAt and UpdatedAt default to the store's clock. A
	// repeated submission returns the request as it stands now, approvals
	// included.
	CreateRequest(ctx context.Context, r cab.Request) (cab.Request, error)

	// Request returns the request with the given id, or [ErrNotFound].
	Request(ctx context.Context, id uuid.UUID) (cab.Request, error)

	// RequestByCorrelationID returns the request submitted under the given
	// correlation id, or [ErrNotFound].
	RequestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error)

	// UpdateRequest reads the request ([ErrNotFound]), calls fn with it
	// inside a write transaction, stores what fn returns and appends the
	// audit event fn returns, atomically. If fn returns an error, nothing is
	// written and the error is returned as it is. fn may change only the
	// status, approvals, rejection, exception and UpdatedAt; a change to
	// anything else is [ErrInvalid]. Concurrent updates of one request are
	// serialised, so none is lost. fn runs under the store's write lock: it
	// must be a pure function of the request it is given and must not call
	// the store or a transaction. UpdatedAt defaults to the store's clock.
	UpdateRequest(ctx context.Context, id uuid.UUID, fn func(cab.Request) (cab.Request, security.EventInput, error)) (cab.Request, error)

	// ListRequests returns requests created in [f.From, f.To), oldest first
	// (creation time, then id), after the request f.After when set, at most
	// f.Limit. A limit outside 1..1,000 is [ErrInvalid].
	ListRequests(ctx context.Context, f cab.RequestFilter) ([]cab.Request, error)
}
