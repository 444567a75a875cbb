package store

import (
	"context"
	"strings"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Evidence packages: a row each, their data the exact bytes uploaded, and
// the service key's attestation and the producer's envelope as DSSE JSON
// (NULL when empty: a package stored before trustgate signed evidence, or
// without a producer). Packages are never updated or deleted.

func evidenceTable() *driver.Table {
	return &driver.Table{
		Name: "evidence_packages",
		Columns: []driver.Column{
			col("id", driver.UUID), col("correlation_id", driver.Text), col("data", driver.Bytes),
			col("content_hash", driver.Text), col("created_at", driver.Time),
			nullCol("attestation", driver.Text), nullCol("producer", driver.Text),
		},
		Key:    []string{"id"},
		Unique: [][]string{{"correlation_id"}},
	}
}

func decodeEvidence(t *driver.Table, row []any) (security.Evidence, error) {
	r := newReader(t, row)
	e := security.Evidence{ID: r.uuid(), CorrelationID: r.text(), Data: r.bytes(), ContentHash: r.digest(), CreatedAt: r.time()}
	attestation, producer := r.text(), r.text()
	if err := r.done(); err != nil {
		return security.Evidence{}, err
	}
	// Leniently: whether the envelopes verify is security.Evidence.Verify's
	// to say, not the decoder's.
	var err error
	if e.Attestation, err = decodeEnvelope("attestation", attestation); err != nil {
		return security.Evidence{}, rowErr(t, err)
	}
	if e.Producer, err = decodeEnvelope("producer", producer); err != nil {
		return security.Evidence{}, rowErr(t, err)
	}
	return e, nil
}

// evidenceBy returns the package whose column col holds v.
func (o *op) evidenceBy(col string, v any) (security.Evidence, bool, error) {
	row, ok, err := o.byKey(o.t.evidence, col, v)
	if err != nil || !ok {
		return security.Evidence{}, false, err
	}
	e, err := decodeEvidence(o.t.evidence, row)
	return e, err == nil, err
}

// CreateEvidence stores a package built by security.NewEvidence, and
// attested by security.Evidence.Attest when the embedding signs evidence,
// and appends an evidence.created audit event naming actor (with
// "attested": whether the package carries an attestation). Uploads are
// idempotent on the correlation id: when a package with the same
// correlation id is stored with the same content hash, CreateEvidence
// returns the stored package (its id, creation time and attestation) and
// writes nothing; with a different content hash it is [ErrConflict]. A
// package that is not intact (its data does not hash to its content hash),
// or has a nil id or a blank correlation id, or an attestation but no
// creation time or one finer than the store keeps (the statement signs
// it, to the millisecond), or a blank actor, is
// [trustgate.Invalid]; an id taken by another package is [ErrConflict].
// CreatedAt defaults to the store's clock.
//
// The store does not verify the envelopes: security.Evidence.Verify does,
// with the keyring, when the package is used.
func (h *ops) CreateEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error) {
	if err := requireActor("actor", actor); err != nil {
		return security.Evidence{}, err
	}
	switch {
	case e.ID == uuid.Nil:
		return security.Evidence{}, invalid("id", "store: evidence needs an id")
	case strings.TrimSpace(e.CorrelationID) == "":
		return security.Evidence{}, invalid("correlation_id", "store: evidence needs a correlation id")
	case !e.Intact():
		return security.Evidence{}, invalid("content_hash", "store: evidence %s does not hash to its content hash", e.ID)
	case e.CreatedAt.IsZero() && len(e.Attestation.Signatures) > 0:
		return security.Evidence{}, invalid("created_at", "store: evidence %s is attested but has no creation time, which its attestation signs", e.ID)
	}
	return write(ctx, h, func(o *op) (security.Evidence, error) {
		e.Data = append(make([]byte, 0, len(e.Data)), e.Data...) // a copy of its own, and never nil
		e.Attestation, e.Producer = dsse.Envelope.Clone(e.Attestation), dsse.Envelope.Clone(e.Producer)
		if len(e.Attestation.Signatures) > 0 && attest.Time(o.norm(e.CreatedAt)) != attest.Time(e.CreatedAt) {
			return security.Evidence{}, invalid("created_at", "store: evidence %s is attested with a creation time finer than the store keeps (%s): "+
				"truncate it to Store.TimePrecision before attesting", e.ID, o.precision)
		}
		e.CreatedAt = o.norm(e.CreatedAt)
		if e.CreatedAt.IsZero() {
			e.CreatedAt = o.clock()
		}
		_, err := o.apply([]change{insertNew(o.t.evidence, []any{e.ID, e.CorrelationID, []byte(e.Data), e.ContentHash.String(), e.CreatedAt,
			envelopeJSON(&e.Attestation), envelopeJSON(&e.Producer)},
			"evidence id %s or correlation id %q is taken", e.ID, e.CorrelationID)}, evidenceCreated(&e, actor))
		if !taken(err) {
			return e, err
		}
		stored, ok, rerr := o.evidenceBy("correlation_id", e.CorrelationID)
		switch {
		case rerr != nil:
			return security.Evidence{}, rerr
		case !ok:
			return security.Evidence{}, conflict("evidence id %s is taken", e.ID)
		case !stored.ContentHash.Equal(e.ContentHash):
			return security.Evidence{}, conflict("correlation id %q holds evidence with content hash %s, not %s",
				e.CorrelationID, stored.ContentHash, e.ContentHash)
		}
		return stored, nil // the same upload again: nothing written
	})
}

// EvidenceByID returns the package with the given id, exactly as stored
// (the validator checks its integrity), or [ErrNotFound].
func (h *ops) EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error) {
	return read(ctx, h, func(o *op) (security.Evidence, error) {
		e, ok, err := o.evidenceBy("id", id)
		if err == nil && !ok {
			err = notFound("evidence %s", id)
		}
		return e, err
	})
}

// EvidenceByCorrelationID returns the package uploaded under the given
// correlation id, or [ErrNotFound].
func (h *ops) EvidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error) {
	return read(ctx, h, func(o *op) (security.Evidence, error) {
		e, ok, err := o.evidenceBy("correlation_id", correlationID)
		if err == nil && !ok {
			err = notFound("evidence with correlation id %q", correlationID)
		}
		return e, err
	})
}
