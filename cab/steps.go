package cab

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
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

// ErrMemberSignature: in member-signed mode an approval must come signed
// by the member ([Workflow.ApproveSigned]); the service key does not
// approve for anyone. Code [trustgate.Forbidden], reason
// MEMBER_SIGNATURE_REQUIRED.
var ErrMemberSignature = &trustgate.Error{Code: trustgate.Forbidden, Reason: "MEMBER_SIGNATURE_REQUIRED",
	Message: "cab: member-signed mode: approvals must be signed by the member"}

// attested returns the envelope of the approval statement of kind by
// member of request id, signed by the service key, which vouches that the
// caller authenticated member (service-attested mode). It reads the
// request first, so that signing (perhaps by a remote KMS) happens outside
// the store's write transaction; the statement binds only what never
// changes, and the step checks it again inside the transaction.
func (w *Workflow) attested(ctx context.Context, id uuid.UUID, kind ApprovalKind, member, comment string) (string, dsse.Envelope, error) {
	if kind != KindRejection && w.keys.Mode() == attest.MemberSigned {
		return "", dsse.Envelope{}, &WorkflowError{RequestID: id, Reason: "approvals must be signed by the member", Err: ErrMemberSignature}
	}
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return "", dsse.Envelope{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	field := "approver"
	if kind == KindRejection {
		field = "rejecter"
	}
	who, err := checkActor(&r, field, member)
	if err != nil {
		return "", dsse.Envelope{}, err
	}
	payload, err := r.ApprovalPayload(kind, who, comment)
	if err != nil {
		return "", dsse.Envelope{}, err
	}
	env, err := w.service.Seal(payload)
	if err != nil {
		return "", dsse.Envelope{}, fmt.Errorf("cab: signing the %s of request %s: %w", kind, id, err)
	}
	return who, env, nil
}

// opened checks a member-signed approval envelope of kind for request id
// and returns the approval it carries. A malformed statement, one about
// another request, digest, decision or exception, is a [*WorkflowError]
// wrapping [attest.ErrStatement] naming the field; a member outside the
// CAB [ErrNotMember]; a statement not signed by the member's own key
// [attest.ErrUnknownKey]. Nothing is written.
func (w *Workflow) opened(ctx context.Context, id uuid.UUID, kind ApprovalKind, env dsse.Envelope) (Approval, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return Approval{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	bad := func(field, reason string) (Approval, error) {
		return Approval{}, refuse(&r, attest.StatementError(field, reason), "the approval statement's %s %s", field, reason)
	}
	if env.PayloadType != attest.PayloadType {
		return bad("envelope.payloadType", "is not "+attest.PayloadType)
	}
	var st ApprovalStatement
	stmt, err := attest.Decode(env.Payload, PredicateApproval, &st)
	if err != nil {
		return Approval{}, refuse(&r, err, "the approval statement is malformed")
	}
	want := r.Approval(kind, st.Member, st.Comment)
	digest := r.ArtifactDigest
	if kind == KindExceptionApproval && r.Exception != nil {
		digest = r.Exception.ArtifactDigest
	}
	switch {
	case st.Kind != kind:
		return bad("payload.predicate.kind", "is "+string(st.Kind)+", not "+string(kind))
	case st.RequestID != want.RequestID:
		return bad("payload.predicate.request_id", "names request "+st.RequestID+", not "+want.RequestID)
	case len(stmt.Subject) != 1 || stmt.Subject[0].Digest["sha256"] != digest.String():
		return bad("payload.subject", "is not the artifact "+digest.String()+" the request pinned")
	case st.Decision != want.Decision:
		return bad("payload.predicate.decision_sha256", "is not the request's signed decision")
	case st.ModelHash != want.ModelHash:
		return bad("payload.predicate.model_sha256", "is not the model the request was decided with")
	case st.Exception != want.Exception:
		return bad("payload.predicate.exception_sha256", "is not the request's signed exception")
	case st.Member != attest.NormalizeName(st.Member) || st.Member == "":
		return bad("payload.predicate.member", "must be a normalised name")
	case !w.keys.IsMember(st.Member):
		return Approval{}, refuse(&r, ErrNotMember, "%q is not a CAB member", st.Member)
	case !w.keys.MemberSigned(&env, st.Member):
		return Approval{}, refuse(&r, attest.UnknownKey("no valid signature by a key of "+st.Member), "the approval is not signed by %q", st.Member)
	}
	if exact, err := r.ApprovalPayload(kind, st.Member, st.Comment); err != nil || !attest.Carries(&env, exact) {
		return bad("payload", "is not the canonical approval statement")
	}
	return Approval{By: st.Member, Comment: st.Comment, Envelope: env}, nil
}

// Approve records a CAB member's approval, countersigned by the service key
// for the member the caller authenticated (service-attested mode; in
// member-signed mode it is [ErrMemberSignature]: use ApproveSigned). The
// request is approved when distinct verified approvals reach the class
// quorum. See [Approve] for the rules.
func (w *Workflow) Approve(ctx context.Context, id uuid.UUID, member, comment string) (Request, error) {
	who, env, err := w.attested(ctx, id, KindApproval, member, comment)
	if err != nil {
		return Request{}, err
	}
	return w.approve(ctx, id, Approval{By: who, Comment: comment, Envelope: env})
}

// ApproveSigned records an approval the member signed: env is a DSSE
// envelope of the member's approval statement ([Request.ApprovalPayload],
// kind [KindApproval]) signed with one of the member's keys. The server
// never holds the member's private key.
func (w *Workflow) ApproveSigned(ctx context.Context, id uuid.UUID, env dsse.Envelope) (Request, error) {
	a, err := w.opened(ctx, id, KindApproval, env)
	if err != nil {
		return Request{}, err
	}
	return w.approve(ctx, id, a)
}

func (w *Workflow) approve(ctx context.Context, id uuid.UUID, a Approval) (Request, error) {
	return w.step(ctx, id, a.By, EventApproved,
		func(r Request, now time.Time) (Request, error) { return Approve(r, w.keys, a, now) },
		func(r Request) map[string]any {
			return map[string]any{"approvals": len(r.Approvals), "quorum": r.Decision.Quorum, "signed_by": signers(w.keys, &a.Envelope)}
		})
}

// signers lists the key ids that validly signed env, for the audit event.
func signers(keys *attest.Keyring, env *dsse.Envelope) []string {
	out := []string{}
	for _, p := range keys.Signers(env) {
		out = append(out, string(p.Role)+":"+p.KeyID)
	}
	return out
}

// Reject ends a pending request. The rejection is signed by the service
// key naming member, in either mode: a rejection only makes the outcome
// stricter. See [Reject].
func (w *Workflow) Reject(ctx context.Context, id uuid.UUID, member, reason string) (Request, error) {
	who, env, err := w.attested(ctx, id, KindRejection, member, reason)
	if err != nil {
		return Request{}, err
	}
	return w.step(ctx, id, who, EventRejected,
		func(r Request, now time.Time) (Request, error) {
			return Reject(r, w.keys, Rejection{By: who, Reason: reason, Envelope: env}, now)
		},
		func(Request) map[string]any { return map[string]any{"reason": reason} })
}

// RequestException asks for a time-boxed exception for an
// exception-required request; the service key signs its statement (the
// requester, justification, expiry and pinned digest). See
// [NewException].
func (w *Workflow) RequestException(ctx context.Context, id uuid.UUID, requester, justification string, expiresAt time.Time) (Request, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return Request{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	x, err := NewException(r, requester, justification, expiresAt, w.clock())
	if err != nil {
		return Request{}, err
	}
	payload, err := r.ExceptionPayload(x)
	if err != nil {
		return Request{}, err
	}
	if x.Attestation, err = w.service.Seal(payload); err != nil {
		return Request{}, fmt.Errorf("cab: signing the exception of request %s: %w", id, err)
	}
	return w.step(ctx, id, x.RequestedBy, EventExceptionRequest,
		func(r Request, now time.Time) (Request, error) { return RequestException(r, w.keys, x, x.RequestedAt) },
		func(r Request) map[string]any {
			return map[string]any{"expires_at": r.Exception.ExpiresAt, "artifact_sha256": r.Exception.ArtifactDigest.String(), "justification": justification}
		})
}

// ApproveException records a member's approval of a pending exception,
// countersigned by the service key (service-attested mode), refusing an
// expired one. See [ApproveException].
func (w *Workflow) ApproveException(ctx context.Context, id uuid.UUID, member, comment string) (Request, error) {
	who, env, err := w.attested(ctx, id, KindExceptionApproval, member, comment)
	if err != nil {
		return Request{}, err
	}
	return w.approveException(ctx, id, Approval{By: who, Comment: comment, Envelope: env})
}

// ApproveExceptionSigned records an exception approval the member signed
// (kind [KindExceptionApproval]); see [Workflow.ApproveSigned].
func (w *Workflow) ApproveExceptionSigned(ctx context.Context, id uuid.UUID, env dsse.Envelope) (Request, error) {
	a, err := w.opened(ctx, id, KindExceptionApproval, env)
	if err != nil {
		return Request{}, err
	}
	return w.approveException(ctx, id, a)
}

func (w *Workflow) approveException(ctx context.Context, id uuid.UUID, a Approval) (Request, error) {
	return w.step(ctx, id, a.By, EventExceptionApproved,
		func(r Request, now time.Time) (Request, error) { return ApproveException(r, w.keys, a, now) },
		func(r Request) map[string]any {
			return map[string]any{"approvals": len(r.Exception.Approvals), "quorum": r.Decision.Quorum,
				"expires_at": r.Exception.ExpiresAt, "signed_by": signers(w.keys, &a.Envelope)}
		})
}

// Authorize says whether the artifact with digest may be deployed under the
// request right now (the workflow's clock), recomputed from the signed
// decision, the verified approvals and the signed exception, never from the
// stored status. See [Authorize].
func (w *Workflow) Authorize(ctx context.Context, id uuid.UUID, digest security.Digest) (Authorization, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return Authorization{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	return Authorize(r, w.keys, digest, w.clock())
}

// RecordDeployment authorises the deployment once more (from the
// signatures, with expiry checked on this path too) and records that it
// went ahead, finishing at finishedAt, so that maturity can count it. The
// deployment record's id is the request's deployment intent id, so
// recording twice is idempotent.
func (w *Workflow) RecordDeployment(ctx context.Context, id uuid.UUID, digest security.Digest, finishedAt time.Time) (incident.Deployment, error) {
	r, err := w.store.Request(ctx, id)
	if err != nil {
		return incident.Deployment{}, fmt.Errorf("cab: request %s: %w", id, err)
	}
	auth, err := Authorize(r, w.keys, digest, w.clock())
	if err != nil {
		return incident.Deployment{}, err
	}
	return w.store.RecordDeployment(ctx, incident.Deployment{
		ID: r.DeploymentIntentID, Application: r.Application, EvidenceID: r.EvidenceID, RequestID: r.ID,
		Class: r.Decision.Class, AutoApproved: auth.Status == StatusAutoApproved, RiskScore: r.Decision.Score,
		ModelVersion: r.Decision.ModelVersion, FinishedAt: finishedAt,
	})
}
