package sqlstore_test

import (
	"bytes"
	"crypto/ed25519"
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
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThePipelineEndToEnd runs one deployment through everything, on each
// SQL backend: seed, upload evidence, classify, score, submit, approve to
// quorum, validate the artifact, authorise, record the deployment, report
// an incident, evaluate maturity, approve the progression, and verify the
// audit chain (against a signed checkpoint) at the end.
func TestThePipelineEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := b.newStore(t, clock)
		require.NoError(t, store.Seed(ctx, s, now))

		// A fleet's history: four weeks of deployments, so maturity has a
		// denominator. Each is recorded as it finishes: a store refuses a
		// deployment that finishes in its future.
		start := now
		for i := range 60 {
			now = start.Add(time.Duration(i) * 11 * time.Hour)
			_, err := s.RecordDeployment(ctx, incident.Deployment{
				ID: uuid.New(), Application: fmt.Sprintf("app-%d", i%5), Class: blastradius.NonCritical,
				RiskScore: decimal.NewFromInt(int64(i % 30)), ModelVersion: riskmodel.SeedVersion,
				FinishedAt: now,
			})
			require.NoError(t, err)
		}
		now = start.Add(4 * maturity.Week)

		// The build, its SBOM and its evidence.
		artifact := bytes.Repeat([]byte("MZ\x90\x00 SAP GUI 8.0 "), 4096)
		sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"openssl"}]}`)
		sum := func(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }
		ev, err := security.NewEvidence(uuid.New(), "build-2026.02.1", []byte(fmt.Sprintf(
			`{"artifacts":[{"name":"sapgui-8.0.msi","sha256":%q}],"sbom":{"sha256":%q},"blast_radius_class":"BUSINESS_CRITICAL"}`,
			sum(artifact), sum(sbom))), now)
		require.NoError(t, err)
		ev, err = s.CreateEvidence(ctx, ev, "release-pipeline")
		require.NoError(t, err)

		// Classify and score.
		classifier, err := blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{})
		require.NoError(t, err)
		class, err := classifier.Classify(blastradius.Input{AppName: "SAP GUI for Windows", TargetUsers: 2500, Criticality: blastradius.CriticalityHigh})
		require.NoError(t, err)
		require.Equal(t, blastradius.BusinessCritical, class.Class)
		active, err := s.ActiveRiskModel(ctx)
		require.NoError(t, err)
		factors := map[riskmodel.Factor]decimal.Decimal{}
		for f := range active.Weights {
			factors[f] = decimal.NewFromInt(30)
		}
		score, err := active.Score(factors)
		require.NoError(t, err)

		// Submit and approve to quorum.
		w, err := cab.NewWorkflow(s, cab.Options{Members: cab.Members{"alice": true, "bob": true}, Now: clock})
		require.NoError(t, err)
		intent := uuid.New()
		req, err := w.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: intent, CorrelationID: "chg-4711",
			Application: "SAP GUI", Score: &score.Value, Class: class.Class, Submitter: "sam"})
		require.NoError(t, err)
		require.Equal(t, cab.ManualReview, req.Decision.Outcome)
		require.Equal(t, 2, req.Decision.Quorum)
		_, err = w.Approve(ctx, req.ID, "alice", "rollback plan attached")
		require.NoError(t, err)
		req, err = w.Approve(ctx, req.ID, "bob", "")
		require.NoError(t, err)
		require.Equal(t, cab.StatusApproved, req.Status)

		// Validate the artifact in-process, as a connector does, then authorise
		// and record.
		v, err := security.NewValidator(s, security.Options{})
		require.NoError(t, err)
		rep, err := v.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader(artifact),
			SBOM: bytes.NewReader(sbom), Actor: "intune-connector", CorrelationID: "chg-4711"})
		require.NoError(t, err)
		_, err = w.Authorize(ctx, req.ID, rep.ArtifactDigest)
		require.NoError(t, err)
		dep, err := w.RecordDeployment(ctx, req.ID, rep.ArtifactDigest, now)
		require.NoError(t, err)

		// An incident, attributed to the deployment without naming it.
		now = now.Add(time.Hour)
		inc, err := s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-77", Severity: incident.P4,
			OccurredAt: now.Add(-30 * time.Minute), Application: "SAP GUI"})
		require.NoError(t, err)
		assert.Equal(t, incident.AttributionInferred, inc.Attribution)
		assert.Equal(t, dep.ID, inc.DeploymentID)

		// Maturity: ready for level 1; the CAB approves.
		engine, err := maturity.NewEngine(s, maturity.Options{Now: clock, Policy: maturity.Policy{MinDeployments: 50}})
		require.NoError(t, err)
		eval, err := engine.Evaluate(ctx)
		require.NoError(t, err)
		require.True(t, eval.Ready, "%s %+v", eval.Reason, eval.Criteria)
		tr, err := engine.Approve(ctx, eval.ID, "alice")
		require.NoError(t, err)
		active, err = s.ActiveRiskModel(ctx)
		require.NoError(t, err)
		assert.Equal(t, tr.Model.Version, active.Version)
		assert.Equal(t, "5", active.Thresholds[blastradius.BusinessCritical].String())

		// The audit chain verifies, and against a signed checkpoint.
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, 32))
		head, err := s.AuditHead(ctx)
		require.NoError(t, err)
		cp, err := security.SignCheckpoint(key, "audit-2026", head, now)
		require.NoError(t, err)
		require.NoError(t, s.SaveCheckpoint(ctx, cp))
		stored, err := s.LatestCheckpoint(ctx)
		require.NoError(t, err)
		verified, err := security.VerifyChain(ctx, s, security.VerifyOptions{Checkpoint: &stored, PublicKey: key.Public().(ed25519.PublicKey)})
		require.NoError(t, err)
		assert.Equal(t, head, verified)

		var types []security.EventType
		events, err := s.ListAuditEvents(ctx, 0, 1000)
		require.NoError(t, err)
		for _, e := range events {
			types = append(types, e.Type)
		}
		for _, want := range []security.EventType{security.EventEvidenceCreated, cab.EventSubmitted, cab.EventApproved,
			security.EventValidationPassed, security.EventDeploymentRecorded, security.EventIncidentReported,
			security.EventMaturityProgressed} {
			assert.Contains(t, types, want)
		}
	})
}
