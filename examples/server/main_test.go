package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/google/uuid"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-addr", "127.0.0.1:9", "-db", "x.db", "-dev-tokens", "-max-body", "2048",
		"-service-key", "s.pem", "-keyring", "k.json", "-dev-keys", "keys", "-allow-supplied-score"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9", cfg.addr)
	assert.Equal(t, "x.db", cfg.dbPath)
	assert.True(t, cfg.devTokens)
	assert.Equal(t, "s.pem", cfg.serviceKey)
	assert.Equal(t, "k.json", cfg.keyring)
	assert.Equal(t, "keys", cfg.devKeys)
	assert.True(t, cfg.suppliedScore)
	assert.EqualValues(t, 2048, cfg.maxBody)
	assert.Equal(t, defaultRequestTimeout, cfg.requestTimeout)

	_, err = parseFlags([]string{"stray"}, io.Discard)
	assert.Error(t, err)
	_, err = parseFlags([]string{"-nope"}, io.Discard)
	assert.Error(t, err)
}

func TestRunHashToken(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"-hash-token"}, strings.NewReader("s3cret\n"), &out, io.Discard))
	assert.Equal(t, hashToken("s3cret")+"\n", out.String())
}

func TestRunNeedsPrincipals(t *testing.T) {
	err := run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "t.db")}, nil, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "no principals")
}

func TestRunNeedsAServiceKey(t *testing.T) {
	tokens := writeFile(t, `{"principals": [{"name": "carol", "roles": ["cab"], "token_sha256": "`+hashToken("c")+`"}]}`)
	err := run(context.Background(), []string{"-token-file", tokens, "-db", filepath.Join(t.TempDir(), "t.db")}, nil, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "-service-key")
}

// lineWriter hands the lines written to it to a channel.
type lineWriter struct {
	mu  sync.Mutex
	buf strings.Builder
	out chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.out <- s[:i]
		w.buf.Reset()
		w.buf.WriteString(s[i+1:])
	}
}

// TestRunServesOnSQLite runs the command as main does, on a SQLite file
// with development tokens, calls it over TCP and stops it.
func TestRunServesOnSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server on SQLite")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	stdout := &lineWriter{out: make(chan string, 100)}
	stderr := &lineWriter{out: make(chan string, 1000)}
	done := make(chan error, 1)
	keyDir := filepath.Join(t.TempDir(), "keys")
	go func() {
		done <- run(ctx, []string{"-dev-tokens", "-dev-keys", keyDir, "-db", filepath.Join(t.TempDir(), "tg.db"), "-addr", addr}, nil, stdout, stderr)
	}()

	tokens := map[string]string{}
	var keyFiles []string
	for len(tokens) < 5 || !slices.Contains(keyFiles, filepath.Join(keyDir, "keyring.json")) {
		select {
		case line := <-stdout.out:
			if f := strings.Fields(line); len(f) == 3 && strings.HasPrefix(f[0], "dev-") {
				tokens[f[0]] = f[2]
			}
			if f := strings.Fields(line); len(f) == 1 && strings.HasPrefix(f[0], keyDir) {
				keyFiles = append(keyFiles, f[0])
			}
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("no tokens printed")
		}
	}
	waitListening(t, addr)

	req, err := http.NewRequest("GET", "http://"+addr+"/api/v1/risk-models/active", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tokens["dev-submitter"])
	req.Header.Set(correlationHeader, "corr-sqlite")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "corr-sqlite", resp.Header.Get(correlationHeader))
	var model riskModelDTO
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&model))
	assert.Equal(t, "1.1", model.Version)
	assert.True(t, model.Active)

	// Idempotent creates hold on the SQL store too.
	post := func(path, token, body string) int {
		req, err := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	incident := `{"correlation_id":"inc-sql","severity":"P3","occurred_at":"2020-01-01T00:00:00Z","application":"Zoom","business_impact_usd":"10.50"}`
	assert.Equal(t, http.StatusCreated, post("/api/v1/incidents", tokens["dev-incident-reporter"], incident))
	assert.Equal(t, http.StatusOK, post("/api/v1/incidents", tokens["dev-incident-reporter"], incident))
	evidence := `{"correlation_id":"ev-sql","evidence":{"artifacts":[{"name":"a.pkg","sha256":"` + digestOf("a") + `"}]}}`
	assert.Equal(t, http.StatusCreated, post("/api/v1/evidence", tokens["dev-submitter"], evidence))
	assert.Equal(t, http.StatusOK, post("/api/v1/evidence", tokens["dev-admin"], evidence))

	// The development keys are on disk, and a member signs with them: an
	// approval of a BUSINESS_CRITICAL request signed with dev-cab.pem and
	// one countersigned by the service key for dev-cab-2 reach its quorum.
	for _, f := range []string{"service.pem", "dev-cab.pem", "dev-cab-2.pem", "dev-admin.pem", "keyring.json"} {
		assert.Contains(t, keyFiles, filepath.Join(keyDir, f))
	}
	do := func(method, path, token, body string) (int, []byte) {
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}
	evidenceID := func() string {
		status, b := do("GET", "/api/v1/evidence/ev-sql", tokens["dev-submitter"], "")
		require.Equal(t, http.StatusOK, status, "%s", b)
		var ev evidenceDTO
		require.NoError(t, json.Unmarshal(b, &ev))
		return ev.ID
	}()
	sub, err := json.Marshal(map[string]any{"correlation_id": "sub-sql", "evidence_id": evidenceID, "deployment_intent_id": uuid.NewString(),
		"factors": factorsAt("30"), "classify": factsOf("BUSINESS_CRITICAL")})
	require.NoError(t, err)
	status, b := do("POST", "/api/v1/cab/requests", tokens["dev-submitter"], string(sub))
	require.Equal(t, http.StatusCreated, status, "%s", b)
	var cr requestDTO
	require.NoError(t, json.Unmarshal(b, &cr))
	require.Equal(t, 2, cr.Decision.Quorum)

	status, statement := do("GET", "/api/v1/cab/requests/"+cr.ID+"/approval-statement", tokens["dev-cab"], "")
	require.Equal(t, http.StatusOK, status, "%s", statement)
	key, err := pemkey.LoadPrivateKey(filepath.Join(keyDir, "dev-cab.pem"))
	require.NoError(t, err)
	envBody := sealedBody(t, key, statement)
	status, b = do("POST", "/api/v1/cab/requests/"+cr.ID+"/approve", tokens["dev-cab"], envBody)
	require.Equal(t, http.StatusOK, status, "%s", b)
	status, b = do("POST", "/api/v1/cab/requests/"+cr.ID+"/approve", tokens["dev-cab-2"], `{"comment":"ok"}`)
	require.Equal(t, http.StatusOK, status, "%s", b)
	require.NoError(t, json.Unmarshal(b, &cr))
	assert.Equal(t, cab.StatusApproved, cr.Status)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close())
	return addr
}

func waitListening(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("nothing listens on %s", addr)
}

// TestServeShutsDownGracefully: a request in flight when the context ends
// still gets its answer.
func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done\n")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, h, time.Second, discardLogger()) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		got <- line
	}()
	<-started
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	assert.Equal(t, "done\n", <-got)
	assert.NoError(t, <-done)
}
