package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sinkLines parses the sink's output.
func sinkLines(t *testing.T, out string) []security.Event {
	t.Helper()
	var lines []security.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l security.Event // its UnmarshalJSON refuses any member it does not know
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "line %q", sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}

func TestAuditSinkWritesEveryEventOnceInOrder(t *testing.T) {
	e := newTestEnv(t)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	wait := e.srv.startSink(ctx, out, 0)

	e.submit(tokSubmitter, "sink-1", "10", "PRODUCTIVITY_TOOLS")
	// Another writer of the same database, which never nudges the sink.
	other, err := store.New(e.store.Driver(), store.Options{Now: e.clock.Now, Service: e.svc})
	require.NoError(t, err)
	for range 3 {
		_, err := other.AppendAudit(context.Background(), security.EventInput{Type: "test.other_writer", Actor: "batch"})
		require.NoError(t, err)
	}
	e.submit(tokSubmitter, "sink-2", "10", "PRODUCTIVITY_TOOLS")
	// The nudge after each write ships them without waiting for the ticker.
	head, err := e.store.AuditHead(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ls := sinkLines(t, out.String())
		return len(ls) > 0 && ls[len(ls)-1].Seq == head.Size
	}, sinkInterval/2, 5*time.Millisecond, "nudged")

	// Written after the last nudge, shipped on shutdown.
	_, err = other.AppendAudit(context.Background(), security.EventInput{Type: "test.last", Actor: "batch"})
	require.NoError(t, err)
	cancel()
	require.NoError(t, wait())

	events := e.auditEvents()
	lines := sinkLines(t, out.String())
	require.Len(t, lines, len(events))
	for i, ev := range events {
		assert.Equal(t, eventJSON(t, ev), eventJSON(t, lines[i]), "line %d", i+1)
	}
	assert.Equal(t, "test.last", string(lines[len(lines)-1].Type))
}

func TestAuditSinkResumesAfterASequenceNumber(t *testing.T) {
	e := newTestEnv(t)
	e.submit(tokSubmitter, "resume-1", "10", "PRODUCTIVITY_TOOLS")
	events := e.auditEvents()
	after := events[len(events)-3].Seq
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	wait := e.srv.startSink(ctx, out, after)
	cancel()
	require.NoError(t, wait())
	lines := sinkLines(t, out.String())
	require.Len(t, lines, 2)
	assert.Equal(t, after+1, lines[0].Seq)
	assert.Equal(t, after+2, lines[1].Seq)
}

func TestAuditSinkFlags(t *testing.T) {
	var stderr strings.Builder
	_, err := parseFlags([]string{"-audit-sink", "-", "-audit-sink-after", "-1"}, &stderr)
	require.ErrorContains(t, err, "-audit-sink-after")
	c, err := parseFlags([]string{"-audit-sink", "events.jsonl", "-audit-sink-after", "42", "-metrics-token"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, "events.jsonl", c.auditSink)
	assert.Equal(t, int64(42), c.auditAfter)
	assert.True(t, c.metricsToken)

	var stdout strings.Builder
	w, closeSink, err := openSink("-", &stdout)
	require.NoError(t, err)
	closeSink()
	assert.Same(t, &stdout, w)
	_, _, err = openSink(t.TempDir(), &stdout) // a directory cannot be appended to
	require.ErrorContains(t, err, "-audit-sink")
}

// flakyWriter refuses its first writes whole, as a full disk would.
type flakyWriter struct {
	syncBuffer
	mu       sync.Mutex
	failures int
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	fail := w.failures > 0
	if fail {
		w.failures--
	}
	w.mu.Unlock()
	if fail {
		return 0, errors.New("no space left on device")
	}
	return w.syncBuffer.Write(p)
}

func TestAuditSinkRetriesAPageItCouldNotWrite(t *testing.T) {
	e := newTestEnv(t)
	e.submit(tokSubmitter, "flaky-1", "10", "PRODUCTIVITY_TOOLS")
	out := &flakyWriter{failures: 2}
	ctx, cancel := context.WithCancel(context.Background())
	wait := e.srv.startSink(ctx, out, 0)
	e.submit(tokSubmitter, "flaky-2", "10", "PRODUCTIVITY_TOOLS") // a nudge: the second failure
	require.Eventually(t, func() bool { return len(sinkLines(t, out.String())) == len(e.auditEvents()) },
		3*sinkInterval, 10*time.Millisecond, "the ticker retries")
	cancel()
	require.NoError(t, wait())
	lines := sinkLines(t, out.String())
	for i, ev := range e.auditEvents() {
		assert.Equal(t, ev.Seq, lines[i].Seq)
	}
	assert.Contains(t, e.logs.String(), "no space left on device")
}

// eventJSON is ev's JSON form, to compare an event read back with the
// one stored.
func eventJSON(t *testing.T, ev security.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return string(b)
}
