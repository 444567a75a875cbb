package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	artifactBytes = bytes.Repeat([]byte("MZ\x90\x00slack-4.41"), 1000)
	sbomBytes     = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}`)
)

func hexDigest(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }

// evidenceData is a realistic evidence document, formatted (not canonical).
func evidenceData(run int) []byte {
	return []byte(fmt.Sprintf(`{
  "blast_radius_class": "PRODUCTIVITY_TOOLS",
  "artifacts": [ { "name": "slack-4.41.msi", "sha256": %q, "size": %d } ],
  "sbom": { "format": "cyclonedx", "sha256": %q },
  "build": { "pipeline": "release", "run": %d, "notes": "Ünïcödé ✓" }
}`, hexDigest(artifactBytes), len(artifactBytes), hexDigest(sbomBytes), run))
}

func (e *env) newEvidence(correlationID string, data []byte) security.Evidence {
	e.t.Helper()
	ev, err := security.NewEvidence(uuid.New(), correlationID, data, e.clock.Now())
	require.NoError(e.t, err)
	return ev
}

func (e *env) upload(correlationID string, data []byte) security.Evidence {
	e.t.Helper()
	stored, err := e.s.CreateEvidence(e.ctx(), e.newEvidence(correlationID, data), "ci-pipeline")
	require.NoError(e.t, err)
	return stored
}

func (e *env) validator() *security.Validator {
	e.t.Helper()
	v, err := security.NewValidator(e.s, security.Options{})
	require.NoError(e.t, err)
	return v
}

func (e *env) validate(id uuid.UUID) (security.Report, error) {
	return e.validator().ValidateDeployment(e.ctx(), security.Request{
		EvidenceID: id, Artifact: bytes.NewReader(artifactBytes), SBOM: bytes.NewReader(sbomBytes), Actor: "jamf-connector",
	})
}

func runEvidence(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"CreateEvidenceStoresThePackageExactly": func(e *env) {
			want := e.newEvidence("build-1842", evidenceData(1842))
			got, err := e.s.CreateEvidence(e.ctx(), want, "ci-pipeline")
			require.NoError(e.t, err)
			for _, read := range []func() (security.Evidence, error){
				func() (security.Evidence, error) { return got, nil },
				func() (security.Evidence, error) { return e.s.EvidenceByID(e.ctx(), want.ID) },
				func() (security.Evidence, error) { return e.s.EvidenceByCorrelationID(e.ctx(), "build-1842") },
			} {
				ev, err := read()
				require.NoError(e.t, err)
				assert.Equal(e.t, want.ID, ev.ID)
				assert.Equal(e.t, want.CorrelationID, ev.CorrelationID)
				assert.Equal(e.t, string(want.Data), string(ev.Data), "the canonical bytes round-trip exactly")
				assert.Equal(e.t, want.ContentHash, ev.ContentHash)
				assert.Equal(e.t, e.at(want.CreatedAt), ev.CreatedAt)
				assert.True(e.t, ev.Intact())
			}
		},
		"CreateEvidenceAppendsAnAuditEvent": func(e *env) {
			ev := e.upload("build-1", evidenceData(1))
			last := e.lastEvent()
			assert.Equal(e.t, security.EventEvidenceCreated, last.Type)
			assert.Equal(e.t, "ci-pipeline", last.Actor)
			assert.Equal(e.t, "evidence:"+ev.ID.String(), last.Subject)
			assert.Equal(e.t, "build-1", last.CorrelationID)
			assert.Contains(e.t, string(last.Data), ev.ContentHash.String())
		},
		"UploadingTheSameContentAgainReturnsTheStoredPackage": func(e *env) {
			first := e.upload("build-7", evidenceData(7))
			e.clock.Advance(time.Hour)
			before := e.auditSize()
			// Same content, formatted differently, with a new id.
			again := e.newEvidence("build-7", []byte(string(first.Data)))
			got, err := e.s.CreateEvidence(e.ctx(), again, "ci-pipeline")
			require.NoError(e.t, err)
			assert.Equal(e.t, first.ID, got.ID, "the stored package, not the new one")
			assert.True(e.t, first.CreatedAt.Equal(got.CreatedAt))
			assert.Equal(e.t, before, e.auditSize(), "an idempotent repeat writes nothing")
			_, err = e.s.EvidenceByID(e.ctx(), again.ID)
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"DifferentContentUnderTheSameCorrelationIDIsErrConflict": func(e *env) {
			first := e.upload("build-7", evidenceData(7))
			before := e.auditSize()
			_, err := e.s.CreateEvidence(e.ctx(), e.newEvidence("build-7", evidenceData(8)), "ci-pipeline")
			require.ErrorIs(e.t, err, store.ErrConflict)
			got, err := e.s.EvidenceByCorrelationID(e.ctx(), "build-7")
			require.NoError(e.t, err)
			assert.Equal(e.t, first.ContentHash, got.ContentHash, "the stored package is untouched")
			assert.Equal(e.t, before, e.auditSize())
		},
		"CreateEvidenceRejectsAPackageThatIsNotIntact": func(e *env) {
			ev := e.newEvidence("build-1", evidenceData(1))
			ev.Data = bytes.Replace(ev.Data, []byte(`"run":1`), []byte(`"run":2`), 1)
			_, err := e.s.CreateEvidence(e.ctx(), ev, "ci-pipeline")
			requireInvalid(e.t, err, "content_hash")
			_, err = e.s.EvidenceByID(e.ctx(), ev.ID)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Zero(e.t, e.auditSize())
		},
		"CreateEvidenceRejectsMissingIdentifiers": func(e *env) {
			ev := e.newEvidence("build-1", evidenceData(1))
			noID := ev
			noID.ID = uuid.Nil
			_, err := e.s.CreateEvidence(e.ctx(), noID, "ci-pipeline")
			requireInvalid(e.t, err, "id")
			noCorr := ev
			noCorr.CorrelationID = " "
			_, err = e.s.CreateEvidence(e.ctx(), noCorr, "ci-pipeline")
			requireInvalid(e.t, err, "correlation_id")
			_, err = e.s.CreateEvidence(e.ctx(), ev, "")
			requireInvalid(e.t, err, "actor")
			assert.Zero(e.t, e.auditSize())
		},
		"EvidenceKeepsEveryByteAndItsCreationTimeDefaultsToTheClock": func(e *env) {
			ev, err := security.NewEvidence(uuid.New(), "build-1",
				[]byte(`{"artifacts":[{"name":"a.msi","sha256":"`+fmt.Sprintf("%064x", 1)+`"}],"note":"Ünï ✓ \u0000"}`), time.Time{})
			require.NoError(e.t, err)
			got, err := e.s.CreateEvidence(e.ctx(), ev, "ci")
			require.NoError(e.t, err)
			assert.Equal(e.t, e.at(Epoch), got.CreatedAt, "the store clock stands in for an unset CreatedAt")
			assert.Equal(e.t, string(ev.Data), string(got.Data))
			stored, err := e.s.EvidenceByID(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, got, stored)
			assert.True(e.t, stored.Intact())
			assert.JSONEq(e.t, fmt.Sprintf(`{"evidence_id":%q,"content_hash":%q}`, ev.ID, ev.ContentHash), string(e.lastEvent().Data))
		},
		"ReturnedEvidenceIsACopy": func(e *env) {
			ev := e.newEvidence("build-3", evidenceData(3))
			data := ev.Data
			got, err := e.s.CreateEvidence(e.ctx(), ev, "ci-pipeline")
			require.NoError(e.t, err)
			want := string(data)
			data[0] = 'X' // the caller's bytes, after the upload
			got.Data[1] = 'Y'
			read, err := e.s.EvidenceByID(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			read.Data[2] = 'Z'
			again, err := e.s.EvidenceByCorrelationID(e.ctx(), "build-3")
			require.NoError(e.t, err)
			assert.Equal(e.t, want, string(again.Data))
			assert.True(e.t, again.Intact())
		},
		"CreateEvidenceReturnsErrConflictForATakenID": func(e *env) {
			first := e.upload("build-1", evidenceData(1))
			other := e.newEvidence("build-2", evidenceData(2))
			other.ID = first.ID
			_, err := e.s.CreateEvidence(e.ctx(), other, "ci-pipeline")
			require.ErrorIs(e.t, err, store.ErrConflict)
		},
		"EvidenceLookupsReturnErrNotFound": func(e *env) {
			_, err := e.s.EvidenceByID(e.ctx(), uuid.New())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.EvidenceByCorrelationID(e.ctx(), "nope")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ConcurrentDuplicateUploadsStoreOnePackage": func(e *env) {
			e.duplicatesStoreOne(16, func() (uuid.UUID, error) {
				ev, err := security.NewEvidence(uuid.New(), "build-dup", evidenceData(3), e.clock.Now())
				if err != nil {
					return uuid.Nil, err
				}
				ev, err = e.s.CreateEvidence(e.ctx(), ev, "ci-pipeline")
				return ev.ID, err
			})
		},
		"ValidateDeploymentPassesAgainstTheStoreAndAudits": func(e *env) {
			ev := e.upload("build-9", evidenceData(9))
			rep, err := e.validate(ev.ID)
			require.NoError(e.t, err)
			assert.True(e.t, rep.Passed())
			last := e.lastEvent()
			assert.Equal(e.t, security.EventValidationPassed, last.Type)
			assert.Equal(e.t, rep.AuditSeq, last.Seq)
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
		},
		"ValidateDeploymentBlocksUnknownEvidence": func(e *env) {
			_, err := e.validate(uuid.New())
			var ve *security.ValidationError
			require.ErrorAs(e.t, err, &ve)
			assert.Equal(e.t, security.EvidenceNotFound, ve.Code)
			assert.Equal(e.t, security.EventValidationFailed, e.lastEvent().Type)
		},
	})
}
