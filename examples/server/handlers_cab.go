package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// submitRequest: POST /api/v1/cab/requests. The request is decided at once
// with the active model (201). Idempotent on the correlation id: the same
// submission again answers 200 with the stored request; a different one
// under the same id is 409.
func (s *Server) submitRequest(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body submitDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	key, err := idempotencyKey(r, body.CorrelationID)
	if err != nil {
		return err
	}
	sub, err := body.toSubmission(key, p.Name)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.store.EvidenceByID(ctx, sub.EvidenceID); err != nil {
		return evidenceNotFound(err, "evidence_id")
	}
	_, err = s.store.RequestByCorrelationID(ctx, key)
	existed := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	req, err := s.workflow.Submit(ctx, sub)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	} else {
		s.metrics.decided(req)
	}
	w.Header().Set("Location", "/api/v1/cab/requests/"+req.ID.String())
	writeJSON(w, status, toRequestDTO(req))
	return nil
}

// getRequest: GET /api/v1/cab/requests/{id}.
func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	req, err := s.store.Request(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
}

// requestStep answers a workflow step on request {id}: decode the body
// (optional or required) into B, run step as the authenticated principal,
// and answer 200 with the request as it now stands.
func requestStep[B any](s *Server, w http.ResponseWriter, r *http.Request, p *principal, optionalBody bool,
	step func(ctx context.Context, id uuid.UUID, actor string, body B) (cab.Request, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body B
	decode := decodeJSON
	if optionalBody {
		decode = decodeOptionalJSON
	}
	if err := decode(w, r, s.maxBody, &body); err != nil {
		return err
	}
	req, err := step(r.Context(), id, p.Name, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
}

// approveRequest: POST /api/v1/cab/requests/{id}/approve. In
// service-attested mode the body is optional {"comment": …} and the
// approver is the authenticated CAB member, whose approval the service key
// countersigns; in member-signed mode it is {"envelope": …}, the DSSE
// envelope of the statement GET …/approval-statement returned, signed by
// the member (403 MEMBER_SIGNATURE_REQUIRED without one). The submitter
// cannot approve (403 SEPARATION_OF_DUTIES), nor anyone twice (409
// DUPLICATE_APPROVAL); an envelope that is not the member's statement of
// this request is 422 STATEMENT_MISMATCH, one not signed by the member's
// key 403 UNKNOWN_KEY, one that cannot be parsed 400 ENVELOPE_MALFORMED.
func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request, p *principal) error {
	return requestStep(s, w, r, p, true, func(ctx context.Context, id uuid.UUID, actor string, b signedApprovalDTO) (cab.Request, error) {
		return s.approveStep(ctx, p, id, cab.KindApproval, b)
	})
}

// approveStep records an approval of kind (of the request or of its
// exception), member-signed when the body carries an envelope.
func (s *Server) approveStep(ctx context.Context, p *principal, id uuid.UUID, kind cab.ApprovalKind, b signedApprovalDTO) (cab.Request, error) {
	req, err := s.recordApproval(ctx, p, id, kind, b)
	metricKind := "request"
	if kind != cab.KindApproval {
		metricKind = "exception"
	}
	s.metrics.approved(metricKind, err)
	return req, err
}

func (s *Server) recordApproval(ctx context.Context, p *principal, id uuid.UUID, kind cab.ApprovalKind, b signedApprovalDTO) (cab.Request, error) {
	env, signed, err := s.memberEnvelope(p, b.Envelope)
	if err != nil {
		return cab.Request{}, err
	}
	if signed && b.Comment != "" {
		return cab.Request{}, newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, "comment",
			"comment: give the comment when fetching the statement to sign: the signed statement carries it")
	}
	statement := "/api/v1/cab/requests/" + id.String() + "/approval-statement?kind=" + string(kind)
	switch {
	case signed && kind == cab.KindApproval:
		return s.workflow.ApproveSigned(ctx, id, env)
	case signed:
		return s.workflow.ApproveExceptionSigned(ctx, id, env)
	case kind == cab.KindApproval:
		req, err := s.workflow.Approve(ctx, id, p.Name, b.Comment)
		return req, withStatementHint(err, statement)
	default:
		req, err := s.workflow.ApproveException(ctx, id, p.Name, b.Comment)
		return req, withStatementHint(err, statement)
	}
}

// requestApprovalStatement: GET
// /api/v1/cab/requests/{id}/approval-statement?kind=approval|exception_approval&comment=…
// answers the canonical statement (an in-toto Statement v1, RFC 8785 JSON,
// exactly the bytes to sign) of the authenticated member's approval of the
// request (kind approval, the default) or of its exception, with the
// comment given. The member signs it (go run ./examples/sign) and posts
// the envelope to …/approve or …/exception/approve. A principal outside
// the keyring is 403 NOT_CAB_MEMBER; an exception approval of a request
// with no exception 409 NOT_PENDING.
func (s *Server) requestApprovalStatement(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	kind := cab.ApprovalKind(q.Get("kind"))
	switch kind {
	case "":
		kind = cab.KindApproval
	case cab.KindApproval, cab.KindExceptionApproval:
	default:
		return queryError("kind", strconv.Quote(string(kind))+" is not approval or exception_approval")
	}
	comment := q.Get("comment")
	if !utf8.ValidString(comment) {
		return queryError("comment", "is not valid UTF-8")
	}
	member, err := s.member(p)
	if err != nil {
		return err
	}
	req, err := s.store.Request(r.Context(), id)
	if err != nil {
		return err
	}
	if kind == cab.KindExceptionApproval && req.Exception == nil {
		return &cab.WorkflowError{RequestID: id, Reason: "the request has no exception to approve", Err: cab.ErrNotPending}
	}
	payload, err := req.ApprovalPayload(kind, member, comment)
	if err != nil {
		return err
	}
	writeStatement(w, payload)
	return nil
}

// rejectRequest: POST /api/v1/cab/requests/{id}/reject, body {"reason": …}.
func (s *Server) rejectRequest(w http.ResponseWriter, r *http.Request, p *principal) error {
	return requestStep(s, w, r, p, false, func(ctx context.Context, id uuid.UUID, actor string, b rejectDTO) (cab.Request, error) {
		return s.workflow.Reject(ctx, id, actor, b.Reason)
	})
}

// requestException: POST /api/v1/cab/requests/{id}/exception, body
// {"justification": …, "expires_at": RFC 3339}, 1 to 90 days ahead. The
// requester is the authenticated principal.
func (s *Server) requestException(w http.ResponseWriter, r *http.Request, p *principal) error {
	return requestStep(s, w, r, p, false, func(ctx context.Context, id uuid.UUID, actor string, b exceptionRequestDTO) (cab.Request, error) {
		return s.workflow.RequestException(ctx, id, actor, b.Justification, b.ExpiresAt)
	})
}

// approveException: POST /api/v1/cab/requests/{id}/exception/approve, body
// optional {"comment": …} (service-attested) or {"envelope": …} (the
// member's signed statement of kind exception_approval); see
// approveRequest.
func (s *Server) approveException(w http.ResponseWriter, r *http.Request, p *principal) error {
	return requestStep(s, w, r, p, true, func(ctx context.Context, id uuid.UUID, actor string, b signedApprovalDTO) (cab.Request, error) {
		return s.approveStep(ctx, p, id, cab.KindExceptionApproval, b)
	})
}

// recordDeployment: POST /api/v1/cab/requests/{id}/deployments. It runs
// the digest gates against the request's evidence (422 with the library's
// reason code when one fails: a tampered package, a swapped artifact),
// authorises the digest under the request (409 when the request is not
// approved, its exception expired, or the digest is not the pinned build),
// and records the deployment: 201, or 200 with the stored record when it
// was recorded before.
func (s *Server) recordDeployment(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body deploymentRequestDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	art, sbom, err := body.parse()
	if err != nil {
		return err
	}
	ctx := r.Context()
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return err
	}
	rep, err := s.digestGates(ctx, digestRequest{
		EvidenceID: req.EvidenceID, ArtifactName: body.ArtifactName, ArtifactDigest: art, SBOMDigest: sbom,
		Actor: p.Name, CorrelationID: correlationID(ctx),
	})
	if err != nil {
		return err
	}
	_, err = s.store.Deployment(ctx, req.DeploymentIntentID)
	existed := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	dep, err := s.workflow.RecordDeployment(ctx, id, art, body.FinishedAt)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, recordedDeploymentDTO{Deployment: dep, Validation: rep})
	return nil
}
