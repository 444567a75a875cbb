package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/stored"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

var (
	_ store.Requests = (*Store)(nil)
	_ store.Requests = (*tx)(nil)
)

// maxRequestPage is the largest limit ListRequests accepts.
const maxRequestPage = 1000

// validStatus reports whether s is one of the cab package's statuses, as a
// database's constraint would.
func validStatus(s cab.Status) bool {
	switch s {
	case cab.StatusAutoApproved, cab.StatusPendingReview, cab.StatusApproved, cab.StatusRejected,
		cab.StatusExceptionRequired, cab.StatusExceptionPending, cab.StatusExceptionApproved:
		return true
	}
	return false
}

// normRequest returns a deep copy of r with its times normalised. Decimals
// are immutable values and are shared.
func normRequest(r cab.Request) cab.Request {
	r.Approvals = stored.Approvals(r.Approvals)
	r.Rejection = stored.Rejection(r.Rejection)
	r.Exception = stored.Exception(r.Exception)
	r.CreatedAt = normTime(r.CreatedAt)
	r.UpdatedAt = normTime(r.UpdatedAt)
	return r
}

// CreateRequest implements [store.Requests]. Besides an id, a correlation
// id and a submitter, the request needs a valid class and one of the cab
// package's statuses ([store.ErrInvalid]), as a database's constraints
// would. Times are stored in UTC with microsecond precision; CreatedAt and
// UpdatedAt default to the store's clock. The cab.submitted event is the
// submitter's; its data names the decision.
func (t *tx) CreateRequest(ctx context.Context, r cab.Request) (cab.Request, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return cab.Request{}, err
	}
	defer t.mu.Unlock()
	switch {
	case r.ID == uuid.Nil:
		return cab.Request{}, fmt.Errorf("%w: a CAB request needs an id", store.ErrInvalid)
	case strings.TrimSpace(r.CorrelationID) == "":
		return cab.Request{}, fmt.Errorf("%w: CAB request %s needs a correlation id", store.ErrInvalid, r.ID)
	case strings.TrimSpace(r.Submitter) == "":
		return cab.Request{}, fmt.Errorf("%w: CAB request %s needs a submitter", store.ErrInvalid, r.ID)
	case !r.Decision.Class.Valid():
		return cab.Request{}, fmt.Errorf("%w: CAB request %s: %q is not a blast radius class", store.ErrInvalid, r.ID, r.Decision.Class)
	case !validStatus(r.Status):
		return cab.Request{}, fmt.Errorf("%w: CAB request %s: %q is not a request status", store.ErrInvalid, r.ID, r.Status)
	}
	if id, ok := st.requestByCorrelation[r.CorrelationID]; ok {
		stored := st.requests[id]
		if !stored.SubmissionHash.Equal(r.SubmissionHash) {
			return cab.Request{}, fmt.Errorf("%w: correlation id %q holds a CAB request with submission hash %s, not %s",
				store.ErrConflict, r.CorrelationID, stored.SubmissionHash, r.SubmissionHash)
		}
		return stored.Clone(), nil
	}
	if _, ok := st.requests[r.ID]; ok {
		return cab.Request{}, fmt.Errorf("%w: CAB request id %s is taken", store.ErrConflict, r.ID)
	}
	now := t.clock()
	r = normRequest(r)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	e, err := t.newEvent(st, cab.SubmittedEvent(r), now)
	if err != nil {
		return cab.Request{}, err
	}
	st.requests[r.ID] = r
	st.requestByCorrelation[r.CorrelationID] = r.ID
	t.onRollback(func() {
		delete(st.requests, r.ID)
		delete(st.requestByCorrelation, r.CorrelationID)
	})
	t.pushEvent(st, e)
	return r.Clone(), nil
}

// Request implements [store.Requests].
func (t *tx) Request(ctx context.Context, id uuid.UUID) (cab.Request, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return cab.Request{}, err
	}
	defer t.mu.Unlock()
	r, ok := st.requests[id]
	if !ok {
		return cab.Request{}, fmt.Errorf("%w: CAB request %s", store.ErrNotFound, id)
	}
	return r.Clone(), nil
}

// RequestByCorrelationID implements [store.Requests].
func (t *tx) RequestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return cab.Request{}, err
	}
	defer t.mu.Unlock()
	id, ok := st.requestByCorrelation[correlationID]
	if !ok {
		return cab.Request{}, fmt.Errorf("%w: CAB request with correlation id %q", store.ErrNotFound, correlationID)
	}
	return st.requests[id].Clone(), nil
}

// UpdateRequest implements [store.Requests]. fn gets a deep copy of the
// stored request and runs with the transaction's locks held: it must not
// use the store, or the transaction it runs in, itself. The new status must
// be one of the cab package's statuses ([store.ErrInvalid]); the new times
// are stored in UTC with microsecond precision, and UpdatedAt defaults to
// the store's clock. The audit event is validated as AppendAudit validates
// it (the security package's errors, as they are) and stamped with the
// store's clock. Either the request and its event are both stored or
// neither is.
func (t *tx) UpdateRequest(ctx context.Context, id uuid.UUID, fn func(cab.Request) (cab.Request, security.EventInput, error)) (cab.Request, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return cab.Request{}, err
	}
	defer t.mu.Unlock()
	if fn == nil {
		return cab.Request{}, fmt.Errorf("%w: updating CAB request %s needs an update function", store.ErrInvalid, id)
	}
	old, ok := st.requests[id]
	if !ok {
		return cab.Request{}, fmt.Errorf("%w: CAB request %s", store.ErrNotFound, id)
	}
	next, in, err := fn(old.Clone())
	if err != nil {
		return cab.Request{}, err
	}
	if field := cab.ChangedSubmission(old, next); field != "" {
		return cab.Request{}, fmt.Errorf("%w: CAB request %s: the %s of a submission cannot change", store.ErrInvalid, id, field)
	}
	if !validStatus(next.Status) {
		return cab.Request{}, fmt.Errorf("%w: CAB request %s: %q is not a request status", store.ErrInvalid, id, next.Status)
	}
	now := t.clock()
	updated := old // the submission is kept as stored; the rest is fn's, copied
	updated.Status = next.Status
	updated.Approvals = stored.Approvals(next.Approvals)
	updated.Rejection = stored.Rejection(next.Rejection)
	updated.Exception = stored.Exception(next.Exception)
	updated.UpdatedAt = normTime(next.UpdatedAt)
	if updated.UpdatedAt.IsZero() {
		updated.UpdatedAt = now
	}
	e, err := t.newEvent(st, in, now)
	if err != nil {
		return cab.Request{}, err
	}
	st.requests[id] = updated
	t.onRollback(func() { st.requests[id] = old })
	t.pushEvent(st, e)
	return updated.Clone(), nil
}

// oldestFirst orders request positions oldest first: by creation time, then
// by id (in byte order, which is the order of the ids' canonical strings),
// both ascending.
func oldestFirst(aAt time.Time, aID uuid.UUID, bAt time.Time, bID uuid.UUID) int {
	if c := aAt.Compare(bAt); c != 0 {
		return c
	}
	return bytes.Compare(aID[:], bID[:])
}

// ListRequests implements [store.Requests]. The period's bounds are
// compared as stored times are: in UTC, truncated to microseconds. An
// After that names no stored request is [store.ErrInvalid]: a cursor must
// come from an earlier page.
func (t *tx) ListRequests(ctx context.Context, f cab.RequestFilter) ([]cab.Request, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if f.Limit <= 0 || f.Limit > maxRequestPage {
		return nil, fmt.Errorf("%w: CAB request page limit %d is outside [1, %d]", store.ErrInvalid, f.Limit, maxRequestPage)
	}
	var after *cab.Request
	if f.After != uuid.Nil {
		a, ok := st.requests[f.After]
		if !ok {
			return nil, fmt.Errorf("%w: the page cursor names CAB request %s, which is not stored", store.ErrInvalid, f.After)
		}
		after = &a
	}
	from, to := normTime(f.From), normTime(f.To)
	var hits []cab.Request // shallow copies, cloned below
	for _, r := range st.requests {
		if r.CreatedAt.Before(from) || !r.CreatedAt.Before(to) ||
			(after != nil && oldestFirst(r.CreatedAt, r.ID, after.CreatedAt, after.ID) <= 0) {
			continue
		}
		hits = append(hits, r)
	}
	slices.SortFunc(hits, func(a, b cab.Request) int { return oldestFirst(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	out := make([]cab.Request, min(f.Limit, len(hits)))
	for i := range out {
		out[i] = hits[i].Clone()
	}
	return out, nil
}

// CreateRequest implements [store.Requests].
func (s *Store) CreateRequest(ctx context.Context, r cab.Request) (cab.Request, error) {
	return do(ctx, s, true, func(t *tx) (cab.Request, error) { return t.CreateRequest(ctx, r) })
}

// Request implements [store.Requests].
func (s *Store) Request(ctx context.Context, id uuid.UUID) (cab.Request, error) {
	return do(ctx, s, false, func(t *tx) (cab.Request, error) { return t.Request(ctx, id) })
}

// RequestByCorrelationID implements [store.Requests].
func (s *Store) RequestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error) {
	return do(ctx, s, false, func(t *tx) (cab.Request, error) { return t.RequestByCorrelationID(ctx, correlationID) })
}

// UpdateRequest implements [store.Requests]. fn runs inside the write
// transaction and must not use s.
func (s *Store) UpdateRequest(ctx context.Context, id uuid.UUID, fn func(cab.Request) (cab.Request, security.EventInput, error)) (cab.Request, error) {
	return do(ctx, s, true, func(t *tx) (cab.Request, error) { return t.UpdateRequest(ctx, id, fn) })
}

// ListRequests implements [store.Requests].
func (s *Store) ListRequests(ctx context.Context, f cab.RequestFilter) ([]cab.Request, error) {
	return do(ctx, s, false, func(t *tx) ([]cab.Request, error) { return t.ListRequests(ctx, f) })
}
