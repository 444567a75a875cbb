package security_test

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evidenceForms is the same evidence (artifact, sbom, PRODUCTIVITY_TOOLS)
// in every form the manifest reads.
func evidenceForms() map[string]string {
	art, sb := hexSum(artifact), hexSum(sbom)
	subject := subjectJSON("zoom-6.1.msi", sha256Set(artifact))
	return map[string]string{
		"hex digests": evidenceJSON(art, sb, `"PRODUCTIVITY_TOOLS"`),
		"OCI digests": evidenceJSON("sha256:"+art, "sha256:"+sb, `"PRODUCTIVITY_TOOLS"`),
		"a statement": statement(security.PredicateManifest,
			`{"blast_radius_class":"PRODUCTIVITY_TOOLS","sbom":{"sha256":"sha256:`+sb+`"}}`, subject),
		"a wrapped statement": `{"in_toto_statement":` + statement(slsaProvenance, `{"runDetails":{}}`, subject) +
			`,"blast_radius_class":"PRODUCTIVITY_TOOLS","sbom":{"sha256":"` + sb + `"}}`,
	}
}

func TestTheValidatorReadsEvidenceInEveryForm(t *testing.T) {
	for name, data := range evidenceForms() {
		t.Run(name, func(t *testing.T) {
			f := newFakeStore()
			e := f.put(t, data)
			v := newValidator(t, f, security.Policy{})

			rep, err := v.ValidateDeployment(t.Context(), request(e, artifact, sbom))
			require.NoError(t, err)
			assert.True(t, rep.Passed())
			assert.Equal(t, "zoom-6.1.msi", rep.ArtifactName)
			assert.Equal(t, security.Digest(sha256.Sum256(artifact)), rep.ArtifactDigest)
			assert.Equal(t, security.EventValidationPassed, f.lastEvent(t).Type)
			assert.Contains(t, string(f.lastEvent(t).Data), `"artifact_sha256":"`+hexSum(artifact)+`"`, "the audit event holds the one form")

			for what, req := range map[security.ReasonCode]security.Request{
				security.ArtifactHashMismatch: request(e, []byte("other bytes"), sbom),
				security.SBOMHashMismatch:     request(e, artifact, []byte("other sbom")),
				security.SBOMMissing:          request(e, artifact, nil),
			} {
				_, err := v.ValidateDeployment(t.Context(), req)
				var ve *security.ValidationError
				require.ErrorAs(t, err, &ve, what)
				assert.Equal(t, what, ve.Code)
				assert.Equal(t, security.EventValidationFailed, f.lastEvent(t).Type)
			}

			art, sb := security.Digest(sha256.Sum256(artifact)), security.Digest(sha256.Sum256(sbom))
			rep, err = v.ValidateDigests(t.Context(), security.DigestRequest{EvidenceID: e.ID, ArtifactDigest: art, SBOMDigest: &sb, Actor: "api"})
			require.NoError(t, err)
			assert.True(t, rep.Passed())
		})
	}
}

func TestEvidenceInEveryFormIsAttestedAndVerified(t *testing.T) {
	svc := service(t, "ci")
	for name, data := range evidenceForms() {
		t.Run(name, func(t *testing.T) {
			e := newAttested(t, svc, data, producerEnvelope(t, "ci", []byte(data)))
			require.NoError(t, e.Verify(svc.Keys()))

			f := newFakeStore()
			f.evidence[e.ID] = e
			v, err := security.NewValidator(f, security.Options{Keys: svc.Keys()})
			require.NoError(t, err)
			rep, err := v.ValidateDeployment(t.Context(), request(e, artifact, sbom))
			require.NoError(t, err)
			require.Len(t, rep.Checks, 6)
			assert.True(t, rep.Checks[1].Passed, rep.Checks[1].Detail)
			assert.Contains(t, rep.Checks[1].Detail, "produced by ci")

			// A digest replaced in the stored data, the hash recomputed:
			// caught, whichever form the digest was in.
			m, err := e.Manifest()
			require.NoError(t, err)
			bad := e
			bad.Data = []byte(replaceOnce(t, string(e.Data), m.Artifacts[0].SHA256.String(), hexSum([]byte("evil"))))
			bad.ContentHash = sha256.Sum256(bad.Data)
			f.evidence[bad.ID] = bad
			_, err = v.ValidateDeployment(t.Context(), request(bad, []byte("evil"), sbom))
			var ve *security.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, security.EvidenceUnattested, ve.Code)
		})
	}
}

func replaceOnce(t *testing.T, s, old, repl string) string {
	t.Helper()
	i := strings.Index(s, old)
	require.GreaterOrEqual(t, i, 0, "%q holds no %q", s, old)
	return s[:i] + repl + s[i+len(old):]
}
