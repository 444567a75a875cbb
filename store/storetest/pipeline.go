package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The whole pipeline over the store, through the domain packages that use
// it (cab, security, maturity), as an installation runs it.

func runPipeline(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"ADeploymentGoesThroughThePipelineEndToEnd": func(e *env) { e.pipeline() },
	})
}

// pipeline runs one deployment through everything: seed, upload evidence,
// classify, score, submit, approve to quorum, validate the artifact,
// authorise, record the deployment, report an incident, evaluate maturity,
// approve the progression, and verify the audit chain against a signed
// checkpoint at the end.
func (e *env) pipeline() {
	ctx := e.ctx()
	s := e.s
	start := e.clock.Now()
	svc := e.svc()
	require.NoError(e.t, store.Seed(ctx, s, svc, start))

	// A fleet's history: four weeks of deployments, so maturity has a
	// denominator. Each is recorded as it finishes: a store refuses a
	// deployment that finishes in its future.
	for i := range 60 {
		_, err := s.RecordDeployment(ctx, incident.Deployment{
			ID: uuid.New(), Application: fmt.Sprintf("app-%d", i%5), Class: blastradius.NonCritical,
			RiskScore: decimal.NewFromInt(int64(i % 30)), ModelVersion: riskmodel.SeedVersion,
			FinishedAt: e.clock.Now(),
		})
		require.NoError(e.t, err)
		e.clock.Advance(11 * time.Hour)
	}
	e.clock.Advance(start.Add(4 * maturity.Week).Sub(e.clock.Now()))

	// The build, its SBOM and its evidence.
	artifact := bytes.Repeat([]byte("MZ\x90\x00 SAP GUI 8.0 "), 4096)
	sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"openssl"}]}`)
	sum := func(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }
	ev, err := security.NewEvidence(uuid.New(), "build-2026.02.1", []byte(fmt.Sprintf(
		`{"artifacts":[{"name":"sapgui-8.0.msi","sha256":%q}],"sbom":{"sha256":%q},"blast_radius_class":"BUSINESS_CRITICAL"}`,
		sum(artifact), sum(sbom))), e.at(e.clock.Now()))
	require.NoError(e.t, err)
	require.NoError(e.t, ev.Attest(svc, dsse.Envelope{}), "the service key signs the package's content hash at upload")
	ev, err = s.CreateEvidence(ctx, ev, "release-pipeline")
	require.NoError(e.t, err)

	// The facts and the factor values: the workflow classifies and scores.
	facts := blastradius.Input{AppName: "SAP GUI for Windows", TargetUsers: 2500, Criticality: blastradius.CriticalityHigh}
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(e.t, err)
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for f := range active.Weights {
		factors[f] = decimal.NewFromInt(30)
	}
	score, err := active.Score(factors)
	require.NoError(e.t, err)

	// Submit and approve to quorum.
	w := e.workflow(svc, cab.Options{})
	req, err := w.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-4711",
		Application: "SAP GUI", Classify: &facts, Factors: factors, Submitter: "sam"})
	require.NoError(e.t, err)
	require.Equal(e.t, cab.ManualReview, req.Decision.Outcome)
	require.Equal(e.t, blastradius.BusinessCritical, req.Decision.Class)
	assert.True(e.t, score.Value.Equal(req.Decision.Score), "the active model's score of the factors")
	require.Equal(e.t, 2, req.Decision.Quorum)
	require.NoError(e.t, req.Verify(e.keys()))
	_, err = w.Approve(ctx, req.ID, "alice", "rollback plan attached")
	require.NoError(e.t, err)
	req, err = w.Approve(ctx, req.ID, "bob", "")
	require.NoError(e.t, err)
	require.Equal(e.t, cab.StatusApproved, req.Status)

	// Validate the artifact in-process, as a connector does, then authorise
	// and record.
	v, err := security.NewValidator(s, security.Options{Keys: svc.Keys()})
	require.NoError(e.t, err)
	rep, err := v.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader(artifact),
		SBOM: bytes.NewReader(sbom), Actor: "intune-connector", CorrelationID: "chg-4711"})
	require.NoError(e.t, err)
	_, err = w.Authorize(ctx, req.ID, rep.ArtifactDigest)
	require.NoError(e.t, err)
	dep, err := w.RecordDeployment(ctx, req.ID, rep.ArtifactDigest, e.clock.Now())
	require.NoError(e.t, err)

	// An incident, attributed to the deployment without naming it.
	e.clock.Advance(time.Hour)
	inc, err := s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-77", Severity: incident.P4,
		OccurredAt: e.clock.Now().Add(-30 * time.Minute), Application: "SAP GUI"})
	require.NoError(e.t, err)
	assert.Equal(e.t, incident.AttributionInferred, inc.Attribution)
	assert.Equal(e.t, dep.ID, inc.DeploymentID)

	// Maturity: ready for level 1; two CAB members approve.
	engine := e.engine(svc, maturity.Options{Policy: maturity.Policy{MinDeployments: 50}})
	eval, err := engine.Evaluate(ctx)
	require.NoError(e.t, err)
	require.True(e.t, eval.Ready, "%s %+v", eval.Reason, eval.Criteria)
	first, err := engine.Approve(ctx, eval.ID, "alice")
	require.NoError(e.t, err)
	require.Nil(e.t, first.Transition, "one member alone does not raise the level")
	approved, err := engine.Approve(ctx, eval.ID, "bob")
	require.NoError(e.t, err)
	require.NotNil(e.t, approved.Transition)
	tr := approved.Transition
	active, err = s.ActiveRiskModel(ctx)
	require.NoError(e.t, err)
	assert.Equal(e.t, tr.Model.Version, active.Version)
	assert.Equal(e.t, "5", active.Thresholds[blastradius.BusinessCritical].String())
	state, err := s.MaturityState(ctx)
	require.NoError(e.t, err)
	assert.Equal(e.t, maturity.CautiousLevel, state.Level)
	require.NoError(e.t, maturity.VerifyState(&state, e.keys(), len(maturity.Levels())))
	_, err = cab.VerifyModel(&active, e.keys(), maturity.Levels(), state.Level)
	require.NoError(e.t, err)

	// The audit chain verifies, and against a signed checkpoint.
	head, err := s.AuditHead(ctx)
	require.NoError(e.t, err)
	require.NoError(e.t, s.SaveCheckpoint(ctx, e.checkpoint()))
	stored, err := s.LatestCheckpoint(ctx)
	require.NoError(e.t, err)
	verified, err := e.verify(security.VerifyOptions{Checkpoints: [][]byte{stored}, Trust: e.trust()})
	require.NoError(e.t, err)
	assert.Equal(e.t, head, verified)

	var types []security.EventType
	for _, x := range e.events() {
		types = append(types, x.Type)
	}
	for _, want := range []security.EventType{security.EventEvidenceCreated, cab.EventSubmitted, cab.EventApproved,
		security.EventValidationPassed, security.EventDeploymentRecorded, security.EventIncidentReported,
		security.EventMaturityProgressed} {
		assert.Contains(e.t, types, want)
	}
}
