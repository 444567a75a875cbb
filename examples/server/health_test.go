package main

import (
	"context"
	"crypto"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testOrigin is the origin of the test log's checkpoints.
const testOrigin = "trustgate.test/log"

// ready configures a server whose store was migrated at open and whose
// log key is the test service key, as main configures it.
func ready(d *deps) { d.Migrated, d.LogKey = true, testkeys.Public(testkeys.ServiceName) }

// logTrustOf is the trust that opens the test log's checkpoints.
func logTrustOf(tb testing.TB) auditlog.Trust {
	tb.Helper()
	s, err := auditlog.NewSigner(testOrigin, testkeys.Key(testkeys.ServiceName))
	require.NoError(tb, err)
	return auditlog.Trust{Origin: testOrigin, Log: s.Verifier()}
}

// signCheckpoint signs and saves a checkpoint of the log as it stands
// with key (nil: the service key), through a second store over the same
// database, as go run ./examples/trustgate checkpoint does, and returns
// the note.
func (e *testEnv) signCheckpoint(key crypto.Signer) []byte {
	e.tb.Helper()
	if key == nil {
		key = testkeys.Key(testkeys.ServiceName)
	}
	signer, err := auditlog.NewSigner(testOrigin, key)
	require.NoError(e.tb, err)
	s, err := store.New(e.store.Driver(), store.Options{Now: e.clock.Now, Service: e.svc, Log: store.LogOptions{Signer: signer}})
	require.NoError(e.tb, err)
	note, err := s.SignCheckpoint(context.Background())
	require.NoError(e.tb, err)
	return note
}

func TestHealthzNeedsNothing(t *testing.T) {
	e := newTestEnv(t) // not even ready
	r := e.do(call{method: "GET", path: "/healthz"})
	got := ok[map[string]string](t, r, http.StatusOK)
	assert.Equal(t, map[string]string{"status": "ok"}, got)
}

func TestReadyzOnlyOnceTheLogIsVerified(t *testing.T) {
	e := newTestEnv(t, ready)
	p := requireProblem(t, e.do(call{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable, codeServiceNotReady)
	assert.Contains(t, p.Detail, "audit log: not verified yet")

	require.NoError(t, e.srv.verifyLog(context.Background()))
	got := ok[readyDTO](t, e.do(call{method: "GET", path: "/readyz"}), http.StatusOK)
	head, err := e.store.AuditHead(context.Background())
	require.NoError(t, err)
	assert.Equal(t, readyDTO{Status: "ready", LogSize: head.Size, Checkpoint: "none"}, got)
}

func TestReadyzVerifiesAgainstTheLatestCheckpoint(t *testing.T) {
	e := newTestEnv(t, ready)
	e.submit(tokSubmitter, "ready-1", "10", "PRODUCTIVITY_TOOLS")
	note := e.signCheckpoint(nil)
	c, _, err := auditlog.ParseNote(note)
	require.NoError(t, err)
	e.submit(tokSubmitter, "ready-2", "10", "PRODUCTIVITY_TOOLS") // the log may grow past it
	require.NoError(t, e.srv.verifyLog(context.Background()))
	got := ok[readyDTO](t, e.do(call{method: "GET", path: "/readyz"}), http.StatusOK)
	assert.Equal(t, strconv.FormatInt(c.Size, 10), got.Checkpoint)
	assert.Greater(t, got.LogSize, c.Size)
}

func TestReadyzRefusesACheckpointOfAnotherKey(t *testing.T) {
	e := newTestEnv(t, ready)
	e.signCheckpoint(testkeys.Key("someone else"))
	err := e.srv.verifyLog(context.Background())
	require.Error(t, err)
	p := requireProblem(t, e.do(call{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable, codeServiceNotReady)
	assert.True(t, strings.HasPrefix(p.Detail, "audit log: the check at start failed: "), p.Detail)
}

func TestReadyzRefusesAStoreThatWasNotMigrated(t *testing.T) {
	e := newTestEnv(t, func(d *deps) { ready(d); d.Migrated = false })
	require.NoError(t, e.srv.verifyLog(context.Background()))
	p := requireProblem(t, e.do(call{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable, codeServiceNotReady)
	assert.Contains(t, p.Detail, "migrations")
}

// downStore is a store whose database stopped answering.
type downStore struct{ *testStore }

func (downStore) AuditHead(context.Context) (security.Head, error) {
	return security.Head{}, errSecret
}

func TestReadyzRefusesAStoreThatDoesNotAnswer(t *testing.T) {
	e := newTestEnv(t, ready)
	require.NoError(t, e.srv.verifyLog(context.Background()))
	down := newTestEnv(t, ready, func(d *deps) { d.Store = downStore{e.store} })
	require.NoError(t, down.srv.verifyLog(context.Background()))
	r := down.do(call{method: "GET", path: "/readyz"})
	p := requireProblem(t, r, http.StatusServiceUnavailable, codeServiceNotReady)
	assert.Equal(t, "store: the store does not answer", p.Detail)
	assert.NotContains(t, string(r.Body), "hunter2")
}

// failingLog is a store whose log cannot be read at start.
type failingLog struct{ *testStore }

func (failingLog) LatestCheckpoint(context.Context) ([]byte, error) { return nil, errSecret }

func TestReadyzKeepsADatabaseErrorToTheLog(t *testing.T) {
	base := newTestEnv(t)
	e := newTestEnv(t, ready, func(d *deps) { d.Store = failingLog{base.store} })
	require.ErrorIs(t, e.srv.verifyLog(context.Background()), errSecret)
	r := e.do(call{method: "GET", path: "/readyz"})
	p := requireProblem(t, r, http.StatusServiceUnavailable, codeServiceNotReady)
	assert.Equal(t, "audit log: the check at start could not run; see the server's log", p.Detail)
	assert.NotContains(t, string(r.Body), "hunter2")
}
