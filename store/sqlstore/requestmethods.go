package sqlstore

import (
	"context"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// The Store's and txn's CAB request methods. As in methods.go, each
// operation is a method of conn, shared by both.

var (
	_ store.Requests = (*Store)(nil)
	_ store.Requests = (*txn)(nil)
)

// CreateRequest implements [store.Requests]. Besides an id, a correlation
// id and a submitter, the request needs a valid class and one of the cab
// package's statuses ([store.ErrInvalid]). Times are stored in UTC with
// microsecond precision; CreatedAt and UpdatedAt default to the store's
// clock. The decision's reason is stored as its code, and its text reads
// back as the code's ([cab.ReasonCode.Text]). The cab.submitted event is
// the submitter's; its data names the decision.
func (s *Store) CreateRequest(ctx context.Context, r cab.Request) (out cab.Request, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.createRequest(ctx, r); return err })
	return out, err
}

// Request implements [store.Requests].
func (s *Store) Request(ctx context.Context, id uuid.UUID) (r cab.Request, err error) {
	err = s.read(func(c conn) error { r, err = c.request(ctx, id); return err })
	return r, err
}

// RequestByCorrelationID implements [store.Requests].
func (s *Store) RequestByCorrelationID(ctx context.Context, correlationID string) (r cab.Request, err error) {
	err = s.read(func(c conn) error { r, err = c.requestByCorrelationID(ctx, correlationID); return err })
	return r, err
}

// UpdateRequest implements [store.Requests]: the read, fn and the writes
// in one serialised write transaction. fn gets a deep copy of the stored
// request and runs while the store's write lock is held: it must not use
// the store. The new status must be one of the cab package's statuses
// ([store.ErrInvalid]); UpdatedAt defaults to the store's clock. The event
// is validated as AppendAudit validates it (the security package's errors,
// as they are); the request and its event are both stored or neither is.
func (s *Store) UpdateRequest(ctx context.Context, id uuid.UUID,
	fn func(cab.Request) (cab.Request, security.EventInput, error)) (out cab.Request, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.updateRequest(ctx, id, fn); return err })
	return out, err
}

// ListRequests implements [store.Requests]. An After that names no stored
// request is [store.ErrInvalid]: a cursor must come from an earlier page.
func (s *Store) ListRequests(ctx context.Context, f cab.RequestFilter) (rs []cab.Request, err error) {
	err = s.read(func(c conn) error { rs, err = c.listRequests(ctx, f); return err })
	return rs, err
}

func (t *txn) CreateRequest(ctx context.Context, r cab.Request) (out cab.Request, err error) {
	err = t.do(func(c conn) error { out, err = c.createRequest(ctx, r); return err })
	return out, err
}

func (t *txn) Request(ctx context.Context, id uuid.UUID) (r cab.Request, err error) {
	err = t.do(func(c conn) error { r, err = c.request(ctx, id); return err })
	return r, err
}

func (t *txn) RequestByCorrelationID(ctx context.Context, correlationID string) (r cab.Request, err error) {
	err = t.do(func(c conn) error { r, err = c.requestByCorrelationID(ctx, correlationID); return err })
	return r, err
}

func (t *txn) UpdateRequest(ctx context.Context, id uuid.UUID,
	fn func(cab.Request) (cab.Request, security.EventInput, error)) (out cab.Request, err error) {
	err = t.do(func(c conn) error { out, err = c.updateRequest(ctx, id, fn); return err })
	return out, err
}

func (t *txn) ListRequests(ctx context.Context, f cab.RequestFilter) (rs []cab.Request, err error) {
	err = t.do(func(c conn) error { rs, err = c.listRequests(ctx, f); return err })
	return rs, err
}
