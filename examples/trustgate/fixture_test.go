package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/keyring"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// testOrigin names the test log in its checkpoints.
const testOrigin = "test.trustgate.example/audit"

// fixture is a trustgate database made the way an installation makes
// one, through the library, and the files an operator holds: the service
// key and its public half, the keyring, the log's verifier key and a
// checkpoint published to a file.
type fixture struct {
	dir         string
	db          string // the SQLite file; empty on PostgreSQL
	dsn         string // the PostgreSQL DSN; empty on SQLite
	serviceKey  string // service.pem
	servicePub  string // service.pub.pem
	keyring     string // keyring.json
	verifier    string // log.vkey
	checkpoint  string // cp.txt: the checkpoint signed after the walk
	trust       auditlog.Trust
	svc         *attest.Service
	requests    []cab.Request // the submitted requests, as they ended
	evidence    []security.Evidence
	validations []int64   // the audit events of the validations
	rawDB       *sql.DB   // the attacker's connection, once opened
	now         time.Time // the fixture's clock when it was made
}

// dbArgs are the flags that name the fixture's database.
func (fx *fixture) dbArgs() []string {
	if fx.dsn != "" {
		return []string{"-postgres", fx.dsn}
	}
	return []string{"-db", fx.db}
}

// newSQLiteFixture makes the fixture on a new SQLite file.
func newSQLiteFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{dir: t.TempDir()}
	fx.db = filepath.Join(fx.dir, "trustgate.db")
	d, err := sqlite.Open(t.Context(), fx.db, sqlstore.Options{})
	require.NoError(t, err)
	fx.build(t, d)
	require.NoError(t, d.Close())
	return fx
}

// build writes the key files and walks a few deployments through the
// store on d.
func (fx *fixture) build(t *testing.T, d driver.Driver) {
	t.Helper()
	ctx := t.Context()
	serviceKey, err := pemkey.GenerateEd25519()
	require.NoError(t, err)
	fx.serviceKey = filepath.Join(fx.dir, "service.pem")
	require.NoError(t, pemkey.WritePrivateKey(fx.serviceKey, serviceKey))
	pub, err := pemkey.MarshalPublicKey(serviceKey.Public())
	require.NoError(t, err)
	fx.servicePub = filepath.Join(fx.dir, "service.pub.pem")
	require.NoError(t, os.WriteFile(fx.servicePub, pub, 0o644))

	members := map[string]*dsse.Signer{}
	cfg := attest.Config{Service: serviceKey.Public(), Mode: attest.MemberSigned, Members: map[string][]crypto.PublicKey{}}
	for _, m := range []string{"alice", "bob", "carol"} {
		k, err := pemkey.GenerateEd25519()
		require.NoError(t, err)
		require.NoError(t, pemkey.WritePrivateKey(filepath.Join(fx.dir, m+".pem"), k))
		if members[m], err = dsse.NewSigner(k); err != nil {
			t.Fatal(err)
		}
		cfg.Members[m] = []crypto.PublicKey{k.Public()}
	}
	kb, err := keyring.Marshal(cfg)
	require.NoError(t, err)
	fx.keyring = filepath.Join(fx.dir, "keyring.json")
	require.NoError(t, os.WriteFile(fx.keyring, kb, 0o644))
	keys, err := attest.NewKeyring(cfg)
	require.NoError(t, err)
	fx.svc, err = attest.NewService(serviceKey, keys)
	require.NoError(t, err)
	logSigner, err := auditlog.NewSigner(testOrigin, serviceKey)
	require.NoError(t, err)
	fx.verifier = filepath.Join(fx.dir, "log.vkey")
	require.NoError(t, os.WriteFile(fx.verifier, []byte(logSigner.VerifierKey()+"\n"), 0o644))
	fx.trust = auditlog.Trust{Origin: testOrigin, Log: logSigner.Verifier()}

	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fx.checkpoint = filepath.Join(fx.dir, "cp.txt")
	s, err := store.New(d, store.Options{Now: clock, Service: fx.svc,
		Log: store.LogOptions{Signer: logSigner, Publisher: auditlog.FilePublisher(fx.checkpoint)}})
	require.NoError(t, err)
	require.NoError(t, store.Seed(ctx, s, fx.svc, now))
	wf, err := cab.NewWorkflow(s, cab.Options{Service: fx.svc, Now: clock})
	require.NoError(t, err)
	validator, err := security.NewValidator(s, security.Options{Keys: keys})
	require.NoError(t, err)

	for i, app := range []string{"Notepad++ 8.6", "Zoom Workplace 6.3", "7-Zip 24.08"} {
		artifact := []byte(strings.Repeat("MZ "+app+" ", 500))
		sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5"}`)
		data := fmt.Sprintf(`{"artifacts":[{"name":%q,"sha256":%q}],"sbom":{"format":"cyclonedx","sha256":%q},"blast_radius_class":"PRODUCTIVITY_TOOLS"}`,
			app+".msi", sha(artifact), sha(sbom))
		ev, err := security.NewEvidence(uuid.New(), fmt.Sprintf("build-%d", i+1), []byte(data), now)
		require.NoError(t, err)
		require.NoError(t, ev.Attest(fx.svc, dsse.Envelope{}))
		ev, err = s.CreateEvidence(ctx, ev, "packaging-pipeline")
		require.NoError(t, err)
		fx.evidence = append(fx.evidence, ev)
		factors := map[riskmodel.Factor]decimal.Decimal{}
		for f := range riskmodel.DefaultWeights() {
			factors[f] = decimal.NewFromInt(int64(10 + i))
		}
		in := blastradius.Input{AppName: app, Publisher: "Example", TargetUsers: 200}
		req, err := wf.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: fmt.Sprintf("chg-%d", i+1),
			Application: app, Classify: &in, Factors: factors, Submitter: "sam"})
		require.NoError(t, err)
		for _, m := range []string{"alice", "bob", "carol"} {
			if req.Status != cab.StatusPendingReview {
				break
			}
			payload, err := req.ApprovalPayload(cab.KindApproval, m, "tested on the pilot ring")
			require.NoError(t, err)
			env, err := dsse.Seal(attest.PayloadType, payload, members[m])
			require.NoError(t, err)
			req, err = wf.ApproveSigned(ctx, req.ID, env)
			require.NoError(t, err)
			now = now.Add(10 * time.Minute)
		}
		presented := artifact
		if i == 2 { // the last build's bytes were swapped after its evidence was made
			presented = append([]byte("INJECTED"), artifact...)
		}
		rep, err := validator.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader(presented),
			SBOM: bytes.NewReader(sbom), Actor: "intune-connector", CorrelationID: req.CorrelationID})
		fx.validations = append(fx.validations, rep.AuditSeq)
		if i == 2 {
			var blocked *security.ValidationError
			require.ErrorAs(t, err, &blocked)
		} else {
			require.NoError(t, err)
			if _, err := wf.Authorize(ctx, req.ID, rep.ArtifactDigest); err != nil {
				t.Fatalf("authorising %s: %v", app, err)
			}
			if _, err := wf.RecordDeployment(ctx, req.ID, rep.ArtifactDigest, now); err != nil {
				t.Fatalf("recording the deployment of %s: %v", app, err)
			}
		}
		if req, err = s.Request(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		fx.requests = append(fx.requests, req)
		now = now.Add(time.Hour)
	}
	// The first deployment goes wrong: an incident, linked to it by its
	// application.
	_, err = s.CreateIncident(ctx, incident.Incident{CorrelationID: "INC-1", Severity: incident.P3, OccurredAt: now.Add(-time.Hour),
		Application: "Notepad++ 8.6", AffectedUsers: 12})
	require.NoError(t, err)
	fx.now = now
	_, err = s.SignCheckpoint(ctx)
	require.NoError(t, err)
}

func sha(b []byte) string { d := sha256.Sum256(b); return hex.EncodeToString(d[:]) }

// raw opens the fixture's SQLite file as an attacker with write access to
// it would: a connection of its own, outside the store, with the triggers
// that keep the log and the evidence append-only dropped.
func (fx *fixture) raw(t *testing.T) *sql.DB {
	t.Helper()
	if fx.rawDB != nil {
		return fx.rawDB
	}
	db, err := sql.Open("sqlite3", sqlite.DSN(fx.db, true))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'trigger'`)
	require.NoError(t, err)
	var triggers []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		triggers = append(triggers, name)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NotEmpty(t, triggers)
	for _, trigger := range triggers {
		_, err := db.ExecContext(context.Background(), "DROP TRIGGER "+trigger)
		require.NoError(t, err)
	}
	fx.rawDB = db
	return db
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// tg runs the command with args.
func tg(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(""), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// with returns args after the fixture's database flags.
func (fx *fixture) with(cmd string, args ...string) []string {
	return append(append([]string{cmd}, fx.dbArgs()...), args...)
}

// grow appends n events to the fixture's log, through the store, as a
// running installation would.
func (fx *fixture) grow(t *testing.T, n int) {
	t.Helper()
	d, err := sqlite.Open(t.Context(), fx.db, sqlstore.Options{})
	require.NoError(t, err)
	defer func() { _ = d.Close() }()
	s, err := store.New(d, store.Options{})
	require.NoError(t, err)
	for i := range n {
		_, err := s.AppendAudit(t.Context(), security.EventInput{Type: "test.note", Actor: "operator", Subject: fmt.Sprintf("note:%d", i)})
		require.NoError(t, err)
	}
}

// head is the size of the fixture's log.
func (fx *fixture) head(t *testing.T) int64 {
	t.Helper()
	var n int64
	require.NoError(t, fx.raw(t).QueryRowContext(t.Context(), `SELECT count(*) FROM audit_events`).Scan(&n))
	return n
}

func parseRFC3339(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return at
}

// revalidate validates the i-th build again, after the fixture's
// checkpoint, and returns the audit event that recorded it.
func (fx *fixture) revalidate(t *testing.T, i int) int64 {
	t.Helper()
	d, err := sqlite.Open(t.Context(), fx.db, sqlstore.Options{})
	require.NoError(t, err)
	defer func() { _ = d.Close() }()
	s, err := store.New(d, store.Options{Service: fx.svc})
	require.NoError(t, err)
	v, err := security.NewValidator(s, security.Options{Keys: fx.svc.Keys()})
	require.NoError(t, err)
	ev := fx.evidence[i]
	app := []string{"Notepad++ 8.6", "Zoom Workplace 6.3", "7-Zip 24.08"}[i]
	rep, err := v.ValidateDeployment(t.Context(), security.Request{EvidenceID: ev.ID,
		Artifact: bytes.NewReader([]byte(strings.Repeat("MZ "+app+" ", 500))),
		SBOM:     bytes.NewReader([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5"}`)), Actor: "intune-connector"})
	require.NoError(t, err)
	return rep.AuditSeq
}
