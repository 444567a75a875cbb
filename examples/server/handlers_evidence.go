package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
)

// evidenceDTO is a stored evidence package: its canonical data (RFC 8785)
// and the SHA-256 of that data.
type evidenceDTO struct {
	ID            string          `json:"id"`
	CorrelationID string          `json:"correlation_id"`
	ContentSHA256 string          `json:"content_sha256"`
	CreatedAt     time.Time       `json:"created_at"`
	Data          json.RawMessage `json:"data"`
	// Producer names the trusted producer whose signature the package
	// carries, when the keyring names producers.
	Producer string `json:"producer,omitempty"`
}

func (s *Server) toEvidenceDTO(e security.Evidence) evidenceDTO {
	d := evidenceDTO{ID: e.ID.String(), CorrelationID: e.CorrelationID, ContentSHA256: e.ContentHash.String(),
		CreatedAt: e.CreatedAt.UTC(), Data: e.Data}
	if len(e.Producer.Signatures) > 0 {
		d.Producer, _ = s.keys.Producer(&e.Producer)
	}
	return d
}

// newEvidenceDTO is the body of POST /api/v1/evidence. Evidence is the
// evidence object (see security.Manifest); it is kept verbatim for
// canonicalisation, so duplicate member names in it are refused. Producer
// is a trusted producer's DSSE envelope over security.ProducerPayload of
// the evidence: required when the keyring names producers (the evidence
// generator is not the artifact packager), ignored otherwise.
type newEvidenceDTO struct {
	CorrelationID string          `json:"correlation_id,omitempty"`
	Evidence      json.RawMessage `json:"evidence"`
	Producer      json.RawMessage `json:"producer,omitempty"`
}

// idempotencyKey returns the correlation id of an idempotent create: the
// body's, or else the X-Correlation-ID the client sent. A server-generated
// id is never used, since a retry would not repeat it.
func idempotencyKey(r *http.Request, body string) (string, error) {
	if body != "" {
		return body, nil
	}
	if info := infoFrom(r.Context()); info != nil && info.fromClient {
		return info.correlationID, nil
	}
	return "", newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, "correlation_id",
		"correlation_id is required (in the body, or as the X-Correlation-ID header): it is the idempotency key")
}

// createEvidence: POST /api/v1/evidence. The service key signs the
// package's content hash at upload (security.Evidence.Attest), and the
// validator checks every later validation against that signature, not
// only against the package's own row. When the keyring names trusted
// producers the body must carry a producer's envelope ("producer"): 422
// PRODUCER_SIGNATURE_MISSING without one, 422 STATEMENT_MISMATCH for one
// over other data, 403 UNKNOWN_KEY for one no trusted producer signed, 400
// ENVELOPE_MALFORMED for one that cannot be read. Idempotent on the
// correlation id: the same evidence again answers 200 with the stored
// package; different evidence under the same id is 409.
func (s *Server) createEvidence(w http.ResponseWriter, r *http.Request, p *principal) error {
	var body newEvidenceDTO
	if err := decodeJSON(w, r, evidenceMaxBody, &body); err != nil {
		return err
	}
	key, err := idempotencyKey(r, body.CorrelationID)
	if err != nil {
		return err
	}
	if len(body.Evidence) == 0 {
		return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, "evidence", "evidence is required")
	}
	var producer dsse.Envelope
	if present(body.Producer) {
		if producer, err = parseEnvelope("producer", body.Producer); err != nil {
			return err
		}
	}
	ev, err := security.NewEvidence(s.newID(), key, body.Evidence, s.now())
	if err != nil {
		return err
	}
	if err := ev.Attest(s.service, producer); err != nil {
		return err
	}
	stored, err := s.store.CreateEvidence(r.Context(), ev, p.Name)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if stored.ID != ev.ID {
		status = http.StatusOK // a repeat: the stored package
	}
	w.Header().Set("Location", "/api/v1/evidence/"+url.PathEscape(stored.CorrelationID))
	writeJSON(w, status, s.toEvidenceDTO(stored))
	return nil
}

// getEvidence: GET /api/v1/evidence/{correlation_id}.
func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, _ *principal) error {
	ev, err := s.store.EvidenceByCorrelationID(r.Context(), r.PathValue("correlation_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toEvidenceDTO(ev))
	return nil
}

// digestsDTO are the digests a client computed of what it is about to
// deploy.
type digestsDTO struct {
	ArtifactName   string `json:"artifact_name,omitempty"`
	ArtifactSHA256 string `json:"artifact_sha256"`
	SBOMSHA256     string `json:"sbom_sha256,omitempty"`
}

func (d *digestsDTO) parse() (art security.Digest, sbom *security.Digest, err error) {
	if art, err = security.ParseDigest("artifact_sha256", d.ArtifactSHA256); err != nil {
		return art, nil, err
	}
	if d.SBOMSHA256 != "" {
		sb, err := security.ParseDigest("sbom_sha256", d.SBOMSHA256)
		if err != nil {
			return art, nil, err
		}
		sbom = &sb
	}
	return art, sbom, nil
}

// validateEvidence: POST /api/v1/evidence/{id}/validate. Runs the digest
// gates (see digestGates) against the evidence package with id {id}: 200
// with the report (security.Report's JSON form) when every gate passes, 422 with the library's reason
// code and the failed checks otherwise; 404 with code EVIDENCE_NOT_FOUND
// (and the audit event the validator would write) for an unknown id.
func (s *Server) validateEvidence(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body digestsDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	art, sbom, err := body.parse()
	if err != nil {
		return err
	}
	rep, err := s.digestGates(r.Context(), digestRequest{
		EvidenceID: id, ArtifactName: body.ArtifactName, ArtifactDigest: art, SBOMDigest: sbom,
		Actor: p.Name, CorrelationID: correlationID(r.Context()),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// evidenceNotFound turns a missing evidence package named by a body field
// into a 422 naming the field.
func evidenceNotFound(err error, field string) error {
	if errors.Is(err, store.ErrNotFound) {
		return newHTTPError(http.StatusUnprocessableEntity, string(security.EvidenceNotFound), field,
			"no evidence package with this id: "+err.Error())
	}
	return err
}
