package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leafOf checks the inclusion proof text with the fixture's trust, as a
// reader would with the auditlog package alone, and returns the event it
// proves.
func (fx *fixture) leafOf(t *testing.T, text string) map[string]any {
	t.Helper()
	p, err := auditlog.ParseInclusionProof([]byte(text))
	require.NoError(t, err, text)
	_, leaf, err := auditlog.VerifyInclusion(p, fx.trust)
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(leaf, &ev), "the leaf is the event's canonical JSON")
	return ev
}

func TestProveAnEventAndCheckItOffline(t *testing.T) {
	fx := newSQLiteFixture(t)
	r := tg(t, fx.with("prove", "-event", "3", "-check", "-verifier", fx.verifier)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, auditlog.InclusionHeader+"\n"), r.stdout)
	assert.EqualValues(t, 3, fx.leafOf(t, r.stdout)["seq"])
	assert.Contains(t, r.stderr, "proof: event 3 (")
	assert.Contains(t, r.stderr, "checked with the verifier key")

	out := filepath.Join(t.TempDir(), "proof.txt")
	r = tg(t, fx.with("prove", "-event", "3", "-checkpoint", fx.checkpoint, "-o", out)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "written to "+out)
	r = tg(t, "prove", "-check", "-verifier", fx.verifier, "-proof", out)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "checked: leaf 2 of the checkpoint of")

	t.Run("a proof edited by one hash fails", func(t *testing.T) {
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		// The audit path's first hash is the line after "index N".
		for i, l := range lines {
			if strings.HasPrefix(l, "index ") {
				h := []byte(lines[i+1])
				h[0] ^= 'A' ^ 'B'
				if h[0] == lines[i+1][0] {
					h[0] = 'C'
				}
				lines[i+1] = string(h)
				break
			}
		}
		bad := filepath.Join(t.TempDir(), "bad.txt")
		require.NoError(t, os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644))
		r := tg(t, "prove", "-check", "-verifier", fx.verifier, "-proof", bad, "-json")
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
		assert.Contains(t, r.stdout, `"ok": false`)
	})
}

func TestProveARequestAndAValidation(t *testing.T) {
	fx := newSQLiteFixture(t)
	req := fx.requests[0]
	for _, id := range []string{req.ID.String(), req.CorrelationID} {
		r := tg(t, fx.with("prove", "-request", id, "-json")...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		var doc proveResult
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.Equal(t, "cab-request:"+req.ID.String(), doc.Event.Subject)
		assert.Equal(t, "database", doc.Checkpoint.Source)
		ev := fx.leafOf(t, doc.Proof)
		assert.Equal(t, "cab-request:"+req.ID.String(), ev["subject"])
		assert.EqualValues(t, doc.Event.Seq, ev["seq"])
	}
	// The third build's bytes were swapped: its validation failed, and is
	// proved all the same.
	for i, want := range map[int]security.EventType{0: security.EventValidationPassed, 2: security.EventValidationFailed} {
		ev := fx.evidence[i]
		for _, id := range []string{ev.ID.String(), ev.CorrelationID} {
			r := tg(t, fx.with("prove", "-validation", id, "-check", "-verifier", fx.verifier, "-json")...)
			require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
			var doc proveResult
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
			assert.True(t, doc.Checked)
			assert.Equal(t, string(want), doc.Event.Type)
			assert.Equal(t, fx.validations[i], doc.Event.Seq)
		}
	}
}

func TestProveConsistencyOfTwoCheckpoints(t *testing.T) {
	fx := newSQLiteFixture(t)
	fx.grow(t, 4)
	newer := filepath.Join(t.TempDir(), "new.txt")
	r := tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-o", newer)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)

	r = tg(t, fx.with("prove", "-consistency", fx.checkpoint, newer, "-check", "-verifier", fx.verifier)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, auditlog.ConsistencyHeader+"\n"), r.stdout)
	assert.Contains(t, r.stderr, "is a prefix of the checkpoint of")
	proof := filepath.Join(t.TempDir(), "consistency.txt")
	require.NoError(t, os.WriteFile(proof, []byte(r.stdout), 0o644))

	// Flags after the arguments are read too.
	r = tg(t, "prove", "-consistency", fx.checkpoint, newer, "-check", "-verifier", fx.verifier, "-proof", proof)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "checked: the checkpoint of")

	t.Run("the checkpoints the wrong way round", func(t *testing.T) {
		r := tg(t, fx.with("prove", "-consistency", newer, fx.checkpoint)...)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
		r = tg(t, "prove", "-consistency", newer, fx.checkpoint, "-check", "-verifier", fx.verifier, "-proof", proof)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	})
}

func TestProofsOfAnotherLogFail(t *testing.T) {
	fx, other := newSQLiteFixture(t), newSQLiteFixture(t)
	t.Run("proving against another log's checkpoint", func(t *testing.T) {
		r := tg(t, fx.with("prove", "-event", "2", "-checkpoint", other.checkpoint, "-json")...)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
		var doc proveResult
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.Contains(t, doc.Error, "another log's")
	})
	t.Run("checking a proof with another log's key", func(t *testing.T) {
		r := tg(t, fx.with("prove", "-event", "2", "-check", "-verifier", other.verifier)...)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
		assert.Contains(t, r.stdout, "FAILED")
	})
	t.Run("a consistency proof between two logs' checkpoints", func(t *testing.T) {
		r := tg(t, fx.with("prove", "-consistency", fx.checkpoint, other.checkpoint)...)
		assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	})
}

func TestProveWhatIsNotThere(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"an event beyond the log":       {"-event", "999"},
		"a request the store lacks":     {"-request", "0190f5a4-0000-7000-8000-000000000000"},
		"a correlation id it lacks":     {"-request", "chg-unknown"},
		"evidence never validated":      {"-validation", "no-such-build"},
		"an event after the checkpoint": {"-event", strconv.Itoa(int(fx.head(t)) + 1)},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "an event after the checkpoint" {
				fx.grow(t, 1)
			}
			r := tg(t, fx.with("prove", args...)...)
			assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, "FAILED")
		})
	}
}

func TestProveUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"nothing to prove":                {},
		"two things to prove":             {"-event", "1", "-request", "x"},
		"-check without -verifier":        {"-event", "1", "-check"},
		"-consistency with one file":      {"-consistency", fx.checkpoint},
		"an argument without consistency": {"-event", "1", "extra"},
		"a negative event":                {"-event", "-2"},
		"-proof with a database":          {"-proof", "p.txt", "-check", "-verifier", fx.verifier},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("prove", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
	r := tg(t, "prove", "-proof", "p.txt", "-check", "-verifier", fx.verifier)
	assert.Equal(t, exitRun, r.code, "a proof file that cannot be read")
}
