package main

import (
	"crypto"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateEvidence(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	upload := func(body any, header map[string]string) response {
		return e.do(call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter, body: body, header: header})
	}

	t.Run("happy path", func(t *testing.T) {
		r := upload(evidenceBody("build-1", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom), nil)
		got := ok[evidenceDTO](t, r, http.StatusCreated)
		assert.Equal(t, "build-1", got.CorrelationID)
		assert.Equal(t, "/api/v1/evidence/build-1", r.Header.Get("Location"))
		// Stored canonical (RFC 8785: members sorted), hashed.
		assert.True(t, strings.HasPrefix(string(got.Data), `{"artifacts":[`), "%s", got.Data)
		assert.Equal(t, digestOf(string(got.Data)), got.ContentSHA256)
		assert.Equal(t, epoch, got.CreatedAt)
		// The upload is audited, naming the principal.
		evs := e.auditEvents()
		last := evs[len(evs)-1]
		assert.Equal(t, security.EventEvidenceCreated, last.Type)
		assert.Equal(t, "alice", last.Actor)
	})

	t.Run("idempotent repeat", func(t *testing.T) {
		body := evidenceBody("build-2", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom)
		first := upload(body, nil)
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
		again := upload(body, nil)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Body)
		assert.JSONEq(t, string(first.Body), string(again.Body))
		// The same evidence written differently is the same evidence.
		reordered := `{"evidence": {"blast_radius_class": "PRODUCTIVITY_TOOLS", "build": {"run": 42.0, "pipeline": "ci"},
			"sbom": {"sha256": "` + digestOf(zoomSBOM) + `"}, "artifacts": [{"sha256": "` + digestOf(zoom.content) + `", "name": "` + zoom.name + `"}]},
			"correlation_id": "build-2"}`
		assert.JSONEq(t, string(first.Body), string(upload(reordered, nil).Body))
	})

	t.Run("different evidence under a used key is a conflict", func(t *testing.T) {
		upload(evidenceBody("build-3", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom), nil)
		other := evidenceBody("build-3", "PRODUCTIVITY_TOOLS", zoomSBOM, artifact{"zoom-6.2.pkg", "other bytes"})
		requireProblem(t, upload(other, nil), http.StatusConflict, codeConflict)
	})

	t.Run("the key defaults to the client's X-Correlation-ID", func(t *testing.T) {
		r := upload(evidenceBody("", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom), map[string]string{correlationHeader: "build-from-header"})
		got := ok[evidenceDTO](t, r, http.StatusCreated)
		assert.Equal(t, "build-from-header", got.CorrelationID)
	})

	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			name  string
			body  any
			field string
		}{
			{"no key and no header", evidenceBody("", "PRODUCTIVITY_TOOLS", "", zoom), "correlation_id"},
			{"no evidence", map[string]any{"correlation_id": "k"}, "evidence"},
			{"no artifacts", map[string]any{"correlation_id": "k", "evidence": map[string]any{"sbom": nil}}, "artifacts"},
			{"bad digest", map[string]any{"correlation_id": "k", "evidence": map[string]any{"artifacts": []any{map[string]string{"name": "a", "sha256": "abc"}}}}, "artifacts[0].sha256"},
			{"duplicate member", `{"correlation_id":"k","evidence":{"artifacts":[],"artifacts":[]}}`, "evidence"},
			{"not an object", `{"correlation_id":"k","evidence":[1]}`, "evidence"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := requireProblem(t, upload(tt.body, nil), http.StatusUnprocessableEntity, codeValidationFailed)
				assert.Equal(t, tt.field, p.Field)
			})
		}
	})

	t.Run("evidence may be larger than other bodies, up to its own limit", func(t *testing.T) {
		ev := evidenceBody("build-big", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom)
		ev["evidence"].(map[string]any)["log"] = strings.Repeat("x", 2<<20>>1) // 1 MiB of log
		r := upload(ev, nil)
		requireProblem(t, r, http.StatusUnprocessableEntity, codeValidationFailed) // larger than MaxEvidenceSize
		ev["evidence"].(map[string]any)["log"] = strings.Repeat("x", security.MaxEvidenceSize+128<<10)
		requireProblem(t, upload(ev, nil), http.StatusRequestEntityTooLarge, codePayloadTooLarge)
		ev["evidence"].(map[string]any)["log"] = strings.Repeat("x", 1<<20-1024)
		ok[evidenceDTO](t, upload(ev, nil), http.StatusCreated)
	})
}

func TestGetEvidence(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	stored := e.uploadEvidence("release/zoom 6.1")
	t.Run("happy path", func(t *testing.T) {
		r := e.do(call{method: "GET", path: "/api/v1/evidence/release%2Fzoom%206.1", token: tokCAB})
		got := ok[evidenceDTO](t, r, http.StatusOK)
		assert.Equal(t, stored, got)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/evidence/nope", token: tokCAB}), http.StatusNotFound, codeNotFound)
	})
}

func TestValidateEvidence(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	other := artifact{"zoom-helper.pkg", "helper bytes"}
	ev := e.uploadEvidence("build-v", zoom, other)
	validate := func(id string, body any) response {
		return e.do(call{method: "POST", path: "/api/v1/evidence/" + id + "/validate", token: tokSubmitter, body: body,
			header: map[string]string{correlationHeader: "corr-validate"}})
	}
	digests := func(a artifact, content string) map[string]string {
		return map[string]string{"artifact_name": a.name, "artifact_sha256": digestOf(content), "sbom_sha256": digestOf(zoomSBOM)}
	}

	t.Run("happy path", func(t *testing.T) {
		got := ok[security.Report](t, validate(ev.ID, digests(zoom, zoom.content)), http.StatusOK)
		assert.True(t, got.Passed())
		assert.Equal(t, "corr-validate", got.CorrelationID)
		require.Len(t, got.Checks, 6) // evidence, attestation, artifact, sbom, sbom_signature, blast_radius
		for _, c := range got.Checks {
			assert.True(t, c.Passed, "%+v", c)
		}
		evs := e.auditEvents()
		last := evs[len(evs)-1]
		assert.Equal(t, security.EventValidationPassed, last.Type)
		assert.Equal(t, "corr-validate", last.CorrelationID)
		assert.Equal(t, got.AuditSeq, last.Seq)
	})

	t.Run("idempotent repeat gives the same verdict", func(t *testing.T) {
		a := ok[security.Report](t, validate(ev.ID, digests(other, other.content)), http.StatusOK)
		b := ok[security.Report](t, validate(ev.ID, digests(other, other.content)), http.StatusOK)
		a.AuditSeq, b.AuditSeq = 0, 0 // each attempt is audited
		assert.Equal(t, a, b)
	})

	blocked := []struct {
		name string
		body map[string]string
		code security.ReasonCode
		gate security.Gate
	}{
		{"swapped artifact", digests(zoom, "swapped bytes"), security.ArtifactHashMismatch, security.GateArtifact},
		{"artifact not in evidence", digests(artifact{"other.pkg", ""}, "x"), security.ArtifactNotInEvidence, security.GateArtifact},
		{"no artifact name with two artifacts", map[string]string{"artifact_sha256": digestOf(zoom.content), "sbom_sha256": digestOf(zoomSBOM)}, security.ArtifactNotInEvidence, security.GateArtifact},
		{"SBOM missing", map[string]string{"artifact_name": zoom.name, "artifact_sha256": digestOf(zoom.content)}, security.SBOMMissing, security.GateSBOM},
		{"SBOM swapped", map[string]string{"artifact_name": zoom.name, "artifact_sha256": digestOf(zoom.content), "sbom_sha256": digestOf("x")}, security.SBOMHashMismatch, security.GateSBOM},
	}
	for _, tt := range blocked {
		t.Run("blocked: "+tt.name, func(t *testing.T) {
			p := requireProblem(t, validate(ev.ID, tt.body), http.StatusUnprocessableEntity, string(tt.code))
			assert.Equal(t, ev.ID, p.EvidenceID)
			require.NotEmpty(t, p.FailedChecks)
			assert.Equal(t, tt.gate, p.FailedChecks[0].Gate)
			assert.Equal(t, tt.code, p.FailedChecks[0].Code)
			evs := e.auditEvents()
			assert.Equal(t, security.EventValidationFailed, evs[len(evs)-1].Type)
		})
	}

	t.Run("blocked: tampered evidence", func(t *testing.T) {
		tampered := e.uploadEvidence("build-tampered")
		e.store.tamper(uuid.MustParse(tampered.ID))
		p := requireProblem(t, validate(tampered.ID, digests(zoom, zoom.content)), http.StatusUnprocessableEntity, string(security.EvidenceTampered))
		require.Len(t, p.FailedChecks, 6) // the evidence gate failed, the other five skipped
		assert.Equal(t, security.GateEvidence, p.FailedChecks[0].Gate)
		for _, c := range p.FailedChecks[1:] {
			assert.True(t, c.Skipped, "%+v", c)
		}
	})

	t.Run("blocked: evidence without a blast radius class", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter, body: evidenceBody("build-noclass", "", zoomSBOM, zoom)})
		noClass := ok[evidenceDTO](t, r, http.StatusCreated)
		requireProblem(t, validate(noClass.ID, digests(zoom, zoom.content)), http.StatusUnprocessableEntity, string(security.BlastRadiusMissing))
	})

	t.Run("validation error", func(t *testing.T) {
		p := requireProblem(t, validate(ev.ID, map[string]string{"artifact_sha256": "zz"}), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "artifact_sha256", p.Field)
		p = requireProblem(t, validate(ev.ID, map[string]string{"artifact_sha256": digestOf("a"), "sbom_sha256": "short"}), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "sbom_sha256", p.Field)
	})

	t.Run("not found", func(t *testing.T) {
		p := requireProblem(t, validate(uuid.NewString(), digests(zoom, zoom.content)), http.StatusNotFound, string(security.EvidenceNotFound))
		assert.Equal(t, security.GateEvidence, p.FailedChecks[0].Gate)
		requireProblem(t, validate("not-a-uuid", digests(zoom, zoom.content)), http.StatusNotFound, codeNotFound)
	})
}

func TestValidateEvidenceSBOMOptional(t *testing.T) {
	e := newTestEnv(t, func(d *deps) { d.SBOMOptional = true })
	r := e.do(call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter, body: evidenceBody("nosbom", "NON_CRITICAL", "", zoom)})
	ev := ok[evidenceDTO](t, r, http.StatusCreated)
	body, _ := json.Marshal(map[string]string{"artifact_sha256": digestOf(zoom.content)})
	got := ok[security.Report](t, e.do(call{method: "POST", path: "/api/v1/evidence/" + ev.ID + "/validate", token: tokSubmitter, body: body}), http.StatusOK)
	assert.True(t, got.Passed())
}

// TestEvidenceFromTrustedProducers: when the keyring names trusted
// evidence producers, an upload must carry a producer's envelope over the
// evidence (the evidence generator is not the artifact packager).
func TestEvidenceFromTrustedProducers(t *testing.T) {
	cfg := testkeys.Config(attest.ServiceAttested, testMembers...)
	cfg.Producers = map[string][]crypto.PublicKey{"packaging-pipeline": {testkeys.Public("producer")}}
	svc, err := testkeys.Service(cfg)
	require.NoError(t, err)
	e := newTestEnvKeys(t, svc)
	body := evidenceBody("build-p", "PRODUCTIVITY_TOOLS", zoomSBOM, zoom)
	data, err := json.Marshal(body["evidence"])
	require.NoError(t, err)
	payload, err := security.ProducerPayload(data)
	require.NoError(t, err)
	upload := func(producer any) response {
		b := map[string]any{"correlation_id": "build-p", "evidence": body["evidence"]}
		if producer != nil {
			b["producer"] = producer
		}
		return e.do(call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter, body: b})
	}

	for _, tt := range []struct {
		name     string
		producer any
		status   int
		code     string
		field    string
	}{
		{"no producer signature", nil, http.StatusUnprocessableEntity, "PRODUCER_SIGNATURE_MISSING", "producer"},
		{"a malformed envelope", map[string]any{"payloadType": attest.PayloadType, "payload": "", "signatures": []map[string]string{{"sig": "*"}}},
			http.StatusBadRequest, codeEnvelopeMalformed, "producer.signatures[0].sig"},
		{"signed by a key no producer holds", sealed(t, testkeys.Key("mallory"), payload), http.StatusForbidden, codeUnknownKey, ""},
		{"over other evidence", sealed(t, testkeys.Key("producer"), mustProducerPayload(t, `{"artifacts":[{"name":"x","sha256":"`+digestOf("x")+`"}]}`)),
			http.StatusUnprocessableEntity, codeStatementMismatch, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.refused(t, hostileCase{c: call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter,
				body: map[string]any{"correlation_id": "build-p", "evidence": body["evidence"], "producer": tt.producer}},
				status: tt.status, code: tt.code, field: tt.field})
			e.requireNoRecords(t, "build-p")
		})
	}
	got := ok[evidenceDTO](t, upload(sealed(t, testkeys.Key("producer"), payload)), http.StatusCreated)
	assert.Equal(t, "packaging-pipeline", got.Producer)
	// And the validator checks the package against both signatures.
	r := e.do(call{method: "POST", path: "/api/v1/evidence/" + got.ID + "/validate", token: tokSubmitter,
		body: map[string]string{"artifact_name": zoom.name, "artifact_sha256": digestOf(zoom.content), "sbom_sha256": digestOf(zoomSBOM)}})
	rep := ok[security.Report](t, r, http.StatusOK)
	assert.True(t, rep.Passed())
}

func mustProducerPayload(t *testing.T, data string) []byte {
	t.Helper()
	p, err := security.ProducerPayload([]byte(data))
	require.NoError(t, err)
	return p
}
