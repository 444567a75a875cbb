package cab

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// step runs one state change as a read-modify-write in a store transaction:
// rule computes the new request from the stored one at now, and the step's
// audit event is appended with it. A refusal writes nothing.
func (w *Workflow) step(ctx context.Context, id uuid.UUID, actor string, typ security.EventType,
	rule func(r Request, now time.Time) (Request, error), detail func(r Request) map[string]any) (Request, error) {
	now := w.clock()
	r, err := w.store.UpdateRequest(ctx, id, func(cur Request) (Request, security.EventInput, error) {
		next, err := rule(cur, now)
		if err != nil {
			return cur, security.EventInput{}, err
		}
		data := map[string]any{"request_id": next.ID.String(), "status": next.Status}
		for k, v := range detail(next) {
			data[k] = v
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return cur, security.EventInput{}, err
		}
		return next, security.EventInput{Type: typ, Actor: actor, Subject: "cab-request:" + next.ID.String(),
			CorrelationID: next.CorrelationID, Data: raw}, nil
	})
	if err != nil {
		return Request{}, err
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, string(typ), slog.String("request_id", id.String()),
		slog.String("actor", actor), slog.String("status", string(r.Status)))
	return r, nil
}

// Approve records a CAB member's approval; the request is approved when
// distinct approvals reach the class quorum. See [Approve] for the rules.
func (w *Workflow) Approve(ctx context.Context, id uuid.UUID, member, comment string) (Request, error) {
	return w.step(ctx, id, member, EventApproved,
		func(r Request, now time.Time) (Request, error) { return Approve(r, w.members, member, comment, now) },
		func(r Request) map[string]any {
			return map[string]any{"approvals": len(r.Approvals), "quorum": r.Decision.Quorum}
		})
}

// Reject ends a pending request. See [Reject].
func (w *Workflow) Reject(ctx context.Context, id uuid.UUID, member, reason string) (Request, error) {
	return w.step(ctx, id, member, EventRejected,
		func(r Request, now time.Time) (Request, error) { return Reject(r, w.members, member, reason, now) },
		func(Request) map[string]any { return map[string]any{"reason": reason} })
}

// RequestException asks for a time-boxed exception for an
// exception-required request. See [RequestException].
func (w *Workflow) RequestException(ctx context.Context, id uuid.UUID, requester, justification string, expiresAt time.Time) (Request, error) {
	return w.step(ctx, id, requester, EventExceptionRequest,
		func(r Request, now time.Time) (Request, error) {
			return RequestException(r, requester, justification, expiresAt, now)
		},
		func(r Request) map[string]any {
			return map[string]any{"expires_at": r.Exception.ExpiresAt, "artifact_sha256": r.Exception.ArtifactDigest.String(), "justification": justification}
		})
}

// ApproveException records a member's approval of a pending exception,
// refusing an expired one. See [ApproveException].
func (w *Workflow) ApproveException(ctx context.Context, id uuid.UUID, member, comment string) (Request, error) {
	return w.step(ctx, id, member, EventExceptionApproved,
		func(r Request, now time.Time) (Request, error) {
			return ApproveException(r, w.members, member, comment, now)
		},
		func(r Request) map[string]any {
			return map[string]any{"approvals": len(r.Exception.Approvals), "quorum": r.Decision.Quorum, "expires_at": r.Exception.ExpiresAt}
		})
}

// Authorize says whether the artifact with digest may be deployed under the
// request right now (the workflow's clock): auto-approved, approved, or
// under a live exception pinned to this digest. See [Authorize].
func (w *Workflow) Authorize(ctx context.Context, id uuid.UUID, digest security.Digest) (Authorization, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return Authorization{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	return Authorize(r, digest, w.clock())
}

// RecordDeployment authorises the deployment once more (expiry is checked
// on this path too) and records that it went ahead, finishing at
// finishedAt, so that maturity can count it. The deployment record's id is
// the request's deployment intent id, so recording twice is idempotent.
func (w *Workflow) RecordDeployment(ctx context.Context, id uuid.UUID, digest security.Digest, finishedAt time.Time) (incident.Deployment, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return incident.Deployment{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	if _, err := Authorize(r, digest, w.clock()); err != nil {
		return incident.Deployment{}, err
	}
	return w.store.RecordDeployment(ctx, incident.Deployment{
		ID: r.DeploymentIntentID, Application: r.Application, EvidenceID: r.EvidenceID, RequestID: r.ID,
		Class: r.Decision.Class, AutoApproved: r.Status == StatusAutoApproved, RiskScore: r.Decision.Score,
		ModelVersion: r.Decision.ModelVersion, FinishedAt: finishedAt,
	})
}
