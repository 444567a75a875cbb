package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunInProductionOnSQLite runs the command as an operator would, on
// a SQLite file with -audit-sink: the probes, /metrics and /openapi.json
// answer without a token, /readyz once the log verified at start, and
// after shutdown the sink file holds every event of the database once,
// in order.
func TestRunInProductionOnSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server on SQLite")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, dir := freeAddr(t), t.TempDir()
	db, sinkPath := filepath.Join(dir, "tg.db"), filepath.Join(dir, "audit.jsonl")
	stdout := &lineWriter{out: make(chan string, 100)}
	stderr := &lineWriter{out: make(chan string, 1000)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dev-tokens", "-dev-keys", filepath.Join(dir, "keys"), "-db", db, "-addr", addr,
			"-audit-sink", sinkPath}, nil, stdout, stderr)
	}()
	tokens := map[string]string{}
	for len(tokens) < 5 {
		select {
		case line := <-stdout.out:
			if f := strings.Fields(line); len(f) == 3 && strings.HasPrefix(f[0], "dev-") {
				tokens[f[0]] = f[2]
			}
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-time.After(60 * time.Second):
			t.Fatal("no tokens printed")
		}
	}
	waitListening(t, addr)

	get := func(path string) (int, string, []byte) {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	status, _, b := get("/healthz")
	assert.Equal(t, http.StatusOK, status, "%s", b)
	require.Eventually(t, func() bool { status, _, b = get("/readyz"); return status == http.StatusOK },
		30*time.Second, 10*time.Millisecond, "the log is verified at start")
	var rd readyDTO
	require.NoError(t, json.Unmarshal(b, &rd))
	assert.Equal(t, "none", rd.Checkpoint)
	assert.Positive(t, rd.LogSize, "the seed is in the log")
	status, ct, b := get("/metrics")
	assert.Equal(t, http.StatusOK, status)
	assert.True(t, strings.HasPrefix(ct, "text/plain"), ct)
	assert.Contains(t, string(b), `trustgate_http_request_duration_seconds_count{route="GET /readyz",status="200"} 1`+"\n")
	status, _, b = get("/openapi.json")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, openAPIDocument, b)

	req, err := http.NewRequest("POST", "http://"+addr+"/api/v1/incidents", strings.NewReader(
		`{"correlation_id":"inc-prod","severity":"P3","occurred_at":"2020-01-01T00:00:00Z","application":"Zoom","business_impact_usd":"10.50"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tokens["dev-incident-reporter"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}

	d, err := sqlite.Open(context.Background(), db, sqlstore.Options{})
	require.NoError(t, err)
	s, err := store.New(d, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	events, err := s.ListAuditEvents(context.Background(), 0, store.MaxAuditPage)
	require.NoError(t, err)
	raw, err := os.ReadFile(sinkPath)
	require.NoError(t, err)
	lines := sinkLines(t, string(raw))
	require.Len(t, lines, len(events))
	for i, ev := range events {
		assert.Equal(t, eventJSON(t, ev), eventJSON(t, lines[i]))
	}
	assert.Equal(t, "incident.reported", string(lines[len(lines)-1].Type))
}
