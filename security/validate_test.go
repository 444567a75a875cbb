package security_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/errs"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeStore is the smallest security.Store: evidence by id and an audit log.
type fakeStore struct {
	mu       sync.Mutex
	evidence map[uuid.UUID]security.Evidence
	events   []security.Event
	failRead error
}

func newFakeStore() *fakeStore { return &fakeStore{evidence: map[uuid.UUID]security.Evidence{}} }

func (f *fakeStore) EvidenceByID(_ context.Context, id uuid.UUID) (security.Evidence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRead != nil {
		return security.Evidence{}, f.failRead
	}
	e, ok := f.evidence[id]
	if !ok {
		return security.Evidence{}, fmt.Errorf("evidence %s: %w", id, errs.ErrNotFound)
	}
	return e, nil
}

func (f *fakeStore) AppendAudit(_ context.Context, in security.EventInput) (security.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var head security.Head
	if n := len(f.events); n > 0 {
		head = security.Head{Size: f.events[n-1].Seq, Hash: f.events[n-1].Hash}
	}
	e, err := security.NewEvent(head, in, uuid.New(), epoch)
	if err != nil {
		return security.Event{}, err
	}
	f.events = append(f.events, e)
	return e, nil
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

var (
	artifact = bytes.Repeat([]byte("MZ\x90\x00zoom-6.1"), 4096)
	sbom     = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"openssl","version":"3.0.13"}]}`)
)

// evidenceJSON builds evidence data; pass "" to leave a member out.
func evidenceJSON(artifactSHA, sbomSHA, class string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"artifacts":[{"name":"zoom-6.1.msi","sha256":%q}]`, artifactSHA)
	if sbomSHA != "" {
		fmt.Fprintf(&b, `,"sbom":{"format":"cyclonedx","sha256":%q}`, sbomSHA)
	}
	if class != "" {
		fmt.Fprintf(&b, `,"blast_radius_class":%s`, class)
	}
	b.WriteString(`,"build":{"pipeline":"release","run":1842}}`)
	return b.String()
}

func (f *fakeStore) put(t *testing.T, data string) security.Evidence {
	t.Helper()
	e, err := security.NewEvidence(uuid.New(), "build-"+uuid.NewString(), []byte(data), epoch)
	require.NoError(t, err)
	f.mu.Lock()
	f.evidence[e.ID] = e
	f.mu.Unlock()
	return e
}

func (f *fakeStore) lastEvent(t *testing.T) security.Event {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.events)
	return f.events[len(f.events)-1]
}

func newValidator(t *testing.T, f *fakeStore, p security.Policy) *security.Validator {
	t.Helper()
	v, err := security.NewValidator(f, security.Options{Policy: p, BufferSize: 4096})
	require.NoError(t, err)
	return v
}

func request(e security.Evidence, art []byte, sb []byte) security.Request {
	r := security.Request{EvidenceID: e.ID, Artifact: bytes.NewReader(art), Actor: "intune-connector"}
	if sb != nil {
		r.SBOM = bytes.NewReader(sb)
	}
	return r
}

func TestValidateDeploymentPassesGoodEvidenceAndAudits(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"PRODUCTIVITY_TOOLS"`))
	rep, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), request(e, artifact, sbom))
	require.NoError(t, err)
	assert.True(t, rep.Passed())
	assert.Equal(t, "zoom-6.1.msi", rep.ArtifactName)
	assert.Equal(t, hexSum(artifact), rep.ArtifactDigest.String())
	assert.Equal(t, e.CorrelationID, rep.CorrelationID)
	require.Len(t, rep.Checks, 5)
	ev := f.lastEvent(t)
	assert.Equal(t, security.EventValidationPassed, ev.Type)
	assert.Equal(t, rep.AuditSeq, ev.Seq)
	assert.Equal(t, "intune-connector", ev.Actor)
	assert.Contains(t, string(ev.Data), hexSum(artifact))
}

func TestValidateDeploymentReportsEveryReasonCode(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	keys := map[string]ed25519.PublicKey{"release-2026": priv.Public().(ed25519.PublicKey)}
	sbomDigest := sha256.Sum256(sbom)
	goodSig := ed25519.Sign(priv, sbomDigest[:])
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))

	tests := []struct {
		name     string
		evidence string
		policy   security.Policy
		req      func(e security.Evidence) security.Request
		tamper   func(e *security.Evidence)
		code     security.ReasonCode
		failed   []security.ReasonCode
	}{
		{
			name: "unknown evidence id", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			req: func(e security.Evidence) security.Request {
				r := request(e, artifact, sbom)
				r.EvidenceID = uuid.New()
				return r
			},
			code: security.EvidenceNotFound, failed: []security.ReasonCode{security.EvidenceNotFound},
		},
		{
			name: "stored evidence edited after upload", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			req:    func(e security.Evidence) security.Request { return request(e, artifact, sbom) },
			tamper: func(e *security.Evidence) { e.Data = bytes.Replace(e.Data, []byte("1842"), []byte("1843"), 1) },
			code:   security.EvidenceTampered, failed: []security.ReasonCode{security.EvidenceTampered},
		},
		{
			name: "artifact swapped", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			req: func(e security.Evidence) security.Request {
				return request(e, append([]byte("evil"), artifact...), sbom)
			},
			code: security.ArtifactHashMismatch, failed: []security.ReasonCode{security.ArtifactHashMismatch},
		},
		{
			name: "artifact name not in the evidence", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			req: func(e security.Evidence) security.Request {
				r := request(e, artifact, sbom)
				r.ArtifactName = "other.msi"
				return r
			},
			code: security.ArtifactNotInEvidence, failed: []security.ReasonCode{security.ArtifactNotInEvidence},
		},
		{
			name: "sbom swapped", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			req: func(e security.Evidence) security.Request {
				return request(e, artifact, []byte(`{"bomFormat":"CycloneDX"}`))
			},
			code: security.SBOMHashMismatch, failed: []security.ReasonCode{security.SBOMHashMismatch},
		},
		{
			name: "evidence declares an sbom that is not supplied", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			policy: security.Policy{SBOMOptional: true},
			req:    func(e security.Evidence) security.Request { return request(e, artifact, nil) },
			code:   security.SBOMMissing, failed: []security.ReasonCode{security.SBOMMissing},
		},
		{
			name: "default policy requires an sbom", evidence: evidenceJSON(hexSum(artifact), "", `"NON_CRITICAL"`),
			req:  func(e security.Evidence) security.Request { return request(e, artifact, nil) },
			code: security.SBOMMissing, failed: []security.ReasonCode{security.SBOMMissing},
		},
		{
			name: "signature missing when keys are trusted", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			policy: security.Policy{TrustedKeys: keys},
			req:    func(e security.Evidence) security.Request { return request(e, artifact, sbom) },
			code:   security.SBOMSignatureInvalid, failed: []security.ReasonCode{security.SBOMSignatureInvalid},
		},
		{
			name: "signature by an untrusted key", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`),
			policy: security.Policy{TrustedKeys: keys},
			req: func(e security.Evidence) security.Request {
				r := request(e, artifact, sbom)
				r.SBOMSignature = ed25519.Sign(otherKey, sbomDigest[:])
				return r
			},
			code: security.SBOMSignatureInvalid, failed: []security.ReasonCode{security.SBOMSignatureInvalid},
		},
		{
			name: "no blast radius class", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), ""),
			req:  func(e security.Evidence) security.Request { return request(e, artifact, sbom) },
			code: security.BlastRadiusMissing, failed: []security.ReasonCode{security.BlastRadiusMissing},
		},
		{
			name: "unknown blast radius class", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `"MISSION_CRITICAL"`),
			req:  func(e security.Evidence) security.Request { return request(e, artifact, sbom) },
			code: security.BlastRadiusInvalid, failed: []security.ReasonCode{security.BlastRadiusInvalid},
		},
		{
			name: "blast radius class that is not a string", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), `4`),
			req:  func(e security.Evidence) security.Request { return request(e, artifact, sbom) },
			code: security.BlastRadiusInvalid, failed: []security.ReasonCode{security.BlastRadiusInvalid},
		},
		{
			name: "several gates fail at once: all are reported, the first leads", evidence: evidenceJSON(hexSum(artifact), hexSum(sbom), ""),
			policy: security.Policy{TrustedKeys: keys},
			req: func(e security.Evidence) security.Request {
				r := request(e, []byte("swapped"), []byte("swapped sbom"))
				r.SBOMSignature = goodSig
				return r
			},
			code:   security.ArtifactHashMismatch,
			failed: []security.ReasonCode{security.ArtifactHashMismatch, security.SBOMHashMismatch, security.BlastRadiusMissing},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeStore()
			e := f.put(t, tt.evidence)
			if tt.tamper != nil {
				tt.tamper(&e)
				f.evidence[e.ID] = e
			}
			req := tt.req(e)
			rep, err := newValidator(t, f, tt.policy).ValidateDeployment(t.Context(), req)
			require.ErrorIs(t, err, security.ErrBlocked)
			var ve *security.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.code, ve.Code)
			te := trustgate.AsError(err)
			want := trustgate.Blocked
			if tt.code == security.EvidenceNotFound {
				want = trustgate.NotFound
			}
			assert.Equal(t, want, te.Code)
			assert.Equal(t, string(tt.code), te.Reason)
			assert.Equal(t, ve.Error(), err.Error(), "the verdict's own text")
			var codes []security.ReasonCode
			for _, c := range ve.Failed {
				if c.Code != "" {
					codes = append(codes, c.Code)
				} else {
					assert.True(t, c.Skipped, "a failed check without a code was skipped: %+v", c)
				}
			}
			assert.Equal(t, tt.failed, codes)
			assert.False(t, rep.Passed())
			assert.Equal(t, req.EvidenceID, ve.EvidenceID)
			if tt.code != security.EvidenceNotFound {
				assert.Equal(t, e.CorrelationID, ve.CorrelationID)
			}
			ev := f.lastEvent(t)
			assert.Equal(t, security.EventValidationFailed, ev.Type, "a failure is audited")
			assert.Contains(t, string(ev.Data), string(tt.code))
		})
	}
}

func TestValidateDeploymentAcceptsAValidSignature(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	d := sha256.Sum256(sbom)
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"BUSINESS_CRITICAL"`))
	v := newValidator(t, f, security.Policy{TrustedKeys: map[string]ed25519.PublicKey{"k": priv.Public().(ed25519.PublicKey)}})
	req := request(e, artifact, sbom)
	req.SBOMSignature = ed25519.Sign(priv, d[:])
	rep, err := v.ValidateDeployment(t.Context(), req)
	require.NoError(t, err)
	assert.Contains(t, rep.Checks[3].Detail, "trusted key k")
}

func TestSkippedGatesAreReportedWhenEvidenceCannotBeTrusted(t *testing.T) {
	f := newFakeStore()
	rep, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(),
		security.Request{EvidenceID: uuid.New(), Artifact: strings.NewReader("x"), Actor: "a"})
	require.Error(t, err)
	require.Len(t, rep.Checks, 5)
	for _, c := range rep.Checks[1:] {
		assert.True(t, c.Skipped, c.Gate)
		assert.False(t, c.Passed, c.Gate)
	}
}

func TestAReaderThatFailsHalfWayRecordsNoPass(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`))
	boom := errors.New("connection reset")
	req := request(e, nil, sbom)
	req.Artifact = io.MultiReader(bytes.NewReader(artifact[:1000]), iotest.ErrReader(boom))
	_, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(), req)
	require.ErrorIs(t, err, boom)
	var ve *security.ValidationError
	assert.False(t, errors.As(err, &ve), "an I/O failure is not a verdict")
	assert.Empty(t, f.events, "nothing is recorded, least of all a pass")
}

func TestAStoreFailureIsNotAVerdict(t *testing.T) {
	f := newFakeStore()
	f.failRead = errors.New("disk on fire")
	_, err := newValidator(t, f, security.Policy{}).ValidateDeployment(t.Context(),
		security.Request{EvidenceID: uuid.New(), Artifact: strings.NewReader("x"), Actor: "a"})
	require.ErrorIs(t, err, f.failRead)
	assert.Empty(t, f.events)
}

func TestValidateDeploymentRejectsAnIncompleteRequest(t *testing.T) {
	f := newFakeStore()
	v := newValidator(t, f, security.Policy{})
	_, err := v.ValidateDeployment(t.Context(), security.Request{EvidenceID: uuid.New(), Actor: "a"})
	requireInvalid(t, err, "artifact")
	_, err = v.ValidateDeployment(t.Context(), security.Request{EvidenceID: uuid.New(), Artifact: strings.NewReader("")})
	requireInvalid(t, err, "actor")
	assert.Empty(t, f.events)
}

func TestValidateDeploymentHonoursCancellation(t *testing.T) {
	f := newFakeStore()
	e := f.put(t, evidenceJSON(hexSum(artifact), hexSum(sbom), `"NON_CRITICAL"`))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newValidator(t, f, security.Policy{}).ValidateDeployment(ctx, request(e, artifact, sbom))
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, f.events)
}

func TestNewValidatorRejectsMalformedKeys(t *testing.T) {
	_, err := security.NewValidator(newFakeStore(), security.Options{Policy: security.Policy{TrustedKeys: map[string]ed25519.PublicKey{"short": make([]byte, 5)}}})
	requireInvalid(t, err, "policy.trusted_keys[short]")
	_, err = security.NewValidator(nil, security.Options{})
	requireInvalid(t, err, "store")
}
