package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

const evidenceColumns = `id, correlation_id, data, content_hash, created_at`

func (c conn) createEvidence(ctx context.Context, e security.Evidence, actor string) (security.Evidence, error) {
	const op = "create evidence"
	switch {
	case strings.TrimSpace(actor) == "":
		return security.Evidence{}, invalid("%s: an actor is required", op)
	case e.ID == uuid.Nil:
		return security.Evidence{}, invalid("%s: evidence needs an id", op)
	case strings.TrimSpace(e.CorrelationID) == "":
		return security.Evidence{}, invalid("%s: evidence needs a correlation id", op)
	case !e.Intact():
		return security.Evidence{}, invalid("%s: evidence %s does not hash to its content hash", op, e.ID)
	}
	// Writes are serialised, so this check and the insert below do not race.
	stored, found, err := c.selectEvidence(ctx, `correlation_id = ?`, e.CorrelationID)
	switch {
	case err != nil:
		return security.Evidence{}, err
	case found && !stored.ContentHash.Equal(e.ContentHash):
		return security.Evidence{}, conflict("%s: correlation id %q holds evidence with content hash %s, not %s",
			op, e.CorrelationID, stored.ContentHash, e.ContentHash)
	case found:
		return stored, nil // the same upload again
	}

	e.Data = append(make([]byte, 0, len(e.Data)), e.Data...) // a copy, and never NULL
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = c.s.now().UTC().Truncate(time.Microsecond)
	}
	ok, err := c.insertOnce(ctx, op, `INSERT INTO evidence_packages (`+evidenceColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, e.ID.String(), e.CorrelationID, e.Data, e.ContentHash.String(), c.s.timeArg(e.CreatedAt))
	if err != nil {
		return security.Evidence{}, err
	}
	if !ok {
		return security.Evidence{}, conflict("%s: evidence id %s is taken", op, e.ID)
	}
	data, err := json.Marshal(map[string]string{"evidence_id": e.ID.String(), "content_hash": e.ContentHash.String()})
	if err != nil {
		return security.Evidence{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	_, err = c.appendAudit(ctx, security.EventInput{
		Type: security.EventEvidenceCreated, Actor: actor, Subject: "evidence:" + e.ID.String(),
		CorrelationID: e.CorrelationID, Data: data,
	})
	if err != nil {
		return security.Evidence{}, err
	}
	return e, nil
}

func (c conn) evidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error) {
	e, found, err := c.selectEvidence(ctx, `id = ?`, id.String())
	if err == nil && !found {
		return security.Evidence{}, notFound("evidence %s", id)
	}
	return e, err
}

func (c conn) evidenceByCorrelationID(ctx context.Context, correlationID string) (security.Evidence, error) {
	e, found, err := c.selectEvidence(ctx, `correlation_id = ?`, correlationID)
	if err == nil && !found {
		return security.Evidence{}, notFound("evidence with correlation id %q", correlationID)
	}
	return e, err
}

// selectEvidence reads the one package that where (a condition on a unique
// column) selects, exactly as stored, and reports whether there is one.
func (c conn) selectEvidence(ctx context.Context, where string, arg any) (security.Evidence, bool, error) {
	const op = "read evidence"
	var e security.Evidence
	var id, hash string
	err := c.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_packages WHERE `+where, arg).
		Scan(&id, &e.CorrelationID, &e.Data, &hash, timeCol{&e.CreatedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return security.Evidence{}, false, nil
	case err != nil:
		return security.Evidence{}, false, c.s.fail(ctx, op, err)
	}
	if e.ID, err = uuid.Parse(id); err != nil {
		return security.Evidence{}, false, fmt.Errorf("sqlstore: %s: id %q: %v", op, id, err)
	}
	if e.ContentHash, err = security.ParseDigest("content_hash", hash); err != nil {
		return security.Evidence{}, false, fmt.Errorf("sqlstore: %s: evidence %s: %w", op, e.ID, err)
	}
	return e, true, nil
}
