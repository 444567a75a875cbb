package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// MaxAuditPage is the largest limit ListAuditEvents accepts.
const MaxAuditPage = 10000

const eventColumns = `seq, id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash`

func (c conn) appendAudit(ctx context.Context, in security.EventInput) (security.Event, error) {
	e, err := c.nextAuditEvent(ctx, in, c.s.now())
	if err != nil {
		return security.Event{}, err
	}
	if err := c.insertAuditEvent(ctx, e); err != nil {
		return security.Event{}, err
	}
	return e, nil
}

// nextAuditEvent builds, without writing it, the event that appending in
// at the given time would write: it reads the head and validates in (the
// security package's errors, as they are). An operation that must write
// nothing when its event is invalid builds the event first, then makes its
// own writes, then inserts the event with insertAuditEvent, with no other
// append in between.
func (c conn) nextAuditEvent(ctx context.Context, in security.EventInput, at time.Time) (security.Event, error) {
	head, err := c.auditHead(ctx)
	if err != nil {
		return security.Event{}, err
	}
	id, err := c.s.eventID()
	if err != nil {
		return security.Event{}, err
	}
	return security.NewEvent(head, in, id, at)
}

// insertAuditEvent writes an event nextAuditEvent built.
func (c conn) insertAuditEvent(ctx context.Context, e security.Event) error {
	_, err := c.exec(ctx, `INSERT INTO audit_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.ID.String(), string(e.Type), e.Actor, e.Subject, e.CorrelationID, c.s.timeArg(e.OccurredAt),
		string(e.Data), e.PrevHash.String(), e.Hash.String())
	if err != nil {
		return c.s.fail(ctx, "append audit event", err)
	}
	return nil
}

func (c conn) listAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error) {
	const op = "list audit events"
	if limit <= 0 || limit > MaxAuditPage {
		return nil, invalid("%s: limit %d is outside [1, %d]", op, limit, MaxAuditPage)
	}
	rows, err := c.query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	events := make([]security.Event, 0, min(limit, 256))
	for rows.Next() {
		var (
			e              security.Event
			id, typ, data  string
			prevHash, hash string
		)
		err := rows.Scan(&e.Seq, &id, &typ, &e.Actor, &e.Subject, &e.CorrelationID, timeCol{&e.OccurredAt},
			&data, &prevHash, &hash)
		if err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		if e.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: event %d: id %q: %v", op, e.Seq, id, err)
		}
		e.Type = security.EventType(typ)
		e.Data = json.RawMessage(data)
		if e.PrevHash, err = security.ParseDigest("prev_hash", prevHash); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: event %d: %w", op, e.Seq, err)
		}
		if e.Hash, err = security.ParseDigest("hash", hash); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: event %d: %w", op, e.Seq, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return events, nil
}

// auditHead reads the last event: its sequence number is the log's size.
func (c conn) auditHead(ctx context.Context) (security.Head, error) {
	const op = "read audit head"
	var h security.Head
	var hash string
	err := c.queryRow(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&h.Size, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return security.Head{}, nil
	case err != nil:
		return security.Head{}, c.s.fail(ctx, op, err)
	}
	if h.Hash, err = security.ParseDigest("hash", hash); err != nil {
		return security.Head{}, fmt.Errorf("sqlstore: %s: event %d: %w", op, h.Size, err)
	}
	return h, nil
}

// Checkpoints keep their signing time to the nanosecond, as text in both
// dialects, because the signature covers it.
const checkpointColumns = `size, key_id, head, signed_at, signature`

type checkpointRow struct {
	size      int64
	keyID     string
	head      string
	signedAt  string
	signature string
}

func toCheckpointRow(cp security.Checkpoint) checkpointRow {
	return checkpointRow{cp.Size, cp.KeyID, cp.Head.String(), cp.SignedAt.UTC().Format(nanoTimeLayout),
		base64.StdEncoding.EncodeToString(cp.Signature)}
}

func (c conn) saveCheckpoint(ctx context.Context, cp security.Checkpoint) error {
	const op = "save checkpoint"
	if cp.Size < 0 {
		return invalid("%s: negative size %d", op, cp.Size)
	}
	r := toCheckpointRow(cp)
	ok, err := c.insertOnce(ctx, op, `INSERT INTO audit_checkpoints (`+checkpointColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (size, key_id) DO NOTHING`, r.size, r.keyID, r.head, r.signedAt, r.signature)
	if err != nil || ok {
		return err
	}
	var stored checkpointRow
	err = c.queryRow(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints WHERE size = ? AND key_id = ?`, r.size, r.keyID).
		Scan(&stored.size, &stored.keyID, &stored.head, &stored.signedAt, &stored.signature)
	if err != nil {
		return c.s.fail(ctx, op, err)
	}
	if stored != r {
		return conflict("%s: a different checkpoint of size %d under key %q is stored", op, cp.Size, cp.KeyID)
	}
	return nil
}

func (c conn) latestCheckpoint(ctx context.Context) (security.Checkpoint, error) {
	const op = "read latest checkpoint"
	var r checkpointRow
	err := c.queryRow(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		ORDER BY size DESC, signed_at DESC, key_id DESC LIMIT 1`).
		Scan(&r.size, &r.keyID, &r.head, &r.signedAt, &r.signature)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return security.Checkpoint{}, notFound("no audit checkpoint is stored")
	case err != nil:
		return security.Checkpoint{}, c.s.fail(ctx, op, err)
	}
	cp := security.Checkpoint{Size: r.size, KeyID: r.keyID}
	if cp.Head, err = security.ParseDigest("head", r.head); err != nil {
		return security.Checkpoint{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if cp.SignedAt, err = time.Parse(time.RFC3339Nano, r.signedAt); err != nil {
		return security.Checkpoint{}, fmt.Errorf("sqlstore: %s: signed_at %q: %v", op, r.signedAt, err)
	}
	cp.SignedAt = cp.SignedAt.UTC()
	if r.signature == "" {
		return cp, nil
	}
	if cp.Signature, err = base64.StdEncoding.DecodeString(r.signature); err != nil {
		return security.Checkpoint{}, fmt.Errorf("sqlstore: %s: signature: %v", op, err)
	}
	return cp, nil
}
