package security_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

var epoch = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)

// log is an in-memory EventReader.
type log []security.Event

func (l log) ListAuditEvents(_ context.Context, after int64, limit int) ([]security.Event, error) {
	var out []security.Event
	for _, e := range l {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func build(t *testing.T, n int) log {
	t.Helper()
	var l log
	var head security.Head
	for i := range n {
		e, err := security.NewEvent(head, security.EventInput{
			Type: "test", Actor: "alice", Subject: fmt.Sprint(i),
			Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
		}, uuid.New(), epoch.Add(time.Duration(i)*time.Second))
		require.NoError(t, err)
		l = append(l, e)
		head = security.Head{Size: e.Seq, Hash: e.Hash}
	}
	return l
}

func chainErr(t *testing.T, err error) *security.ChainError {
	t.Helper()
	require.ErrorIs(t, err, security.ErrChainBroken)
	e := trustgate.AsError(err)
	require.Equal(t, trustgate.Tampered, e.Code)
	require.Equal(t, "AUDIT_CHAIN_BROKEN", e.Reason)
	var ce *security.ChainError
	require.ErrorAs(t, err, &ce)
	return ce
}

func TestVerifyChainAcceptsAnIntactLog(t *testing.T) {
	l := build(t, 10)
	for _, page := range []int{1, 3, 10, 1000} {
		head, err := security.VerifyChain(t.Context(), l, security.VerifyOptions{PageSize: page})
		require.NoError(t, err)
		assert.Equal(t, security.Head{Size: 10, Hash: l[9].Hash}, head)
	}
	head, err := security.VerifyChain(t.Context(), log{}, security.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, security.Head{}, head)
}

func TestVerifyChainFindsTheFirstBrokenLink(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(l log) log
		seq    int64
	}{
		{"edited actor", func(l log) log { l[3].Actor = "mallory"; return l }, 4},
		{"edited data", func(l log) log { l[5].Data = json.RawMessage(`{"i":99}`); return l }, 6},
		{"edited time", func(l log) log { l[0].OccurredAt = l[0].OccurredAt.Add(time.Microsecond); return l }, 1},
		{"edited type", func(l log) log { l[9].Type = "other"; return l }, 10},
		{"deleted event", func(l log) log { return append(l[:2:2], l[3:]...) }, 3},
		{"deleted first event", func(l log) log { return l[1:] }, 1},
		{"swapped events", func(l log) log { l[2], l[6] = l[6], l[2]; return l }, 3},
		{"swapped content, sequence kept", func(l log) log {
			a, b := l[2], l[6]
			a.Seq, b.Seq = 7, 3
			l[2], l[6] = b, a
			return l
		}, 3},
		{"inserted event", func(l log) log {
			forged, _ := security.NewEvent(security.Head{Size: 4, Hash: l[3].Hash}, security.EventInput{Type: "forged", Actor: "mallory"}, uuid.New(), epoch)
			rest := append(log{}, l[4:]...)
			for i := range rest {
				rest[i].Seq++
			}
			return append(append(l[:4:4], forged), rest...)
		}, 6},
		{"recomputed hash of an edited event", func(l log) log {
			l[4].Actor = "mallory"
			l[4].Hash, _ = l[4].ComputeHash()
			return l
		}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.tamper(build(t, 10))
			_, err := security.VerifyChain(t.Context(), l, security.VerifyOptions{PageSize: 4})
			assert.Equal(t, tt.seq, chainErr(t, err).Seq, "%v", err)
		})
	}
}

// checkpointOf signs, with a test key, the checkpoint of the first n
// events of l, its root computed by tlog from the events' canonical forms:
// an oracle independent of the ChainVerifier.
func checkpointOf(t *testing.T, l log, n int) ([]byte, auditlog.Trust) {
	t.Helper()
	signer, err := auditlog.NewSigner("example.com/audit", ed25519.NewKeyFromSeed(make([]byte, 32)))
	require.NoError(t, err)
	hashes := map[int64]tlog.Hash{}
	for i := range n {
		c, err := l[i].Canonical()
		require.NoError(t, err)
		stored, err := tlog.StoredHashes(int64(i), c, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, x := range idx {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		require.NoError(t, err)
		for j, h := range stored {
			hashes[tlog.StoredHashIndex(0, int64(i))+int64(j)] = h
		}
	}
	root, err := tlog.TreeHash(int64(n), tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = hashes[x]
		}
		return out, nil
	}))
	require.NoError(t, err)
	msg, err := auditlog.Sign(auditlog.Checkpoint{Origin: signer.Name(), Size: int64(n), Hash: root}, signer)
	require.NoError(t, err)
	return msg, auditlog.Trust{Origin: signer.Name(), Log: signer.Verifier()}
}

func TestCheckpointsDetectTruncationAndRewriting(t *testing.T) {
	l := build(t, 8)
	cp, trust := checkpointOf(t, l, 6)
	opts := security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: trust}

	head, err := security.VerifyChain(t.Context(), l, opts)
	require.NoError(t, err)
	assert.Equal(t, int64(8), head.Size)
	v, err := security.NewChainVerifier(opts)
	require.NoError(t, err)
	for i := range l {
		_, err := v.Add(&l[i])
		require.NoError(t, err)
	}
	require.NoError(t, v.Finish())
	full, _ := checkpointOf(t, l, 8)
	c, _, err := auditlog.ParseNote(full)
	require.NoError(t, err)
	root, err := v.Root()
	require.NoError(t, err)
	assert.Equal(t, c.Hash, root, "the verifier's root is tlog's")

	_, err = security.VerifyChain(t.Context(), l[:5], opts)
	ce := chainErr(t, err)
	assert.Equal(t, int64(6), ce.Seq)
	assert.Contains(t, ce.Reason, "truncated")

	// A log rebuilt from scratch (a rewritten history of the same length)
	// is not the tree the checkpoint signed.
	rebuilt := build(t, 8)
	_, err = security.VerifyChain(t.Context(), rebuilt, opts)
	ce = chainErr(t, err)
	assert.Equal(t, int64(6), ce.Seq)
	assert.Contains(t, ce.Reason, "rewritten")
}

func TestCheckpointsMustOpenUnderTheTrust(t *testing.T) {
	l := build(t, 3)
	cp, trust := checkpointOf(t, l, 3)
	forged := []byte(strings.Replace(string(cp), "\n3\n", "\n2\n", 1))
	_, err := security.VerifyChain(t.Context(), l, security.VerifyOptions{Checkpoints: [][]byte{forged}, Trust: trust})
	require.ErrorIs(t, err, auditlog.ErrSignature)
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
	wrongOrigin := trust
	wrongOrigin.Origin = "example.com/other"
	_, err = security.VerifyChain(t.Context(), l, security.VerifyOptions{Checkpoints: [][]byte{cp}, Trust: wrongOrigin})
	require.ErrorIs(t, err, auditlog.ErrOrigin)
	_, err = security.VerifyChain(t.Context(), l, security.VerifyOptions{Checkpoints: [][]byte{cp}})
	require.ErrorIs(t, err, auditlog.ErrKey, "checkpoints without a trust policy")
	_, err = security.VerifyChain(t.Context(), l, security.VerifyOptions{Checkpoints: [][]byte{[]byte("garbage")}, Trust: trust})
	require.ErrorIs(t, err, auditlog.ErrMalformed)
}

func TestNewEventValidatesInput(t *testing.T) {
	long := strings.Repeat("x", security.MaxEventTextLength+1)
	bad := map[string]security.EventInput{
		"type":           {Actor: "a"},
		"actor":          {Type: "t", Actor: " "},
		"subject":        {Type: "t", Actor: "a", Subject: long},
		"correlation_id": {Type: "t", Actor: "a", CorrelationID: "x\x00"},
		"data":           {Type: "t", Actor: "a", Data: json.RawMessage(`"string"`)},
	}
	for field, in := range bad {
		_, err := security.NewEvent(security.Head{}, in, uuid.New(), epoch)
		var fe *trustgate.Error
		require.ErrorAs(t, err, &fe, field)
		assert.Equal(t, field, fe.Field)
		assert.Equal(t, trustgate.Invalid, fe.Code)
	}
	_, err := security.NewEvent(security.Head{}, security.EventInput{Type: "t", Actor: "a\xff"}, uuid.New(), epoch)
	requireInvalid(t, err, "actor")
}

// requireInvalid requires err to be an invalid-input error naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	require.Equal(t, trustgate.Invalid, e.Code, "%v", err)
	require.Equal(t, field, e.Field, "%v", err)
}

func TestEventHashIsOverPrevHashAndCanonicalJSON(t *testing.T) {
	id := uuid.MustParse("0193e4b4-7c00-7000-8000-000000000001")
	e, err := security.NewEvent(security.Head{}, security.EventInput{
		Type: "riskmodel.activated", Actor: "cab-alice", Subject: "riskmodel:1.2",
		Data: json.RawMessage(`{"version":"1.2", "previous":"1.1"}`),
	}, id, time.Date(2026, 2, 10, 9, 0, 0, 123456789, time.FixedZone("CET", 3600)))
	require.NoError(t, err)
	c, err := e.Canonical()
	require.NoError(t, err)
	assert.Equal(t, `{"actor":"cab-alice","correlation_id":"","data":{"previous":"1.1","version":"1.2"},"id":"0193e4b4-7c00-7000-8000-000000000001","occurred_at":"2026-02-10T08:00:00.123456Z","seq":1,"subject":"riskmodel:1.2","type":"riskmodel.activated"}`, string(c))
	assert.Equal(t, time.UTC, e.OccurredAt.Location())
	// The hash is pinned, so a change to the canonical form is a
	// deliberate, visible break of every stored chain.
	assert.Equal(t, "8c4c9079298de1942c1cd3a40e27fc989ec677588976e10f7366b67dc867a5c7", e.Hash.String(), "SHA-256(32 zero bytes ‖ canonical), computed independently")
}

func TestParseDigest(t *testing.T) {
	d, err := security.ParseDigest("sha256", strings.Repeat("aB", 32))
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("ab", 32), d.String())
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("a", 63), strings.Repeat("a", 66)} {
		_, err := security.ParseDigest("sha256", bad)
		requireInvalid(t, err, "sha256")
	}
	var round security.Digest
	text, _ := d.MarshalText()
	require.NoError(t, round.UnmarshalText(text))
	assert.True(t, round.Equal(d))
}
