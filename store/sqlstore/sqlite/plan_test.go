package sqlite

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	sqldriver "database/sql/driver"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/google/uuid"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLitePlansUseTheirIndexes guards the query plans the performance
// budget rests on (see the benchmarks): it runs the store's operations on
// a database opened as Open opens it, through pools that record every
// statement with its arguments, and asks SQLite for the plan of each
// statement the store actually issued, with those arguments. Every plan
// must read the big tables (the audit log, evidence, outcomes, requests)
// through an index, never scanning one whole and never sorting; a scan in
// an index's order is allowed only when the statement stops at its LIMIT
// (the newest incidents, the audit head). And each operation the budget
// names must seek the index meant for it.
func TestSQLitePlansUseTheirIndexes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "plan.db")
	rec := &recorder{}
	db, err := open(ctx, path, sqlstore.Options{}, rec.open)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s, err := store.New(db, store.Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "alice", "bob"))
	require.NoError(t, err)
	w, err := cab.NewWorkflow(s, cab.Options{Service: svc, Now: func() time.Time { return now }})
	require.NoError(t, err)
	explain, err := sqlite3driver.Open(DSN(path, false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = explain.Close() })

	var (
		ev         security.Evidence
		req        cab.Request
		reqs       []cab.Request
		deps       []incident.Deployment
		attached   incident.Incident
		page       incident.Page
		checkpoint []byte
		evaluated  = maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.Baseline,
			Target: maturity.Baseline, IncidentRate: decimal.Zero,
			Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Actual: decimal.Zero, Passed: true}}}
		p1  = incident.P1
		nc  = blastradius.NonCritical
		no  = uuid.Nil
		yes = true
	)
	from, to := now.Add(-4*maturity.Week), now
	steps := []struct {
		name string
		do   func() error
		// want lists plan lines that the plans of the step's statements
		// must hold, each in one of them.
		want []string
	}{
		{"seed", func() error { return store.Seed(ctx, s, svc, now.Add(-8*maturity.Week)) }, nil},
		{"create evidence", func() (err error) {
			sum := sha256.Sum256([]byte("artifact"))
			ev, err = security.NewEvidence(uuid.New(), "build-1", fmt.Appendf(nil,
				`{"artifacts":[{"name":"a.msi","sha256":%q}]}`, hex.EncodeToString(sum[:])), now)
			if err == nil {
				err = ev.Attest(svc, dsse.Envelope{})
			}
			if err == nil {
				ev, err = s.CreateEvidence(ctx, ev, "ci")
			}
			return err
		}, nil},
		{"evidence by id", func() error { _, err := s.EvidenceByID(ctx, ev.ID); return err },
			[]string{"SEARCH evidence_packages USING INDEX sqlite_autoindex_evidence_packages_1 (id=?)"}},
		{"evidence by correlation id", func() error { _, err := s.EvidenceByCorrelationID(ctx, "build-1"); return err },
			[]string{"SEARCH evidence_packages USING INDEX sqlite_autoindex_evidence_packages_2 (correlation_id=?)"}},
		{"submit", func() error {
			factors := map[riskmodel.Factor]decimal.Decimal{}
			for f := range riskmodel.DefaultWeights() {
				factors[f] = decimal.NewFromInt(30)
			}
			facts := blastradius.Input{AppName: "SAP GUI", TargetUsers: 2500, Criticality: blastradius.CriticalityHigh}
			intents := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
			for i := range 4 { // three new, and the first again: a repeat finds the stored one by correlation id
				r, err := w.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: intents[i%3],
					CorrelationID: fmt.Sprintf("chg-%d", i%3), Application: "SAP GUI", Classify: &facts, Factors: factors,
					Class: blastradius.BusinessCritical, Submitter: "sam"})
				if err != nil {
					return err
				}
				if i < 3 {
					req = r
				}
			}
			return nil
		}, []string{
			"SEARCH cab_requests USING INDEX sqlite_autoindex_cab_requests_2 (correlation_id=?)",
			"SEARCH risk_model_versions USING INDEX risk_model_versions_one_active (active=?)",
		}},
		{"approve", func() error { _, err := w.Approve(ctx, req.ID, "alice", "ok"); return err }, []string{
			"SEARCH cab_requests USING INDEX sqlite_autoindex_cab_requests_1 (id=?)",
		}},
		{"list requests", func() (err error) {
			reqs, err = s.ListRequests(ctx, cab.RequestFilter{From: from, To: to.Add(time.Hour), Limit: 2})
			return err
		}, []string{"SEARCH cab_requests USING INDEX cab_requests_by_creation (created_at>? AND created_at<?)"}},
		{"list requests after a cursor", func() error {
			_, err := s.ListRequests(ctx, cab.RequestFilter{From: from, To: to.Add(time.Hour), Limit: 2, After: reqs[1].ID})
			return err
			// The range starts at the cursor's creation time (the row value
			// then skips its ties), so a late page seeks as the first does.
		}, []string{"SEARCH cab_requests USING INDEX cab_requests_by_creation (created_at>? AND created_at<?)"}},
		{"record deployments", func() error {
			for i := range 6 {
				d, err := s.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: []string{"Zoom", "Slack"}[i%2],
					Class: blastradius.ProductivityTools, AutoApproved: i%3 == 0, RiskScore: decimal.NewFromInt(int64(10 * i)),
					ModelVersion: riskmodel.SeedVersion, FinishedAt: now.Add(-time.Duration(6-i) * time.Hour)})
				if err != nil {
					return err
				}
				deps = append(deps, d)
			}
			return nil
		}, []string{"SEARCH deployments USING INDEX sqlite_autoindex_deployments_1 (id=?)"}},
		{"report an incident with its deployment", func() (err error) {
			attached, err = s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-1", Severity: incident.P1,
				OccurredAt: now.Add(-time.Hour), DeploymentID: deps[0].ID})
			return err
		}, []string{"SEARCH incidents USING INDEX sqlite_autoindex_incidents_2 (correlation_id=?)"}},
		{"attribute an incident", func() error {
			for i, sev := range []incident.Severity{incident.P2, incident.P3, incident.P4, incident.P3} {
				_, err := s.CreateIncident(ctx, incident.Incident{CorrelationID: fmt.Sprintf("inc-a%d", i), Severity: sev,
					OccurredAt: now.Add(-time.Duration(i+1) * time.Minute), Application: []string{"Zoom", "Slack", "Teams"}[i%3]})
				if err != nil {
					return err
				}
			}
			return nil
		}, []string{"SEARCH deployments USING INDEX deployments_by_application (application=? AND finished_at<?)"}},
		{"update an incident", func() error {
			_, err := s.UpdateIncident(ctx, attached.ID, incident.Update{RootCause: ptr("dns")})
			return err
		}, []string{"SEARCH incidents USING INDEX sqlite_autoindex_incidents_1 (id=?)"}},
		{"list incidents", func() (err error) {
			page, err = s.ListIncidents(ctx, incident.Filter{Limit: 2})
			return err
		}, []string{"SCAN incidents USING INDEX incidents_by_occurrence"}},
		{"list incidents after a cursor", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{Limit: 2, After: page.Next})
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_occurrence ((occurred_at,id)<(?,?))"}},
		{"list incidents of a severity", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{Severity: &p1})
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_severity (severity=?)"}},
		{"list incidents of a deployment", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{DeploymentID: &deps[0].ID})
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_deployment (deployment_id=?)"}},
		{"list unattributed incidents", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{DeploymentID: &no})
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_deployment (deployment_id=?)"}},
		{"list incidents in a period", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{From: &from, To: &to})
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_occurrence (occurred_at>? AND occurred_at<?)"}},
		// No index serves these filters alone: the newest-first walk stops
		// once the page is full.
		{"list incidents of a class", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{Class: &nc})
			return err
		}, []string{"SCAN incidents USING INDEX incidents_by_occurrence"}},
		{"list auto-approved incidents", func() error {
			_, err := s.ListIncidents(ctx, incident.Filter{AutoApproved: &yes})
			return err
		}, []string{"SCAN incidents USING INDEX incidents_by_occurrence"}},
		{"latest incident", func() error {
			_, err := s.LatestIncidentAt(ctx, []incident.Severity{incident.P1, incident.P2}, now)
			return err
		}, []string{"SEARCH incidents USING INDEX incidents_by_severity (severity=? AND occurred_at<?)"}},
		{"earliest deployment", func() error { _, err := s.EarliestDeploymentAt(ctx); return err },
			[]string{"SCAN deployments USING INDEX deployments_by_finish"}},
		// The calibration buckets: the whole days, an end day's bucket,
		// the rows of the end days' parts, the auto-approved deployments
		// with incidents.
		{"incident counts", func() error { _, err := s.IncidentCounts(ctx, from, to); return err }, []string{
			"SEARCH calibration_days USING INDEX sqlite_autoindex_calibration_days_1 (day>? AND day<?)",
			"SEARCH calibration_days USING INDEX sqlite_autoindex_calibration_days_1 (day=?)",
			"SEARCH deployments USING INDEX deployments_by_finish (finished_at>? AND finished_at<?)",
			"SEARCH incidents USING INDEX incidents_by_occurrence (occurred_at>? AND occurred_at<?)",
			"SEARCH calibration_auto_approved USING INDEX calibration_auto_approved_by_finish (local=? AND finished_at>? AND finished_at<?)",
		}},
		// The maturity engine's recount of the records: one statement
		// over covering indexes.
		{"recount incidents", func() error { _, err := s.RecountIncidents(ctx, from, to); return err }, []string{
			"SEARCH d USING COVERING INDEX deployments_by_class_band (class=? AND risk_band=? AND finished_at>? AND finished_at<?)",
			"SEARCH i USING COVERING INDEX incidents_by_occurrence (occurred_at>? AND occurred_at<?)",
			"SEARCH d USING INDEX sqlite_autoindex_deployments_1 (id=?) LEFT-JOIN",
		}},
		{"append to the audit log", func() error {
			_, err := s.AppendAudit(ctx, security.EventInput{Type: "test.event", Actor: "tester"})
			return err
		}, []string{"SCAN audit_events"}}, // the rowid, newest first, LIMIT 1: the head
		{"list audit events", func() error { _, err := s.ListAuditEvents(ctx, 2, 3); return err },
			[]string{"SEARCH audit_events USING INTEGER PRIMARY KEY (rowid>?)"}},
		// A subject's events: a seek of its index, never the log before them.
		{"list a subject's events", func() error {
			_, err := s.ListSubjectEvents(ctx, "cab-request:"+req.ID.String(), 1, 3)
			return err
		}, []string{"SEARCH audit_events USING INDEX audit_events_by_subject (subject=? AND seq>?)"}},
		{"latest event of a subject", func() error { _, err := s.LatestEvent(ctx, "cab-request:"+req.ID.String()); return err },
			[]string{"SEARCH audit_events USING INDEX audit_events_by_subject (subject=?)"}},
		{"save a checkpoint", func() error {
			head, root, err := s.VerifyLog(ctx, security.VerifyOptions{})
			if err != nil {
				return err
			}
			signer, err := auditlog.NewSigner("trustgate.test/audit", ed25519.NewKeyFromSeed(make([]byte, 32)))
			if err != nil {
				return err
			}
			if checkpoint, err = auditlog.Sign(auditlog.Checkpoint{Origin: signer.Name(), Size: head.Size, Hash: root}, signer); err != nil {
				return err
			}
			return s.SaveCheckpoint(ctx, checkpoint)
		}, []string{"SEARCH audit_notes USING COVERING INDEX sqlite_autoindex_audit_notes_1 (size=? AND digest=?)"}},
		{"latest checkpoint", func() error { _, err := s.LatestCheckpoint(ctx); return err },
			[]string{"SCAN audit_notes USING INDEX audit_notes_latest"}},
		{"prove an event", func() error { _, err := s.ProveEvent(ctx, 2, checkpoint); return err },
			[]string{"SEARCH audit_tree USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH audit_events USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"create an evaluation", func() error { return s.CreateEvaluation(ctx, evaluated) }, nil}, // inserts only
		{"list evaluations", func() error { _, err := s.ListEvaluations(ctx, 10); return err }, []string{
			"SCAN maturity_evaluations USING INDEX maturity_evaluations_newest",
			"SEARCH evaluation_criteria USING INDEX sqlite_autoindex_evaluation_criteria_1 (evaluation_id=?)",
		}},
		{"maturity state", func() error { _, err := s.MaturityState(ctx); return err }, nil},
		{"list risk models", func() error { _, err := s.ListRiskModels(ctx); return err }, nil},
	}
	for _, step := range steps {
		rec.reset()
		require.NoError(t, step.do(), step.name)
		stmts := rec.take()
		require.NotEmpty(t, stmts, "%s: no statement recorded", step.name)
		var plans []string
		for _, st := range stmts {
			plan := planOf(t, explain, st)
			if plan == nil {
				continue // an INSERT of values, a BEGIN: nothing is read
			}
			plans = append(plans, plan...)
			checkPlan(t, step.name, st, plan)
		}
		if testing.Verbose() {
			t.Logf("%s:\n\t%s", step.name, strings.Join(plans, "\n\t"))
		}
		for _, want := range step.want {
			assert.Contains(t, plans, want, "%s: no plan seeks %q; its plans:\n%s", step.name, want, strings.Join(plans, "\n"))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// smallTables are those whose size the store bounds by a handful of rows
// (the risk models, the classes, the one maturity state): scanning one is
// reading it.
var smallTables = []string{"risk_model_versions", "risk_model_thresholds", "risk_model_weights", "class_definitions",
	"maturity_state", "schema_migrations"}

// rowidTables are the big tables whose primary key is the rowid: a scan
// of one is a walk in key order, as a scan of an index is.
var rowidTables = []string{"audit_events", "audit_tree"}

// checkPlan applies the rules every statement's plan must follow: no sort
// for an ORDER BY; a big table read by seeking an index, or walked in the
// order of an index (or of its rowid) only by a statement that stops at
// its LIMIT.
func checkPlan(t *testing.T, step string, st statement, plan []string) {
	t.Helper()
	limited := strings.Contains(st.query, " LIMIT ")
	for _, line := range plan {
		if strings.Contains(line, "TEMP B-TREE") && strings.Contains(line, "ORDER BY") {
			t.Errorf("%s: the plan sorts (%s):\n%s\n%s", step, line, st.query, strings.Join(plan, "\n"))
		}
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "SCAN" || isCTE(f[1]) || slices.Contains(smallTables, f[1]) {
			continue
		}
		switch target := f[1]; {
		case !strings.Contains(line, " INDEX ") && !slices.Contains(rowidTables, target):
			t.Errorf("%s: the plan scans %s whole (%s):\n%s", step, target, line, st.query)
		case !limited:
			t.Errorf("%s: the plan walks all of %s, with no LIMIT to stop it (%s):\n%s", step, target, line, st.query)
		}
	}
}

// isCTE reports whether a scan's target is one of the recount
// statement's common table expressions or their VALUES ("SCAN 4 CONSTANT
// ROWS"), which it builds, not reads.
func isCTE(target string) bool {
	if _, err := strconv.Atoi(target); err == nil {
		return true
	}
	return slices.Contains([]string{"c", "b", "classes", "bands", "period"}, target)
}

// planOf returns SQLite's plan of st, run with its arguments, one line per
// step, or nil for a statement without one.
func planOf(t *testing.T, db *sql.DB, st statement) []string {
	t.Helper()
	q := strings.TrimSpace(st.query)
	if verb, _, _ := strings.Cut(q, " "); !slices.Contains([]string{"SELECT", "WITH", "UPDATE", "DELETE"}, strings.ToUpper(verb)) {
		return nil
	}
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, st.args...)
	require.NoError(t, err, q)
	defer func() { _ = rows.Close() }()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return plan
}

// statement is one statement a pool ran, with its arguments.
type statement struct {
	query string
	args  []any
}

// recorder opens pools whose connections record every statement they
// run, with its arguments, as the database receives them.
type recorder struct {
	mu    sync.Mutex
	stmts []statement
}

func (r *recorder) add(query string, args []sqldriver.NamedValue) {
	st := statement{query: query}
	for _, a := range args {
		st.args = append(st.args, a.Value)
	}
	r.mu.Lock()
	r.stmts = append(r.stmts, st)
	r.mu.Unlock()
}

func (r *recorder) reset() { r.take() }

func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts = nil
	return out
}

// open opens a pool on dsn, as Open does, whose connections record.
func (r *recorder) open(dsn string) (*sql.DB, error) {
	c, err := (&sqlite3driver.SQLite{}).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(recConnector{Connector: c, r: r}), nil
}

type recConnector struct {
	sqldriver.Connector
	r *recorder
}

func (c recConnector) Connect(ctx context.Context) (sqldriver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recConn{Conn: conn, r: c.r}, nil
}

// recConn forwards to ncruces' connection the interfaces database/sql
// uses of it, recording each statement.
type recConn struct {
	sqldriver.Conn
	r *recorder
}

func (c *recConn) BeginTx(ctx context.Context, opts sqldriver.TxOptions) (sqldriver.Tx, error) {
	return c.Conn.(sqldriver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *recConn) PrepareContext(ctx context.Context, query string) (sqldriver.Stmt, error) {
	s, err := c.Conn.(sqldriver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &recStmt{Stmt: s, query: query, r: c.r}, nil
}

func (c *recConn) ExecContext(ctx context.Context, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	res, err := c.Conn.(sqldriver.ExecerContext).ExecContext(ctx, query, args)
	if err != sqldriver.ErrSkip { // with arguments, database/sql prepares the statement instead
		c.r.add(query, args)
	}
	return res, err
}

func (c *recConn) CheckNamedValue(v *sqldriver.NamedValue) error {
	return c.Conn.(sqldriver.NamedValueChecker).CheckNamedValue(v)
}

type recStmt struct {
	sqldriver.Stmt
	query string
	r     *recorder
}

func (s *recStmt) ExecContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	s.r.add(s.query, args)
	return s.Stmt.(sqldriver.StmtExecContext).ExecContext(ctx, args)
}

func (s *recStmt) QueryContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	s.r.add(s.query, args)
	return s.Stmt.(sqldriver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *recStmt) CheckNamedValue(v *sqldriver.NamedValue) error {
	return s.Stmt.(sqldriver.NamedValueChecker).CheckNamedValue(v)
}
