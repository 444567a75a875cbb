package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notes counts the checkpoints saved in the fixture's database.
func (fx *fixture) notes(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, fx.raw(t).QueryRowContext(t.Context(), `SELECT count(*) FROM audit_notes`).Scan(&n))
	return n
}

func TestCheckpointSignsSavesAndPublishes(t *testing.T) {
	fx := newSQLiteFixture(t)
	before := fx.notes(t)
	out := filepath.Join(t.TempDir(), "published.txt")
	r := tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-o", out)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "wrote it to "+out)
	assert.Contains(t, r.stdout, "verifier key: "+testOrigin+"+")
	note, err := os.ReadFile(out)
	require.NoError(t, err)
	v, err := auditlog.Open(note, fx.trust)
	require.NoError(t, err, "the written checkpoint opens with the log's verifier key under the origin of the last one")
	assert.Equal(t, testOrigin, v.Origin)
	published, err := os.ReadFile(fx.checkpoint)
	require.NoError(t, err)
	assert.Equal(t, string(published), string(note), "the log has not grown: Ed25519 signs the same tree as the same note")
	assert.Equal(t, before, fx.notes(t), "and the store keeps one copy")

	r = tg(t, fx.with("checkpoint", "-latest")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, string(note), r.stdout, "-latest prints the one just signed")

	r = tg(t, fx.with("verify", "-keyring", fx.keyring, "-service-pub", fx.servicePub, "-checkpoint", out, "-verifier", fx.verifier)...)
	assert.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)

	t.Run("once the log has grown", func(t *testing.T) {
		fx.grow(t, 3)
		r := tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-json")...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		var doc checkpointResult
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.True(t, doc.OK && doc.Signed)
		assert.Equal(t, v.Size+3, doc.Size)
		assert.Equal(t, before+1, fx.notes(t), "a new checkpoint saved")
		_, err := auditlog.Open([]byte(doc.Note), fx.trust)
		assert.NoError(t, err)
	})
	t.Run("with -json and a new origin to stdout", func(t *testing.T) {
		r := tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-origin", "other.example/log", "-json")...)
		require.Equal(t, exitFailed, r.code, "a key and origin the latest checkpoint was not signed under: %s%s", r.stdout, r.stderr)
		var doc checkpointResult
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.False(t, doc.OK)
		assert.Contains(t, doc.Error, "refusing to sign")
	})
}

func TestCheckpointRefusesToSignALogThatDoesNotVerify(t *testing.T) {
	fx := newSQLiteFixture(t)
	_, err := fx.raw(t).ExecContext(t.Context(), `UPDATE audit_events SET actor = 'mallory' WHERE seq = 2`)
	require.NoError(t, err)
	before := fx.notes(t)
	out := filepath.Join(t.TempDir(), "cp.txt")
	r := tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-o", out)...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "the log does not verify, nothing signed")
	assert.Equal(t, before, fx.notes(t), "nothing saved")
	_, err = os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written")
}

func TestCheckpointWithoutOneSaved(t *testing.T) {
	fx := newSQLiteFixture(t)
	_, err := fx.raw(t).ExecContext(t.Context(), `DELETE FROM audit_notes`)
	require.NoError(t, err)
	r := tg(t, fx.with("checkpoint", "-latest", "-json")...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "no checkpoint is saved")
	r = tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey)...)
	assert.Equal(t, exitUsage, r.code, "the first checkpoint needs its origin")
	assert.Contains(t, r.stderr, "-origin NAME is required")
	r = tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey, "-origin", testOrigin)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	_, err = auditlog.Open([]byte(r.stdout), fx.trust)
	assert.NoError(t, err, "the note on stdout")
}

func TestCheckpointUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"neither a key nor -latest": {},
		"-latest and a key":         {"-latest", "-service-key", fx.serviceKey},
		"an argument":               {"-latest", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("checkpoint", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
	r := tg(t, fx.with("checkpoint", "-service-key", fx.servicePub)...)
	assert.Equal(t, exitRun, r.code, "a public key is not the private key")
	assert.Contains(t, r.stderr, "-service-key")
}
