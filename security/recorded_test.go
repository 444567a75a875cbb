package security_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
)

// TestRecordedReportIsTheReportTheValidatorRecorded: for a passed and a
// failed validation, the report rebuilt from the audit event alone is the
// one the validator returned, but for the detail texts the log does not
// keep.
func TestRecordedReportIsTheReportTheValidatorRecorded(t *testing.T) {
	for name, art := range map[string][]byte{"passed": artifact, "failed": append([]byte("evil"), artifact...)} {
		t.Run(name, func(t *testing.T) {
			f := newFakeStore()
			e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"PRODUCTIVITY_TOOLS"`))
			rep, _ := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), request(e, art, sbom))
			require.NotEmpty(t, rep.Checks)
			got, err := security.RecordedReport(f.lastEvent(t))
			require.NoError(t, err)
			assert.Equal(t, rep.Passed(), got.Passed())
			assert.Equal(t, rep.EvidenceID, got.EvidenceID)
			assert.Equal(t, rep.CorrelationID, got.CorrelationID)
			assert.Equal(t, rep.ArtifactName, got.ArtifactName)
			assert.Equal(t, rep.ArtifactDigest, got.ArtifactDigest)
			assert.Equal(t, rep.AuditSeq, got.AuditSeq)
			require.Len(t, got.Checks, len(rep.Checks))
			for i, c := range rep.Checks {
				c.Detail = ""
				assert.Equal(t, c, got.Checks[i], "check %d", i)
			}
		})
	}
}

func TestRecordedReportRefusesWhatIsNotAValidation(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"PRODUCTIVITY_TOOLS"`))
	_, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), request(e, artifact, sbom))
	require.NoError(t, err)
	good := f.lastEvent(t)
	edited := func(data string) security.Event { ev := good; ev.Data = json.RawMessage(data); return ev }
	other := good
	other.Type = "cab.submitted"
	failed := good
	failed.Type = security.EventValidationFailed
	for name, c := range map[string]struct {
		ev    security.Event
		field string
	}{
		"another event":                   {other, "type"},
		"data that is not a validation's": {edited(`[]`), "data"},
		"a malformed evidence id":         {edited(`{"evidence_id":"x","artifact":"a","checks":[]}`), "data.evidence_id"},
		"a malformed digest":              {edited(`{"evidence_id":"` + e.ID.String() + `","artifact":"a","artifact_sha256":"ab","checks":[]}`), "data.artifact_sha256"},
		"an unknown gate":                 {edited(`{"evidence_id":"` + e.ID.String() + `","artifact":"a","checks":[{"gate":"vibes","passed":true}]}`), "data.checks[0].gate"},
		"checks that contradict the type": {failed, "data.checks"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := security.RecordedReport(c.ev)
			te := trustgate.AsError(err)
			require.NotNil(t, te, "accepted")
			assert.Equal(t, trustgate.Invalid, te.Code)
			assert.Equal(t, c.field, te.Field, err.Error())
		})
	}
}
