package receipt_test

import (
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidationReceipts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		report  security.Report
		result  string
		levels  []string
		reasons []string
	}{
		{"passed", receipttest.PassedReport(), receipt.Passed, []string{receipt.LevelValidationPassed}, nil},
		{"failed", receipttest.FailedReport(), receipt.Failed,
			[]string{"FAILED", "TRUSTGATE_REASON_ARTIFACT_HASH_MISMATCH", "TRUSTGATE_REASON_SBOM_HASH_MISMATCH"},
			[]string{"ARTIFACT_HASH_MISMATCH", "SBOM_HASH_MISMATCH"}},
		{"one code failing twice is listed once", func() security.Report {
			r := receipttest.FailedReport()
			r.Checks[2].Code = security.ArtifactHashMismatch
			return r
		}(), receipt.Failed, []string{"FAILED", "TRUSTGATE_REASON_ARTIFACT_HASH_MISMATCH"}, []string{"ARTIFACT_HASH_MISMATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.validation(t, tc.report)
			assert.Equal(t, attest.PayloadType, r.Envelope.PayloadType)
			s := f.verify(t, r)
			assert.Equal(t, tc.result, s.Result)
			assert.Equal(t, tc.result == receipt.Passed, s.Passed())
			assert.Equal(t, tc.levels, s.Levels)
			assert.Equal(t, tc.reasons, s.Reasons)
			assert.Equal(t, "sapgui.msi", s.Name)
			assert.Equal(t, receipttest.ArtifactDigest, s.Digest)
			assert.Equal(t, "trustgate:evidence/"+receipttest.EvidenceID.String(), s.ResourceURI)
			assert.Equal(t, model(t), s.Policy)
			assert.Equal(t, "trustgate:riskmodel/2.0", s.Policy.URI)
			assert.Equal(t, receipt.DefaultVerifierID, s.VerifierID)
			assert.Equal(t, int64(4), s.EventSeq, "the event after the three fillers")
			assert.Equal(t, map[bool]security.EventType{true: security.EventValidationPassed, false: security.EventValidationFailed}[tc.report.Passed()], s.EventType)
			assert.Equal(t, receipttest.Epoch.Add(4*60e9), s.TimeVerified, "the event's time")
			assert.Equal(t, int64(6), s.Checkpoint.Size)
			assert.Equal(t, receipttest.Origin, s.Checkpoint.Origin)
		})
	}
}

func TestValidationIsAFunctionOfItsInputs(t *testing.T) {
	f := newFixture(t)
	rep := receipttest.PassedReport()
	ev := f.log.Append(t, receipttest.ValidationEvent(rep))
	a, err := receipt.Validation(f.svc, rep, model(t), ev, receipt.Options{})
	require.NoError(t, err)
	b, err := receipt.Validation(f.svc, rep, model(t), ev, receipt.Options{})
	require.NoError(t, err)
	assert.Equal(t, a, b, "Ed25519 and the canonical statement: the same receipt twice")
}

func TestValidationOptions(t *testing.T) {
	f := newFixture(t)
	rep := receipttest.PassedReport()
	ev := f.log.Append(t, receipttest.ValidationEvent(rep))
	env, err := receipt.Validation(f.svc, rep, model(t), ev, receipt.Options{
		VerifierID: "https://trustgate.example.com/prod", VerifierVersion: map[string]string{"trustgate": "v1.4.0"}})
	require.NoError(t, err)
	s := f.verify(t, receipt.Receipt{Envelope: env, Proof: f.log.Prove(t, ev.Seq)})
	assert.Equal(t, "https://trustgate.example.com/prod", s.VerifierID)
	assert.Contains(t, string(env.Payload), `"version":{"trustgate":"v1.4.0"}`)

	for _, tc := range []struct {
		name  string
		opts  receipt.Options
		field string
	}{
		{"a verifier id that is no URI", receipt.Options{VerifierID: "trustgate prod"}, "options.verifier_id"},
		{"a verifier id without a scheme", receipt.Options{VerifierID: "trustgate"}, "options.verifier_id"},
		{"an empty component version", receipt.Options{VerifierVersion: map[string]string{"trustgate": ""}}, "options.verifier_version[trustgate]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := receipt.Validation(f.svc, rep, model(t), ev, tc.opts)
			wantErr(t, err, receipt.ErrInput, tc.field)
		})
	}
}

func TestValidationRefusesWhatIsNotOneRecordedValidation(t *testing.T) {
	f := newFixture(t)
	good := receipttest.PassedReport()
	goodEvent := f.log.Append(t, receipttest.ValidationEvent(good))
	good.AuditSeq = goodEvent.Seq
	failedEvent := f.log.Append(t, receipttest.ValidationEvent(receipttest.FailedReport()))
	for _, tc := range []struct {
		name  string
		edit  func(rep *security.Report, p *receipt.Policy, ev *security.Event)
		field string
	}{
		{"no artifact digest (evidence not found)", func(rep *security.Report, _ *receipt.Policy, _ *security.Event) {
			rep.ArtifactDigest = security.Digest{}
		}, "report.artifact_sha256"},
		{"no checks", func(rep *security.Report, _ *receipt.Policy, _ *security.Event) { rep.Checks = nil }, "report.checks"},
		{"the event of a failure for a pass", func(_ *security.Report, _ *receipt.Policy, ev *security.Event) { *ev = failedEvent },
			"event.type"},
		{"the event of another evidence package", func(_ *security.Report, _ *receipt.Policy, ev *security.Event) {
			ev.Subject = "evidence:0190f5a4-7c1e-7000-8000-000000000002"
			ev.Hash, _ = ev.ComputeHash()
		}, "event.subject"},
		{"another event than the one that recorded the report", func(rep *security.Report, _ *receipt.Policy, _ *security.Event) {
			rep.AuditSeq++
		}, "event.seq"},
		{"an event whose fields were edited", func(_ *security.Report, _ *receipt.Policy, ev *security.Event) {
			ev.Actor = "mallory"
		}, "event.hash"},
		{"an event before the first", func(rep *security.Report, _ *receipt.Policy, ev *security.Event) {
			ev.Seq, rep.AuditSeq = 0, 0
		}, "event.seq"},
		{"no policy", func(_ *security.Report, p *receipt.Policy, _ *security.Event) { *p = receipt.Policy{} }, "policy.uri"},
		{"a policy without its hash", func(_ *security.Report, p *receipt.Policy, _ *security.Event) { p.Digest = security.Digest{} },
			"policy.digest"},
		{"a reason that is not a code", func(rep *security.Report, _ *receipt.Policy, ev *security.Event) {
			*rep = receipttest.FailedReport()
			rep.Checks[1].Code = "hash mismatch"
			*ev = failedEvent
		}, "report.checks[1].code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, p, ev := good, model(t), goodEvent
			rep.Checks = append([]security.Check(nil), good.Checks...)
			tc.edit(&rep, &p, &ev)
			_, err := receipt.Validation(f.svc, rep, p, ev, receipt.Options{})
			e := wantErr(t, err, receipt.ErrInput, tc.field)
			assert.Equal(t, trustgate.Invalid, e.Code)
		})
	}
	_, err := receipt.Validation(nil, good, model(t), goodEvent, receipt.Options{})
	wantErr(t, err, receipt.ErrInput, "service")
}

func TestValidationOfAnArtifactTheValidatorNeverHashed(t *testing.T) {
	// EVIDENCE_NOT_FOUND: the validator read no artifact, so the report
	// names no digest (Validation refuses it: see above); the caller
	// supplies the digest of the artifact that was presented.
	f := newFixture(t)
	rep := receipttest.FailedReport()
	rep.Checks = []security.Check{{Gate: security.GateEvidence, Code: security.EvidenceNotFound},
		{Gate: security.GateArtifact, Skipped: true}, {Gate: security.GateSBOM, Skipped: true}}
	rep.ArtifactDigest = receipttest.ArtifactDigest
	s := f.verify(t, f.validation(t, rep))
	assert.Equal(t, []string{"FAILED", "TRUSTGATE_REASON_EVIDENCE_NOT_FOUND"}, s.Levels)
}

func TestModelPolicy(t *testing.T) {
	m := receipttest.Model()
	p, err := receipt.ModelPolicy(m)
	require.NoError(t, err)
	h, err := m.ContentHash()
	require.NoError(t, err)
	assert.Equal(t, receipt.Policy{URI: "trustgate:riskmodel/2.0", Digest: h}, p)
	m.ExceptionThreshold = m.ExceptionThreshold.Add(m.ExceptionThreshold)
	q, err := receipt.ModelPolicy(m)
	require.NoError(t, err)
	assert.NotEqual(t, p.Digest, q.Digest, "another model, another digest")
	_, err = receipt.ModelPolicy(nil)
	wantErr(t, err, receipt.ErrInput, "policy")
}
