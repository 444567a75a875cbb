package security_test

import (
	"crypto/sha256"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateDigestsRunsTheSameGates(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`))
	v := newValidator(t, f, security.Policy{})
	art, sb := security.Digest(sha256.Sum256(artifact)), security.Digest(sha256.Sum256(sbom))

	rep, err := v.ValidateDigests(t.Context(), security.DigestRequest{EvidenceID: e.ID, ArtifactDigest: art, SBOMDigest: &sb, Actor: "api"})
	require.NoError(t, err)
	assert.True(t, rep.Passed())
	assert.Equal(t, art, rep.ArtifactDigest)
	assert.Equal(t, security.EventValidationPassed, f.lastEvent(t).Type)

	other := security.Digest(sha256.Sum256([]byte("swapped")))
	for name, tc := range map[string]struct {
		req  security.DigestRequest
		code security.ReasonCode
	}{
		"swapped artifact": {security.DigestRequest{EvidenceID: e.ID, ArtifactDigest: other, SBOMDigest: &sb, Actor: "api"}, security.ArtifactHashMismatch},
		"swapped sbom":     {security.DigestRequest{EvidenceID: e.ID, ArtifactDigest: art, SBOMDigest: &other, Actor: "api"}, security.SBOMHashMismatch},
		"no sbom":          {security.DigestRequest{EvidenceID: e.ID, ArtifactDigest: art, Actor: "api"}, security.SBOMMissing},
		"unknown evidence": {security.DigestRequest{EvidenceID: uuid.New(), ArtifactDigest: art, Actor: "api"}, security.EvidenceNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.ValidateDigests(t.Context(), tc.req)
			var ve *security.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.code, ve.Code)
			assert.Equal(t, security.EventValidationFailed, f.lastEvent(t).Type)
		})
	}

	before := len(f.events)
	_, err = v.ValidateDigests(t.Context(), security.DigestRequest{EvidenceID: e.ID, Actor: "api"})
	requireInvalid(t, err, "artifact_sha256")
	assert.Len(t, f.events, before, "a malformed request records nothing")
}
