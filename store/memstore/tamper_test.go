package memstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/storetest"
	"github.com/google/uuid"
)

// tamperer edits a Store's audit log behind its back, as storetest's
// tamper-detection tests need.
type tamperer struct{ s *Store }

var _ storetest.Tamperer = tamperer{}

func newTamperer(t *testing.T, s store.Store) storetest.Tamperer {
	t.Helper()
	ms, ok := s.(*Store)
	if !ok {
		t.Fatalf("memstore: cannot tamper with a %T", s)
	}
	return tamperer{s: ms}
}

// index returns the position of event seq in the log.
func (tp tamperer) index(seq int64) (int, error) {
	for i, e := range tp.s.st.events {
		if e.Seq == seq {
			return i, nil
		}
	}
	return 0, fmt.Errorf("tamper: no event %d: %w", seq, store.ErrNotFound)
}

func (tp tamperer) EditAuditEvent(_ context.Context, seq int64) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	i, err := tp.index(seq)
	if err != nil {
		return err
	}
	tp.s.st.events[i].Actor += "x"
	return nil
}

func (tp tamperer) DeleteAuditEvent(_ context.Context, seq int64) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	i, err := tp.index(seq)
	if err != nil {
		return err
	}
	tp.s.st.events = append(tp.s.st.events[:i], tp.s.st.events[i+1:]...)
	return nil
}

func (tp tamperer) SwapAuditEvents(_ context.Context, a, b int64) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	i, err := tp.index(a)
	if err != nil {
		return err
	}
	j, err := tp.index(b)
	if err != nil {
		return err
	}
	ev := tp.s.st.events
	ev[i], ev[j] = ev[j], ev[i]
	ev[i].Seq, ev[j].Seq = ev[j].Seq, ev[i].Seq
	return nil
}

func (tp tamperer) TruncateAudit(_ context.Context, from int64) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	kept := tp.s.st.events[:0]
	for _, e := range tp.s.st.events {
		if e.Seq < from {
			kept = append(kept, e)
		}
	}
	clear(tp.s.st.events[len(kept):])
	tp.s.st.events = kept
	return nil
}

func (tp tamperer) EditEvidence(_ context.Context, id uuid.UUID) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	e, ok := tp.s.st.evidence[id]
	if !ok {
		return fmt.Errorf("tamper: no evidence %s: %w", id, store.ErrNotFound)
	}
	data := bytes.Clone(e.Data)
	i := bytes.IndexAny(data, "0123456789")
	if i < 0 {
		return fmt.Errorf("tamper: evidence %s has no digit to change", id)
	}
	data[i] = '0' + (data[i]-'0'+1)%10
	e.Data = data
	tp.s.st.evidence[id] = e
	return nil
}

func (tp tamperer) DeleteEvidence(_ context.Context, id uuid.UUID) error {
	tp.s.mu.Lock()
	defer tp.s.mu.Unlock()
	e, ok := tp.s.st.evidence[id]
	if !ok {
		return fmt.Errorf("tamper: no evidence %s: %w", id, store.ErrNotFound)
	}
	delete(tp.s.st.evidence, id)
	delete(tp.s.st.evidenceByCorrelation, e.CorrelationID)
	return nil
}
