package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/examples/internal/keyring"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportEvidence(t *testing.T) {
	fx := newSQLiteFixture(t)
	ev := fx.evidence[1]
	for _, id := range []string{ev.ID.String(), ev.CorrelationID} {
		r := tg(t, fx.with("export", "-evidence", id)...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		var doc evidenceDoc
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
		assert.Equal(t, ev.ID, doc.ID)
		assert.Equal(t, ev.CorrelationID, doc.CorrelationID)
		assert.JSONEq(t, string(ev.Data), string(doc.Data))
		sum := sha256.Sum256(ev.Data)
		assert.Equal(t, hex.EncodeToString(sum[:]), doc.ContentSHA256, "the content hash is the data's")
		var env struct {
			PayloadType string `json:"payloadType"`
			Signatures  []any  `json:"signatures"`
		}
		require.NoError(t, json.Unmarshal(doc.Attestation, &env))
		assert.Equal(t, attest.PayloadType, env.PayloadType)
		assert.Len(t, env.Signatures, 1, "the service key's signature")
		assert.Equal(t, "null", string(doc.Producer), "no producer signed it")
	}
	out := filepath.Join(t.TempDir(), "evidence.json")
	r := tg(t, fx.with("export", "-evidence", ev.ID.String(), "-o", out, "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, `"kind": "evidence"`)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), ev.ID.String())

	r = tg(t, fx.with("export", "-evidence", "no-such-build", "-o", filepath.Join(t.TempDir(), "none.json"))...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "no such evidence package")
}

func TestExportTheLogAsJSONLines(t *testing.T) {
	fx := newSQLiteFixture(t)
	out := filepath.Join(t.TempDir(), "log.jsonl")
	r := tg(t, fx.with("export", "-log", "-o", out)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	n := fx.head(t)
	assert.Contains(t, r.stdout, "audit events written to "+out)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines []security.Event
	for sc.Scan() {
		var l security.Event // its UnmarshalJSON refuses any member it does not know
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	require.Len(t, lines, int(n))
	// The lines are the log: they verify as a chain, each hash recomputed.
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	require.NoError(t, err)
	for i := range lines {
		assert.EqualValues(t, i+1, lines[i].Seq)
		_, err := v.Add(&lines[i])
		require.NoError(t, err, "event %d", lines[i].Seq)
	}
	assert.GreaterOrEqual(t, firstOf(lines, "store.seeded"), 0)
	assert.Equal(t, fx.validations[0], lines[firstOf(lines, "validation.passed")].Seq)

	r = tg(t, fx.with("export", "-log")...)
	require.Equal(t, exitOK, r.code)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(b), r.stdout, "stdout holds the same lines")
}

func firstOf(lines []security.Event, typ string) int {
	for i, l := range lines {
		if string(l.Type) == typ {
			return i
		}
	}
	return -1
}

func TestExportReceiptsOfEveryVerdict(t *testing.T) {
	fx := newSQLiteFixture(t)
	dir := filepath.Join(t.TempDir(), "receipts")
	r := tg(t, fx.with("export", "-receipts", dir, "-service-key", fx.serviceKey, "-keyring", fx.keyring, "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc exportResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	// Three validations (the swapped build's failed, after hashing it) and
	// three requests' authorisations.
	assert.Equal(t, 6, doc.Receipts)
	assert.Empty(t, doc.Skipped)

	pub, err := pemkey.ParsePublicKey(mustRead(t, fx.servicePub))
	require.NoError(t, err)
	cfg, err := keyring.Parse(mustRead(t, fx.keyring), pub)
	require.NoError(t, err)
	keys, err := attest.NewKeyring(cfg)
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 12)
	passed, failed := map[string]int{}, map[string]int{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".receipt.json") {
			continue
		}
		rc, err := receipt.ParseReceipt(bytes.TrimSpace(mustRead(t, filepath.Join(dir, e.Name()))))
		require.NoError(t, err, e.Name())
		sum, err := receipt.Verify(rc, keys, fx.trust)
		require.NoError(t, err, "%s does not verify with the log's verifier key and the keyring", e.Name())
		kind := strings.SplitN(e.Name(), "-", 3)[1]
		if sum.Passed() {
			passed[kind]++
		} else {
			failed[kind]++
		}
	}
	// The swapped build's validation failed; its request was approved all
	// the same (approval comes before validation), so its authorisation's
	// receipt says PASSED: the deployment was stopped by the validation.
	assert.Equal(t, map[string]int{"validation": 2, "authorization": 3}, passed)
	assert.Equal(t, map[string]int{"validation": 1}, failed)
	assert.Equal(t, 5, doc.Passed)
	assert.True(t, strings.HasPrefix(entries[0].Name(), "01-"), entries[0].Name())

	t.Run("against the published checkpoint, opened with -verifier", func(t *testing.T) {
		r := tg(t, fx.with("export", "-receipts", filepath.Join(t.TempDir(), "r"), "-service-key", fx.serviceKey, "-keyring", fx.keyring,
			"-checkpoint", fx.checkpoint, "-verifier", fx.verifier)...)
		require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
		assert.Contains(t, r.stdout, "receipts: 6 (5 PASSED, 1 FAILED), proved against the checkpoint of ")
	})
}

func TestExportReceiptsLeavesOutVerdictsAfterTheCheckpoint(t *testing.T) {
	fx := newSQLiteFixture(t)
	seq := fx.revalidate(t, 0)
	dir := filepath.Join(t.TempDir(), "receipts")
	r := tg(t, fx.with("export", "-receipts", dir, "-service-key", fx.serviceKey, "-keyring", fx.keyring)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "receipts: 6 (")
	assert.Contains(t, r.stdout, "no receipt: validation of event "+strconv.FormatInt(seq, 10)+": after the checkpoint")

	// Once a checkpoint holds it, it has a receipt too.
	r = tg(t, fx.with("checkpoint", "-service-key", fx.serviceKey)...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	r = tg(t, fx.with("export", "-receipts", dir, "-service-key", fx.serviceKey, "-keyring", fx.keyring, "-json")...)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	var doc exportResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, 7, doc.Receipts)
	assert.Empty(t, doc.Skipped)
}

func TestExportReceiptsOfATamperedDatabaseWritesNothing(t *testing.T) {
	fx := newSQLiteFixture(t)
	_, err := fx.raw(t).ExecContext(t.Context(), `UPDATE cab_requests SET status = 'rejected' WHERE id = ?`, fx.requests[0].ID.String())
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "receipts")
	r := tg(t, fx.with("export", "-receipts", dir, "-service-key", fx.serviceKey, "-keyring", fx.keyring)...)
	assert.Equal(t, exitFailed, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, fx.requests[0].ID.String())
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestExportUsage(t *testing.T) {
	fx := newSQLiteFixture(t)
	for name, args := range map[string][]string{
		"nothing to export":      {},
		"two things":             {"-log", "-evidence", "x"},
		"receipts without a key": {"-receipts", "d", "-keyring", fx.keyring},
		"a key without receipts": {"-log", "-service-key", fx.serviceKey},
		"receipts into -o":       {"-receipts", "d", "-service-key", fx.serviceKey, "-keyring", fx.keyring, "-o", "x"},
		"an argument":            {"-log", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tg(t, fx.with("export", args...)...)
			assert.Equal(t, exitUsage, r.code, "%s%s", r.stdout, r.stderr)
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
