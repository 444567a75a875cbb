package memstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

func cloneEvidence(e security.Evidence) security.Evidence {
	e.Data = bytes.Clone(e.Data)
	return e
}

// CreateEvidence implements [store.Evidence].
func (t *tx) CreateEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return security.Evidence{}, err
	}
	defer t.mu.Unlock()
	if err := requireActor("actor", actor); err != nil {
		return security.Evidence{}, err
	}
	switch {
	case e.ID == uuid.Nil:
		return security.Evidence{}, fmt.Errorf("%w: evidence needs an id", store.ErrInvalid)
	case strings.TrimSpace(e.CorrelationID) == "":
		return security.Evidence{}, fmt.Errorf("%w: evidence needs a correlation id", store.ErrInvalid)
	case !e.Intact():
		return security.Evidence{}, fmt.Errorf("%w: evidence %s does not hash to its content hash", store.ErrInvalid, e.ID)
	}
	if id, ok := st.evidenceByCorrelation[e.CorrelationID]; ok {
		stored := st.evidence[id]
		if !stored.ContentHash.Equal(e.ContentHash) {
			return security.Evidence{}, fmt.Errorf("%w: correlation id %q holds evidence with content hash %s, not %s",
				store.ErrConflict, e.CorrelationID, stored.ContentHash, e.ContentHash)
		}
		return cloneEvidence(stored), nil
	}
	if _, ok := st.evidence[e.ID]; ok {
		return security.Evidence{}, fmt.Errorf("%w: evidence id %s is taken", store.ErrConflict, e.ID)
	}
	now := t.clock()
	e = cloneEvidence(e)
	e.CreatedAt = normTime(e.CreatedAt)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	ev, err := t.newEvent(st, security.EventInput{
		Type:          security.EventEvidenceCreated,
		Actor:         actor,
		Subject:       "evidence:" + e.ID.String(),
		CorrelationID: e.CorrelationID,
		Data:          auditData(map[string]string{"evidence_id": e.ID.String(), "content_hash": e.ContentHash.String()}),
	}, now)
	if err != nil {
		return security.Evidence{}, err
	}
	st.evidence[e.ID] = e
	st.evidenceByCorrelation[e.CorrelationID] = e.ID
	t.onRollback(func() {
		delete(st.evidence, e.ID)
		delete(st.evidenceByCorrelation, e.CorrelationID)
	})
	t.pushEvent(st, ev)
	return cloneEvidence(e), nil
}

// EvidenceByID implements [store.Evidence].
func (t *tx) EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return security.Evidence{}, err
	}
	defer t.mu.Unlock()
	e, ok := st.evidence[id]
	if !ok {
		return security.Evidence{}, fmt.Errorf("%w: evidence %s", store.ErrNotFound, id)
	}
	return cloneEvidence(e), nil
}

// EvidenceByCorrelationID implements [store.Evidence].
func (t *tx) EvidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return security.Evidence{}, err
	}
	defer t.mu.Unlock()
	id, ok := st.evidenceByCorrelation[correlationID]
	if !ok {
		return security.Evidence{}, fmt.Errorf("%w: evidence with correlation id %q", store.ErrNotFound, correlationID)
	}
	return cloneEvidence(st.evidence[id]), nil
}

// CreateEvidence implements [store.Evidence].
func (s *Store) CreateEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error) {
	return do(ctx, s, true, func(t *tx) (security.Evidence, error) { return t.CreateEvidence(ctx, e, actor) })
}

// EvidenceByID implements [store.Evidence].
func (s *Store) EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error) {
	return do(ctx, s, false, func(t *tx) (security.Evidence, error) { return t.EvidenceByID(ctx, id) })
}

// EvidenceByCorrelationID implements [store.Evidence].
func (s *Store) EvidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error) {
	return do(ctx, s, false, func(t *tx) (security.Evidence, error) { return t.EvidenceByCorrelationID(ctx, correlationID) })
}
