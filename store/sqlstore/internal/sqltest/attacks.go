package sqltest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Attacks performs, against b's database, each edit at rest that issue 12
// lists, the way an attacker who can write the database would: with SQL
// on a pool of their own, every trigger dropped (SQLite) or disabled
// (PostgreSQL) first. Each test shows the edit refused on the path that
// would authorise or cap (Authorize, Submit, ActivateModel) and named by
// Store.Verify. SECURITY.md lists them.
func Attacks(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, a *attack)
	}{
		{"RequestStatusSetToApproved", attackStatus},
		{"FakeApprovalAdded", attackFakeApproval},
		{"DecisionRewrittenToAutoApproved", attackDecision},
		{"ExceptionExpiryExtended", attackExpiry},
		{"ThresholdRaised", attackThreshold},
		{"ThresholdRaisedAfterTheModelWasCached", attackCachedThreshold},
		{"ModelMarkedApprovedAndActivated", attackModelFlag},
		{"MaturityLevelRaised", attackLevel},
		{"EvidenceDigestReplaced", attackEvidence},
		{"IncidentSeverityLowered", attackSeverity},
		{"RejectionDeleted", attackRejection},
		{"CalibrationBucketHidesAnIncident", attackBucket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newAttack(t, b))
		})
	}
}

// attack is one installation under attack: a seeded store over b, a CAB
// workflow, and the attacker's own pool on the database, triggers off.
type attack struct {
	ctx context.Context
	b   Backend
	s   *store.Store
	db  *sql.DB
	svc *attest.Service
	w   *cab.Workflow
	now time.Time
}

func newAttack(t *testing.T, b Backend) *attack {
	a := newBenchAttack(t, b)
	a.dropTriggers(t)
	return a
}

// newBenchAttack is the installation without the attacker's edits.
func newBenchAttack(t testing.TB, b Backend) *attack {
	d := b.New(t)
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "alice", "bob", "carol", "dave"))
	require.NoError(t, err)
	s, err := store.New(d, store.Options{Now: func() time.Time { return now }, Service: svc})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, store.Seed(ctx, s, svc, now))
	w, err := cab.NewWorkflow(s, cab.Options{Service: svc, Now: func() time.Time { return now }})
	require.NoError(t, err)
	return &attack{ctx: ctx, b: b, s: s, db: b.Raw(t, d), svc: svc, w: w, now: now}
}

// dropTriggers turns off every guard the migrations installed, as anyone
// who can write the database can.
func (a *attack) dropTriggers(t *testing.T) {
	if a.b.Dialect == sqlstore.PostgreSQL {
		for _, tb := range store.Tables() {
			_, err := a.db.ExecContext(a.ctx, "ALTER TABLE "+tb.Name+" DISABLE TRIGGER USER")
			require.NoError(t, err)
		}
		return
	}
	rows, err := a.db.QueryContext(a.ctx, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Close())
	require.NotEmpty(t, names, "the migrations install triggers")
	for _, n := range names {
		_, err := a.db.ExecContext(a.ctx, "DROP TRIGGER "+n)
		require.NoError(t, err)
	}
}

// sql runs an edit that must change at least one row.
func (a *attack) sql(t *testing.T, query string, args ...any) {
	t.Helper()
	res, err := a.b.Exec(a.ctx, a.db, query, args...)
	require.NoError(t, err, query)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Positive(t, n, "the edit changed a row: %s", query)
}

// text reads one text value.
func (a *attack) text(t *testing.T, query string, args ...any) string {
	t.Helper()
	var s string
	require.NoError(t, a.db.QueryRowContext(a.ctx, a.b.Rebind(query), args...).Scan(&s), query)
	return s
}

var artifact = sha256.Sum256([]byte("the genuine build"))

// evidence stores an attested evidence package for one artifact.
func (a *attack) evidence(t *testing.T, corr string) security.Evidence {
	return a.benchEvidence(t, corr)
}

func (a *attack) benchEvidence(t testing.TB, corr string) security.Evidence {
	data := `{"artifacts":[{"name":"app.msi","sha256":"` + hex.EncodeToString(artifact[:]) + `"}],"blast_radius_class":"BUSINESS_CRITICAL"}`
	e, err := security.NewEvidence(uuid.New(), corr, []byte(data), a.now)
	require.NoError(t, err)
	require.NoError(t, e.Attest(a.svc, dsse.Envelope{}))
	stored, err := a.s.CreateEvidence(a.ctx, e, "ci")
	require.NoError(t, err)
	return stored
}

// factors are factor values that score 45 under the seed weights.
func factors() map[riskmodel.Factor]decimal.Decimal {
	out := map[riskmodel.Factor]decimal.Decimal{}
	for _, f := range []riskmodel.Factor{"privilege_elevation", "blast_radius", "change_complexity", "test_evidence",
		"supply_chain", "rollback_capability", "vendor_history"} {
		out[f] = decimal.NewFromInt(45)
	}
	return out
}

// submit submits a deployment of app with the given facts.
func (a *attack) submit(t *testing.T, corr string, facts blastradius.Input, fs map[riskmodel.Factor]decimal.Decimal) (cab.Request, error) {
	ev := a.evidence(t, "ev-"+corr)
	return a.w.Submit(a.ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: corr,
		Classify: &facts, Factors: fs, Submitter: "sam"})
}

// erp is a BUSINESS_CRITICAL application: quorum 2.
var erp = blastradius.Input{AppName: "SAP ERP Client", TargetUsers: 500, Criticality: blastradius.CriticalityMedium}

// reviewed returns a stored BUSINESS_CRITICAL request pending review.
func (a *attack) reviewed(t *testing.T) cab.Request {
	r, err := a.submit(t, "chg-1", erp, factors())
	require.NoError(t, err)
	require.Equal(t, blastradius.BusinessCritical, r.Decision.Class)
	require.Equal(t, cab.StatusPendingReview, r.Status)
	return r
}

// requireNamed checks that err is a record error naming record and part.
func requireNamed(t *testing.T, err error, record, part string) {
	t.Helper()
	require.ErrorIs(t, err, attest.ErrTampered)
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, record, re.Record)
	if part != "" {
		assert.Equal(t, part, re.Part)
	}
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
}

func (a *attack) verify() error { return a.s.Verify(a.ctx, a.svc.Keys(), store.VerifyOptions{}) }

func attackStatus(t *testing.T, a *attack) {
	r := a.reviewed(t)
	_, err := a.w.Approve(a.ctx, r.ID, "alice", "")
	require.NoError(t, err)
	require.NoError(t, a.verify(), "verify passes before the edit")

	a.sql(t, `UPDATE cab_requests SET status = 'approved' WHERE id = ?`, r.ID.String())

	_, err = a.w.Authorize(a.ctx, r.ID, artifact)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "Authorize counts signatures, not the status")
	assert.Contains(t, err.Error(), "1 of 2 verified approvals")
	_, err = a.w.RecordDeployment(a.ctx, r.ID, artifact, a.now)
	require.ErrorIs(t, err, cab.ErrNotAuthorized)
	requireNamed(t, a.verify(), "cab_requests/"+r.ID.String(), "status")
}

func attackFakeApproval(t *testing.T, a *attack) {
	r := a.reviewed(t)
	_, err := a.w.Approve(a.ctx, r.ID, "alice", "")
	require.NoError(t, err)

	// The attacker adds bob's approval, copying alice's signed envelope
	// (the only signature they have), and marks the request approved.
	raw := a.text(t, `SELECT approvals FROM cab_requests WHERE id = ?`, r.ID.String())
	var approvals []map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &approvals))
	fake := map[string]any{"by": "bob", "at": approvals[0]["at"], "comment": "", "envelope": approvals[0]["envelope"]}
	forged, err := json.Marshal(append(approvals, fake))
	require.NoError(t, err)
	a.sql(t, `UPDATE cab_requests SET approvals = ?, status = 'approved' WHERE id = ?`, string(forged), r.ID.String())

	_, err = a.w.Authorize(a.ctx, r.ID, artifact)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "an approval without a valid signature counts for nothing")
	requireNamed(t, a.verify(), "cab_requests/"+r.ID.String(), "approvals[1]")
}

func attackDecision(t *testing.T, a *attack) {
	r := a.reviewed(t)
	a.sql(t, `UPDATE cab_requests SET outcome = 'auto_approved', reason_code = 'SCORE_WITHIN_THRESHOLD', quorum = 0,
		status = 'auto_approved' WHERE id = ?`, r.ID.String())

	_, err := a.w.Authorize(a.ctx, r.ID, artifact)
	requireNamed(t, err, "cab_requests/"+r.ID.String(), "decision")
	var we *cab.WorkflowError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, r.ID, we.RequestID)
	requireNamed(t, a.verify(), "cab_requests/"+r.ID.String(), "decision")
}

func attackExpiry(t *testing.T, a *attack) {
	fs := factors()
	for f := range fs {
		fs[f] = decimal.NewFromInt(95) // scores 95: above the seed's exception threshold of 80
	}
	r, err := a.submit(t, "chg-x", erp, fs)
	require.NoError(t, err)
	require.Equal(t, cab.StatusExceptionRequired, r.Status)
	_, err = a.w.RequestException(a.ctx, r.ID, "sam", "quarter-end fix", a.now.AddDate(0, 0, 2))
	require.NoError(t, err)
	for _, m := range []string{"alice", "bob"} {
		_, err = a.w.ApproveException(a.ctx, r.ID, m, "ok")
		require.NoError(t, err)
	}
	_, err = a.w.Authorize(a.ctx, r.ID, artifact)
	require.NoError(t, err, "authorised before the edit")

	raw := a.text(t, `SELECT exception FROM cab_requests WHERE id = ?`, r.ID.String())
	later := a.now.AddDate(1, 0, 0).UTC().Format("2006-01-02T15:04:05.000000Z")
	var x map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &x))
	x["expires_at"] = later
	edited, err := json.Marshal(x)
	require.NoError(t, err)
	a.sql(t, `UPDATE cab_requests SET exception = ? WHERE id = ?`, string(edited), r.ID.String())

	a.now = a.now.AddDate(0, 0, 30) // after the signed expiry, before the edited one
	_, err = a.w.Authorize(a.ctx, r.ID, artifact)
	requireNamed(t, err, "cab_requests/"+r.ID.String(), "exception")
	requireNamed(t, a.verify(), "cab_requests/"+r.ID.String(), "exception")
}

func attackThreshold(t *testing.T, a *attack) {
	a.sql(t, `UPDATE risk_model_thresholds SET threshold = ? WHERE version = '1.1' AND class = 'PRODUCTIVITY_TOOLS'`, "50")

	fs := factors()
	for f := range fs {
		fs[f] = decimal.NewFromInt(15)
	}
	chrome := blastradius.Input{AppName: "Google Chrome", TargetUsers: 500}
	_, err := a.submit(t, "chg-t", chrome, fs)
	require.ErrorIs(t, err, riskmodel.ErrUnverified, "a model whose content no longer matches its signatures decides nothing")
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
	requireNamed(t, a.verify(), "risk_model_versions/1.1", "")
}

// attackCachedThreshold edits the active model after a submission has
// read, verified and cached it (the workflow keeps the model that last
// verified): the edit must never decide. The next submission is refused,
// or decided by the model verified before the edit, never by the edited
// threshold; a store and workflow that read the model afresh (another
// process) refuse it; and so does the next submission once the version's
// own row is edited too.
func attackCachedThreshold(t *testing.T, a *attack) {
	fs := factors()
	for f := range fs {
		fs[f] = decimal.NewFromInt(15)
	}
	chrome := blastradius.Input{AppName: "Google Chrome", TargetUsers: 500}
	before, err := a.submit(t, "chg-c1", chrome, fs)
	require.NoError(t, err, "the genuine model decides")

	a.sql(t, `UPDATE risk_model_thresholds SET threshold = ? WHERE version = '1.1' AND class = 'PRODUCTIVITY_TOOLS'`, "50")
	after, err := a.submit(t, "chg-c2", chrome, fs)
	if err != nil {
		require.ErrorIs(t, err, riskmodel.ErrUnverified, "refused, or decided by the genuine model")
	} else {
		assert.True(t, after.Decision.Threshold.Equal(before.Decision.Threshold), "the edited threshold %s decides nothing", after.Decision.Threshold)
		assert.Equal(t, before.Decision.Outcome, after.Decision.Outcome)
		assert.Equal(t, before.Decision.ModelHash, after.Decision.ModelHash, "the approved model's content hash")
	}
	// Another process, reading the model afresh, refuses it.
	fresh, err := store.New(a.s.Driver(), store.Options{Now: func() time.Time { return a.now }, Service: a.svc})
	require.NoError(t, err)
	w, err := cab.NewWorkflow(fresh, cab.Options{Service: a.svc, Now: func() time.Time { return a.now }})
	require.NoError(t, err)
	ev := a.evidence(t, "ev-chg-c3")
	_, err = w.Submit(a.ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-c3",
		Classify: &chrome, Factors: fs, Submitter: "sam"})
	require.ErrorIs(t, err, riskmodel.ErrUnverified, "a store that reads the edited rows refuses them")
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))

	// An edit of the version's row as well.
	a.sql(t, `UPDATE risk_model_versions SET exception_threshold = ? WHERE version = '1.1'`, "100")
	_, err = a.submit(t, "chg-c4", chrome, fs)
	require.ErrorIs(t, err, riskmodel.ErrUnverified, "a changed version row is read in full and refused")
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
	requireNamed(t, a.verify(), "risk_model_versions/1.1", "")
}

func attackModelFlag(t *testing.T, a *attack) {
	// A permissive model (no exceptions: threshold 100) that only one
	// member approved; the attacker marks it approved and active.
	v := riskmodel.Seed(a.now)
	v.Version, v.Active, v.Approval = "9.9", false, riskmodel.Approval{}
	v.ExceptionThreshold = decimal.NewFromInt(100)
	require.NoError(t, a.s.CreateRiskModel(a.ctx, v, "mallory"))
	_, err := a.w.ApproveModel(a.ctx, "9.9", "alice")
	require.NoError(t, err)
	require.Error(t, a.w.ActivateModel(a.ctx, "9.9", "alice"), "one approval does not activate")

	approved := "1"
	yes, no := "1", "0"
	if a.b.Dialect == sqlstore.PostgreSQL {
		approved, yes, no = "true", "true", "false"
	}
	a.sql(t, `UPDATE risk_model_versions SET active = `+no+` WHERE version = '1.1'`)
	a.sql(t, `UPDATE risk_model_versions SET approved = `+approved+`, approved_by = 'alice', active = `+yes+` WHERE version = '9.9'`)

	_, err = a.submit(t, "chg-m", erp, factors())
	require.ErrorIs(t, err, riskmodel.ErrUnverified)
	assert.Contains(t, err.Error(), "1 of 2")
	err = a.verify()
	requireNamed(t, err, "risk_model_versions/9.9", "")
}

func attackLevel(t *testing.T, a *attack) {
	a.sql(t, `UPDATE maturity_state SET level = 4 WHERE id = 1`)

	_, err := a.submit(t, "chg-l", erp, factors())
	require.ErrorIs(t, err, riskmodel.ErrUnverified, "a level that does not verify caps nothing, so nothing decides")
	requireNamed(t, err, "maturity_state/1", "attestation")
	requireNamed(t, a.verify(), "maturity_state/1", "attestation")
}

func attackEvidence(t *testing.T, a *attack) {
	ev := a.evidence(t, "ev-swap")
	evil := sha256.Sum256([]byte("the attacker's build"))
	data := strings.Replace(string(ev.Data), hex.EncodeToString(artifact[:]), hex.EncodeToString(evil[:]), 1)
	sum := sha256.Sum256([]byte(data))
	a.sql(t, `UPDATE evidence_packages SET data = ?, content_hash = ? WHERE id = ?`, []byte(data), hex.EncodeToString(sum[:]), ev.ID.String())

	got, err := a.s.EvidenceByID(a.ctx, ev.ID)
	require.NoError(t, err)
	require.True(t, got.Intact(), "the row hashes to its own content hash: the old check passes")
	_, err = a.w.Submit(a.ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-e",
		Classify: &erp, Factors: factors(), Submitter: "sam"})
	require.ErrorIs(t, err, cab.ErrEvidence)
	requireNamed(t, err, "evidence_packages/"+ev.ID.String(), "attestation")
	requireNamed(t, a.verify(), "evidence_packages/"+ev.ID.String(), "attestation")
}

func attackSeverity(t *testing.T, a *attack) {
	in, err := a.s.CreateIncident(a.ctx, incident.Incident{CorrelationID: "inc-1", Severity: incident.P1,
		OccurredAt: a.now.Add(-time.Hour), Application: "SAP ERP Client"})
	require.NoError(t, err)
	require.NoError(t, a.verify(), "verify passes before the edit")

	a.sql(t, `UPDATE incidents SET severity = 'P4' WHERE id = ?`, in.ID.String())

	got, err := a.s.Incident(a.ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, incident.P4, got.Severity, "the edit took")
	requireNamed(t, got.Verify(a.svc.Keys()), "incidents/"+in.ID.String(), "attestation")
	requireNamed(t, a.verify(), "incidents/"+in.ID.String(), "attestation")
}

func attackRejection(t *testing.T, a *attack) {
	r := a.reviewed(t)
	_, err := a.w.Reject(a.ctx, r.ID, "alice", "unsigned driver")
	require.NoError(t, err)

	a.sql(t, `UPDATE cab_requests SET rejection = NULL, status = 'pending_review' WHERE id = ?`, r.ID.String())

	_, err = a.w.Authorize(a.ctx, r.ID, artifact)
	require.ErrorIs(t, err, cab.ErrNotAuthorized, "still 0 of 2 verified approvals")
	requireNamed(t, a.verify(), "cab_requests/"+r.ID.String(), "status")
}
