package main

import (
	"context"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// Over HTTP the server never sees artifact bytes: the client hashes the
// artifact (and SBOM) it is about to deploy and sends the SHA-256 digests,
// and the server runs the library's own gates on them
// (security.Validator.ValidateDigests): the same reason codes, the same
// validation.passed / validation.failed audit events. SBOM signatures are
// not accepted over this API, so no trusted keys are configured here.
//
// A connector that holds the bytes should embed the library and call
// security.Validator.ValidateDeployment, which hashes what it actually
// deploys: that is the connector path, and the stronger one, since here the
// server must trust the client's hashing.
type digestRequest struct {
	EvidenceID     uuid.UUID
	ArtifactName   string
	ArtifactDigest security.Digest
	SBOMDigest     *security.Digest
	Actor          string
	CorrelationID  string
}

func (s *Server) digestGates(ctx context.Context, req digestRequest) (security.Report, error) {
	rep, err := s.validator.ValidateDigests(ctx, security.DigestRequest{
		EvidenceID: req.EvidenceID, ArtifactName: req.ArtifactName, ArtifactDigest: req.ArtifactDigest,
		SBOMDigest: req.SBOMDigest, Actor: req.Actor, CorrelationID: req.CorrelationID,
	})
	s.metrics.validated(rep, err)
	return rep, err
}
