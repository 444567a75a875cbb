package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/stored"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// maxRequestPage is the largest limit ListRequests accepts.
const maxRequestPage = 1000

const requestColumns = `id, correlation_id, evidence_id, deployment_intent_id, application, artifact_digest,
	submitter, submission_hash, outcome, reason_code, score, class, threshold, exception_threshold, model_version,
	quorum, status, approvals, rejection, exception, created_at, updated_at`

// createRequest stores a new request and its cab.submitted event; see
// [store.Requests]. Nothing is written unless both are: the event is built
// (and so validated) before the insert.
func (c conn) createRequest(ctx context.Context, r cab.Request) (cab.Request, error) {
	const op = "create CAB request"
	switch {
	case r.ID == uuid.Nil:
		return cab.Request{}, invalid("%s: a CAB request needs an id", op)
	case strings.TrimSpace(r.CorrelationID) == "":
		return cab.Request{}, invalid("%s: CAB request %s needs a correlation id", op, r.ID)
	case strings.TrimSpace(r.Submitter) == "":
		return cab.Request{}, invalid("%s: CAB request %s needs a submitter", op, r.ID)
	case !r.Decision.Class.Valid():
		return cab.Request{}, invalid("%s: CAB request %s: %q is not a blast radius class", op, r.ID, r.Decision.Class)
	case !validStatus(r.Status):
		return cab.Request{}, invalid("%s: CAB request %s: %q is not a request status", op, r.ID, r.Status)
	}
	// Writes are serialised, so what this reads stays true until the insert:
	// one statement finds both a request under the correlation id (a repeat
	// or a conflicting submission) and one under the id (a taken id).
	found, err := c.selectRequests(ctx, `WHERE correlation_id = ? OR id = ?`, r.CorrelationID, r.ID.String())
	if err != nil {
		return cab.Request{}, err
	}
	for _, stored := range found {
		if stored.CorrelationID != r.CorrelationID {
			continue
		}
		if !stored.SubmissionHash.Equal(r.SubmissionHash) {
			return cab.Request{}, conflict("%s: correlation id %q holds a CAB request with submission hash %s, not %s",
				op, r.CorrelationID, stored.SubmissionHash, r.SubmissionHash)
		}
		return stored, nil // the same submission again, as it stands now: nothing written
	}
	if len(found) > 0 {
		return cab.Request{}, conflict("%s: CAB request id %s is taken", op, r.ID)
	}

	now := normTime(c.s.now())
	r.Approvals, r.Rejection, r.Exception = stored.Approvals(r.Approvals), stored.Rejection(r.Rejection), stored.Exception(r.Exception)
	r.CreatedAt, r.UpdatedAt = normTime(r.CreatedAt), normTime(r.UpdatedAt)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	d := &r.Decision
	d.Reason.Text = d.Reason.Code.Text() // what reads back: the code is stored, not the text
	approvals, rejection, exception, err := progressArgs(&r)
	if err != nil {
		return cab.Request{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	e, err := c.nextAuditEvent(ctx, cab.SubmittedEvent(r), now)
	if err != nil {
		return cab.Request{}, err
	}
	if _, err := c.exec(ctx, `INSERT INTO cab_requests (`+requestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID.String(), r.CorrelationID, r.EvidenceID.String(), r.DeploymentIntentID.String(), r.Application,
		r.ArtifactDigest.String(), r.Submitter, r.SubmissionHash.String(), string(d.Outcome), string(d.Reason.Code),
		d.Score.String(), string(d.Class), d.Threshold.String(), d.ExceptionThreshold.String(), d.ModelVersion,
		d.Quorum, string(r.Status), approvals, rejection, exception,
		c.s.timeArg(r.CreatedAt), c.s.timeArg(r.UpdatedAt)); err != nil {
		return cab.Request{}, c.s.fail(ctx, op, err)
	}
	if err := c.insertAuditEvent(ctx, e); err != nil {
		return cab.Request{}, err
	}
	return r, nil // normalised into copies of its own above
}

func (c conn) request(ctx context.Context, id uuid.UUID) (cab.Request, error) {
	rs, err := c.selectRequests(ctx, `WHERE id = ?`, id.String())
	if err != nil {
		return cab.Request{}, err
	}
	if len(rs) == 0 {
		return cab.Request{}, notFound("CAB request %s", id)
	}
	return rs[0], nil
}

func (c conn) requestByCorrelationID(ctx context.Context, correlationID string) (cab.Request, error) {
	rs, err := c.selectRequests(ctx, `WHERE correlation_id = ?`, correlationID)
	if err != nil {
		return cab.Request{}, err
	}
	if len(rs) == 0 {
		return cab.Request{}, notFound("CAB request with correlation id %q", correlationID)
	}
	return rs[0], nil
}

// updateRequest is the read-modify-write of [store.Requests.UpdateRequest].
// It runs on a write transaction, which writers take one at a time, so the
// request it reads is the latest and stays so until it commits: concurrent
// updates are applied one after the other, none lost. The event is built
// (validated) before the update, so an invalid one writes nothing.
func (c conn) updateRequest(ctx context.Context, id uuid.UUID,
	fn func(cab.Request) (cab.Request, security.EventInput, error)) (cab.Request, error) {
	const op = "update CAB request"
	if fn == nil {
		return cab.Request{}, invalid("%s: updating CAB request %s needs an update function", op, id)
	}
	old, err := c.request(ctx, id)
	if err != nil {
		return cab.Request{}, err
	}
	next, in, err := fn(old.Clone())
	if err != nil {
		return cab.Request{}, err // fn's, as it is
	}
	if field := cab.ChangedSubmission(old, next); field != "" {
		return cab.Request{}, invalid("%s: CAB request %s: the %s of a submission cannot change", op, id, field)
	}
	if !validStatus(next.Status) {
		return cab.Request{}, invalid("%s: CAB request %s: %q is not a request status", op, id, next.Status)
	}
	now := normTime(c.s.now())
	updated := old // the submission as stored; the rest is fn's, copied
	updated.Status = next.Status
	updated.Approvals = stored.Approvals(next.Approvals)
	updated.Rejection = stored.Rejection(next.Rejection)
	updated.Exception = stored.Exception(next.Exception)
	updated.UpdatedAt = normTime(next.UpdatedAt)
	if updated.UpdatedAt.IsZero() {
		updated.UpdatedAt = now
	}
	approvals, rejection, exception, err := progressArgs(&updated)
	if err != nil {
		return cab.Request{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	e, err := c.nextAuditEvent(ctx, in, now)
	if err != nil {
		return cab.Request{}, err
	}
	// Only the progress columns: the database refuses any other change.
	if err := c.updateOne(ctx, op, `UPDATE cab_requests
		SET status = ?, approvals = ?, rejection = ?, exception = ?, updated_at = ? WHERE id = ?`,
		string(updated.Status), approvals, rejection, exception, c.s.timeArg(updated.UpdatedAt), id.String()); err != nil {
		return cab.Request{}, err
	}
	if err := c.insertAuditEvent(ctx, e); err != nil {
		return cab.Request{}, err
	}
	return updated, nil
}

// listRequests reads one page of [store.Requests.ListRequests]. The
// period's bounds are compared as stored times are, in UTC truncated to
// microseconds, as the in-memory adapter compares them. The cursor's
// creation time never changes, so reading it in a statement of its own
// needs no transaction.
func (c conn) listRequests(ctx context.Context, f cab.RequestFilter) ([]cab.Request, error) {
	const op = "list CAB requests"
	if f.Limit <= 0 || f.Limit > maxRequestPage {
		return nil, invalid("%s: page limit %d is outside [1, %d]", op, f.Limit, maxRequestPage)
	}
	from, to := normTime(f.From), normTime(f.To)
	var cursor string // the cursor's predicate, and its arguments
	var cursorArgs []any
	if f.After != uuid.Nil {
		var at time.Time
		err := c.queryRow(ctx, `SELECT created_at FROM cab_requests WHERE id = ?`, f.After.String()).Scan(timeCol{&at})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, invalid("%s: the page cursor names CAB request %s, which is not stored", op, f.After)
		case err != nil:
			return nil, c.s.fail(ctx, op, err)
		}
		cursor, cursorArgs = ` AND (created_at, id) > (?, ?)`, []any{c.s.timeArg(at), f.After.String()}
		// The same rows, but the index range starts at the cursor, not at
		// the period's start: a late page costs what an early one does.
		if at.After(from) {
			from = at
		}
	}
	if !from.Before(to) {
		return []cab.Request{}, nil // nothing left in the period (a zero To included)
	}
	args := append([]any{c.s.timeArg(from), c.s.timeArg(to)}, cursorArgs...)
	return c.selectRequests(ctx, `WHERE created_at >= ? AND created_at < ?`+cursor+` ORDER BY created_at, id LIMIT ?`,
		append(args, f.Limit)...)
}

// selectRequests reads the requests that tail (WHERE, ORDER BY, LIMIT)
// selects, each its own copy.
func (c conn) selectRequests(ctx context.Context, tail string, args ...any) ([]cab.Request, error) {
	const op = "read CAB requests"
	rows, err := c.query(ctx, `SELECT `+requestColumns+` FROM cab_requests `+tail, args...)
	if err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	defer func() { _ = rows.Close() }()
	rs := []cab.Request{}
	for rows.Next() {
		var (
			r                                               cab.Request
			d                                               = &r.Decision
			digest, subHash, outcome, reason, class, status string
			approvals                                       string
			rejection, exception                            sql.NullString
			quorum                                          int64
		)
		err := rows.Scan(idCol{&r.ID}, &r.CorrelationID, idCol{&r.EvidenceID}, idCol{&r.DeploymentIntentID},
			&r.Application, &digest, &r.Submitter, &subHash, &outcome, &reason, decimalCol{&d.Score}, &class,
			decimalCol{&d.Threshold}, decimalCol{&d.ExceptionThreshold}, &d.ModelVersion, &quorum, &status,
			&approvals, &rejection, &exception, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
		if err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		if r.ArtifactDigest, err = security.ParseDigest("artifact_digest", digest); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: request %s: %w", op, r.ID, err)
		}
		if r.SubmissionHash, err = security.ParseDigest("submission_hash", subHash); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: request %s: %w", op, r.ID, err)
		}
		d.Outcome, d.Class, d.Quorum = cab.Outcome(outcome), blastradius.Class(class), int(quorum)
		d.Reason = cab.Reason{Code: cab.ReasonCode(reason), Text: cab.ReasonCode(reason).Text()}
		r.Status = cab.Status(status)
		if err := decodeProgress(&r, approvals, rejection.String, exception.String); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: request %s: %w", op, r.ID, err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return rs, nil
}
