package main

import (
	"errors"
	"net/http"

	"github.com/buildworksai/trustgate/store"
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

// approveRequest: POST /api/v1/cab/requests/{id}/approve, body optional
// {"comment": …}. The approver is the authenticated CAB member; the
// submitter cannot approve (403 SEPARATION_OF_DUTIES), nor anyone twice
// (409 DUPLICATE_APPROVAL).
func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body commentDTO
	if err := decodeOptionalJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	req, err := s.workflow.Approve(r.Context(), id, p.Name, body.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
}

// rejectRequest: POST /api/v1/cab/requests/{id}/reject, body {"reason": …}.
func (s *Server) rejectRequest(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body rejectDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	req, err := s.workflow.Reject(r.Context(), id, p.Name, body.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
}

// requestException: POST /api/v1/cab/requests/{id}/exception, body
// {"justification": …, "expires_at": RFC 3339}, 1 to 90 days ahead. The
// requester is the authenticated principal.
func (s *Server) requestException(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body exceptionRequestDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	req, err := s.workflow.RequestException(r.Context(), id, p.Name, body.Justification, body.ExpiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
}

// approveException: POST /api/v1/cab/requests/{id}/exception/approve, body
// optional {"comment": …}.
func (s *Server) approveException(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body commentDTO
	if err := decodeOptionalJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	req, err := s.workflow.ApproveException(r.Context(), id, p.Name, body.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRequestDTO(req))
	return nil
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
	writeJSON(w, status, recordedDeploymentDTO{Deployment: toDeploymentDTO(dep), Validation: toReportDTO(rep)})
	return nil
}
