package sqltest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// epoch is the clock of the stores these tests make.
var epoch = time.Date(2026, 2, 10, 9, 0, 0, 123456000, time.UTC)

// Guards tests what the database enforces on its own, whoever asks: the
// triggers, checks and indexes of the migrations refuse, from a client
// other than the store, every change the store never makes. Each refusal
// must come from the guard meant to give it (its message is checked), not
// from a mistake in the statement; and what may change, may.
func Guards(t *testing.T, b Backend) {
	t.Run("AuditEvidenceAndRiskModels", func(t *testing.T) { guardRecords(t, b) })
	t.Run("Outcomes", func(t *testing.T) { guardOutcomes(t, b) })
	t.Run("Requests", func(t *testing.T) { guardRequests(t, b) })
	t.Run("Signed", func(t *testing.T) { guardSigned(t, b) })
}

// guarded is one statement run behind the store's back, and how the
// database must answer it: with an error whose message contains one of
// refusal (compared in lower case); or, when ignored, with such an error or
// by changing no row; or, with neither, by running it.
type guarded struct {
	stmt    string
	refusal []string
	ignored bool
}

func refused(stmt string, refusal ...string) guarded { return guarded{stmt: stmt, refusal: refusal} }

// ignored is a statement the database may refuse or carry out as a no-op.
func ignored(stmt string, refusal ...string) guarded {
	return guarded{stmt: stmt, refusal: refusal, ignored: true}
}

func allowed(stmt string) guarded { return guarded{stmt: stmt} }

// checkFailed is how both dialects report a failed CHECK constraint
// ("CHECK constraint failed", "violates check constraint").
const checkFailed = "check constraint"

// run runs each statement on db, in order, on b's dialect.
func (b Backend) run(t *testing.T, db *sql.DB, stmts []guarded) {
	t.Helper()
	for _, g := range stmts {
		res, err := db.ExecContext(t.Context(), g.stmt)
		if len(g.refusal) == 0 {
			assert.NoError(t, err, "%s: may be done", g.stmt)
			continue
		}
		if g.ignored && err == nil {
			n, err := res.RowsAffected()
			require.NoError(t, err)
			assert.Zero(t, n, "%s: the database must refuse it or change nothing", g.stmt)
			continue
		}
		if !assert.Error(t, err, "%s: the database must refuse it", g.stmt) {
			continue
		}
		msg := strings.ToLower(err.Error())
		ok := false
		for _, r := range g.refusal {
			ok = ok || strings.Contains(msg, strings.ToLower(r))
		}
		assert.True(t, ok, "%s: refused, but not by its guard (want %q): %v", g.stmt, g.refusal, err)
	}
}

// newStore returns a store over a fresh database of b, with its clock at
// epoch, and a pool on the same database outside the store.
func newStore(t *testing.T, b Backend) (*store.Store, *sql.DB) {
	t.Helper()
	d := b.New(t)
	s, err := store.New(d, store.Options{Now: func() time.Time { return epoch }})
	require.NoError(t, err)
	return s, b.Raw(t, d)
}

// candidate returns a valid, inactive version of the seed model named
// name, approved or not.
func candidate(name string, approved bool) riskmodel.Version {
	v := riskmodel.Seed(epoch)
	v.Version, v.Active, v.CreatedAt = name, false, epoch.Add(time.Hour)
	if !approved {
		v.Approval = riskmodel.Approval{}
	}
	return v
}

// The audit log, checkpoints and evidence are append-only; a risk model
// version changes only in its approval (once) and activation, at most one
// is active, and only an approved one.
func guardRecords(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	require.NoError(t, store.Seed(ctx, s, devService(t), epoch))
	require.NoError(t, s.CreateRiskModel(ctx, candidate("2.0", true), "cab-admin"))
	require.NoError(t, s.CreateRiskModel(ctx, candidate("3.0", false), "cab-admin"))
	head, root, err := s.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err)
	signer, err := auditlog.NewSigner("trustgate.test/audit", ed25519.NewKeyFromSeed(make([]byte, 32)))
	require.NoError(t, err)
	cp, err := auditlog.Sign(auditlog.Checkpoint{Origin: signer.Name(), Size: head.Size, Hash: root}, signer)
	require.NoError(t, err)
	require.NoError(t, s.SaveCheckpoint(ctx, cp))
	ev, err := security.NewEvidence(uuid.New(), "build-1",
		[]byte(`{"artifacts":[{"name":"a","sha256":"`+fmt.Sprintf("%064x", 1)+`"}]}`), epoch)
	require.NoError(t, err)
	_, err = s.CreateEvidence(ctx, ev, "ci")
	require.NoError(t, err)

	const (
		signoffsAppended = "signoffs are appended, and final once the version is approved"
		appendOnly       = "the audit log is append-only"
		notFollowing     = "must follow the head of the chain"
		inTree           = "must have its Merkle tree row"
		treeAppendOnly   = "the tree is append-only"
		oneActive        = "at most one version is active"
	)
	stmts := []guarded{
		// A checkpoint of before the Merkle tree, as an older trustgate
		// kept it.
		allowed(`INSERT INTO audit_checkpoints (size, key_id, head, signed_at, signature) VALUES (1, 'k', '` +
			strings.Repeat("0", 64) + `', '2026-01-01T00:00:00.000000000Z', 'c2ln')`),
		refused(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 1`, appendOnly),
		refused(`DELETE FROM audit_events WHERE seq = 1`, appendOnly),
		// A copy of the first event, as though it came after the head, and
		// one that claims to follow it but names the wrong previous hash.
		refused(`INSERT INTO audit_events (seq, id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash)
			 SELECT seq + 10, '0190a0a0-0000-7000-8000-000000000000', type, actor, subject, correlation_id, occurred_at,
			 data, prev_hash, hash FROM audit_events WHERE seq = 1`, notFollowing, inTree),
		refused(`INSERT INTO audit_events (seq, id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash)
			 SELECT (SELECT MAX(seq) + 1 FROM audit_events), '0190a0a0-0000-7000-8000-000000000001', type, actor, subject,
			 correlation_id, occurred_at, data, prev_hash, hash FROM audit_events WHERE seq = 1`, notFollowing, inTree),
		refused(`UPDATE audit_checkpoints SET key_id = 'x'`, "checkpoints are append-only"),
		refused(`DELETE FROM audit_checkpoints`, "checkpoints are append-only"),
		refused(`UPDATE audit_tree SET hashes = hashes WHERE seq = 1`, treeAppendOnly),
		refused(`DELETE FROM audit_tree WHERE seq = 1`, treeAppendOnly),
		refused(`INSERT INTO audit_tree (seq, hashes) SELECT seq + 10, hashes FROM audit_tree WHERE seq = 1`, "must follow the last"),
		refused(`UPDATE audit_notes SET note = 'x'`, "checkpoints are append-only"),
		refused(`DELETE FROM audit_notes`, "checkpoints are append-only"),
		refused(`UPDATE evidence_packages SET correlation_id = 'x'`, "evidence is never"),
		refused(`UPDATE evidence_packages SET attestation = '{}'`, "evidence is never"),
		refused(`UPDATE evidence_packages SET producer = '{}'`, "evidence is never"),
		refused(`DELETE FROM evidence_packages`, "evidence is never"),

		refused(`UPDATE risk_model_versions SET mode = 'OPTIMIZED'`, "immutable except for its approval and activation"),
		refused(`UPDATE risk_model_versions SET approved_by = 'mallory' WHERE version = '1.1'`, "an approval is final"),
		refused(`UPDATE risk_model_versions SET approved = FALSE WHERE version = '2.0'`, "an approval is final"),
		// Who created a version is part of its content; its signoffs are
		// appended, never edited or removed, and final once it is approved.
		refused(`UPDATE risk_model_versions SET created_by = 'mallory' WHERE version = '3.0'`, "immutable except for its approval and activation"),
		refused(`UPDATE risk_model_versions SET created_by = '' WHERE version = '1.1'`, "immutable except for its approval and activation"),
		refused(`UPDATE risk_model_versions SET signoffs = '[]' WHERE version = '1.1'`, signoffsAppended),
		refused(`UPDATE risk_model_versions SET signoffs = '[{"by":"mallory"}]' WHERE version = '2.0'`, signoffsAppended),
		allowed(`UPDATE risk_model_versions SET signoffs = '[{"by":"carol"}]' WHERE version = '3.0'`),
		refused(`UPDATE risk_model_versions SET signoffs = '[{"by":"mallory"}]' WHERE version = '3.0'`, signoffsAppended),
		refused(`UPDATE risk_model_versions SET signoffs = '[]' WHERE version = '3.0'`, signoffsAppended),
		refused(`UPDATE risk_model_versions SET signoffs = '{}' WHERE version = '3.0'`, signoffsAppended, checkFailed),
		allowed(`UPDATE risk_model_versions SET signoffs = '[{"by":"carol"},{"by":"dave"}]' WHERE version = '3.0'`),
		allowed(`UPDATE risk_model_versions SET signoffs = signoffs WHERE version = '1.1'`),
		refused(`DELETE FROM risk_model_versions WHERE version = '3.0'`, "versions are never deleted"),
		refused(`UPDATE risk_model_thresholds SET threshold = '99'`, "thresholds are immutable"),
		refused(`DELETE FROM risk_model_thresholds`, "thresholds are immutable"),
		refused(`UPDATE risk_model_weights SET weight = '1'`, "weights are immutable"),
		refused(`DELETE FROM risk_model_weights`, "weights are immutable"),
		// At most one active version (a unique index, and on SQLite a
		// trigger too), and only an approved one (a check); activation
		// itself may change.
		refused(`UPDATE risk_model_versions SET active = TRUE WHERE version = '2.0'`, "unique constraint", oneActive),
		allowed(`UPDATE risk_model_versions SET active = FALSE WHERE version = '1.1'`),
		refused(`UPDATE risk_model_versions SET active = TRUE WHERE version = '3.0'`, checkFailed),
		allowed(`UPDATE risk_model_versions SET active = TRUE WHERE version = '1.1'`),
	}
	switch b.Dialect {
	case sqlstore.SQLite:
		// REPLACE deletes the rows the new one conflicts with, firing no
		// delete trigger: a record replaced is a record changed. Each
		// conflicting insert is ignored (migration 0006).
		stmts = append(stmts,
			ignored(`REPLACE INTO evidence_packages (id, correlation_id, data, content_hash, created_at, attestation, producer)
				SELECT id, correlation_id, X'00', content_hash, created_at, attestation, producer FROM evidence_packages`, "evidence is never"),
			ignored(`REPLACE INTO evidence_packages (id, correlation_id, data, content_hash, created_at, attestation, producer)
				SELECT '`+uuid.NewString()+`', correlation_id, X'00', content_hash, created_at, attestation, producer FROM evidence_packages`,
				"evidence is never"),
			// The next event of the chain, but with the id of the first:
			// replacing would delete event 1.
			ignored(`REPLACE INTO audit_events (seq, id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash)
				SELECT h.seq + 1, e.id, e.type, e.actor, e.subject, e.correlation_id, e.occurred_at, e.data, h.hash, h.hash
				  FROM audit_events e, (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) h WHERE e.seq = 1`,
				appendOnly, notFollowing, inTree),
			ignored(`REPLACE INTO audit_checkpoints SELECT size, key_id, head, signed_at, 'forged' FROM audit_checkpoints`,
				"checkpoints are append-only"),
			ignored(`REPLACE INTO audit_tree SELECT seq, hashes FROM audit_tree`, treeAppendOnly, "must follow the last"),
			ignored(`REPLACE INTO audit_notes SELECT size, digest, signatures, 'forged' FROM audit_notes`, "checkpoints are append-only"),
			ignored(`REPLACE INTO risk_model_versions SELECT version, 'OPTIMIZED', effective_at, review_at, exception_threshold,
				approved, approved_by, approved_at, calibration, created_at, active, created_by, signoffs FROM risk_model_versions`,
				"immutable except for its approval and activation"),
			ignored(`REPLACE INTO risk_model_versions SELECT version, mode, effective_at, review_at, exception_threshold,
				approved, approved_by, approved_at, calibration, created_at, active, 'mallory', '[]' FROM risk_model_versions`,
				"immutable except for its approval and activation", signoffsAppended),
			// A new active version would take the one-active index from the
			// active one, deleting it.
			ignored(`REPLACE INTO risk_model_versions SELECT '9.9', mode, effective_at, review_at, exception_threshold,
				approved, approved_by, approved_at, calibration, created_at, active, created_by, signoffs FROM risk_model_versions WHERE active`,
				oneActive),
			refused(`UPDATE OR REPLACE risk_model_versions SET active = TRUE WHERE version = '2.0'`, oneActive),
			ignored(`REPLACE INTO risk_model_thresholds SELECT version, class, '99' FROM risk_model_thresholds`, "thresholds are immutable"),
			ignored(`REPLACE INTO risk_model_weights SELECT version, factor, '1' FROM risk_model_weights`, "weights are immutable"),
		)
	case sqlstore.PostgreSQL:
		for _, table := range []string{"audit_events", "audit_checkpoints", "audit_tree", "audit_notes", "evidence_packages", "risk_model_thresholds",
			"risk_model_weights", "risk_model_versions"} {
			stmts = append(stmts, refused(`TRUNCATE `+table+` CASCADE`, "is not allowed"))
		}
	}
	b.run(t, raw, stmts)

	_, _, err = s.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err)
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, riskmodel.SeedVersion, active.Version)
	got, err := s.EvidenceByID(ctx, ev.ID)
	require.NoError(t, err)
	assert.True(t, got.Intact())
}

// Deployment records are never changed or deleted, and keep the band of
// their score; an incident changes only in its resolution fields; an
// evaluation only in its decision, and its criteria never; the maturity
// level moves one step at a time, and its state is never deleted.
func guardOutcomes(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	require.NoError(t, store.Seed(ctx, s, devService(t), epoch))
	d, err := s.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
		AutoApproved: true, RiskScore: decimal.RequireFromString("19.99"), ModelVersion: "1.1", FinishedAt: epoch.Add(-time.Hour)})
	require.NoError(t, err)
	in, err := s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-1", Severity: incident.P3,
		OccurredAt: epoch.Add(-time.Minute), DeploymentID: d.ID})
	require.NoError(t, err)
	ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.Baseline, Target: maturity.Baseline,
		IncidentRate: decimal.Zero, Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Actual: decimal.Zero, Passed: true}}}
	require.NoError(t, s.CreateEvaluation(ctx, ev))

	dep, inc, evID := " WHERE id = '"+d.ID.String()+"'", " WHERE id = '"+in.ID.String()+"'", " WHERE id = '"+ev.ID.String()+"'"
	const (
		depNever   = "deployment records are never"
		resolution = "only the resolution fields of an incident change"
	)
	stmts := []guarded{
		refused(`UPDATE deployments SET risk_score = 1, risk_band = 0`+dep, depNever),
		refused(`UPDATE deployments SET application = 'Slack'`+dep, depNever),
		refused(`DELETE FROM deployments`+dep, depNever),
		// A band that disagrees with the score.
		refused(`INSERT INTO deployments (id, application, class, auto_approved, risk_score, risk_band, model_version,
			 finished_at, created_at) SELECT '`+uuid.NewString()+`', application, class, auto_approved, risk_score,
			 risk_band + 1, model_version, finished_at, created_at FROM deployments`+dep, checkFailed),
		refused(`UPDATE incidents SET severity = 'P4'`+inc, resolution),
		refused(`UPDATE incidents SET deployment_id = NULL, attribution = 'none'`+inc, resolution),
		refused(`UPDATE incidents SET business_impact_usd = 1`+inc, resolution),
		refused(`UPDATE incidents SET occurred_at = created_at`+inc, resolution),
		refused(`UPDATE incidents SET attestation = '{}'`+inc, resolution, "linkage and severity are never rewritten"),
		refused(`DELETE FROM incidents`+inc, "incidents are never deleted"),
		refused(`UPDATE maturity_evaluations SET ready = TRUE`+evID, "immutable except for its decision"),
		refused(`DELETE FROM maturity_evaluations`+evID, "evaluations are never deleted"),
		// A decision must be whole: approved, by someone, at a time, with
		// the version it activated.
		refused(`UPDATE maturity_evaluations SET approved = TRUE`+evID, checkFailed),
		refused(`UPDATE evaluation_criteria SET passed = FALSE`, "criteria are immutable"),
		refused(`DELETE FROM evaluation_criteria`, "criteria are immutable"),
		refused(`UPDATE maturity_state SET level = 2`, "one step at a time"),
		// What was signed for the level in force changes only with it.
		refused(`UPDATE maturity_state SET attestation = NULL`, "one step at a time"),
		refused(`UPDATE maturity_state SET approvals = '[{"by":"mallory"}]'`, "one step at a time"),
		refused(`UPDATE maturity_state SET kind = 'progression'`, "one step at a time"),
		refused(`UPDATE maturity_state SET evaluation_hash = '`+fmt.Sprintf("%064x", 9)+`'`, "one step at a time"),
		refused(`UPDATE maturity_state SET evaluation_id = '`+ev.ID.String()+`'`, "one step at a time"),
		refused(`UPDATE maturity_state SET since = '2020-01-01T00:00:00.000000Z', model_version = '9.9', reason = 'x'`,
			"one step at a time"),
		refused(`DELETE FROM maturity_state`, "state is never deleted"),
		// What may change, may.
		allowed(`UPDATE incidents SET root_cause = 'dns', resolution = 'rolled back', preventability_notes = 'x'` + inc),
	}
	switch b.Dialect {
	case sqlstore.SQLite:
		// REPLACE: see guardRecords.
		stmts = append(stmts,
			ignored(`REPLACE INTO deployments SELECT id, 'Slack', evidence_id, request_id, class, auto_approved, risk_score,
				risk_band, model_version, finished_at, created_at FROM deployments`+dep, depNever),
			ignored(`REPLACE INTO incidents SELECT id, correlation_id, fingerprint, 'P1', occurred_at, application, deployment_id,
				evidence_id, cab_approval_id, attribution, was_auto_approved, risk_score_at_approval, blast_radius, affected_users,
				downtime_minutes, business_impact_usd, root_cause, resolution, resolved_at, was_preventable, preventability_notes,
				control_improvements, created_at, updated_at, attestation FROM incidents`+inc, resolution),
			ignored(`REPLACE INTO maturity_evaluations SELECT id, kind, level, target, period_from, period_to, deployments,
				incidents, p1, p2, incident_rate, 1, reason, created_at, approved, decided_by, decided_at, decision_model_version,
				approvals FROM maturity_evaluations`+evID, "immutable except for its decision"),
			ignored(`REPLACE INTO evaluation_criteria SELECT evaluation_id, position, name, at_least, required, unlimited,
				actual, 0 FROM evaluation_criteria`, "criteria are immutable"),
			ignored(`REPLACE INTO maturity_state SELECT id, 3, since, model_version, reason, kind, evaluation_id, evaluation_hash,
				approvals, attestation FROM maturity_state`, "one step at a time"),
			ignored(`REPLACE INTO maturity_state SELECT id, level, since, model_version, reason, kind, evaluation_id, evaluation_hash,
				'[]', NULL FROM maturity_state`, "one step at a time"),
		)
	case sqlstore.PostgreSQL:
		for _, table := range []string{"deployments", "incidents", "maturity_evaluations", "evaluation_criteria", "maturity_state"} {
			stmts = append(stmts, refused(`TRUNCATE `+table+` CASCADE`, "is not allowed"))
		}
	}
	b.run(t, raw, stmts)

	got, err := s.Incident(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, "dns", got.RootCause)
	assert.Equal(t, d.ID, got.DeploymentID)
	state, err := s.MaturityState(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Baseline, state.Level)
	_, _, err = s.VerifyLog(ctx, security.VerifyOptions{})
	require.NoError(t, err)
}

// cabRequest returns a request under the seed model (pending review, the
// threshold 0), its digests derived from corr, scored from factor values
// and its decision signed by svc.
func cabRequest(t *testing.T, svc *attest.Service, corr string) cab.Request {
	t.Helper()
	m := riskmodel.Seed(epoch)
	d, err := cab.Decide(decimal.RequireFromString("42.5"), blastradius.BusinessCritical, &m)
	require.NoError(t, err)
	h, err := m.ContentHash()
	require.NoError(t, err)
	d.ModelHash = h
	r := cab.Request{
		ID: uuid.New(), CorrelationID: corr, Application: "SAP GUI", Submitter: "sam", Decision: d, Status: cab.StatusFor(d),
		EvidenceID:         uuid.NewSHA1(uuid.NameSpaceURL, []byte("evidence-"+corr)),
		DeploymentIntentID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("intent-"+corr)),
		ArtifactDigest:     sha256.Sum256([]byte("artifact-" + corr)),
		SubmissionHash:     sha256.Sum256([]byte("submission-" + corr)),
		Factors:            map[riskmodel.Factor]decimal.Decimal{riskmodel.SupplyChain: decimal.RequireFromString("42.5")},
		ClassRule:          "business-criticality-high",
		CreatedAt:          epoch, UpdatedAt: epoch,
	}
	payload, err := r.DecisionPayload()
	require.NoError(t, err)
	r.Attestation, err = svc.Seal(payload)
	require.NoError(t, err)
	return r
}

// boolean is the SQL literal of v in b's dialect.
func boolean(b Backend, v bool) string {
	switch {
	case b.Dialect == sqlstore.PostgreSQL && v:
		return "TRUE"
	case b.Dialect == sqlstore.PostgreSQL:
		return "FALSE"
	case v:
		return "1"
	}
	return "0"
}

// A submission stays as it was submitted and every request is kept; the
// progress columns hold their shapes (a status of the workflow's, approvals
// a JSON array, a rejection and an exception JSON objects or NULL).
func guardRequests(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	svc := devService(t, "alice", "bob")
	keys := svc.Keys()
	r, err := s.CreateRequest(ctx, cabRequest(t, svc, "chg-1"))
	require.NoError(t, err)
	require.NoError(t, r.Verify(keys), "the request as stored is what was signed")
	where := ` WHERE id = '` + r.ID.String() + `'`
	const immutable = "a submission is immutable"
	var stmts []guarded
	for _, set := range []string{
		`correlation_id = 'chg-2'`, `evidence_id = '` + uuid.NewString() + `'`,
		`deployment_intent_id = '` + uuid.NewString() + `'`, `application = 'Zoom'`,
		`artifact_digest = '` + fmt.Sprintf("%064x", 1) + `'`, `submitter = 'mallory'`,
		`submission_hash = '` + fmt.Sprintf("%064x", 2) + `'`, `outcome = 'auto_approved'`,
		`reason_code = 'SCORE_WITHIN_THRESHOLD'`, `score = '1'`, `class = 'NON_CRITICAL'`, `threshold = '50'`,
		`exception_threshold = '99'`, `model_version = '9.9'`, `quorum = 1`, `created_at = '2020-01-01T00:00:00.000000Z'`,
		// What the decision was made from, and its signed statement.
		`factors = '{"supply_chain":"0"}'`, `factors = NULL`, `score_supplied = ` + boolean(b, true),
		`declared_class = 'NON_CRITICAL'`, `class_rule = 'declared'`, `model_hash = '` + fmt.Sprintf("%064x", 3) + `'`,
		`attestation = NULL`, `attestation = '{"payloadType":"x","payload":"","signatures":[]}'`,
	} {
		stmts = append(stmts, refused(`UPDATE cab_requests SET `+set+where, immutable))
	}
	// The JSON checks: a malformed document fails the function the check
	// calls, with its own message.
	notJSON := []string{checkFailed, "malformed json", "invalid input syntax for type json"}
	stmts = append(stmts,
		refused(`UPDATE cab_requests SET status = 'maybe'`+where, checkFailed),
		refused(`UPDATE cab_requests SET approvals = '{}'`+where, checkFailed),
		refused(`UPDATE cab_requests SET approvals = 'not json'`+where, notJSON...),
		refused(`UPDATE cab_requests SET rejection = '[]'`+where, checkFailed),
		refused(`UPDATE cab_requests SET exception = '1'`+where, checkFailed),
		refused(`DELETE FROM cab_requests`+where, "requests are never deleted"),
		// What may change, may.
		allowed(`UPDATE cab_requests SET status = 'approved', approvals = '[]', rejection = NULL, exception = NULL`+where),
	)
	switch b.Dialect {
	case sqlstore.SQLite:
		// REPLACE: see guardRecords.
		stmts = append(stmts, ignored(`REPLACE INTO cab_requests SELECT id, correlation_id, evidence_id, deployment_intent_id,
			'Zoom', artifact_digest, submitter, submission_hash, outcome, reason_code, score, class, threshold,
			exception_threshold, model_version, quorum, status, approvals, rejection, exception, created_at, updated_at,
			factors, score_supplied, declared_class, class_rule, model_hash, attestation
			FROM cab_requests`+where, immutable),
			ignored(`REPLACE INTO cab_requests SELECT id, correlation_id, evidence_id, deployment_intent_id,
			application, artifact_digest, submitter, submission_hash, outcome, reason_code, score, class, threshold,
			exception_threshold, model_version, quorum, status, approvals, rejection, exception, created_at, updated_at,
			NULL, 0, '', '', model_hash, NULL FROM cab_requests`+where, immutable))
	case sqlstore.PostgreSQL:
		stmts = append(stmts, refused(`TRUNCATE cab_requests`, "is not allowed"))
	}
	b.run(t, raw, stmts)

	got, err := s.Request(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, cab.StatusApproved, got.Status)
	assert.Equal(t, r.Decision.Score.String(), got.Decision.Score.String())
	assert.Equal(t, r.Submitter, got.Submitter)
	assert.Equal(t, r.CreatedAt, got.CreatedAt)
	assert.Equal(t, r.Factors, got.Factors)
	assert.Equal(t, r.Attestation, got.Attestation, "the decision's statement as signed")
	assert.Equal(t, r.Decision.ModelHash, got.Decision.ModelHash)
}

// An evaluation gathers its progression approvals until it is decided, and
// none change after: the state of the level it entered names them.
func guardSigned(t *testing.T, b Backend) {
	ctx := t.Context()
	s, raw := newStore(t, b)
	svc := devService(t, "alice", "bob")
	keys := svc.Keys()
	require.NoError(t, store.Seed(ctx, s, svc, epoch))
	ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Progression, Level: maturity.Baseline, Target: maturity.CautiousLevel,
		PeriodFrom: epoch.Add(-4 * maturity.Week), PeriodTo: epoch, Deployments: 400, Incidents: 1, P2: 1,
		IncidentRate: decimal.RequireFromString("0.0025"), Ready: true, Reason: "every criterion passed", CreatedAt: epoch,
		Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Actual: decimal.Zero, Passed: true}}}
	require.NoError(t, s.CreateEvaluation(ctx, ev))
	for _, m := range []string{"alice", "bob"} {
		stored, err := s.Evaluation(ctx, ev.ID)
		require.NoError(t, err)
		payload, err := stored.ApprovalPayload(m)
		require.NoError(t, err)
		env, err := svc.Seal(payload)
		require.NoError(t, err)
		_, err = s.AddEvaluationApproval(ctx, ev.ID, maturity.Approval{By: m, Envelope: env})
		require.NoError(t, err)
	}
	where := ` WHERE id = '` + ev.ID.String() + `'`
	const final = "a decision is final"
	b.run(t, raw, []guarded{
		allowed(`UPDATE maturity_evaluations SET approvals = approvals` + where),
		// Before the decision, approvals are appended, never removed.
		refused(`UPDATE maturity_evaluations SET approvals = '[]'`+where, "approvals are appended"),
		refused(`UPDATE maturity_evaluations SET approvals = replace(approvals, '"alice"', '"mallo"')`+where, "approvals are appended"),
	})

	stored, err := s.Evaluation(ctx, ev.ID)
	require.NoError(t, err)
	require.Len(t, stored.Approvals, 2)
	state, err := s.MaturityState(ctx)
	require.NoError(t, err)
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	tr, err := maturity.Progress(maturity.Levels(), stored, state, active, "bob", epoch)
	require.NoError(t, err)
	tr.State.Approvals = stored.Approvals
	require.NoError(t, tr.Sign(svc))
	require.NoError(t, s.ApplyTransition(ctx, tr))

	stmts := []guarded{
		refused(`UPDATE maturity_evaluations SET approvals = '[]'`+where, final),
		refused(`UPDATE maturity_evaluations SET approvals = '[{"by":"mallory"}]'`+where, final),
		refused(`UPDATE maturity_state SET approvals = '[]'`, "one step at a time"),
	}
	switch b.Dialect {
	case sqlstore.SQLite:
		stmts = append(stmts, ignored(`REPLACE INTO maturity_evaluations SELECT id, kind, level, target, period_from, period_to,
			deployments, incidents, p1, p2, incident_rate, ready, reason, created_at, approved, decided_by, decided_at,
			decision_model_version, '[]' FROM maturity_evaluations`+where, "immutable except for its decision", final))
	case sqlstore.PostgreSQL:
		stmts = append(stmts, refused(`TRUNCATE maturity_evaluations CASCADE`, "is not allowed"))
	}
	b.run(t, raw, stmts)

	got, err := s.Evaluation(ctx, ev.ID)
	require.NoError(t, err)
	assert.Equal(t, stored.Approvals, got.Approvals, "the approvals the decision was made on")
	assert.True(t, got.Decided())
	st, err := s.MaturityState(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.CautiousLevel, st.Level)
	require.NoError(t, maturity.VerifyState(&st, keys, len(maturity.Levels())), "the state as signed, with the approvals it names")
}
