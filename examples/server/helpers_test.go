package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// The test principals' tokens.
const (
	tokSubmitter = "tok-alice-submitter"
	tokCAB       = "tok-carol-cab"
	tokCAB2      = "tok-dave-cab"
	tokReporter  = "tok-ivan-reporter"
	tokAdmin     = "tok-root-admin"
	tokUnknown   = "tok-mallory"
)

// testMembers is the CAB of the test keyring: the test principals with
// role cab or admin, each with a development key (testkeys.MemberKey).
var testMembers = []string{"carol", "dave", "root"}

// testService is the development service over a keyring of testMembers
// in mode.
func testService(tb testing.TB, mode attest.Mode) *attest.Service {
	tb.Helper()
	svc, err := testkeys.Service(testkeys.Config(mode, testMembers...))
	require.NoError(tb, err)
	return svc
}

func testPrincipals() []principal {
	mk := func(name, tok string, roles ...role) principal {
		return principal{Name: name, Roles: roles, hash: sha256.Sum256([]byte(tok))}
	}
	return []principal{
		mk("alice", tokSubmitter, roleSubmitter),
		mk("carol", tokCAB, roleCAB),
		mk("dave", tokCAB2, roleCAB),
		mk("ivan", tokReporter, roleIncidentReporter),
		mk("root", tokAdmin, roleAdmin),
	}
}

// testClock is a settable clock shared by the store, the workflow and the
// engine.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testStore is a store over memory that a test can make misbehave: return
// tampered evidence, or fail with an internal error.
type testStore struct {
	*store.Store
	mu       sync.Mutex
	tampered map[uuid.UUID]bool
	failing  error
	blocking bool
}

func (s *testStore) tamper(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tampered[id] = true
}

func (s *testStore) block() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocking = true
}

func (s *testStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = err
}

// EvidenceByID returns the stored package with one byte of its data
// changed when the test tampered with it, as a database edited behind the
// store's back would.
func (s *testStore) EvidenceByID(ctx context.Context, id uuid.UUID) (security.Evidence, error) {
	ev, err := s.Store.EvidenceByID(ctx, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.tampered[id] {
		ev.Data = bytes.Replace(ev.Data, []byte(`"sha256":"`), []byte(`"sha256" :"`), 1)
	}
	return ev, err
}

func (s *testStore) ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error) {
	s.mu.Lock()
	err, block := s.failing, s.blocking
	s.mu.Unlock()
	if block {
		<-ctx.Done() // a database that hangs
		return nil, fmt.Errorf("sqlstore: list classes: %w", ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	return s.Store.ListClassDefinitions(ctx)
}

// testEnv is a server over a seeded memstore with a fixed clock.
type testEnv struct {
	tb    testing.TB
	srv   *Server
	store *testStore
	clock *testClock
	logs  *syncBuffer
	svc   *attest.Service
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newTestEnv is a test environment in service-attested mode, the
// reference server's default.
func newTestEnv(tb testing.TB, configure ...func(*deps)) *testEnv {
	tb.Helper()
	return newTestEnvMode(tb, attest.ServiceAttested, configure...)
}

// newTestEnvMode is a test environment whose keyring is in mode.
func newTestEnvMode(tb testing.TB, mode attest.Mode, configure ...func(*deps)) *testEnv {
	tb.Helper()
	return newTestEnvKeys(tb, testService(tb, mode), configure...)
}

// newTestEnvKeys is a test environment signing with svc, whose keyring
// must have testMembers as its members.
func newTestEnvKeys(tb testing.TB, svc *attest.Service, configure ...func(*deps)) *testEnv {
	tb.Helper()
	clock := &testClock{t: epoch}
	ms, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: clock.Now, Service: svc})
	require.NoError(tb, err)
	require.NoError(tb, store.Seed(context.Background(), ms, svc, clock.Now()))
	ts := &testStore{Store: ms, tampered: map[uuid.UUID]bool{}}
	logs := &syncBuffer{}
	d := deps{
		Store: ts, Principals: testPrincipals(), Service: svc, Now: clock.Now,
		Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Maturity: maturity.Options{Policy: maturity.Policy{MinDeployments: 3}},
	}
	for _, f := range configure {
		f(&d)
	}
	srv, err := newServer(d)
	require.NoError(tb, err)
	return &testEnv{tb: tb, srv: srv, store: ts, clock: clock, logs: logs, svc: svc}
}

// call is one HTTP request. body is sent as is when it is a string or
// []byte and as JSON otherwise; nil sends no body.
type call struct {
	method, path, token string
	body                any
	header              map[string]string
}

// response is a recorded response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (e *testEnv) do(c call) response {
	e.tb.Helper()
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.tb, err)
		body = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// ok requires status and decodes the body into a new T.
func ok[T any](tb testing.TB, r response, status int) T {
	tb.Helper()
	require.Equal(tb, status, r.Status, "body: %s", r.Body)
	require.Equal(tb, "application/json", r.Header.Get("Content-Type"))
	var v T
	require.NoError(tb, json.Unmarshal(r.Body, &v), "body: %s", r.Body)
	return v
}

// requireProblem requires an RFC 9457 problem with status and code, and
// returns it.
func requireProblem(tb testing.TB, r response, status int, code string) problem {
	tb.Helper()
	require.Equal(tb, status, r.Status, "body: %s", r.Body)
	require.Equal(tb, "application/problem+json", r.Header.Get("Content-Type"))
	var p problem
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	require.NoError(tb, dec.Decode(&p), "body: %s", r.Body)
	require.Equal(tb, code, p.Code, "body: %s", r.Body)
	require.Equal(tb, status, p.Status)
	require.Equal(tb, problemTypeURI(code), p.Type)
	require.NotEmpty(tb, p.Title)
	require.NotEmpty(tb, p.Instance)
	require.Equal(tb, r.Header.Get(correlationHeader), p.CorrelationID)
	if status == http.StatusUnauthorized {
		require.True(tb, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer"), "WWW-Authenticate: %q", r.Header.Get("WWW-Authenticate"))
	}
	return p
}

// digestOf returns the hex SHA-256 of s: the digest a client computes of
// an artifact.
func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", sum)
}

// artifact is an artifact's name and content.
type artifact struct{ name, content string }

// evidenceBody is an evidence upload listing arts, with an SBOM digest of
// sbom unless it is empty, declaring class unless it is empty.
func evidenceBody(key, class, sbom string, arts ...artifact) map[string]any {
	list := make([]map[string]string, len(arts))
	for i, a := range arts {
		list[i] = map[string]string{"name": a.name, "sha256": digestOf(a.content)}
	}
	ev := map[string]any{"artifacts": list, "build": map[string]any{"pipeline": "ci", "run": 42}}
	if class != "" {
		ev["blast_radius_class"] = class
	}
	if sbom != "" {
		ev["sbom"] = map[string]string{"sha256": digestOf(sbom)}
	}
	body := map[string]any{"evidence": ev}
	if key != "" {
		body["correlation_id"] = key
	}
	return body
}

var zoom = artifact{"zoom-6.1.pkg", "zoom 6.1 bytes"}

const zoomSBOM = "zoom sbom"

// uploadEvidence stores evidence for zoom (with an SBOM) and returns it.
func (e *testEnv) uploadEvidence(key string, arts ...artifact) evidenceDTO {
	e.tb.Helper()
	if len(arts) == 0 {
		arts = []artifact{zoom}
	}
	r := e.do(call{method: "POST", path: "/api/v1/evidence", token: tokSubmitter,
		body: evidenceBody(key, "PRODUCTIVITY_TOOLS", zoomSBOM, arts...)})
	return ok[evidenceDTO](e.tb, r, http.StatusCreated)
}

// factorsAt returns every default risk factor at value v: the weights
// sum to 1, so the active model scores it v.
func factorsAt(v string) map[string]string {
	out := map[string]string{}
	for f := range riskmodel.DefaultWeights() {
		out[string(f)] = v
	}
	return out
}

// factsOf returns classifier facts that the default rules classify as
// class.
func factsOf(class string) map[string]any {
	switch blastradius.Class(class) {
	case blastradius.CriticalInfrastructure:
		return map[string]any{"app_name": "Windows Security Update", "privilege": "system"}
	case blastradius.BusinessCritical:
		return map[string]any{"app_name": "SAP GUI"}
	case blastradius.NonCritical:
		return map[string]any{"app_name": "Calculator utility"}
	}
	return map[string]any{"app_name": "Zoom"}
}

// submitBody is a CAB submission of evidence whose facts classify as
// class and whose factor values all are score, so that the active model
// scores it score.
func submitBody(key, evidenceID, score, class string) map[string]any {
	return map[string]any{
		"correlation_id": key, "evidence_id": evidenceID, "deployment_intent_id": uuid.NewSHA1(uuid.NameSpaceURL, []byte(key)).String(),
		"application": "Zoom", "factors": factorsAt(score), "classify": factsOf(class),
	}
}

// submit uploads evidence and submits it; token is the submitter.
func (e *testEnv) submit(token, key, score, class string) requestDTO {
	e.tb.Helper()
	ev := e.uploadEvidence("ev-" + key)
	r := e.do(call{method: "POST", path: "/api/v1/cab/requests", token: token, body: submitBody(key, ev.ID, score, class)})
	return ok[requestDTO](e.tb, r, http.StatusCreated)
}

// deployBody is the body of a deployment of a with the zoom SBOM.
func deployBody(a artifact, finished time.Time) map[string]any {
	return map[string]any{"artifact_name": a.name, "artifact_sha256": digestOf(a.content),
		"sbom_sha256": digestOf(zoomSBOM), "finished_at": finished.Format(time.RFC3339)}
}

// auditEvents returns every audit event of the store.
func (e *testEnv) auditEvents() []security.Event {
	e.tb.Helper()
	evs, err := e.store.ListAuditEvents(context.Background(), 0, 10000)
	require.NoError(e.tb, err)
	return evs
}

var errSecret = errors.New("pq: connection to 10.0.0.7 refused (password=hunter2)")

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
