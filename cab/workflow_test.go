package cab_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable clock shared by the store and the workflow.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	s     *store.Store
	w     *cab.Workflow
}

var artifactBytes = bytes.Repeat([]byte("PK\x03\x04 sap-gui-8.0"), 500)

func hexSHA(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }

func digest(b []byte) security.Digest { return sha256.Sum256(b) }

func newFixture(t *testing.T) *fixture {
	c := &clock{now: epoch}
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: c.Now})
	require.NoError(t, err)
	require.NoError(t, store.Seed(t.Context(), s, c.Now()))
	w, err := cab.NewWorkflow(s, cab.Options{Members: cab.Members{"alice": true, "bob": true, "carol": true}, Now: c.Now})
	require.NoError(t, err)
	return &fixture{t: t, ctx: t.Context(), clock: c, s: s, w: w}
}

// evidence uploads an evidence package for artifactBytes and returns its id.
func (f *fixture) evidence(corr string) uuid.UUID {
	f.t.Helper()
	data := fmt.Sprintf(`{"artifacts":[{"name":"sap-gui.msi","sha256":%q}],"blast_radius_class":"BUSINESS_CRITICAL"}`, hexSHA(artifactBytes))
	ev, err := security.NewEvidence(uuid.New(), corr, []byte(data), f.clock.Now())
	require.NoError(f.t, err)
	stored, err := f.s.CreateEvidence(f.ctx, ev, "ci")
	require.NoError(f.t, err)
	return stored.ID
}

// activate makes a model with the given thresholds active, as the CAB would.
func (f *fixture) activate(version, bus, prod, non string) riskmodel.Version {
	f.t.Helper()
	m := riskmodel.Seed(f.clock.Now())
	m.Version, m.Active = version, false
	m.Thresholds[blastradius.BusinessCritical] = d(bus)
	m.Thresholds[blastradius.ProductivityTools] = d(prod)
	m.Thresholds[blastradius.NonCritical] = d(non)
	require.NoError(f.t, f.s.CreateRiskModel(f.ctx, m, "cab-admin"))
	require.NoError(f.t, f.s.ActivateRiskModel(f.ctx, version, "cab-admin"))
	return m
}

func (f *fixture) submission(corr, score string, class blastradius.Class) cab.Submission {
	s := d(score)
	return cab.Submission{EvidenceID: f.evidence("ev-" + corr), DeploymentIntentID: uuid.New(), CorrelationID: corr,
		Application: "SAP GUI", Score: &s, Class: class, Submitter: "sam"}
}

func TestSubmitDecidesWithTheActiveModelAndPinsTheArtifact(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Submit(f.ctx, f.submission("chg-1", "42", blastradius.BusinessCritical))
	require.NoError(t, err)
	assert.Equal(t, cab.ManualReview, r.Decision.Outcome)
	assert.Equal(t, cab.ReasonAutomationNotEarned, r.Decision.Reason.Code, "the seed model has every threshold at 0")
	assert.Equal(t, riskmodel.SeedVersion, r.Decision.ModelVersion)
	assert.Equal(t, digest(artifactBytes), r.ArtifactDigest)
	assert.Equal(t, cab.StatusPendingReview, r.Status)
}

func TestSubmitIsIdempotentOnTheCorrelationID(t *testing.T) {
	f := newFixture(t)
	sub := f.submission("chg-2", "42", blastradius.BusinessCritical)
	first, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	again, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	other := d("43")
	sub.Score = &other
	_, err = f.w.Submit(f.ctx, sub)
	require.ErrorIs(t, err, store.ErrConflict)
}

func TestSubmitScoresFactorsAndClassifiesInput(t *testing.T) {
	f := newFixture(t)
	f.activate("2.0", "10", "30", "50")
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for k := range riskmodel.DefaultWeights() {
		factors[k] = d("20")
	}
	r, err := f.w.Submit(f.ctx, cab.Submission{
		EvidenceID: f.evidence("ev-3"), DeploymentIntentID: uuid.New(), CorrelationID: "chg-3", Submitter: "sam",
		Factors:  factors,
		Classify: &blastradius.Input{AppName: "Zoom Workplace", TargetUsers: 4000},
	})
	require.NoError(t, err)
	assert.Equal(t, "20", r.Decision.Score.String())
	assert.Equal(t, blastradius.ProductivityTools, r.Decision.Class)
	assert.Equal(t, "Zoom Workplace", r.Application)
	assert.Equal(t, cab.AutoApproved, r.Decision.Outcome)
	assert.Equal(t, cab.StatusAutoApproved, r.Status)
}

func TestSubmitRejectsBadInputAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	good := f.submission("chg-4", "42", blastradius.BusinessCritical)
	before, err := f.s.AuditHead(f.ctx)
	require.NoError(t, err)
	for field, mutate := range map[string]func(s *cab.Submission){
		"evidence_id":          func(s *cab.Submission) { s.EvidenceID = uuid.Nil },
		"deployment_intent_id": func(s *cab.Submission) { s.DeploymentIntentID = uuid.Nil },
		"correlation_id":       func(s *cab.Submission) { s.CorrelationID = "" },
		"submitter":            func(s *cab.Submission) { s.Submitter = "" },
		"score":                func(s *cab.Submission) { s.Score = nil },
		"class":                func(s *cab.Submission) { s.Class = "" },
		"factors": func(s *cab.Submission) {
			s.Score, s.Factors = nil, map[riskmodel.Factor]decimal.Decimal{"vibes": d("1")}
		},
	} {
		s := good
		mutate(&s)
		_, err := f.w.Submit(f.ctx, s)
		var ie *trustgate.Error
		require.ErrorAs(t, err, &ie, field)
		assert.Equal(t, field, ie.Field)
		assert.Equal(t, trustgate.Invalid, ie.Code)
	}
	bad := d("100.5")
	s := good
	s.Score = &bad
	_, err = f.w.Submit(f.ctx, s)
	requireInvalid(t, err, "score")
	s = good
	s.EvidenceID = uuid.New()
	_, err = f.w.Submit(f.ctx, s)
	require.ErrorIs(t, err, store.ErrNotFound)
	s = good
	s.ArtifactName = "other.msi"
	_, err = f.w.Submit(f.ctx, s)
	require.ErrorIs(t, err, cab.ErrEvidence)
	after, err := f.s.AuditHead(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

func TestApprovalToQuorumAuthorisesAndRecordsTheDeployment(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Submit(f.ctx, f.submission("chg-5", "42", blastradius.BusinessCritical))
	require.NoError(t, err)
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	_, err = f.w.Approve(f.ctx, r.ID, "mallory", "")
	require.ErrorIs(t, err, cab.ErrNotMember, "approvers outside the configured CAB are refused")
	_, err = f.w.Approve(f.ctx, r.ID, "alice", "ok")
	require.NoError(t, err)
	r, err = f.w.Approve(f.ctx, r.ID, "bob", "ok")
	require.NoError(t, err)
	require.Equal(t, cab.StatusApproved, r.Status)
	_, err = f.w.Approve(f.ctx, r.ID, "carol", "late")
	require.ErrorIs(t, err, cab.ErrNotPending)

	_, err = f.w.Authorize(f.ctx, r.ID, digest([]byte("a different build")))
	require.ErrorIs(t, err, cab.ErrDigestMismatch)
	dep, err := f.w.RecordDeployment(f.ctx, r.ID, r.ArtifactDigest, f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, r.DeploymentIntentID, dep.ID)
	assert.False(t, dep.AutoApproved)
	assert.Equal(t, blastradius.BusinessCritical, dep.Class)
	assert.Equal(t, "42", dep.RiskScore.String())
}

func TestAnExpiredExceptionAuthorisesNothingOnAnyPath(t *testing.T) {
	f := newFixture(t)
	r, err := f.w.Submit(f.ctx, f.submission("chg-6", "88", blastradius.BusinessCritical))
	require.NoError(t, err)
	require.Equal(t, cab.StatusExceptionRequired, r.Status)
	_, err = f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 120))
	require.ErrorIs(t, err, cab.ErrExpiry)
	_, err = f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	_, err = f.w.ApproveException(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)

	f.clock.Advance(3 * 24 * time.Hour) // past the expiry
	_, err = f.w.ApproveException(f.ctx, r.ID, "bob", "")
	require.ErrorIs(t, err, cab.ErrExpired, "approving")

	f2 := newFixture(t)
	r2, err := f2.w.Submit(f2.ctx, f2.submission("chg-7", "88", blastradius.BusinessCritical))
	require.NoError(t, err)
	_, err = f2.w.RequestException(f2.ctx, r2.ID, "sam", "emergency patch", f2.clock.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	_, err = f2.w.ApproveException(f2.ctx, r2.ID, "alice", "")
	require.NoError(t, err)
	r2, err = f2.w.ApproveException(f2.ctx, r2.ID, "bob", "")
	require.NoError(t, err)
	require.Equal(t, cab.StatusExceptionApproved, r2.Status)
	_, err = f2.w.Authorize(f2.ctx, r2.ID, r2.ArtifactDigest)
	require.NoError(t, err, "live")
	f2.clock.Advance(2 * 24 * time.Hour)
	_, err = f2.w.Authorize(f2.ctx, r2.ID, r2.ArtifactDigest)
	require.ErrorIs(t, err, cab.ErrExpired, "authorising")
	_, err = f2.w.RecordDeployment(f2.ctx, r2.ID, r2.ArtifactDigest, f2.clock.Now())
	require.ErrorIs(t, err, cab.ErrExpired, "recording")
	_, err = f2.s.Deployment(f2.ctx, r2.DeploymentIntentID)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing was recorded")
}

func TestShadowEvaluationShowsWhatACandidateWouldChange(t *testing.T) {
	f := newFixture(t)
	low, err := f.w.Submit(f.ctx, f.submission("chg-8", "8", blastradius.BusinessCritical))
	require.NoError(t, err)
	hurt, err := f.w.Submit(f.ctx, f.submission("chg-9", "5", blastradius.NonCritical))
	require.NoError(t, err)
	_, err = f.w.Submit(f.ctx, f.submission("chg-10", "60", blastradius.NonCritical))
	require.NoError(t, err)
	_, err = f.w.Submit(f.ctx, f.submission("chg-11", "2", blastradius.CriticalInfrastructure))
	require.NoError(t, err)
	for _, r := range []cab.Request{low, hurt} {
		for _, m := range []string{"alice", "bob"} {
			_, _ = f.w.Approve(f.ctx, r.ID, m, "")
		}
		_, err := f.w.RecordDeployment(f.ctx, r.ID, r.ArtifactDigest, f.clock.Now())
		require.NoError(t, err)
	}
	in := incident.Incident{CorrelationID: "inc-1", Severity: incident.P3, OccurredAt: f.clock.Now(), DeploymentID: hurt.DeploymentIntentID}
	_, err = f.s.CreateIncident(f.ctx, in)
	require.NoError(t, err)

	candidate := riskmodel.Seed(epoch)
	candidate.Version, candidate.Active, candidate.Approval = "2.0-candidate", false, riskmodel.Approval{}
	candidate.Thresholds[blastradius.BusinessCritical] = d("10")
	candidate.Thresholds[blastradius.NonCritical] = d("50")
	rep, err := f.w.Shadow(f.ctx, &candidate, epoch.Add(-time.Hour), epoch.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Requests)
	assert.Equal(t, 2, rep.Changed, "the 8 and the 5 would auto-approve; 60 stays in review; critical never moves")
	assert.Equal(t, 2, rep.NewlyAutoApproved)
	assert.Equal(t, 1, rep.NewlyAutoApprovedWithIncidents)
	assert.Zero(t, rep.NoLongerAutoApproved)
	active, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, riskmodel.SeedVersion, active.Version, "shadow evaluation activates nothing")
}
