package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
)

// maxAuditPage is the largest limit ListAuditEvents accepts.
const maxAuditPage = 10000

// newEvent builds the event that would follow the stored head, with a new
// id and stamped at, without storing it, so that an operation can check
// that its event is valid before it changes anything. Invalid input is the
// security package's typed error, returned as it is.
func (t *tx) newEvent(st *state, in security.EventInput, at time.Time) (security.Event, error) {
	return security.NewEvent(st.head(), in, t.s.newID(), at)
}

// pushEvent appends e, built by newEvent on the current head, to the log.
func (t *tx) pushEvent(st *state, e security.Event) {
	n := len(st.events)
	st.events = append(st.events, cloneEvent(e))
	t.onRollback(func() {
		clear(st.events[n:]) // drop references to rolled-back data
		st.events = st.events[:n]
	})
}

// auditData encodes the data of a governance event: always a flat JSON
// object of strings, which cannot fail to encode.
func auditData(kv map[string]string) json.RawMessage {
	b, err := json.Marshal(kv)
	if err != nil {
		return nil
	}
	return b
}

// auditJSON encodes the data of a record event: a flat JSON object of
// strings, booleans and string lists, which cannot fail to encode.
func auditJSON(kv map[string]any) json.RawMessage {
	b, err := json.Marshal(kv)
	if err != nil {
		return nil
	}
	return b
}

// AppendAudit implements [store.Audit].
func (t *tx) AppendAudit(ctx context.Context, in security.EventInput) (security.Event, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return security.Event{}, err
	}
	defer t.mu.Unlock()
	e, err := t.newEvent(st, in, t.clock())
	if err != nil {
		return security.Event{}, err
	}
	t.pushEvent(st, e)
	return cloneEvent(e), nil
}

// ListAuditEvents implements [store.Audit].
func (t *tx) ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if limit <= 0 || limit > maxAuditPage {
		return nil, fmt.Errorf("%w: audit page limit %d is outside [1, %d]", store.ErrInvalid, limit, maxAuditPage)
	}
	i := sort.Search(len(st.events), func(i int) bool { return st.events[i].Seq > after })
	page := st.events[i:min(len(st.events), i+limit)]
	out := make([]security.Event, len(page))
	for j, e := range page {
		out[j] = cloneEvent(e)
	}
	return out, nil
}

// AuditHead implements [store.Audit]. The head is read from the last stored
// event: its sequence number (the number of events in an intact log) and
// its hash.
func (t *tx) AuditHead(ctx context.Context) (security.Head, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return security.Head{}, err
	}
	defer t.mu.Unlock()
	return st.head(), nil
}

// SaveCheckpoint implements [store.Audit]. SignedAt is stored in UTC with
// microsecond precision, like every time.
func (t *tx) SaveCheckpoint(ctx context.Context, c security.Checkpoint) error {
	st, err := t.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.mu.Unlock()
	if c.Size < 0 {
		return fmt.Errorf("%w: checkpoint size %d is negative", store.ErrInvalid, c.Size)
	}
	c = cloneCheckpoint(c)
	c.SignedAt = normTime(c.SignedAt)
	key := checkpointKey{size: c.Size, keyID: c.KeyID}
	if old, ok := st.checkpoints[key]; ok {
		if old.Head == c.Head && old.SignedAt.Equal(c.SignedAt) && bytes.Equal(old.Signature, c.Signature) {
			return nil
		}
		return fmt.Errorf("%w: a different checkpoint of size %d by key %q is stored", store.ErrConflict, c.Size, c.KeyID)
	}
	st.checkpoints[key] = c
	t.onRollback(func() { delete(st.checkpoints, key) })
	return nil
}

// LatestCheckpoint implements [store.Audit]. Of several checkpoints of the
// largest size (signed by different keys) it returns the latest signed,
// then the one with the smallest key id.
func (t *tx) LatestCheckpoint(ctx context.Context) (security.Checkpoint, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return security.Checkpoint{}, err
	}
	defer t.mu.Unlock()
	var best security.Checkpoint
	found := false
	for _, c := range st.checkpoints {
		if !found || laterCheckpoint(c, best) {
			best, found = c, true
		}
	}
	if !found {
		return security.Checkpoint{}, fmt.Errorf("%w: no checkpoint", store.ErrNotFound)
	}
	return cloneCheckpoint(best), nil
}

// laterCheckpoint reports whether a comes after b: larger size, then later
// signing time, then smaller key id.
func laterCheckpoint(a, b security.Checkpoint) bool {
	switch {
	case a.Size != b.Size:
		return a.Size > b.Size
	case !a.SignedAt.Equal(b.SignedAt):
		return a.SignedAt.After(b.SignedAt)
	}
	return a.KeyID < b.KeyID
}

// AppendAudit implements [store.Audit].
func (s *Store) AppendAudit(ctx context.Context, in security.EventInput) (security.Event, error) {
	return do(ctx, s, true, func(t *tx) (security.Event, error) { return t.AppendAudit(ctx, in) })
}

// ListAuditEvents implements [store.Audit] and [security.EventReader].
func (s *Store) ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error) {
	return do(ctx, s, false, func(t *tx) ([]security.Event, error) { return t.ListAuditEvents(ctx, after, limit) })
}

// AuditHead implements [store.Audit].
func (s *Store) AuditHead(ctx context.Context) (security.Head, error) {
	return do(ctx, s, false, func(t *tx) (security.Head, error) { return t.AuditHead(ctx) })
}

// SaveCheckpoint implements [store.Audit].
func (s *Store) SaveCheckpoint(ctx context.Context, c security.Checkpoint) error {
	return s.run(ctx, true, func(t *tx) error { return t.SaveCheckpoint(ctx, c) })
}

// LatestCheckpoint implements [store.Audit].
func (s *Store) LatestCheckpoint(ctx context.Context) (security.Checkpoint, error) {
	return do(ctx, s, false, func(t *tx) (security.Checkpoint, error) { return t.LatestCheckpoint(ctx) })
}
