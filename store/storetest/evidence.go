package storetest

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
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

// producerService returns the development service whose keyring trusts
// the evidence producer "ci" (and so requires a producer's signature).
func (e *env) producerService() *attest.Service {
	e.t.Helper()
	c := testkeys.Config(attest.ServiceAttested, "alice", "bob")
	c.Producers = map[string][]crypto.PublicKey{"ci": {testkeys.Public("producer:ci")}}
	svc, err := testkeys.Service(c)
	require.NoError(e.t, err)
	return svc
}

// producerEnvelope returns the producer "ci"'s signature over ev's data.
func (e *env) producerEnvelope(ev security.Evidence) dsse.Envelope {
	e.t.Helper()
	payload, err := security.ProducerPayload(ev.Data)
	require.NoError(e.t, err)
	signer, err := dsse.NewSigner(testkeys.Key("producer:ci"))
	require.NoError(e.t, err)
	env, err := dsse.Seal(attest.PayloadType, payload, signer)
	require.NoError(e.t, err)
	return env
}

// attested returns a new package attested by svc with producer, its
// creation time at the store's precision.
func (e *env) attested(svc *attest.Service, correlationID string, data []byte, producer func(security.Evidence) dsse.Envelope) security.Evidence {
	e.t.Helper()
	ev := e.newEvidence(correlationID, data)
	ev.CreatedAt = e.at(ev.CreatedAt)
	var env dsse.Envelope
	if producer != nil {
		env = producer(ev)
	}
	require.NoError(e.t, ev.Attest(svc, env))
	return ev
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
			assert.JSONEq(e.t, fmt.Sprintf(`{"evidence_id":%q,"content_hash":%q,"attested":false}`, ev.ID, ev.ContentHash), string(e.lastEvent().Data))
			assert.Equal(e.t, dsse.Envelope{}, stored.Attestation, "an unattested package reads back unattested (NULL)")
			assert.Equal(e.t, dsse.Envelope{}, stored.Producer)
			var re *attest.RecordError
			require.ErrorAs(e.t, stored.Verify(e.keys()), &re)
			assert.Equal(e.t, "attestation", re.Part)
			assert.Equal(e.t, "unsigned", re.Reason)
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
		"AttestedEvidenceRoundTripsAndVerifies": func(e *env) {
			for _, svc := range []*attest.Service{e.svc(), e.producerService()} {
				var producer func(security.Evidence) dsse.Envelope
				if svc.Keys().RequiresProducer() {
					producer = e.producerEnvelope
				}
				corr := fmt.Sprintf("build-attested-%v", producer != nil)
				want := e.attested(svc, corr, evidenceData(5), producer)
				got, err := e.s.CreateEvidence(e.ctx(), want, "ci-pipeline")
				require.NoError(e.t, err)
				assert.JSONEq(e.t, fmt.Sprintf(`{"evidence_id":%q,"content_hash":%q,"attested":true}`, want.ID, want.ContentHash),
					string(e.lastEvent().Data))
				for _, read := range []func() (security.Evidence, error){
					func() (security.Evidence, error) { return got, nil },
					func() (security.Evidence, error) { return e.s.EvidenceByID(e.ctx(), want.ID) },
					func() (security.Evidence, error) { return e.s.EvidenceByCorrelationID(e.ctx(), corr) },
				} {
					ev, err := read()
					require.NoError(e.t, err)
					assert.Equal(e.t, want.Attestation, ev.Attestation, "the envelopes round-trip exactly")
					assert.Equal(e.t, want.Producer, ev.Producer)
					require.NoError(e.t, ev.Verify(svc.Keys()))
				}
				v, err := security.NewValidator(e.s, security.Options{Keys: svc.Keys()})
				require.NoError(e.t, err)
				rep, err := v.ValidateDeployment(e.ctx(), security.Request{
					EvidenceID: want.ID, Artifact: bytes.NewReader(artifactBytes), SBOM: bytes.NewReader(sbomBytes), Actor: "jamf-connector",
				})
				require.NoError(e.t, err)
				assert.True(e.t, rep.Passed())
			}
		},
		"AttestedEvidenceIsACopy": func(e *env) {
			ev := e.attested(e.svc(), "build-copy", evidenceData(4), nil)
			payload := ev.Attestation.Payload
			got, err := e.s.CreateEvidence(e.ctx(), ev, "ci-pipeline")
			require.NoError(e.t, err)
			payload[0] = 'X' // the caller's bytes, after the upload
			got.Attestation.Signatures[0].Sig[0] ^= 1
			read, err := e.s.EvidenceByID(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			require.NoError(e.t, read.Verify(e.keys()))
		},
		"UploadingAgainReturnsTheStoredAttestation": func(e *env) {
			first := e.attested(e.svc(), "build-8", evidenceData(8), nil)
			_, err := e.s.CreateEvidence(e.ctx(), first, "ci-pipeline")
			require.NoError(e.t, err)
			e.clock.Advance(time.Hour)
			before := e.auditSize()
			again := e.attested(e.svc(), "build-8", evidenceData(8), nil)
			got, err := e.s.CreateEvidence(e.ctx(), again, "ci-pipeline")
			require.NoError(e.t, err)
			assert.Equal(e.t, first.ID, got.ID)
			assert.Equal(e.t, first.Attestation, got.Attestation, "the stored package's attestation, not the new one's")
			require.NoError(e.t, got.Verify(e.keys()))
			assert.Equal(e.t, before, e.auditSize())

			// An unattested repeat of an attested upload is the same upload.
			plain, err := e.s.CreateEvidence(e.ctx(), e.newEvidence("build-8", evidenceData(8)), "ci-pipeline")
			require.NoError(e.t, err)
			require.NoError(e.t, plain.Verify(e.keys()))
		},
		"CreateEvidenceRejectsAnAttestedPackageWithoutACreationTime": func(e *env) {
			ev := e.attested(e.svc(), "build-1", evidenceData(1), nil)
			ev.CreatedAt = time.Time{}
			_, err := e.s.CreateEvidence(e.ctx(), ev, "ci-pipeline")
			requireInvalid(e.t, err, "created_at")
			assert.Zero(e.t, e.auditSize())
		},
		"AReplacedDigestInTheStoredRowFailsVerification": func(e *env) {
			// What an attacker with write access makes of a package: the
			// artifact digest replaced and the content hash recomputed. The
			// store returns the row; verification refuses it.
			ev := e.attested(e.svc(), "build-2", evidenceData(2), nil)
			forged := ev
			forged.Data = []byte(strings.Replace(string(ev.Data), hexDigest(artifactBytes), hexDigest([]byte("evil")), 1))
			forged.ContentHash = sha256.Sum256(forged.Data)
			got, err := e.s.CreateEvidence(e.ctx(), forged, "ci-pipeline")
			require.NoError(e.t, err, "the store checks the row's own hash only")
			var re *attest.RecordError
			require.ErrorAs(e.t, got.Verify(e.keys()), &re)
			assert.Equal(e.t, "evidence_packages/"+ev.ID.String(), re.Record)
			assert.Equal(e.t, "attestation", re.Part)
			v, err := security.NewValidator(e.s, security.Options{Keys: e.keys()})
			require.NoError(e.t, err)
			_, err = v.ValidateDeployment(e.ctx(), security.Request{
				EvidenceID: ev.ID, Artifact: strings.NewReader("evil"), SBOM: bytes.NewReader(sbomBytes), Actor: "jamf-connector",
			})
			var ve *security.ValidationError
			require.ErrorAs(e.t, err, &ve)
			assert.Equal(e.t, security.EvidenceUnattested, ve.Code)
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
