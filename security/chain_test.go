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
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestCheckpointsDetectTruncation(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	l := build(t, 8)
	cp, err := security.SignCheckpoint(priv, "key-2026", security.Head{Size: 6, Hash: l[5].Hash}, epoch)
	require.NoError(t, err)
	require.NoError(t, cp.Verify(pub))

	head, err := security.VerifyChain(t.Context(), l, security.VerifyOptions{Checkpoint: &cp, PublicKey: pub})
	require.NoError(t, err)
	assert.Equal(t, int64(8), head.Size)

	_, err = security.VerifyChain(t.Context(), l[:5], security.VerifyOptions{Checkpoint: &cp, PublicKey: pub})
	ce := chainErr(t, err)
	assert.Equal(t, int64(6), ce.Seq)
	assert.Contains(t, ce.Reason, "truncated")

	// A log rebuilt from event 6 on (a rewritten history with the same
	// length) does not match what the checkpoint signed.
	rebuilt := build(t, 8)
	_, err = security.VerifyChain(t.Context(), rebuilt, security.VerifyOptions{Checkpoint: &cp, PublicKey: pub})
	assert.Equal(t, int64(6), chainErr(t, err).Seq)
}

func TestCheckpointSignaturesAreChecked(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	cp, err := security.SignCheckpoint(priv, "k", security.Head{Size: 3}, epoch)
	require.NoError(t, err)

	forged := cp
	forged.Size = 2
	require.ErrorIs(t, forged.Verify(pub), security.ErrCheckpointInvalid)
	forged = cp
	forged.KeyID = "other"
	require.ErrorIs(t, forged.Verify(pub), security.ErrCheckpointInvalid)
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(forged.Verify(pub)))
	assert.Equal(t, "CHECKPOINT_INVALID", trustgate.AsError(forged.Verify(pub)).Reason)
	require.ErrorIs(t, cp.Verify(pub[:10]), security.ErrCheckpointInvalid)
	requireInvalid(t, cp.Verify(pub[:10]), "public_key") // a wrong key is the caller's mistake, not tampering
	requireInvalid(t, cp.Verify(nil), "public_key")
	_, err = security.VerifyChain(t.Context(), log{}, security.VerifyOptions{Checkpoint: &forged, PublicKey: pub})
	require.ErrorIs(t, err, security.ErrCheckpointInvalid)

	_, err = security.SignCheckpoint(priv[:5], "k", security.Head{}, epoch)
	requireInvalid(t, err, "key")
	_, err = security.SignCheckpoint(priv, "a\nb", security.Head{}, epoch)
	requireInvalid(t, err, "key_id")
	assert.True(t, strings.HasPrefix(string(cp.SignedMessage()), "trustgate audit checkpoint v1\nk\n3\n"))
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
