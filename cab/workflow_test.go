package cab_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
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
	t     testing.TB
	ctx   context.Context
	clock *clock
	s     *store.Store
	svc   *attest.Service
	keys  *attest.Keyring
	w     *cab.Workflow
}

// setup is how a fixture is configured: the approval mode, the CAB and
// the workflow's options.
type setup struct {
	mode    attest.Mode
	members []string
	opts    cab.Options
}

// memberSigned configures a fixture in member-signed mode.
func memberSigned(s *setup) { s.mode = attest.MemberSigned }

// permissive configures a ladder whose level 0 allows the thresholds of
// level 2 (0/10/30/50), so that tests can run a model with thresholds
// without first earning a maturity level.
func permissive(s *setup) { s.opts.Levels = permissiveLadder() }

// suppliedScores makes the workflow accept bare scores.
func suppliedScores(s *setup) { s.opts.AllowSuppliedScore = true }

func permissiveLadder() []maturity.Definition {
	levels := maturity.Levels()
	levels[0].Thresholds = maps.Clone(levels[2].Thresholds)
	levels[1].Thresholds = maps.Clone(levels[2].Thresholds)
	return levels
}

var artifactBytes = bytes.Repeat([]byte("PK\x03\x04 sap-gui-8.0"), 500)

func hexSHA(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }

func digest(b []byte) security.Digest { return sha256.Sum256(b) }

// newFixture returns a workflow over a seeded in-memory store, the CAB
// alice, bob and carol in service-attested mode unless configured
// otherwise.
func newFixture(t testing.TB, configure ...func(*setup)) *fixture {
	c := &clock{now: epoch}
	cfg := setup{mode: attest.ServiceAttested, members: []string{"alice", "bob", "carol"}}
	for _, fn := range configure {
		fn(&cfg)
	}
	svc := service(t, cfg.mode, cfg.members...)
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: c.Now})
	require.NoError(t, err)
	require.NoError(t, store.Seed(t.Context(), s, svc, c.Now()))
	cfg.opts.Service, cfg.opts.Now = svc, c.Now
	w, err := cab.NewWorkflow(s, cfg.opts)
	require.NoError(t, err)
	return &fixture{t: t, ctx: t.Context(), clock: c, s: s, svc: svc, keys: svc.Keys(), w: w}
}

// evidence uploads an evidence package for artifactBytes and returns its id.
func (f *fixture) evidence(corr string) uuid.UUID {
	f.t.Helper()
	data := fmt.Sprintf(`{"artifacts":[{"name":"sap-gui.msi","sha256":%q}],"blast_radius_class":"BUSINESS_CRITICAL"}`, hexSHA(artifactBytes))
	ev, err := security.NewEvidence(uuid.New(), corr, []byte(data), f.clock.Now())
	require.NoError(f.t, err)
	require.NoError(f.t, ev.Attest(f.svc, dsse.Envelope{}), "the service key signs the package at upload")
	stored, err := f.s.CreateEvidence(f.ctx, ev, "ci")
	require.NoError(f.t, err)
	return stored.ID
}

// candidate returns a new, unapproved, inactive model with the given
// BUSINESS_CRITICAL, PRODUCTIVITY_TOOLS and NON_CRITICAL thresholds.
func candidate(version, bus, prod, non string) riskmodel.Version {
	m := riskmodel.Seed(epoch)
	m.Version, m.Active, m.Approval = version, false, riskmodel.Approval{}
	m.Thresholds[blastradius.BusinessCritical] = d(bus)
	m.Thresholds[blastradius.ProductivityTools] = d(prod)
	m.Thresholds[blastradius.NonCritical] = d(non)
	return m
}

// activate makes a model with the given thresholds active, as the CAB
// does: cab-admin creates it, alice and bob approve it, and it is
// activated once it verifies.
func (f *fixture) activate(version, bus, prod, non string) riskmodel.Version {
	f.t.Helper()
	m := candidate(version, bus, prod, non)
	require.NoError(f.t, f.s.CreateRiskModel(f.ctx, m, "cab-admin"))
	for _, member := range []string{"alice", "bob"} {
		_, err := f.w.ApproveModel(f.ctx, version, member)
		require.NoError(f.t, err)
	}
	require.NoError(f.t, f.w.ActivateModel(f.ctx, version, "cab-admin"))
	active, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(f.t, err)
	require.Equal(f.t, version, active.Version)
	return active
}

// facts returns factor values that score as score under the default
// weights: every factor at score.
func facts(score string) map[riskmodel.Factor]decimal.Decimal {
	out := map[riskmodel.Factor]decimal.Decimal{}
	for k := range riskmodel.DefaultWeights() {
		out[k] = d(score)
	}
	return out
}

// inputs are facts the default classifier classifies as each class.
var inputs = map[blastradius.Class]blastradius.Input{
	blastradius.CriticalInfrastructure: {AppName: "Windows Security Update", Privilege: blastradius.PrivilegeAdmin,
		TargetUsers: 50000, Criticality: blastradius.CriticalityHigh},
	blastradius.BusinessCritical:  {AppName: "SAP GUI", TargetUsers: 800},
	blastradius.ProductivityTools: {AppName: "Zoom Workplace", TargetUsers: 4000},
	blastradius.NonCritical:       {AppName: "Calculator utility", TargetUsers: 10},
}

// submission is sam's submission of facts of class with every factor at
// score.
func (f *fixture) submission(corr, score string, class blastradius.Class) cab.Submission {
	in := inputs[class]
	return cab.Submission{EvidenceID: f.evidence("ev-" + corr), DeploymentIntentID: uuid.New(), CorrelationID: corr,
		Factors: facts(score), Classify: &in, Submitter: "sam"}
}

// submit submits and requires success.
func (f *fixture) submit(corr, score string, class blastradius.Class) cab.Request {
	f.t.Helper()
	r, err := f.w.Submit(f.ctx, f.submission(corr, score, class))
	require.NoError(f.t, err)
	require.Equal(f.t, class, r.Decision.Class)
	return r
}

// head returns the audit log's head: unchanged when nothing was written.
func (f *fixture) head() security.Head {
	f.t.Helper()
	h, err := f.s.AuditHead(f.ctx)
	require.NoError(f.t, err)
	return h
}

// request reads a request back from the store.
func (f *fixture) request(id uuid.UUID) cab.Request {
	f.t.Helper()
	r, err := f.s.Request(f.ctx, id)
	require.NoError(f.t, err)
	return r
}

// events returns the audit events of type typ.
func (f *fixture) events(typ security.EventType) []security.Event {
	f.t.Helper()
	all, err := f.s.ListAuditEvents(f.ctx, 0, store.MaxAuditPage)
	require.NoError(f.t, err)
	return slices.DeleteFunc(all, func(e security.Event) bool { return e.Type != typ })
}

func table(name string) *driver.Table {
	for _, t := range store.Tables() {
		if t.Name == name {
			return t
		}
	}
	panic("no table " + name)
}

// tamper writes columns of a stored row as someone with write access to
// the database does: straight through the driver, past every rule of the
// store and without an audit event.
func (f *fixture) tamper(tableName string, key any, cols []string, vals ...any) {
	f.t.Helper()
	f.tamperKey(tableName, []any{key}, cols, vals...)
}

// tamperKey is tamper for a row with a composite key.
func (f *fixture) tamperKey(tableName string, key []any, cols []string, vals ...any) {
	f.t.Helper()
	tx, err := f.s.Driver().Begin(f.ctx, driver.TxOptions{Write: true})
	require.NoError(f.t, err)
	require.NoError(f.t, tx.Update(f.ctx, table(tableName), key, cols, vals))
	require.NoError(f.t, tx.Commit())
}

// column reads one column of a stored request row, as the attacker does
// before editing it.
func (f *fixture) column(id uuid.UUID, col string) any {
	f.t.Helper()
	tx, err := f.s.Driver().Begin(f.ctx, driver.TxOptions{})
	require.NoError(f.t, err)
	defer func() { _ = tx.Rollback() }()
	var v any
	require.NoError(f.t, tx.Query(f.ctx, &driver.Query{Table: table("cab_requests"), Columns: []string{col},
		Where: []driver.Cond{driver.Where("id", driver.Eq, id)}}, func(row []any) error { v = row[0]; return nil }))
	return v
}

func TestNewWorkflowNeedsAServiceAndAValidLadder(t *testing.T) {
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{})
	require.NoError(t, err)
	_, err = cab.NewWorkflow(s, cab.Options{})
	requireInvalid(t, err, "service")
	_, err = cab.NewWorkflow(nil, cab.Options{Service: attested(t)})
	requireInvalid(t, err, "store")
	broken := maturity.Levels()
	broken[0].Thresholds[blastradius.NonCritical] = d("60") // above level 1's
	_, err = cab.NewWorkflow(s, cab.Options{Service: attested(t), Levels: broken})
	require.ErrorIs(t, err, maturity.ErrInvalidLevels)
}

func TestSubmitDecidesWithTheActiveModelAndPinsTheArtifact(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-1", "42", blastradius.BusinessCritical)
	assert.Equal(t, cab.ManualReview, r.Decision.Outcome)
	assert.Equal(t, cab.ReasonAutomationNotEarned, r.Decision.Reason.Code, "the seed model has every threshold at 0")
	assert.Equal(t, riskmodel.SeedVersion, r.Decision.ModelVersion)
	assert.Equal(t, "42", r.Decision.Score.String())
	assert.Equal(t, digest(artifactBytes), r.ArtifactDigest)
	assert.Equal(t, cab.StatusPendingReview, r.Status)
	assert.Equal(t, "SAP GUI", r.Application)
	assert.Equal(t, "business-keyword", r.ClassRule)

	// The decision is signed and names the model by its content hash.
	seed, err := f.s.RiskModel(f.ctx, riskmodel.SeedVersion)
	require.NoError(t, err)
	h, err := seed.ContentHash()
	require.NoError(t, err)
	assert.Equal(t, security.Digest(h), r.Decision.ModelHash)
	stored := f.request(r.ID)
	require.NoError(t, stored.Verify(f.keys), "the stored request verifies")
	assert.Equal(t, []string{"service"}, signerRoles(f.keys, &r.Attestation))
}

// signerRoles lists the roles of the keys that validly signed env.
func signerRoles(keys *attest.Keyring, env *dsse.Envelope) []string {
	var out []string
	for _, p := range keys.Signers(env) {
		out = append(out, string(p.Role))
	}
	return out
}

func TestSubmitIsIdempotentOnTheCorrelationID(t *testing.T) {
	f := newFixture(t)
	sub := f.submission("chg-2", "42", blastradius.BusinessCritical)
	first, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	again, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	sub.Factors = facts("43")
	_, err = f.w.Submit(f.ctx, sub)
	require.ErrorIs(t, err, store.ErrConflict)
}

func TestSubmitScoresFactorsAndClassifiesInput(t *testing.T) {
	f := newFixture(t, permissive)
	f.activate("2.0", "10", "30", "50")
	r, err := f.w.Submit(f.ctx, cab.Submission{
		EvidenceID: f.evidence("ev-3"), DeploymentIntentID: uuid.New(), CorrelationID: "chg-3", Submitter: "sam",
		Factors:  facts("20"),
		Classify: &blastradius.Input{AppName: "Zoom Workplace", TargetUsers: 4000},
	})
	require.NoError(t, err)
	assert.Equal(t, "20", r.Decision.Score.String())
	assert.Equal(t, blastradius.ProductivityTools, r.Decision.Class)
	assert.Equal(t, "Zoom Workplace", r.Application)
	assert.Equal(t, cab.AutoApproved, r.Decision.Outcome)
	assert.Equal(t, cab.StatusAutoApproved, r.Status)
	assert.Equal(t, "2.0", r.Decision.ModelVersion)
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	require.NoError(t, err)
}

func TestSubmitRejectsBadInputAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	good := f.submission("chg-4", "42", blastradius.BusinessCritical)
	before := f.head()
	bare := d("42")
	for _, tt := range []struct {
		field  string
		mutate func(s *cab.Submission)
	}{
		{"evidence_id", func(s *cab.Submission) { s.EvidenceID = uuid.Nil }},
		{"deployment_intent_id", func(s *cab.Submission) { s.DeploymentIntentID = uuid.Nil }},
		{"correlation_id", func(s *cab.Submission) { s.CorrelationID = "" }},
		{"submitter", func(s *cab.Submission) { s.Submitter = "" }},
		{"submitter", func(s *cab.Submission) { s.Submitter = "sam\nroot" }},
		{"classify", func(s *cab.Submission) { s.Classify = nil }},
		{"factors", func(s *cab.Submission) { s.Factors = nil }},
		{"factors", func(s *cab.Submission) { s.Factors = map[riskmodel.Factor]decimal.Decimal{"vibes": d("1")} }},
		{"factors", func(s *cab.Submission) { s.Factors = facts("100.5") }},
		{"score", func(s *cab.Submission) { s.Score = &bare }},
		{"score", func(s *cab.Submission) { s.Score, s.Factors = &bare, nil }},
		{"class", func(s *cab.Submission) { s.Class = "PURPLE" }},
		{"class", func(s *cab.Submission) { s.Class = blastradius.NonCritical }},
		{"application", func(s *cab.Submission) { s.Classify = &blastradius.Input{} }},
	} {
		s := good
		tt.mutate(&s)
		_, err := f.w.Submit(f.ctx, s)
		var ie *trustgate.Error
		require.ErrorAs(t, err, &ie, tt.field)
		assert.Equal(t, tt.field, ie.Field, "%v", err)
		assert.Equal(t, trustgate.Invalid, ie.Code, "%v", err)
	}
	s := good
	s.EvidenceID = uuid.New()
	_, err := f.w.Submit(f.ctx, s)
	require.ErrorIs(t, err, store.ErrNotFound)
	s = good
	s.ArtifactName = "other.msi"
	_, err = f.w.Submit(f.ctx, s)
	require.ErrorIs(t, err, cab.ErrEvidence)
	assert.Equal(t, before, f.head())
}

func TestApprovalToQuorumAuthorisesAndRecordsTheDeployment(t *testing.T) {
	f := newFixture(t)
	r := f.submit("chg-5", "42", blastradius.BusinessCritical)
	_, err := f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
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
	for _, a := range f.request(r.ID).Approvals {
		assert.Equal(t, []string{"service"}, signerRoles(f.keys, &a.Envelope), "service-attested: the service key countersigns %s", a.By)
	}

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
	r := f.submit("chg-6", "88", blastradius.BusinessCritical)
	require.Equal(t, cab.StatusExceptionRequired, r.Status)
	_, err := f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 120))
	require.ErrorIs(t, err, cab.ErrExpiry)
	_, err = f.w.RequestException(f.ctx, r.ID, "sam", "emergency patch", f.clock.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	_, err = f.w.ApproveException(f.ctx, r.ID, "alice", "")
	require.NoError(t, err)

	f.clock.Advance(3 * 24 * time.Hour) // past the expiry
	_, err = f.w.ApproveException(f.ctx, r.ID, "bob", "")
	require.ErrorIs(t, err, cab.ErrExpired, "approving")

	f2 := newFixture(t)
	r2 := f2.submit("chg-7", "88", blastradius.BusinessCritical)
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
	low := f.submit("chg-8", "8", blastradius.BusinessCritical)
	hurt := f.submit("chg-9", "5", blastradius.NonCritical)
	f.submit("chg-10", "60", blastradius.NonCritical)
	f.submit("chg-11", "2", blastradius.CriticalInfrastructure)
	for _, r := range []cab.Request{low, hurt} {
		for _, m := range []string{"alice", "bob"} {
			_, _ = f.w.Approve(f.ctx, r.ID, m, "")
		}
		_, err := f.w.RecordDeployment(f.ctx, r.ID, r.ArtifactDigest, f.clock.Now())
		require.NoError(t, err)
	}
	in := incident.Incident{CorrelationID: "inc-1", Severity: incident.P3, OccurredAt: f.clock.Now(), DeploymentID: hurt.DeploymentIntentID}
	_, err := f.s.CreateIncident(f.ctx, in)
	require.NoError(t, err)

	cand := candidate("2.0-candidate", "10", "0", "50")
	rep, err := f.w.Shadow(f.ctx, &cand, epoch.Add(-time.Hour), epoch.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Requests)
	assert.Equal(t, 4, rep.Rescored, "every request was rescored from its recorded factors")
	assert.Equal(t, 2, rep.Changed, "the 8 and the 5 would auto-approve; 60 stays in review; critical never moves")
	assert.Equal(t, 2, rep.NewlyAutoApproved)
	assert.Equal(t, 1, rep.NewlyAutoApprovedWithIncidents)
	assert.Zero(t, rep.NoLongerAutoApproved)
	active, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, riskmodel.SeedVersion, active.Version, "shadow evaluation activates nothing")
}
